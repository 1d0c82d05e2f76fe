"""The scripted expert: describe -> set_field per field -> generate (the edge cases with it) -> write -> submit.

It calls the real tools through the kit's :class:`~toolsmith.shared.examples.Recorder` and follows each
response's ``next``. What it decides itself is the provider (and its options) of each field ``next`` names: the
first row of the curated :data:`~toolsmith.sample_data.providers.EXPERT_TABLE` whose name pattern and value type
match and whose provider ``set_field`` accepts (checked on a copy of the plan first), else the field type's
default provider. It reads the target's full description from the run's state (read-only).

Recovery (about :data:`MISTAKE_SHARE` of the examples hold one mistake, each followed by the right call): a
provider name that does not exist (the field's own name, a near miss) answered by the right provider, which the
error names among the providers that fit; the last field's provider copied where it does not fit; the provider's
name written as the field (the error names the fields); a call without one of its arguments; ``set_field`` on a
type with nothing to choose (the error's next is ``generate``); ``describe_target`` again (the loop guard
answers); ``write_samples`` before ``generate``; ``submit_result`` without its summary.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from toolsmith.sample_data import plan as plans
from toolsmith.sample_data.providers import EXPERT_TABLE, PROVIDERS
from toolsmith.sample_data.session import Session
from toolsmith.sample_data.spec import fields_by_path, leaf_spec
from toolsmith.sample_data.tools import (
    describe_target,
    generate,
    load_session,
    set_field,
    submit_result,
    write_samples,
)
from toolsmith.sample_data.values import arguments, default_choice, fitted
from toolsmith.shared.examples import Failed, Recorder

COUNT = 5
SEED = 0
FORMATS = ["json", "pytest"]
MISTAKE_SHARE = 0.4  # examples that hold one recovery mistake
# mistake kind -> how many times as likely as the others: a wrong provider is what the trained model does most
# (the stop-18 eval's failed runs repeat a refused provider), so its recovery is seen most
MISTAKES = {
    "unknown_provider": 3,
    "wrong_provider": 2,
    "provider_as_field": 1,
    "set_without_choice": 3,  # only where no field has a provider to choose: the trained model sets one anyway
    "missing_argument": 1,
    "repeat_describe": 1,
    "write_too_early": 1,
    "missing_summary": 1,
}


@cache
def _table() -> tuple[tuple[re.Pattern[str], tuple[str, ...], str, dict | None], ...]:
    return tuple((re.compile(p), types, provider, options) for p, types, provider, options in EXPERT_TABLE)


def unfilled(provider: str, options: dict | None, leaf: dict) -> dict:
    """The options that change the provider's arguments: not those the provider's ``fit`` fills from the field's
    constraints (a bound becomes ``min_value``, ``max_length`` becomes ``max_nb_chars``...; ``positive`` says no
    more than a lower bound), nor those equal to what it uses anyway (2 decimals, 4 digits before the point). The
    expert writes only those, so a bound comes from the field's type rather than from the model's memory, and a
    no-op option is not there for the model to copy onto fields where it is wrong."""
    filled = set(fitted(provider, leaf))
    if "min_value" in filled:
        filled.add("positive")
    kept = {k: v for k, v in (options or {}).items() if k not in filled}
    try:
        full = arguments(provider, leaf, kept)  # the same after each drop: a dropped option changes nothing
    except ValueError:
        return kept
    for key in list(kept):
        rest = {k: v for k, v in kept.items() if k != key}
        try:
            same = arguments(provider, leaf, rest) == full
        except ValueError:
            continue
        if same:
            kept = rest
    return kept


def candidates(path: str, field: dict) -> list[tuple[str, dict]]:
    """The table's (provider, options) for a field, best first, then the type's default; options without those
    the field's constraints fill (:func:`unfilled`)."""
    leaf = leaf_spec(field["spec"])
    name = plans.snake_name(path)
    rows = [
        (provider, unfilled(provider, options, leaf))
        for pattern, types, provider, options in _table()
        if leaf["type"] in types and pattern.search(name)
    ]
    provider, options = default_choice(field["spec"])
    return [*rows, (provider, unfilled(provider, options, leaf))]


def accepts(description: dict, plan: dict, path: str, provider: str, options: dict | None) -> bool:
    """Whether ``set_field`` would accept this choice (tried on a copy of the plan)."""
    try:
        plans.set_field(description, copy.deepcopy(plan), path, provider, options or None)
    except ValueError:
        return False
    return True


def choose(description: dict, plan: dict, path: str) -> tuple[str, dict]:
    """The expert's provider and options for the field at ``path``.

    Raises:
        Failed: No provider fits the field.
    """
    field = fields_by_path(description)[path]
    for provider, options in candidates(path, field):
        if accepts(description, plan, path, provider, options):
            return provider, options
    raise Failed(f"expected a provider that fits {path}, got none")


