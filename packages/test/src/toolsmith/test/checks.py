"""Evaluator checks for one test-agent run, with real pytest and coverage.py.

On the project as the run left it, with the target file as it was at the start:

- ``passes``: the test file imports and all its tests pass three times (forwards, in reverse order,
  forwards again), each run in a fresh process.
- ``asserts``: every test asserts on the function's result (an ``assert`` whose expression calls the
  function, or uses a name assigned from such a call, and does not compare two calls of it) or calls it
  inside ``pytest.raises``.
- ``covered``: branch coverage of the target function (:mod:`toolsmith.test.testrun`) is at least
  :data:`MIN_COVERAGE`, or at least what the expert reached on it when that is less.
- ``counts_true``: ``submit_result``'s ``tests_added`` is the number of tests added and its
  ``branch_coverage`` is the measured percentage (within one point).
- ``success``: all four (``counts_true`` is not required when judging a baseline, which submits nothing).

Every pytest run imports the user's code, so each runs in a limited child process
(:func:`toolsmith.test.testrun.run_pytest`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.shared.episode import Episode
from toolsmith.shared.io import atomic_write_bytes
from toolsmith.shared.sandbox import decode_source, encode_like
from toolsmith.test.analysis import analyze
from toolsmith.test.layout import output_file
from toolsmith.test.testrun import PytestRun, run_pytest

MIN_COVERAGE = 0.8
RUNS = (False, True, False)  # reverse order?
TEST_RUN_TIMEOUT_S = 45.0
EXPERT_COVERAGE = "expert_coverage"  # the case's meta key: branch coverage (0-1) the expert reached


def _calls(node: ast.AST, func: str) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func for n in ast.walk(node))


def _uses(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _asserts_on_result(test: ast.FunctionDef | ast.AsyncFunctionDef, func: str) -> bool:
    results: set[str] = set()  # names assigned from a call of func
    for node in ast.walk(test):
        if isinstance(node, ast.Assign) and _calls(node.value, func):
            results |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(test):
        if isinstance(node, ast.Assert):
            expr = node.test
            if isinstance(expr, ast.Compare):
                sides = [expr.left, *expr.comparators]
                if sum(_calls(s, func) or _uses(s, results) for s in sides) == 1:
                    return True
            elif _calls(expr, func) or _uses(expr, results):
                return True
        if isinstance(node, (ast.With, ast.AsyncWith)):
            raises = any(
                isinstance(i.context_expr, ast.Call) and ast.unparse(i.context_expr.func) == "pytest.raises"
                for i in node.items
            )
            if raises and any(_calls(s, func) for s in node.body):
                return True
    return False


def unasserted_tests(text: str, func: str) -> list[str]:
    """Names of the test functions that do not assert on ``func``'s result nor expect an exception from it."""
    tree = ast.parse(text)
    tests = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test")
    ]
    return [t.name for t in tests if not _asserts_on_result(t, func)]


def _int_arg(submitted: dict[str, Any], name: str) -> int | None:
    value = submitted.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return None
    return int(value)


def _run_failure(run: PytestRun, k: int) -> str:
    order = "in reverse order" if RUNS[k] else "forwards"
    if run.timed_out:
        return f"expected the tests to finish (run {k + 1}, {order}), got a timeout"
    if run.passed + run.failed + run.errors == 0:
        return f"expected tests to run (run {k + 1}, {order}), got none"
    first = run.failures[0] if run.failures else ""
    return (
        f"expected every test to pass on the original code (run {k + 1}, {order}), "
        f"got {run.failed} failed and {run.errors} errors: {first}"
    )


@dataclass(frozen=True)
class Measured:
    """The runs of one test file (what :func:`judge` needs besides the submission).

    Attributes:
        test_rel: The test file.
        symbol: The target function.
        missing_file: The reason there is nothing to run ("" when the file exists and parses).
        unasserted: Tests that do not assert on the function's result.
        runs: The pytest runs made (stops at the first that fails).
        describe: Descriptions of the missing branch outcomes of the first run.
    """

    test_rel: str
    symbol: str
    missing_file: str
    unasserted: tuple[str, ...]
    runs: tuple[PytestRun, ...]
    describe: tuple[str, ...]


def measure(root: Path, target: str, symbol: str, test_rel: str, *, timeout_s: float = TEST_RUN_TIMEOUT_S) -> Measured:
    """Run the test file :data:`RUNS` times on ``root`` (the first under coverage); stop at a failing run."""
    root = Path(root)
    path = root / test_rel
    if not path.is_file():
        return Measured(test_rel, symbol, f"expected a test file {test_rel}, got none", (), (), ())
    try:
        unasserted = tuple(unasserted_tests(decode_source(path.read_bytes(), test_rel), symbol))
    except SyntaxError as e:
        why = f"expected {test_rel} to be valid Python, got a syntax error at line {e.lineno}"
        return Measured(test_rel, symbol, why, (), (), ())
    info = analyze(decode_source((root / target).read_bytes(), target), symbol, target)
    runs: list[PytestRun] = []
    for k, reverse in enumerate(RUNS):
        run = run_pytest(root, target, info, test_rel, reverse=reverse, measure=k == 0, timeout_s=timeout_s)
        runs.append(run)
        if not run.ok:
            break
    cov = runs[0].coverage
    describe = tuple(info.describe_arcs(cov.missing)) if cov is not None else ()
    return Measured(test_rel, symbol, "", unasserted, tuple(runs), describe)


