"""The test agent's tools: typed functions whose docstrings become the schemas the model reads.

Each finds the run's sandbox (:func:`toolsmith.shared.sandbox.current`) and calls what it does in
:mod:`toolsmith.test.actions` on the project copy: the target function is the sandbox's symbol, the test file
its one declared output (``tests/test_{module}_{symbol}.py``), written only through the sandbox. The test file
is the run's state, so the tools keep nothing between calls (they run in a tool host that serves many runs
and is restarted after a timeout). The user's code runs only in limited child processes.

Finding inputs is the tools' work, choosing and copying the model's: responses that list missing branches
offer ``try``, a call the expert's search (:mod:`toolsmith.test.search`) found to reach more of them, and every other
successful response names the next call whole as ``next`` (add_test with the call just tried, run_tests, or
submit_result with the counts it takes). The search
runs once per run and function (kept in the sandbox's private folder, keyed by the source) and
``submit_result`` refuses while it still has such a call.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from toolsmith.shared.sandbox import current
from toolsmith.test import actions
from toolsmith.test.actions import Project, Suggest
from toolsmith.test.checks import count_tests
from toolsmith.test.search import Step, next_call, search

SEARCH_FILE = "test_search.json"  # the search's calls for the run's function, in the sandbox's private folder


def project() -> Project:
    """The current run's function and test file.

    Raises:
        ValueError: The run is on a whole file, or on a function named like a test (the test file imports it, so
            pytest would collect it), or the agent declares no test file.
    """
    box = current()
    if not box.symbol:
        raise ValueError(f"expected one function to test ({box.rel_target}::name), got the whole file")
    if box.symbol.startswith("test"):
        raise ValueError(f"expected a function pytest does not collect as a test, got `{box.symbol}`")
    if not box.outputs:
        raise ValueError("expected the agent to declare its test file in outputs, got none")
    return Project(box.root, box.rel_target, box.symbol, box.outputs[0])


def searched(p: Project) -> list[Step]:
    """The search's calls for the run's function: from the run's private folder, else searched now and kept
    there (none when the function cannot be loaded: the tools then say why)."""
    box = current()
    path = box.home / SEARCH_FILE
    key = hashlib.sha256(f"{p.symbol}\0{p.source()}".encode()).hexdigest()
    if path.is_file():
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["key"] == key:
            return [Step(a, {}, (), frozenset(tuple(x) for x in arcs)) for a, arcs in kept["steps"]]
    try:
        steps = list(search(p).steps)
    except ValueError:
        steps = []
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "steps": [[s.arguments, sorted(s.arcs)] for s in steps]}), "utf-8")
    os.replace(tmp, path)
    return steps


def suggester(p: Project) -> Suggest:
    """Branch arcs reached -> the search's next call that reaches more (the search runs on first use)."""
    return lambda reached: next_call(searched(p), reached)


def inspect_function() -> dict[str, Any]:
    """Show the function: signature, doc line, doctest examples, branches, literals it compares, exceptions,
    and a first call to try."""
    p = project()
    out = actions.inspect_function(p)
    steps = searched(p)
    if steps:
        out["try"] = steps[0].arguments
    return out


def try_call(arguments: str) -> dict[str, Any]:
    """Call the function and show its result and the branches this call newly reaches.

    Args:
        arguments: The call's arguments as Python literals, e.g. "[3, 1], reverse=True".
    """
    p = project()
    return actions.try_call(p, arguments, suggest=suggester(p))


def add_test(arguments: str) -> dict[str, Any]:
    """Add a test that pins this call's result; show branch coverage and the branches still missing.

    Args:
        arguments: The call's arguments as Python literals, as in try_call.
    """
    p = project()
    box = current()
    return actions.add_test(p, arguments, save=lambda text: box.write(text, p.test_rel), suggest=suggester(p))


def run_tests() -> dict[str, Any]:
    """Run the test file with pytest and coverage: passed, failed and the function's branch coverage."""
    p = project()
    return actions.run_tests(p, suggest=suggester(p), tests_before=count_tests(current().original(p.test_rel)))


def submit_result(tests_added: int, branch_coverage: int, summary: str = "") -> dict[str, Any]:
    """Finish: report the tests added and the branch coverage run_tests measured.

    Args:
        tests_added: The number of tests added (tests_added from run_tests' next).
        branch_coverage: Branch coverage in percent (branch_coverage from run_tests' next).
        summary: One sentence on what the tests cover; left out, the tool writes it from the counts.
    """
    p = project()
    blank = isinstance(summary, str) and not summary.strip()
    written = actions.summary_sentence(p.symbol, tests_added, branch_coverage) if blank else summary
    out = actions.submit_result(tests_added, branch_coverage, written)
    more = next_call(searched(p), actions.reached_by_tests(p))
    if more is not None:
        raise ValueError(f"expected every branch a call can reach covered before submitting, got more: try `{more}`")
    return out
