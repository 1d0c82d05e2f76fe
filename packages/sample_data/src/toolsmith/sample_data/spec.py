"""The normalised description of a target, shared by every part of the domain (JSON-able dicts).

A *description* (what ``describe_target`` works from; :mod:`toolsmith.sample_data.pytypes` makes it
for Python types, :mod:`toolsmith.sample_data.schema` for JSON Schema files)::

    {"name": "Order", "kind": "pydantic", "ref": "shop.models:Order",
     "fields": [FIELD, ...], "models": {"Address": {"kind": ..., "ref": ..., "fields": [...]}}}

``kind`` is one of :data:`KINDS`. A FIELD is ``{"name", "spec", "optional", "required"}`` plus
``"default"`` when it has one: ``optional`` means None is a valid value, ``required`` that the field
must be given. A *spec* is ``{"type": T, ...}`` with ``T`` in :data:`TYPES` and, as they apply:

- constraints (JSON Schema's, snake case): ``ge``, ``gt``, ``le``, ``lt``, ``multiple_of``,
  ``min_length``/``max_length`` (characters of a string, items of a collection), ``pattern``
  (``re.search``), ``format`` (JSON Schema format of a string), ``max_digits``/``decimal_places``
  (decimals), ``tz`` (``"aware"``/``"naive"`` datetimes), ``when`` (``"past"``/``"future"`` dates);
- ``members`` (``enum``/``literal``: the JSON values), ``name`` and ``ref`` (``module:qualname``) for
  enums and models; ``item`` (``list``/``set``/``tuple``), ``key``/``value`` (``dict``).

*Paths* name fields: ``email`` or, one level down in a nested model (or a list of them), ``address.city``.
"""

from __future__ import annotations

import datetime
import decimal
import math
import operator
import re
import uuid
from functools import cache
from typing import Any

KINDS = ("pydantic", "dataclass", "attrs", "typeddict", "namedtuple", "function", "jsonschema")
SCALARS = ("str", "int", "float", "bool", "decimal", "date", "datetime", "time", "timedelta", "uuid", "bytes")
TYPES = (*SCALARS, "any", "enum", "literal", "list", "set", "tuple", "dict", "model", "unsupported")
COLLECTIONS = ("list", "set", "tuple", "dict")
NUMBERS = ("int", "float", "decimal")
BOUND_KEYS = ("ge", "gt", "le", "lt")
CONSTRAINT_KEYS = (*BOUND_KEYS, "multiple_of", "min_length", "max_length", "pattern", "format", "max_digits",
                   "decimal_places", "tz", "when")  # fmt: skip
PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "float": (float, int),
    "bool": bool,
    "decimal": decimal.Decimal,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "time": datetime.time,
    "timedelta": datetime.timedelta,
    "uuid": uuid.UUID,
    "bytes": bytes,
}
MAX_MEMBERS_SHOWN = 8
PATTERN_CHARS = 40


def fields_by_path(description: dict) -> dict[str, dict]:
    """Every addressable field: top-level names and one level into nested models (``address.city``)."""
    out: dict[str, dict] = {}
    models = description.get("models", {})
    for field in description["fields"]:
        out[field["name"]] = field
        model = nested_model(field["spec"])
        if model and model in models:
            for sub in models[model]["fields"]:
                out[f"{field['name']}.{sub['name']}"] = sub
    return out


def nested_model(spec: dict) -> str | None:
    """The model a field holds (directly or as the items of a collection), if any."""
    if spec["type"] == "model":
        return spec["name"]
    if spec["type"] in ("list", "set", "tuple") and spec["item"]["type"] == "model":
        return spec["item"]["name"]
    return None


def field_at(description: dict, path: str) -> dict:
    """The field at ``path``; a clear error naming the fields when there is none."""
    fields = fields_by_path(description)
    if not isinstance(path, str) or path not in fields:
        names = ", ".join(fields)
        raise ValueError(f"expected a field of {description['name']} ({names}), got {path!r}")
    return fields[path]


def leaf_spec(spec: dict) -> dict:
    """The spec a provider fills: the items' spec for a list/set/tuple of scalars, else the spec itself."""
    if spec["type"] in ("list", "set", "tuple") and spec["item"]["type"] != "model":
        return spec["item"]
    return spec


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


@cache
def _format_checker():
    from jsonschema import FormatChecker

    return FormatChecker()


