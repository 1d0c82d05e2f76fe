"""Run a test file with real pytest under coverage.py (``--branch``) and read back the target function's data.

The test file imports the user's code, so the run happens in a limited child process
(:func:`toolsmith.shared.isolate.run_isolated`, entry :func:`toolsmith.test.pytest_worker.run_pytest`):
``pytest.main`` under an in-memory ``coverage.Coverage(branch=True)`` limited to the target file, pytest's
``addopts``, cache and plugin autoload off, the project's coverage config ignored. The report's per-function
entry of the target gives its executed and missing branch arcs; pass/fail counts come from pytest's JUnit
XML. A run past its time limit has its process group killed and reports ``timed_out``.

Branch coverage of a function (the number every tool and check uses) is
``covered arcs / branch arcs`` of its own branches (not those of nested functions); a function without
branches counts its statements instead.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.shared.isolate import Limits, run_isolated
from toolsmith.test.analysis import FunctionInfo

ENTRY = "toolsmith.test.pytest_worker:run_pytest"
RUN_MEMORY_MB = 2048
OUTPUT_CHARS = 2000
MESSAGE_CHARS = 160
REVERSE_PLUGIN = "toolsmith.test.reverse_order"


@dataclass(frozen=True)
class Coverage:
    """Branch coverage of one function.

    Attributes:
        arcs: Its branch arcs.
        reached: The branch arcs that ran.
        statements: Its statement count (used when it has no branches).
        statements_run: Statements that ran.
    """

    arcs: frozenset[tuple[int, int]]
    reached: frozenset[tuple[int, int]]
    statements: int = 0
    statements_run: int = 0

    @property
    def fraction(self) -> float:
        """Covered share in [0, 1]: branch arcs, or statements for a function without branches."""
        if self.arcs:
            return len(self.reached & self.arcs) / len(self.arcs)
        return self.statements_run / self.statements if self.statements else 0.0

    @property
    def percent(self) -> int:
        """The share as a whole percentage (what tools show and ``submit_result`` repeats)."""
        return round(100 * self.fraction)

    @property
    def missing(self) -> frozenset[tuple[int, int]]:
        return self.arcs - self.reached


@dataclass(frozen=True)
class PytestRun:
    """One pytest run of a test file.

    Attributes:
        passed: Tests that passed.
        failed: Tests that failed (assertion or unexpected exception).
        errors: Collection or fixture errors (an import that fails counts here).
        skipped: Skipped tests.
        failures: ``name: first line of the message`` of each failed or erroring test.
        timed_out: The run was killed at its time limit.
        coverage: The target function's coverage (None when not measured or nothing was measured).
        output: The end of pytest's output.
    """

    passed: int
    failed: int
    errors: int
    skipped: int
    failures: tuple[str, ...]
    timed_out: bool
    coverage: Coverage | None
    output: str = field(repr=False)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    @property
    def ok(self) -> bool:
        """Every test passed (and there was at least one)."""
        return not self.timed_out and self.failed == 0 and self.errors == 0 and self.passed > 0


def _junit(text: str) -> tuple[int, int, int, int, tuple[str, ...]]:
    if not text.strip():
        return 0, 0, 0, 0, ()
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return 0, 0, 0, 0, ()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    failed = errors = skipped = total = 0
    failures: list[str] = []
    for s in suites:
        total += int(s.get("tests", 0))
        for case in s.iter("testcase"):
            for kind in ("failure", "error"):
                node = case.find(kind)
                if node is not None:
                    message = " ".join((node.get("message") or node.text or kind).split())
                    failures.append(f"{case.get('name')}: {message[:MESSAGE_CHARS]}")
                    if kind == "failure":
                        failed += 1
                    else:
                        errors += 1
            if case.find("skipped") is not None:
                skipped += 1
    # a collection error is an <error> on a testcase without a name, or counted only in the suite
    errors = max(errors, sum(int(s.get("errors", 0)) for s in suites))
    passed = max(0, total - failed - errors - skipped)
    return passed, failed, errors, skipped, tuple(failures)


def function_coverage(entry: dict[str, Any], info: FunctionInfo) -> Coverage:
    """The target function's coverage from the target file's entry of a ``coverage json`` report (zero when the
    file was never run)."""
    data = entry.get("functions", {}).get(info.name) if entry else None
    if data is None:
        return Coverage(info.arcs, frozenset())
    reached = frozenset((a, b) for a, b in data.get("executed_branches", []))
    summary = data.get("summary", {})
    statements = int(summary.get("num_statements", 0))
    return Coverage(info.arcs, reached & info.arcs, statements, int(summary.get("covered_lines", 0)))


def run_pytest(
    root: Path,
    target: str,
    info: FunctionInfo,
    test_rel: str,
    *,
    reverse: bool = False,
    measure: bool = True,
    timeout_s: float = 60.0,
) -> PytestRun:
    """Run ``test_rel`` with pytest (under coverage when ``measure``) in the project ``root``, in a limited child.

    Args:
        root: The project folder.
        target: The target file, posix and relative to ``root``.
        info: The target function's analysis (its branch arcs).
        test_rel: The test file, relative to ``root``.
        reverse: Run the tests in reverse order.
        measure: Measure branch coverage of the target function.
        timeout_s: Time limit of the whole run (the child's process group is killed then).

    Returns:
        The counts, the failures, whether it timed out and the target function's coverage.
    """
    root = Path(root).resolve()
    payload = {
        "root": str(root),
        "target": target,
        "test_rel": test_rel,
        "plugins": [REVERSE_PLUGIN] if reverse else [],
        "measure": measure,
    }
    limits = Limits(timeout_s=timeout_s, cpu_s=max(1, math.ceil(timeout_s)), memory_mb=RUN_MEMORY_MB)
    child = run_isolated(ENTRY, payload, cwd=root, limits=limits)
    out = (child.stdout + child.stderr)[-OUTPUT_CHARS:]
    if child.error_type == "Timeout":
        return PytestRun(0, 0, 0, 0, (), True, None, out)
    if not child.ok:
        why = f"pytest did not finish: {child.error}"[:MESSAGE_CHARS]
        return PytestRun(0, 0, 1, 0, (why,), False, None, out)
    value = child.value
    passed, failed, errors, skipped, failures = _junit(value["junit"])
    code = value["exit_code"]
    if code not in (0, 1) and not (passed or failed or errors):
        errors = max(errors, 1)
        failures = failures or (f"pytest exited {code}: {' '.join(out.split()[-30:])}"[:MESSAGE_CHARS],)
    cov = function_coverage(value["report"], info) if measure else None
    return PytestRun(passed, failed, errors, skipped, failures, False, cov, out)
