"""What a user runs without a model: ``ruff check --fix --unsafe-fixes`` on the agent's rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

from toolsmith.lint.tools import RULES
from toolsmith.shared.proc import ruff_command

BASELINE = "ruff check --fix --unsafe-fixes"


def baseline(root: Path, target: str, symbol: str | None) -> None:
    """Fix the target file with ruff's own fixes (safe and unsafe), on :data:`~toolsmith.lint.tools.RULES`.

    Ruff fixes the whole file, ``symbol`` or not (that is what a user gets from it).

    Raises:
        RuntimeError: Ruff did not run.
    """
    argv = [*ruff_command(), "check", "--no-cache", "--isolated", "--select", ",".join(RULES)]
    proc = subprocess.run(
        [*argv, "--fix", "--unsafe-fixes", "--exit-zero", "--quiet", "--", target],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"expected ruff --fix to run (exit 0), got exit {proc.returncode}: {proc.stderr[:300]}")