def judge(
    measured: Measured,
    submitted: dict[str, Any] | None,
    *,
    expert_coverage: float | None = None,
    tests_before: int = 0,
    judge_submission: bool = True,
) -> dict[str, Any]:
    """The checks' verdict from the runs and the submission (see the module docstring).

    Args:
        measured: The test file's runs (:func:`measure`).
        submitted: ``submit_result``'s arguments, or None when the agent never submitted.
        expert_coverage: Branch coverage (0-1) the expert reached on this function, when known.
        tests_before: Tests the file held before the run.
        judge_submission: False for a baseline (nothing submitted): success ignores ``counts_true``.

    Returns:
        ``success``, ``passes``, ``asserts``, ``covered``, ``counts_true``, ``branch_coverage`` (0-1),
        ``tests`` and ``reason`` (empty on success, else the first failure as "expected X, got Y").
    """
    out: dict[str, Any] = {
        "success": False,
        "passes": False,
        "asserts": False,
        "covered": False,
        "counts_true": False,
        "branch_coverage": 0.0,
        "tests": 0,
    }
    if measured.missing_file:
        return {**out, "reason": measured.missing_file}
    reasons: list[str] = []
    runs = measured.runs
    if not runs[-1].ok:
        reasons.append(_run_failure(runs[-1], len(runs) - 1))
    first = runs[0]
    out["tests"] = first.total
    out["passes"] = len(runs) == len(RUNS) and all(r.ok for r in runs)
    if measured.unasserted:
        listed = ", ".join(measured.unasserted[:3])
        reasons.append(
            f"expected every test to assert on {measured.symbol}'s result, got {len(measured.unasserted)} "
            f"that do not: {listed}"
        )
    out["asserts"] = not measured.unasserted and first.total > 0
    cov = first.coverage
    fraction = cov.fraction if cov is not None else 0.0
    out["branch_coverage"] = round(fraction, 4)
    need = MIN_COVERAGE if expert_coverage is None else min(MIN_COVERAGE, expert_coverage)
    out["covered"] = out["passes"] and fraction >= need - 1e-9
    if out["passes"] and not out["covered"]:
        missing = ", ".join(measured.describe[:2])
        reasons.append(f"expected branch coverage >= {need:.0%}, got {fraction:.0%} (missing {missing})")
    if submitted is None:
        if judge_submission:
            reasons.append("expected a submit_result call, got none")
    else:
        added, percent = _int_arg(submitted, "tests_added"), _int_arg(submitted, "branch_coverage")
        want_added = first.total - tests_before
        measured_percent = cov.percent if cov is not None else 0
        if added != want_added:
            reasons.append(f"expected tests_added={want_added}, got {submitted.get('tests_added')!r}")
        elif percent is None or abs(percent - measured_percent) > 1:
            reasons.append(
                f"expected branch_coverage={measured_percent} (measured), got {submitted.get('branch_coverage')!r}"
            )
        else:
            out["counts_true"] = True
    ok = out["passes"] and out["asserts"] and out["covered"]
    out["success"] = ok and (out["counts_true"] or not judge_submission)
    out["reason"] = "" if out["success"] else (reasons[0] if reasons else "expected a passing test file, got none")
    return out


def check_tests(
    root: Path,
    target: str,
    symbol: str,
    test_rel: str,
    submitted: dict[str, Any] | None,
    *,
    expert_coverage: float | None = None,
    tests_before: int = 0,
    judge_submission: bool = True,
    timeout_s: float = TEST_RUN_TIMEOUT_S,
) -> dict[str, Any]:
    """Judge a test file written for ``symbol`` in ``root/target`` (the target as it was at the start).

    :func:`measure` then :func:`judge`; phase 2's ``check_episode(episode)`` calls this with the episode's
    folder, target, symbol, the created test file and the submission.
    """
    measured = measure(root, target, symbol, test_rel, timeout_s=timeout_s)
    return judge(
        measured,
        submitted,
        expert_coverage=expert_coverage,
        tests_before=tests_before,
        judge_submission=judge_submission,
    )


def count_tests(text: str | None) -> int:
    """Test functions in a test file's text (0 for None or text that does not parse)."""
    if not text:
        return 0
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return 0
    return sum(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test") for n in ast.walk(tree)
    )


def check_episode(episode: Episode) -> dict[str, Any]:
    """Judge one run of the test agent (see the module docstring) on the project it left behind.

    The test file is the agent's output for the episode's function; the target is put back as it was at the
    start if it changed (the agent never edits it). The threshold is :data:`MIN_COVERAGE`, or the expert's
    coverage on this function (``meta["expert_coverage"]``) when that is lower.
    """
    if not episode.symbol:
        out = {"success": False, "passes": False, "asserts": False, "covered": False, "counts_true": False}
        return {**out, "branch_coverage": 0.0, "tests": 0, "reason": "expected a function (path.py::name), got a file"}
    test_rel = output_file(episode.target, episode.symbol)
    target = episode.root / episode.target
    now = target.read_bytes() if target.is_file() else None
    if now is None or decode_source(now, episode.target) != episode.original:
        atomic_write_bytes(target, encode_like(episode.original, now, episode.target))
    expert = episode.meta.get(EXPERT_COVERAGE)
    return check_tests(
        episode.root,
        episode.target,
        episode.symbol,
        test_rel,
        episode.submitted,
        expert_coverage=float(expert) if isinstance(expert, int | float) else None,
        tests_before=count_tests(episode.before.get(test_rel)),
        judge_submission=episode.judge_submission,
    )
