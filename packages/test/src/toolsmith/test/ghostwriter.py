"""The no-model baseline: Hypothesis' ghostwriter, what ``hypothesis write module.func`` prints.

It writes a property-based test file (``@given`` with strategies from the signature) to the same path the
agent writes; the evaluator judges it with the same checks (nothing submitted). The ghostwriter imports the
user's module to read the function, so it runs in a limited child process
(:func:`toolsmith.test.pytest_worker.ghostwrite`, the CLI's own ``ghostwriter.magic`` call).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolsmith.shared.isolate import Limits, run_isolated
from toolsmith.shared.sandbox import decode_source
from toolsmith.test.analysis import analyze
from toolsmith.test.layout import output_file
from toolsmith.test.testrun import PytestRun, run_pytest

BASELINE = "hypothesis write (ghostwriter)"
ENTRY = "toolsmith.test.pytest_worker:ghostwrite"
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Ghostwritten:
    """What the ghostwriter produced.

    Attributes:
        test_rel: The test file written (relative to the project root), "" when none.
        error: Why no file ("" when one was written).
        run: pytest + coverage on it (None when no file or not measured).
    """

    test_rel: str
    error: str
    run: PytestRun | None


def ghostwrite(
    root: Path, target: str, symbol: str, *, timeout_s: float = TIMEOUT_S, measure: bool = True
) -> Ghostwritten:
    """Ghostwrite tests for ``symbol`` of ``root/target``, write them as the agent's test file, run them.

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
    limits = Limits(timeout_s=timeout_s, cpu_s=max(1, int(timeout_s)))
    child = run_isolated(ENTRY, {"root": str(root), "target": target, "symbol": symbol}, cwd=root, limits=limits)
    if not child.ok or not isinstance(child.value, str) or not child.value.strip():
        why = child.error if not child.ok else "an empty file"
        return Ghostwritten("", f"expected a test file from the ghostwriter, got: {str(why)[:200]}", None)
    test_rel = output_file(target, symbol)
    path = root / test_rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(child.value, encoding="utf-8")
    if not measure:
        return Ghostwritten(test_rel, "", None)
    info = analyze(decode_source((root / target).read_bytes(), target), symbol, target)
    return Ghostwritten(test_rel, "", run_pytest(root, target, info, test_rel, timeout_s=timeout_s))


def baseline(root: Path, target: str, symbol: str | None) -> None:
    """What a user gets without a model: the ghostwriter's test file at the agent's output path (the evaluator
    judges it with ``check_episode``).

    Raises:
        RuntimeError: The ghostwriter wrote nothing (the message says why).
    """
    if not symbol:
        raise RuntimeError(f"expected a function to ghostwrite tests for in {target}, got the whole file")
    done = ghostwrite(root, target, symbol, measure=False)
    if done.error:
        raise RuntimeError(done.error)