def wrong_names(path: str, provider: str) -> list[str]:
    """Provider names a small model writes instead of ``provider`` that do not exist: the field's own name, the
    provider's name cut or run together."""
    name = plans.snake_name(path)
    parts = provider.split("_")
    options = [name, name.split("_")[-1], provider.replace("_", ""), parts[0] if len(parts) > 1 else provider + "s"]
    return [w for w in dict.fromkeys(options) if w and w not in PROVIDERS]


def _setting(arguments: dict[str, Any], provider: str, options: dict) -> dict[str, Any]:
    return {**arguments, "provider": provider, **({"options": options} if options else {})}


class _Run:
    """One expert run: the recorder, the run's session (read-only) and the mistake still to make, if any.

    A run with a mistake picks its kind and the first opportunity it may take (a set_field number); an
    opportunity where that mistake cannot be made (the wrong name would exist, the copied provider fits) passes it
    on to the next one, and a mistake never made by the end is a submit_result without summary.
    """

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.pending: str | None = None
        self.at = 0

    def session(self) -> Session:
        return load_session(self.rec.box)

    def plan_mistake(self, n_fields: int) -> None:
        if not self.rec.chance(MISTAKE_SHARE):
            return
        kinds = [
            k
            for k, weight in MISTAKES.items()
            if (k in ("unknown_provider", "missing_argument", "provider_as_field") and n_fields)
            or (k == "wrong_provider" and n_fields > 1)
            or (k == "set_without_choice" and not n_fields)
            or k in ("repeat_describe", "write_too_early", "missing_summary")
            for _ in range(weight)
        ]
        self.pending = self.rec.pick(kinds)
        self.at = self.rec.pick(list(range(n_fields))) if n_fields and self.pending != "repeat_describe" else 0

    def due(self, kind: str, i: int = 0) -> bool:
        """Whether the pending mistake is ``kind`` and may be made at opportunity ``i``."""
        return self.pending == kind and i >= self.at

    def mistake(self, fn: Callable[..., Any], **arguments: Any) -> None:
        """Make the pending mistake (once)."""
        self.rec.mistake(fn, **arguments)
        self.pending = None

    def call(self, fn: Callable[..., Any], **arguments: Any) -> Any:
        return self.rec.call(fn, **arguments)


def _set_field(run: _Run, i: int, path: str, last: str | None) -> tuple[dict, str]:
    """One set_field (and the pending mistake, when due and possible here): its response and the provider chosen.
    ``last`` is the provider chosen for the field before (a small model copies it)."""
    session = run.session()
    description, plan = session.description, session.plan
    provider, options = choose(description, plan, path)
    right = _setting({"field": path}, provider, options)
    if run.due("unknown_provider", i):
        wrong = next(iter(wrong_names(path, provider)), None)
        if wrong is not None and provider in plans.list_providers(description, path):
            run.mistake(set_field, **_setting({"field": path}, wrong, options))  # the error names the right one
    elif run.due("wrong_provider", i) and last and not accepts(description, plan, path, last, None):
        run.mistake(set_field, field=path, provider=last)
    elif run.due("missing_argument", i):
        run.mistake(set_field, field=path)
    elif run.due("provider_as_field", i) and provider not in fields_by_path(description):
        run.mistake(set_field, **_setting({"field": provider}, provider, options))  # the error names the fields
    return run.call(set_field, **right), provider


def expert(rec: Recorder, case: Any = None) -> dict:
    """Run the policy on the recorder's sandbox; returns the submitted arguments.

    Raises:
        Failed: A call meant to succeed failed (the example is dropped).
    """
    run = _Run(rec)
    described = run.call(describe_target)
    session = run.session()
    run.plan_mistake(len(plans.choice_fields(session.description)))
    if run.due("repeat_describe"):
        run.mistake(describe_target)  # the loop guard answers: nothing changed since
    if run.due("set_without_choice"):
        first = next(iter(described["fields"]))
        if not accepts(session.description, session.plan, first, "word", None):
            run.mistake(set_field, field=first, provider="word")  # refused; its next is generate
    step, last, i = described["next"], None, 0
    while step["tool"] == "set_field":
        done, last = _set_field(run, i, step["field"], last)
        step, i = done["next"], i + 1
    if step["tool"] != "generate":
        raise Failed(f"expected generate next, got {step}")
    if run.due("write_too_early"):
        run.mistake(write_samples, formats=FORMATS)
    generated = run.call(generate, count=COUNT, seed=SEED)
    if generated["next"]["tool"] != "write_samples":
        raise Failed(f"expected valid records, got {generated.get('errors')}")
    written = run.call(write_samples, formats=FORMATS)
    submitted = {
        "summary": f"Wrote {written['records']} records, {written['valid']} valid, to {written['written'][0]} "
        "with a pytest fixture.",
        "records": written["records"],
        "valid": written["valid"],
    }
    if run.pending is not None:  # the planned one, or one that found no opportunity
        run.mistake(submit_result, records=submitted["records"], valid=submitted["valid"])
    run.call(submit_result, **submitted)
    return submitted