def _digits(value: decimal.Decimal) -> tuple[int, int]:
    """(total digits, decimal places) of a finite decimal, as pydantic counts them."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    return whole + places, places


def check_value(spec: dict, value: Any, optional: bool = False) -> str | None:
    """Why ``value`` (a Python value) does not fit ``spec``, or None when it does.

    Checks the type (bool is not an int; ints are floats) and every constraint, recursively for
    collections. Models are checked by the real validator only (None here).
    """
    if value is None:
        return None if optional else "None where a value is required"
    kind = spec["type"]
    if kind in ("any", "model", "unsupported"):
        return None
    if kind in ("enum", "literal"):
        members = spec["members"]
        return None if value in members else f"{value!r} not one of {members[:MAX_MEMBERS_SHOWN]}"
    if kind in PYTHON_TYPES:
        expected = PYTHON_TYPES[kind]
        wrong = not isinstance(value, expected) or (kind in NUMBERS and isinstance(value, bool))
        if kind == "date" and isinstance(value, datetime.datetime):
            wrong = True
        if wrong:
            return f"a {type(value).__name__} ({_show(value)}) where a {kind} is required"
    elif kind in COLLECTIONS:
        expected = {"list": list, "set": (set, frozenset), "tuple": tuple, "dict": dict}[kind]
        if not isinstance(value, expected):
            return f"a {type(value).__name__} where a {kind} is required"
    return _constraint_error(spec, value)


def _constraint_error(spec: dict, value: Any) -> str | None:
    kind = spec["type"]
    if kind in NUMBERS:
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value} (not finite)"
        for key, compare in _COMPARE.items():
            bound = spec.get(key)
            if bound is not None and not compare(value, decimal.Decimal(str(bound)) if kind == "decimal" else bound):
                return f"{_show(value)} not {_OPS[key]} {bound}"
        step = spec.get("multiple_of")
        if step and (decimal.Decimal(str(value)) % decimal.Decimal(str(step))) != 0:
            return f"{_show(value)} not a multiple of {step}"
        if kind == "decimal":
            if not value.is_finite():
                return f"{value} (not finite)"
            total, places = _digits(value)
            if spec.get("decimal_places") is not None and places > spec["decimal_places"]:
                return f"{value} has {places} decimal places, more than {spec['decimal_places']}"
            if spec.get("max_digits") is not None and total > spec["max_digits"]:
                return f"{value} has {total} digits, more than {spec['max_digits']}"
    if kind in ("str", "bytes", *COLLECTIONS):
        n = len(value)
        if spec.get("min_length") is not None and n < spec["min_length"]:
            return f"{_show(value)} shorter than {spec['min_length']}"
        if spec.get("max_length") is not None and n > spec["max_length"]:
            return f"{_show(value)} longer than {spec['max_length']}"
    if kind == "str":
        if spec.get("pattern") and not _pattern(spec["pattern"]).search(value):
            return f"{_show(value)} does not match /{spec['pattern']}/"
        if spec.get("format") and not _format_checker().conforms(value, spec["format"]):
            return f"{_show(value)} is not a valid {spec['format']}"
    if kind == "datetime" and spec.get("tz"):
        aware = value.tzinfo is not None and value.utcoffset() is not None
        if aware != (spec["tz"] == "aware"):
            return f"{_show(value)} is not timezone-{spec['tz']}"
    if kind in ("date", "datetime") and spec.get("when"):
        now = datetime.datetime.now(value.tzinfo) if kind == "datetime" else datetime.date.today()
        if (value < now) != (spec["when"] == "past"):
            return f"{_show(value)} is not in the {spec['when']}"
    if kind in ("list", "set", "tuple"):
        for item in value:
            error = check_value(spec["item"], item)
            if error:
                return f"item {error}"
    if kind == "dict":
        for k, v in value.items():
            error = check_value(spec["key"], k) or check_value(spec["value"], v)
            if error:
                return f"entry {error}"
    return None


_OPS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
_COMPARE = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def type_text(spec: dict) -> str:
    """A short type name: ``str``, ``list[str]``, ``Address``, ``enum Status``."""
    kind = spec["type"]
    if kind in ("list", "set", "tuple"):
        return f"{kind}[{type_text(spec['item'])}]"
    if kind == "dict":
        return f"dict[{type_text(spec['key'])},{type_text(spec['value'])}]"
    if kind == "model":
        return spec["name"]
    if kind == "unsupported":
        return f"unsupported {spec.get('name', '?')}"
    return kind


def members_text(members: list) -> str:
    shown = "|".join(str(m) for m in members[:MAX_MEMBERS_SHOWN])
    return shown + ("|..." if len(members) > MAX_MEMBERS_SHOWN else "")


def short(field: dict) -> str:
    """One field in a few tokens, e.g. ``decimal >0 places=2``, ``str|None len<=80 =None``, ``enum a|b``."""
    spec = field["spec"]
    leaf = leaf_spec(spec)
    parts = [type_text(spec) + ("|None" if field.get("optional") else "")]
    if leaf["type"] in ("enum", "literal"):
        parts.append(members_text(leaf["members"]))
    for source in (spec, leaf) if leaf is not spec else (spec,):
        for key, op in _OPS.items():
            if source.get(key) is not None:
                parts.append(f"{op}{source[key]}")
        lo, hi = source.get("min_length"), source.get("max_length")
        if lo is not None and lo == hi:
            parts.append(f"len={lo}")
        else:
            if lo:
                parts.append(f"len>={lo}")
            if hi is not None:
                parts.append(f"len<={hi}")
        for key, label in (("multiple_of", "step"), ("max_digits", "digits"), ("decimal_places", "places"),
                           ("format", "format"), ("tz", "tz"), ("when", "when")):  # fmt: skip
            if source.get(key) is not None:
                parts.append(f"{label}={source[key]}")
        if source.get("pattern"):
            pattern = source["pattern"]
            parts.append(
                "/" + (pattern if len(pattern) <= PATTERN_CHARS else pattern[: PATTERN_CHARS - 3] + "...") + "/"
            )
    if "default" in field:
        default = field["default"]
        parts.append("=" + (repr(default) if not isinstance(default, str) or default != "<factory>" else default))
    return " ".join(parts)
