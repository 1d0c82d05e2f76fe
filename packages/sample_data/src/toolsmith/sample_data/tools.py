"""The sample_data agent's tools: describe a type, choose a provider per field, generate (with the edge cases the
field types call for), write the samples and the fixture module.

Tools are plain typed functions (schemas come from their signatures and docstrings) that work on
:func:`toolsmith.shared.sandbox.current`. The run's state (the description, the plan, the last records) is a JSON
file in the sandbox's private folder (``box.home``), never applied to the user's project and never kept in this
module: a tool host serves many runs and may be restarted. The first tool called describes the target (in a
limited child process for Python) and creates the state.

The model's choices are the providers (and their options) per field; the edge cases are the tools' (the field
types decide them: nothing to choose, so no call to spend tokens on). Each response names the call that comes
next in ``next`` (see :func:`toolsmith.sample_data.plan.next_step`), and so does a refused call's error
(:func:`refusal`), so the right call after a mistake is a copy from the last response too.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from toolsmith.sample_data.session import Session
from toolsmith.shared.sandbox import Sandbox, current

STATE_FILE = "sample_data_state.json"


def load_session(box: Sandbox) -> Session:
    """The run's session: from the state file, else a new one (the target described now, the state written)."""
    path = box.home / STATE_FILE

    def write(rel: str, text: str) -> None:
        box.write(text, rel)

    if path.is_file():
        return Session.from_state(box.root, json.loads(path.read_text(encoding="utf-8")), write=write)
    if len(box.outputs) != 2:
        raise ValueError(f"expected the agent's two outputs (samples file, fixture module), got {list(box.outputs)}")
    samples, fixture = box.outputs
    session = Session.open(box.root, box.rel_target, box.symbol, (samples, fixture), write=write)
    save_session(box, session)
    return session


def save_session(box: Sandbox, session: Session) -> None:
    """Write the session's state to the sandbox's private folder (whole or not at all; no need to sync it)."""
    path = box.home / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(session.state()), encoding="utf-8")
    os.replace(tmp, path)


def refusal(error: ValueError, session: Session) -> ValueError:
    """A refused call's error, the call that comes next appended in the words of a response's ``next``
    (``next: set_field field=note``): what to do instead is in the last response the model reads."""
    step = session.next_call()
    words = " ".join([step["tool"], *(f"{k}={v}" for k, v in step.items() if k != "tool")])
    return ValueError(f"{error}; next: {words}")


def _call(method: str, **arguments: Any) -> dict:
    box = current()
    session = load_session(box)
    try:
        out = getattr(session, method)(**arguments)
    except ValueError as e:  # the state is not saved: a refused call changes nothing
        if method == "generate":  # its refusal says which count or field to change, not a call to copy
            raise
        raise refusal(e, session) from None
    save_session(box, session)
    return out


def describe_target() -> dict:
    """Describe the target type: each field with its type, constraints and default.

    Returns:
        The target's name and kind, each field (``address.city`` for nested ones) as short type text, and next.
    """
    return _call("describe")


def set_field(field: str, provider: str, options: dict | None = None) -> dict:
    """Choose the value provider for a field.

    Args:
        field: The field, as describe_target names it.
        provider: The provider name, e.g. email, first_name, pyint.
        options: The provider's arguments, e.g. {"min_value": 1, "max_value": 50}.

    Returns:
        The options the provider does not take (when any) and next: the next field and the providers that fit
        it, or the next tool.
    """
    return _call("set_field", field=field, provider=provider, options=options)


def generate(count: int, seed: int) -> dict:
    """Build the records, edge cases included, and validate each with the type's own validator.

    Args:
        count: Regular records (the edge cases add their own), 1 to 50.
        seed: Random seed; the same seed gives the same records.

    Returns:
        How many records, how many are valid, the edge records, the first errors, and next.
    """
    return _call("generate", count=count, seed=seed)


def write_samples(formats: list[Literal["json", "pytest"]]) -> dict:
    """Write the records: json is the samples file, pytest the fixture module.

    Args:
        formats: Which files: json, pytest or both.

    Returns:
        The files written, the records and the valid ones, and next.
    """
    return _call("write_samples", formats=formats)


def submit_result(summary: str, records: int, valid: int) -> dict:
    """Finish: report what was written.

    Args:
        summary: One sentence on what was written.
        records: Records written.
        valid: Valid records written.

    Returns:
        Whether the result was accepted.
    """
    return _call("submit", summary=summary, records=records, valid=valid)


TOOLS = (describe_target, set_field, generate, write_samples, submit_result)
TERMINAL_TOOL = "submit_result"
