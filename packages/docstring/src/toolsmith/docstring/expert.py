"""The scripted expert: the calls a good agent makes, writing the author's own words back.

inspect_function, then, when its ``next`` says so (the docstring is there and the checkers report nothing),
submit_result at once; else write_docstring (the author's parts, each argument under its CURRENT name: a
parameter renamed in the code gets the description the author wrote for its old name) -> check_docstrings ->
submit_result (``documented`` and ``remaining_problems`` copied from the check; no summary: the tool writes it
from the change, so the model does not spend a turn's tokens on a sentence). The model's job stays small:
the names come from the inspect response, the words are what it learns.

With recovery on (the kit's :class:`~toolsmith.shared.examples.Recorder`), an example may hold one mistake a
small model makes, answered with the real error, then the right call:

- write_docstring with inspect_function's ``args`` copied as they are: a null left where words are missing (a
  parameter added or renamed, or no docstring), or the stale arguments (``not_params``) copied too;
- write_docstring without ``returns`` (or without ``raises``) when the code needs it;
- submit_result without ``documented`` or ``remaining_problems``;
- submit_result at once when there is work to do (refused while the checkers report a problem);
- check_docstrings twice (the loop guard answers: nothing changed).
"""

from __future__ import annotations

from typing import Any

from toolsmith.docstring.parts import Parts
from toolsmith.docstring.tools import check_docstrings, inspect_function, submit_result, write_docstring
from toolsmith.shared.examples import Recorder

# Recovery: how often each mistake is made where it can be (its own random stream; never with recovery off).
# At most one mistake an example; measured: ~30% of the examples hold one (see the summary).
COPIED_ARGS_SHARE = 0.35  # per example whose docstring's args are wrong for the code
MISSING_SECTION_SHARE = 0.1  # per example whose code needs Returns or Raises
MISSING_SUBMIT_SHARE = 0.06
EARLY_SUBMIT_SHARE = 0.1  # per example with work to do: submit_result at once (refused: the checkers complain)
REPEAT_CHECK_SHARE = 0.06


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


def copied_args(view: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any] | None:
    """``arguments`` with inspect_function's ``args`` copied as they are (nulls kept; else the stale
    ``not_params`` added), when the tool refuses those; None when copying them is right."""
    old = view["docstring"] or {}
    args = old.get("args") or {}
    if any(text is None for text in args.values()):
        return {**arguments, "args": args}
    if old.get("not_params"):
        return {**arguments, "args": {**args, **old["not_params"]}}
    return None


def missing_sections(view: dict[str, Any], arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """``arguments`` without a section the code needs (``returns``, ``raises``) and the current docstring lacks
    (a part left out keeps its current text), each one the tool refuses."""
    old = view["docstring"] or {}

    def lacking(key: str) -> bool:
        text = old.get(key)
        return text is None or (isinstance(text, dict) and any(t is None for t in text.values()))

    return [
        {k: v for k, v in arguments.items() if k != key}
        for key in ("returns", "raises")
        if view[key] and key in arguments and lacking(key)
    ]


def expert(rec: Recorder, truth: Parts, renamed: dict[str, str] | None = None) -> None:
    """Run the expert's calls through the recorder (ends with submit_result).

    Args:
        rec: The kit's recorder (real tools, real sandbox).
        truth: The author's docstring.
        renamed: Current parameter name -> the author's name for it (a ``rename_param`` damage).
    """
    view = rec.call(inspect_function)
    mistaken = False
    if view["next"] != "submit_result":
        written = write_arguments(truth, view, renamed or {})
        copied, missing = copied_args(view, written), missing_sections(view, written)
        if copied is not None and rec.chance(COPIED_ARGS_SHARE):
            rec.mistake(write_docstring, **copied)
            mistaken = True
        elif missing and rec.chance(MISSING_SECTION_SHARE):
            rec.mistake(write_docstring, **rec.pick(missing))
            mistaken = True
        elif rec.chance(EARLY_SUBMIT_SHARE):  # as if nothing needed doing: refused while the checkers complain
            early = {"documented": view["params"], "remaining_problems": view["problem_count"]}
            rec.mistake(submit_result, **early)
            mistaken = True
        rec.call(write_docstring, **written)
        check = rec.call(check_docstrings)
        if not mistaken and rec.chance(REPEAT_CHECK_SHARE):
            rec.mistake(check_docstrings)
            mistaken = True
        documented, remaining = check["documented"], check["count"]
    else:
        documented, remaining = view["params"], view["problem_count"]
    submitted = {"documented": documented, "remaining_problems": remaining}  # the tool writes the summary
    if not mistaken and rec.chance(MISSING_SUBMIT_SHARE):
        left_out = rec.pick(["documented", "remaining_problems"])
        rec.mistake(submit_result, **{k: v for k, v in submitted.items() if k != left_out})
    rec.call(submit_result, **submitted)  # terminal: the runner stops here
