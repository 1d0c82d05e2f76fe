"""The no-model baseline: Hypothesis' ghostwriter, ``hypothesis write module.func`` (the real CLI).

It writes a property-based test file (``@given`` with strategies from the signature) to the same path the
agent writes; the evaluator judges it with the same checks (nothing submitted).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolsmith.test.analysis import analyze
from toolsmith.test.layout import module_path, output_file
from toolsmith.test.testrun import PytestRun, run_pytest

BASELINE = "hypothesis write module.func (ghostwriter)"


@dataclass(frozen=True)
class Ghostwritten:
    """What the ghostwriter produced.

    Attributes:
        test_rel: The test file written (relative to the project root), "" when none.
        error: Why no file ("" when one was written).
        run: pytest + coverage on it (None when no file).
    """

    test_rel: str
    error: str
    run: PytestRun | None


def hypothesis_command() -> list[str]:
    """The ``hypothesis`` console script installed with this package's dependencies."""
    script = Path(sys.executable).with_name("hypothesis")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "hypothesis.extra.cli"]


def ghostwrite(root: Path, target: str, symbol: str, *, timeout_s: float = 60.0, measure: bool = True) -> Ghostwritten:
    """Run ``hypothesis write <module>.<symbol>`` in ``root``, write its output as the test file, run it.

    Args:
        root: The project folder (a copy: the test file is created in it).
        target: The target file, posix and relative to ``root``.
        symbol: The function.
        timeout_s: Time limit for the ghostwriter and for the pytest run.
        measure: Run the written file under pytest + coverage.

    Returns:
        The test file's path, or why there is none, and the run.
    """
    root = Path(root).resolve()
    where = module_path(root, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_", "COVERAGE_"))}
    env["PYTHONPATH"] = str(root / where.import_root)
    try:
        proc = subprocess.run(
            [*hypothesis_command(), "write", f"{where.module}.{symbol}"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return Ghostwritten("", f"expected the ghostwriter to finish in {timeout_s:g} s, got a timeout", None)
    if proc.returncode != 0 or not proc.stdout.strip():
        last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return Ghostwritten("", f"expected a test file from the ghostwriter, got: {last[:200]}", None)
    test_rel = output_file(target, symbol)
    path = root / test_rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(proc.stdout, encoding="utf-8")
    if not measure:
        return Ghostwritten(test_rel, "", None)
    info = analyze((root / target).read_text(encoding="utf-8"), symbol, target)
    return Ghostwritten(test_rel, "", run_pytest(root, target, info, test_rel, timeout_s=timeout_s))
