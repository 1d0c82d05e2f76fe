"""The scripted expert: the calls a good agent makes, writing the author's own words back.

inspect_function -> write_docstring (the author's parts, each argument under its CURRENT name: a
parameter renamed in the code gets the description the author wrote for its old name) ->
check_docstrings -> submit_result (``documented`` and ``remaining_problems`` copied from the check).
The model's job stays small: the names come from the inspect response, the words are what it learns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolsmith.docstring.parts import Parts
from toolsmith.docstring.tools import check_docstrings, inspect_function, submit_result, write_docstring

Call = Callable[..., Any]  # call(tool, **arguments) -> the tool's response (the kit's Recorder.call)


def write_arguments(truth: Parts, view: dict[str, Any], renamed: dict[str, str]) -> dict[str, Any]:
    """The write_docstring arguments: the author's parts mapped onto the inspected code.

    Args:
        truth: The author's docstring.
        view: The inspect_function response for the damaged code.
        renamed: Current parameter name -> the name the author's docstring uses.

    Returns:
        The arguments, empty parts left out.
    """
    arguments: dict[str, Any] = {"summary": truth.summary}
    if view["params"]:
        arguments["args"] = {p: truth.args[renamed.get(p, p)] for p in view["params"]}
    if truth.returns:
        arguments["returns"] = truth.returns
    if view["raises"]:
        arguments["raises"] = {r: truth.raises[r] for r in view["raises"]}
    if truth.yields:
        arguments["yields"] = truth.yields
    if truth.details:
        arguments["details"] = truth.details
    return arguments


def submit_summary(view: dict[str, Any], written: dict[str, Any]) -> str:
    """One sentence on what changed, from the inspect response and what was written."""
    symbol = view["symbol"]
    old = view["docstring"]
    if old is None:
        return f"Added a docstring to `{symbol}`."
    changes = []
    old_args = set(old.get("args", {}))
    new_args = set(written.get("args", {}))
    changes += [f"documented `{a}`" for a in written.get("args", {}) if a not in old_args]
    changes += [f"removed `{a}`" for a in old.get("args", {}) if a not in new_args]
    for key, title in (("returns", "Returns"), ("yields", "Yields"), ("raises", "Raises")):
        if written.get(key) and not old.get(key):
            changes.append(f"added {title}")
    if not changes:
        return f"Rewrote the docstring of `{symbol}`."
    return f"Fixed the docstring of `{symbol}`: " + ", ".join(changes) + "."


def expert(call: Call, truth: Parts, renamed: dict[str, str] | None = None) -> None:
    """Run the expert's calls through ``call`` (ends with submit_result).

    Args:
        call: Runs one tool: ``call(tool, **arguments)`` returns its response.
        truth: The author's docstring.
        renamed: Current parameter name -> the author's name for it (a ``rename_param`` damage).
    """
    view = call(inspect_function)
    arguments = write_arguments(truth, view, renamed or {})
    call(write_docstring, **arguments)
    result = call(check_docstrings)
    call(
        submit_result,
        summary=submit_summary(view, arguments),
        documented=result["documented"],
        remaining_problems=result["count"],
    )
