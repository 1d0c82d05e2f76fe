"""Run a test file with real pytest under coverage.py (``--branch``) and read back the target function's data.

``coverage run --branch -m pytest FILE`` in the project folder (its import root on ``PYTHONPATH``,
pytest's ``addopts``, cache and plugin autoload off, the project's coverage config ignored), then
``coverage json``: the
report's per-function entry of the target gives its executed and missing branch arcs. Pass/fail counts
come from pytest's JUnit XML. A run past its time limit has its process group killed and reports
``timed_out``.

Branch coverage of a function (the number every tool and check uses) is
``covered arcs / branch arcs`` of its own branches (not those of nested functions); a function without
branches counts its statements instead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from toolsmith.test.analysis import FunctionInfo
from toolsmith.test.layout import module_path

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


def _env(import_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_", "COVERAGE_"))}
    env["PYTHONPATH"] = str(import_root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the interpreter's plugins (anyio, hypothesis...) cost ~1 s a run
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float) -> tuple[int | None, str]:
    """Run in a new process group; kill the group at the timeout (returncode None)."""
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out or ""
    return proc.returncode, out


def _junit(path: Path) -> tuple[int, int, int, int, tuple[str, ...]]:
    if not path.is_file():
        return 0, 0, 0, 0, ()
    root = ET.parse(path).getroot()
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


def function_coverage(report: dict, root: Path, target: str, info: FunctionInfo) -> Coverage:
    """The target function's coverage from a ``coverage json`` report (zero when its file was never run)."""
    wanted = (root / target).resolve()
    entry = next(
        (v for k, v in report.get("files", {}).items() if (root / k).resolve() == wanted),
        None,
    )
    statements = 0
    if entry is None:
        return Coverage(info.arcs, frozenset())
    data = entry.get("functions", {}).get(info.name)
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
    timeout_s: float = 120.0,
) -> PytestRun:
    """Run ``test_rel`` with pytest (under coverage when ``measure``) in the project ``root``.

    Args:
        root: The project folder.
        target: The target file, posix and relative to ``root``.
        info: The target function's analysis (its branch arcs).
        test_rel: The test file, relative to ``root``.
        reverse: Run the tests in reverse order.
        measure: Measure branch coverage of the target function.
        timeout_s: Time limit of the whole run (pytest, then the report).

    Returns:
        The counts, the failures, whether it timed out and the target function's coverage.
    """
    root = Path(root).resolve()
    where = module_path(root, target)
    env = _env(root / where.import_root)
    with tempfile.TemporaryDirectory(prefix="toolsmith-pytest-") as tmp:
        t = Path(tmp)
        rcfile = t / "coveragerc"
        rcfile.write_text("[run]\n", encoding="utf-8")
        pytest_args = [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--import-mode=importlib",
            f"--rootdir={root}",
            f"--junitxml={t / 'junit.xml'}",
            *(["-p", REVERSE_PLUGIN] if reverse else []),
            test_rel,
        ]
        if measure:
            data = f"--data-file={t / 'data'}"
            include = f"--include={root / target}"
            argv = [sys.executable, "-m", "coverage", "run", f"--rcfile={rcfile}", "--branch", data, include]
            argv += pytest_args
        else:
            argv = [sys.executable, *pytest_args]
        code, out = _run(argv, root, env, timeout_s)
        passed, failed, errors, skipped, failures = _junit(t / "junit.xml")
        if code is None:
            return PytestRun(passed, failed, errors, skipped, failures, True, None, out[-2000:])
        if code not in (0, 1) and not (passed or failed or errors):
            errors = max(errors, 1)
            failures = failures or (f"pytest exited {code}: {' '.join(out.split()[-30:])}"[:MESSAGE_CHARS],)
        cov = None
        if measure:
            report_path = t / "coverage.json"
            jcode, jout = _run(
                [sys.executable, "-m", "coverage", "json", f"--rcfile={rcfile}", data, "-o", str(report_path)],
                root,
                env,
                timeout_s,
            )
            report = json.loads(report_path.read_text(encoding="utf-8")) if jcode == 0 and report_path.is_file() else {}
            cov = function_coverage(report, root, target, info)
        return PytestRun(passed, failed, errors, skipped, failures, False, cov, out[-2000:])
