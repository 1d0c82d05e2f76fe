"""The loops a small model falls into, stopped by telling it.

Two calls are never carried out as the model wrote them:

* the same call (name and arguments) right after it failed: it is not run again; the model is told it just
  failed and must do something else;
* a call that returns exactly what the same call returned before (nothing changed since): the model is told
  it made no progress and pointed at the other tools and the terminal one, instead of being shown the same
  response again (which invites the same next call, until ``max_turns`` or the context runs out).

The runner and the example recorder both use this class, so recovery examples hold the very messages the
model meets at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Invoke = Callable[[str, dict[str, Any]], tuple[Any, "str | None"]]


def _key(name: str, arguments: dict[str, Any]) -> str:
    return name + json.dumps(arguments, sort_keys=True, default=str)


class LoopGuard:
    """Remembers one run's calls.

    Args:
        terminal_tool: The tool that ends the run (named in the no-progress message).
    """

    def __init__(self, terminal_tool: str) -> None:
        self.terminal_tool = terminal_tool
        self.last_failed: tuple[str, str] | None = None
        self.results: set[str] = set()

    def refuse(self, name: str, arguments: dict[str, Any]) -> str | None:
        """Why this call must not run (the same call just failed), or None."""
        if self.last_failed is not None and self.last_failed[0] == _key(name, arguments):
            return f"expected a different call, got the same {name} call that just failed ({self.last_failed[1]})"
        return None

    def just_failed(self) -> Callable[[str, dict[str, Any]], bool]:
        """A check, fixed now, of whether a call is the one that has just failed (False for all when none has)."""
        key = self.last_failed[0] if self.last_failed is not None else None
        return lambda name, arguments: key is not None and _key(name, arguments) == key

    def record(self, name: str, arguments: dict[str, Any], content: Any, error: str | None) -> str | None:
        """Note a call's outcome; returns the no-progress error to send instead of ``content``, or None."""
        key = _key(name, arguments)
        if error is not None:
            self.last_failed = (key, error)
            return None
        self.last_failed = None
        seen = key + json.dumps(content, sort_keys=True, default=str)
        if seen in self.results:
            return (
                f"expected progress, got the same {name} result as before (nothing changed since): "
                f"call another tool, or {self.terminal_tool} when the task is done"
            )
        self.results.add(seen)
        return None

    def call(self, name: str, arguments: dict[str, Any], invoke: Invoke) -> tuple[Any, str | None]:
        """Make one call through the guard: refuse it, or ``invoke(name, arguments)`` and check for progress.

        Returns:
            (JSON result, None) or (None, the error sentence the model is sent).
        """
        refusal = self.refuse(name, arguments)
        if refusal is not None:
            return None, refusal
        value, error = invoke(name, arguments)
        note = self.record(name, arguments, value, error)
        return (None, note) if note is not None else (value, error)
