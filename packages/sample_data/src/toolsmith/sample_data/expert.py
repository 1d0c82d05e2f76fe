"""The scripted expert: describe -> set_field per meaningful field -> edge cases -> generate -> write -> submit.

It calls the tools through ``call(tool name, arguments) -> response`` (phase 2: the kit's ``Recorder.call``;
a tool error raises ``ValueError``). Provider choices come from the curated
:data:`~toolsmith.sample_data.providers.EXPERT_TABLE`: the first row whose name pattern and field type match
and whose provider ``set_field`` accepts. Fields no row matches keep the type-based default (no call).
Edge cases: None for each field that accepts None, each enum/Literal member, each bound (numbers' and
lengths'), an empty collection where one is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from toolsmith.sample_data.plan import value_fields
from toolsmith.sample_data.providers import EXPERT_TABLE
from toolsmith.sample_data.spec import NUMBERS, fields_by_path, leaf_spec, nested_model

COUNT = 5
SEED = 0
FORMATS = ["json", "pytest"]
Call = Callable[[str, dict], Any]


@cache
def _table() -> tuple[tuple[re.Pattern[str], tuple[str, ...], str, dict | None], ...]:
    return tuple((re.compile(p), types, provider, options) for p, types, provider, options in EXPERT_TABLE)


def snake_name(path: str) -> str:
    """The last part of a path, camelCase split with ``_``, lower case."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", path.rsplit(".", 1)[-1]).lower()


def candidates(path: str, field: dict) -> list[tuple[str, dict]]:
    """The table's (provider, options) for a field, best first (empty: keep the type-based default)."""
    leaf = leaf_spec(field["spec"])
    if leaf["type"] in ("enum", "literal"):
        return []
    name = snake_name(path)
    return [(provider, dict(options or {})) for pattern, types, provider, options in _table()
            if leaf["type"] in types and pattern.search(name)]  # fmt: skip


def edges(description: dict) -> list[tuple[str, str]]:
    """(path, kind) of the edge cases a field's type and constraints call for, in field order."""
    out = []
    for path, field in fields_by_path(description).items():
        spec = field["spec"]
        kind = spec["type"]
        if field["optional"]:
            out.append((path, "none"))
        if kind in ("enum", "literal"):
            out.append((path, "each_enum"))
        if kind in NUMBERS:
            if spec.get("ge") is not None or spec.get("gt") is not None:
                out.append((path, "min"))
            if spec.get("le") is not None or spec.get("lt") is not None:
                out.append((path, "max"))
        if kind in ("str", "list", "set", "tuple") and nested_model(spec) is None:
            lo, hi = spec.get("min_length"), spec.get("max_length")
            if lo:
                out.append((path, "min"))
            if hi is not None and hi != lo:
                out.append((path, "max"))
        if kind in ("list", "set", "dict") and not spec.get("min_length"):
            out.append((path, "empty"))
    return out


def expert(call: Call, description: dict) -> dict:
    """Run the policy; returns the submitted arguments."""
    call("describe_target", {})
    for path, field in value_fields(description).items():
        for provider, options in candidates(path, field):
            arguments = {"field": path, "provider": provider}
            if options:
                arguments["options"] = options
            try:
                call("set_field", arguments)
            except ValueError:
                continue  # the provider's values do not fit this field's constraints: the next row
            break
    for path, kind in edges(description):
        call("add_edge_case", {"field": path, "kind": kind})
    generated = call("generate", {"count": COUNT, "seed": SEED})
    written = call("write_samples", {"formats": FORMATS})
    files = " and ".join(written["written"])
    submitted = {
        "summary": f"Wrote {generated['records']} {description['name']} records "
        f"({generated['edge_records']} edge cases) to {files}.",
        "records": generated["records"],
        "valid": generated["valid"],
    }
    call("submit_result", submitted)
    return submitted
