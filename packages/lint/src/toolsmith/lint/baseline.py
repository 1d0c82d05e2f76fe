"""What a user runs without a model: ``ruff check --fix --unsafe-fixes`` (agent's rules or the project's config)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from toolsmith.lint.tools import RULES, find_config
from toolsmith.shared.proc import ruff_command

BASELINE = "ruff check --fix --unsafe-fixes"


def baseline(root: Path, target: str, symbol: str | None) -> None:
    """Fix the target file with ruff's own fixes (safe and unsafe), on :data:`~toolsmith.lint.tools.RULES`.

    With a ruff configuration in the project (:func:`~toolsmith.lint.tools.find_config`), on that configuration
    instead, as the agent's tools. Ruff fixes the whole file, ``symbol`` or not (that is what a user gets from it).

    Raises:
        RuntimeError: Ruff did not run.
    """
    config = find_config(root, target)
    if config is None:
        argv, cwd = [*ruff_command(), "check", "--no-cache", "--isolated", "--select", ",".join(RULES)], root
    else:  # ruff in the config's folder, so its relative paths mean what they mean in the project
        argv, cwd = [*ruff_command(), "check", "--no-cache", "--config", str(config.path)], config.path.parent
        target = str(root / target)
    proc = subprocess.run(
        [*argv, "--fix", "--unsafe-fixes", "--exit-zero", "--quiet", "--", target],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"expected ruff --fix to run (exit 0), got exit {proc.returncode}: {proc.stderr[:300]}")
