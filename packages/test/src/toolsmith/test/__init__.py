"""toolsmith test agent: tools that run the user's function in a limited child process and write pytest tests,
the example generator, fine-tune settings, the evaluator's checks and the ghostwriter baseline.

The exports load on first use (PEP 562): every child process that runs user code imports
``toolsmith.test.worker`` or ``toolsmith.test.pytest_worker``, and so this package, and must not pay for the
generator's and the kit's imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

TERMINAL_TOOL = "submit_result"
_TOOLS = ("inspect_function", "try_call", "add_test", "run_tests", "submit_result")
_EXPORTS = {
    "BASELINE": "toolsmith.test.ghostwriter",
    "baseline": "toolsmith.test.ghostwriter",
    "check_episode": "toolsmith.test.checks",
    "generate": "toolsmith.test.dataset",
    "TRAIN": "toolsmith.test.settings",
    **{name: "toolsmith.test.tools" for name in _TOOLS},
}

__all__ = ["TERMINAL_TOOL", "TOOLS", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name == "TOOLS":
        tools = import_module("toolsmith.test.tools")
        return tuple(getattr(tools, n) for n in _TOOLS)
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'toolsmith.test' has no attribute {name!r}")
