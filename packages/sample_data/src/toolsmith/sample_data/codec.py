"""Records as JSON (``samples/<name>.json``) and as Python source (the fixture module).

A record is a JSON object: field name -> JSON value, as pydantic writes values in JSON mode
(``pydantic_core.to_jsonable_python``): datetimes/dates/times as ISO 8601 (UTC as ``Z``), decimals as strings
(``"12.50"``, so no digit is lost), UUIDs as strings, timedeltas as ISO 8601 durations, enums as their values,
sets as SORTED lists (the same in every process), bytes as UTF-8 text, nested models as objects. Loading a record
back through the real validator in strict JSON mode gives the same instance (see :mod:`toolsmith.sample_data.worker`).

:func:`decode` turns a JSON value back into the Python value of its spec (parsed by pydantic), and
:func:`render` writes that value as Python source for the fixture module.
"""

from __future__ import annotations

import datetime
import json
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from toolsmith.sample_data.spec import PYTHON_TYPES

PYTHON_KINDS = ("pydantic", "dataclass", "attrs", "typeddict", "namedtuple")
_REPR_IMPORTS = {
    "decimal": "from decimal import Decimal",
    "uuid": "from uuid import UUID",
    "date": "import datetime",
    "datetime": "import datetime",
    "time": "import datetime",
    "timedelta": "import datetime",
}


def canonical(value: Any) -> Any:
    """``value`` with every set/frozenset as a sorted list (set order changes with each process' hash seed)."""
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(canonical(v) for v in value) if not hasattr(value, "_fields") else value
    return value


def encode(value: Any) -> Any:
    """A Python value as JSON (pydantic's JSON mode; sets as sorted lists)."""
    return to_jsonable_python(canonical(value))


def dumps(records: list) -> str:
    """The samples file's text: a JSON array, one indented record after the other."""
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


@cache
def _adapter(kind: str) -> TypeAdapter:
    python_type = PYTHON_TYPES[kind]
    return TypeAdapter(python_type if isinstance(python_type, type) else float)


def decode(spec: dict, value: Any, models: dict[str, dict]) -> Any:
    """The Python value of a JSON value of ``spec`` (enum members stay values; models become dicts)."""
    if value is None:
        return None
    kind = spec["type"]
    if kind in ("date", "datetime", "time") and isinstance(value, str):
        return getattr(datetime, kind).fromisoformat(value)  # stdlib tzinfo (pydantic's has no importable repr)
    if kind in ("decimal", "timedelta", "uuid"):
        return _adapter(kind).validate_json(json.dumps(value))
    if kind == "bytes":
        return value.encode("utf-8") if isinstance(value, str) else value
    if kind in ("list", "set", "tuple"):
        items = [decode(spec["item"], v, models) for v in value]
        return set(items) if kind == "set" else tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(spec["value"], v, models) for k, v in value.items()}
    if kind == "model" and isinstance(value, dict):
        fields = {f["name"]: f["spec"] for f in models.get(spec["name"], {}).get("fields", [])}
        return {k: decode(fields.get(k, {"type": "any"}), v, models) for k, v in value.items()}
    return value


def import_line(ref: str) -> tuple[str, str]:
    """(import line, name to use in code) for a ``module:qualname`` reference."""
    module, qualname = ref.split(":", 1)
    top = qualname.split(".")[0]
    return f"from {module} import {top}", qualname


def render(spec: dict, value: Any, models: dict[str, dict], python: bool, imports: set[str]) -> str:
    """Python source for a decoded value; ``python``: build the user's classes (else plain dicts)."""
    if value is None:
        return "None"
    kind = spec["type"]
    if kind in _REPR_IMPORTS:
        imports.add(_REPR_IMPORTS[kind])
        return repr(value)
    if kind == "enum" and python and spec.get("ref"):
        line, name = import_line(spec["ref"])
        imports.add(line)
        return f"{name}({value!r})"
    if kind in ("list", "set", "tuple"):
        parts = [render(spec["item"], v, models, python, imports) for v in value]
        if kind == "set":
            return "{" + ", ".join(parts) + "}" if parts else "set()"
        if kind == "tuple":
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        return "[" + ", ".join(parts) + "]"
    if kind == "dict":
        return (
            "{"
            + ", ".join(f"{k!r}: {render(spec['value'], v, models, python, imports)}" for k, v in value.items())
            + "}"
        )
    if kind == "model" and isinstance(value, dict):
        model = models.get(spec["name"], {})
        return _call(model, value, models, python and model.get("kind") in PYTHON_KINDS, imports)
    return repr(value)


def _call(model: dict, record: dict, models: dict, python: bool, imports: set[str], as_dict: bool = False,
          indent: str | None = None) -> str:  # fmt: skip
    """A constructor call (or dict literal); with ``indent``, one argument per line."""
    specs = {f["name"]: f["spec"] for f in model.get("fields", [])}
    items = [(k, render(specs.get(k, {"type": "any"}), v, models, python, imports)) for k, v in record.items()]
    dict_form = not python or as_dict or not all(k.isidentifier() for k, _ in items)
    parts = [f"{k!r}: {v}" if dict_form else f"{k}={v}" for k, v in items]
    if indent is None:
        inner = ", ".join(parts)
        close = ""
    else:
        inner = "".join(f"\n{indent}    {p}," for p in parts)
        close = f"\n{indent}"
    if not python or as_dict:
        return "{" + inner + close + "}"
    line, name = import_line(model["ref"])
    imports.add(line)
    if not dict_form:
        return f"{name}(" + inner + close + ")"
    return f"{name}(**{{" + inner + close + "})"


def record_source(description: dict, record: dict, imports: set[str], indent: str | None = None) -> str:
    """One record as Python source: the type's constructor call (a kwargs dict for a function, a dict for a
    JSON Schema); with ``indent``, one field per line."""
    models = description.get("models", {})
    kind = description["kind"]
    if kind == "jsonschema":  # JSON records stay JSON (dates as the strings the schema's formats ask for)
        return _call({"fields": []}, record, {}, False, imports, True, indent)
    decoded = decode({"type": "model", "name": "\0root"}, record, {**models, "\0root": description})
    return _call(description, decoded, models, True, imports, kind == "function", indent)
