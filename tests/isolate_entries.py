"""Entry functions for tests/test_isolate.py: the trusted side that the child imports and that calls user code."""

from __future__ import annotations

import importlib
from typing import Any


def call(module: str, function: str, args: list[Any] | None = None) -> Any:
    """Import the user's module (found from the child's cwd) and return what its function returns.

    Args:
        module: The user's module name.
        function: The function in it.
        args: Positional arguments of the function.

    Returns:
        The function's return value.
    """
    return getattr(importlib.import_module(module), function)(*(args or []))
