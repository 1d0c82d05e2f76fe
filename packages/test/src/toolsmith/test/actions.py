"""What each tool does, on explicit paths: phase 2's ``tools.py`` only finds the sandbox and calls these.

The state of a run is the test file itself: the calls it pins are read back (:func:`writer.pinned_calls`)
and re-run with each new call, so "newly reached" and coverage always mean "compared with the tests in
the file". The user's code runs only in a limited child process (:func:`toolsmith.shared.isolate.run_isolated`
with the entry :func:`toolsmith.test.worker.run_calls`, or pytest in :mod:`toolsmith.test.pytest_worker`).

Responses are short JSON-able dicts (the model reads them in a 4096-token context); branch outcomes read
``line 7 if x < lo: true`` (see :mod:`toolsmith.test.analysis`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.shared.isolate import Limits, run_isolated
from toolsmith.shared.sandbox import decode_source
from toolsmith.test.analysis import FunctionInfo, analyze
from toolsmith.test.layout import module_path
from toolsmith.test.testrun import Coverage, run_pytest
from toolsmith.test.values import parse_arguments
from toolsmith.test.writer import Pinned, pinned_calls
from toolsmith.test.writer import add_test as append_test

WORKER = "toolsmith.test.worker:run_calls"
CALL_TIMEOUT_S = 2.0  # one call of the user's function (SIGALRM in the child)
CALLS_BUDGET_S = 30.0  # all the calls of one child; the rest are reported as timeouts
CHILD_LIMITS = Limits(timeout_s=45.0, cpu_s=45, memory_mb=1024)  # one child, interpreter start included
TEST_RUN_TIMEOUT_S = 45.0  # one pytest + coverage run
MAX_LISTED = 3  # branch outcomes listed in a response

Suggest = Callable[[set[tuple[int, int]]], "str | None"]
"""Branch arcs the tests reach -> arguments of a call that reaches more (the expert's search), or None."""


@dataclass(frozen=True)
class Project:
    """One run's files.

    Attributes:
        root: The project folder.
        target: The file with the function, posix and relative to ``root``.
        symbol: The top-level function's name.
        test_rel: The test file the run writes, relative to ``root``.
    """

    root: Path
    target: str
    symbol: str
    test_rel: str

    def info(self) -> FunctionInfo:
        """The target function's analysis."""
        return analyze(self.source(), self.symbol, self.target)

    def source(self) -> str:
        """The target file's text (its declared encoding)."""
        return decode_source((self.root / self.target).read_bytes(), self.target)

    def tests_text(self) -> str | None:
        """The test file's text, None while it does not exist."""
        path = self.root / self.test_rel
        return decode_source(path.read_bytes(), self.test_rel) if path.is_file() else None


def observe(project: Project, calls: list[str], repeat: int = 2) -> list[dict[str, Any]]:
    """Run the calls in one child; their outcomes (see :func:`toolsmith.test.worker.run_calls`).

    Raises:
        ValueError: The module or function cannot be loaded, or the child failed ("expected X, got Y").
    """
    payload = {
        "root": str(project.root),
        "target": project.target,
        "symbol": project.symbol,
        "calls": calls,
        "repeat": repeat,
        "timeout_s": CALL_TIMEOUT_S,
        "budget_s": CALLS_BUDGET_S,
    }
    child = run_isolated(WORKER, payload, cwd=project.root, limits=CHILD_LIMITS)
    if not child.ok:
        raise ValueError(f"expected the function to run in the child process, got {child.error}")
    if child.value.get("error"):
        raise ValueError(child.value["error"])
    return child.value["calls"]


def arc_coverage(info: FunctionInfo, arcs: set[tuple[int, int]]) -> Coverage:
    """The function's coverage from executed arcs (the same numbers ``coverage json`` gives)."""
    lines = {n for a in arcs for n in a if n > 0}
    return Coverage(info.arcs, frozenset(arcs) & info.arcs, len(info.statements), len(lines & info.statements))


def arcs_of(outcome: dict[str, Any]) -> set[tuple[int, int]]:
    """The arcs an outcome of :func:`observe` executed, as a set of ``(from, to)`` lines."""
    return {(a, b) for a, b in outcome.get("arcs", [])}


def shown(outcome: dict[str, Any]) -> dict[str, str]:
    """What the tools show of an outcome: ``result`` (its repr) or ``raises`` ("Type: message")."""
    if outcome["outcome"] == "raise":
        return {"raises": f"{outcome['exception']['type']}: {outcome['message']}".rstrip(": ")}
    return {"result": outcome["repr"]}


def _usable(outcome: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a call that ran, else the refusal as ValueError."""
    if outcome["outcome"] in ("rejected", "timeout"):
        raise ValueError(outcome["problem"])
    return outcome


def inspect_function(project: Project) -> dict[str, Any]:
    """``inspect_function``'s response."""
    return project.info().compact()


def _offer(out: dict[str, Any], suggest: Suggest | None, reached: set[tuple[int, int]]) -> None:
    """Add ``try`` (a call that reaches more) to a response that lists missing branches."""
    if suggest is not None and out.get("missing"):
        arguments = suggest(reached)
        if arguments is not None:
            out["try"] = arguments


def try_call(project: Project, arguments: str, suggest: Suggest | None = None) -> dict[str, Any]:
    """``try_call``'s response: the result (or exception) and the branch outcomes this call newly reached (and,
    when it reached nothing new, what is missing and a call that reaches some of it)."""
    source = parse_arguments(arguments).source
    info = project.info()
    pinned = pinned_calls(project.tests_text(), project.symbol)
    *before, now = observe(project, [*pinned, source])
    _usable(now)
    seen = set().union(*(arcs_of(o) for o in before))
    new = info.describe_arcs(arcs_of(now) - seen)
    out: dict[str, Any] = {"call": f"{project.symbol}({source})", **shown(now), "new": new[:MAX_LISTED]}
    if now["problem"]:
        out["problem"] = now["problem"]
    elif new or not pinned:  # the first test is always progress (a function without branches has no outcomes)
        out["next"] = {"tool": "add_test", "arguments": source}  # the call to make, whole: the model copies it
    else:
        missing = info.describe_arcs(info.arcs - seen - arcs_of(now))
        out["missing"] = missing[:MAX_LISTED]
        _offer(out, suggest, seen | arcs_of(now))
    return out


def add_test(
    project: Project, arguments: str, save: Callable[[str], None] | None = None, suggest: Suggest | None = None
) -> dict[str, Any]:
    """``add_test``'s response: the new test's name, coverage of the tests so far, what is still missing and a
    call that reaches some of it.

    The call runs twice in the child (a result that differs between the two cannot be pinned); a result that
    cannot be pinned is refused with the reason. (Every child gets the same ``PYTHONHASHSEED`` from
    ``run_isolated``, so a second child would see the same set order: it is not run.)

    Args:
        project: The run's files.
        arguments: The call's arguments as Python source.
        save: Writes the test file's new text (the sandbox's ``write``); default: straight to the file.
        suggest: Offers the next call (``try``) while branches are missing.
    """
    source = parse_arguments(arguments).source
    info = project.info()
    text = project.tests_text()
    pinned = pinned_calls(text, project.symbol)
    if source in pinned:
        raise ValueError(f"expected arguments not pinned yet, got `{source}` (a test already pins it)")
    *before, now = observe(project, [*pinned, source])
    _usable(now)
    if now["problem"]:
        raise ValueError(now["problem"])
    if now["outcome"] == "raise":
        exc = now["exception"]
        pin = Pinned(source, "raise", wrap=now.get("wrap", ""), exception=exc["name"], exception_module=exc["module"])
    else:
        pin = Pinned(source, "return", now["repr"], now.get("wrap", ""), bool(now.get("identity")))
    module = module_path(project.root, project.target).module
    new_text, name = append_test(text, module, project.symbol, pin, project.test_rel)
    if save is not None:
        save(new_text)
    else:
        path = project.root / project.test_rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_text, encoding="utf-8")
    reached = set().union(*(arcs_of(o) for o in before), arcs_of(now))
    cov = arc_coverage(info, reached)
    out: dict[str, Any] = {"test": name, "tests": len(pinned) + 1, "branch_coverage": cov.percent}
    missing = info.describe_arcs(cov.missing)
    if missing:
        out["missing"] = missing[:MAX_LISTED]
        _offer(out, suggest, reached)
    if not missing or (suggest is not None and "try" not in out):  # nothing a call is known to reach
        out["next"] = {"tool": "run_tests"}
    return out


def run_tests(project: Project, suggest: Suggest | None = None, tests_before: int = 0) -> dict[str, Any]:
    """``run_tests``'s response: real pytest + coverage.py on the test file (and a call that reaches a missing
    branch, when one is known). When the tests pass and no call is offered, ``next`` names ``submit_result`` with
    the counts it takes: the tests run less ``tests_before`` (the file's tests before the run), and the coverage."""
    if project.tests_text() is None:
        raise ValueError(f"expected a test file {project.test_rel} (add a test first), got none")
    info = project.info()
    result = run_pytest(project.root, project.target, info, project.test_rel, timeout_s=TEST_RUN_TIMEOUT_S)
    if result.timed_out:
        raise ValueError(f"expected the tests to finish within {TEST_RUN_TIMEOUT_S:g} s, got a timeout")
    cov = result.coverage
    out: dict[str, Any] = {
        "passed": result.passed,
        "failed": result.failed + result.errors,
        "branch_coverage": cov.percent if cov else 0,
    }
    if result.failures:
        out["failures"] = list(result.failures[:2])
    missing = info.describe_arcs(cov.missing) if cov else []
    if cov and missing:
        out["missing"] = missing[:MAX_LISTED]
        _offer(out, suggest, set(cov.reached))
    if result.ok and "try" not in out:
        out["next"] = {
            "tool": "submit_result",
            "tests_added": max(result.total - tests_before, 0),
            "branch_coverage": out["branch_coverage"],
        }
    return out


def reached_by_tests(project: Project) -> set[tuple[int, int]]:
    """The branch arcs the test file's pinned calls reach (run in the child; none without a test file)."""
    pinned = pinned_calls(project.tests_text(), project.symbol)
    return set().union(*(arcs_of(o) for o in observe(project, pinned))) if pinned else set()


def summary_sentence(symbol: str, tests: int, coverage: int) -> str:
    """The one-liner ``submit_result`` writes when the model gives none."""
    return f"Added {tests} test{'s' if tests != 1 else ''} for {symbol}; branch coverage {coverage}%."


def submit_result(tests_added: int, branch_coverage: int, summary: str) -> dict[str, Any]:
    """``submit_result``'s response (the counts are judged by the checks, not here); ``summary`` is the sentence
    the response gives back."""
    for name, value in (("tests_added", tests_added), ("branch_coverage", branch_coverage)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"expected {name} to be a whole number >= 0, got {value!r}")
    if branch_coverage > 100:
        raise ValueError(f"expected branch_coverage as a percentage 0-100, got {branch_coverage}")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError(f"expected a one-sentence summary, got {summary!r}")
    return {"accepted": True, "summary": summary.strip()}
