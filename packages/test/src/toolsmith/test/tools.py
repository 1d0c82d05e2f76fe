"""The test agent's tools: typed functions whose docstrings become the schemas the model reads.

Each finds the run's sandbox (:func:`toolsmith.shared.sandbox.current`) and calls what it does in
:mod:`toolsmith.test.actions` on the project copy: the target function is the sandbox's symbol, the test file
its one declared output (``tests/test_{module}_{symbol}.py``), written only through the sandbox. The test file
is the run's state, so the tools keep nothing between calls (they run in a tool host that serves many runs
and is restarted after a timeout). The user's code runs only in limited child processes.
"""

from __future__ import annotations

from typing import Any

from toolsmith.shared.sandbox import current
from toolsmith.test import actions
from toolsmith.test.actions import Project


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


def inspect_function() -> dict[str, Any]:
    """Show the function: signature, doc line, doctest examples, branches, literals it compares, exceptions."""
    return actions.inspect_function(project())


def try_call(arguments: str) -> dict[str, Any]:
    """Call the function and show its result and the branches this call newly reaches.

    Args:
        arguments: The call's arguments as Python literals, e.g. "[3, 1], reverse=True".
    """
    return actions.try_call(project(), arguments)


def add_test(arguments: str) -> dict[str, Any]:
    """Add a test that pins this call's result; show branch coverage and the branches still missing.

    Args:
        arguments: The call's arguments as Python literals, as in try_call.
    """
    p = project()
    box = current()
    return actions.add_test(p, arguments, save=lambda text: box.write(text, p.test_rel))


def run_tests() -> dict[str, Any]:
    """Run the test file with pytest and coverage: passed, failed and the function's branch coverage."""
    return actions.run_tests(project())


def submit_result(summary: str, tests_added: int, branch_coverage: int) -> dict[str, Any]:
    """Finish: report the tests added and the branch coverage run_tests measured.

    Args:
        summary: One sentence on what the tests cover.
        tests_added: The number of tests added.
        branch_coverage: Branch coverage in percent, as run_tests reported it.
    """
    return actions.submit_result(summary, tests_added, branch_coverage)
