"""JSON Schema targets: read the schema file, describe it (see :mod:`.spec`) and validate records with jsonschema.

The target is the schema's root object, or ``$defs/NAME`` (``definitions/NAME``) when a symbol is given.
Local ``$ref`` (``#/...``) are followed; ``string`` with format ``date-time``/``date``/``time``/``uuid``
become those types (their values are written as the ISO/UUID strings the format requires); a
property outside ``required`` is not required; a property that accepts ``null`` is optional.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from toolsmith.sample_data.pytypes import MAX_MODELS

_FORMAT_TYPES = {"date-time": "datetime", "date": "date", "time": "time", "uuid": "uuid"}
_BOUNDS = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}
_LENGTHS = {"minLength": "min_length", "maxLength": "max_length", "minItems": "min_length", "maxItems": "max_length"}


def load_schema(path: Path) -> dict:
    """The schema in ``path``; a clear error naming the file when it is not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"expected JSON in {path}, got an error at line {e.lineno}: {e.msg}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON Schema object in {path}, got {type(data).__name__}")
    return data


def target_schema(root: dict, symbol: str | None) -> dict:
    """The schema of the target: the root, or its definition ``symbol``."""
    if not symbol:
        return root
    for key in ("$defs", "definitions"):
        if symbol in root.get(key, {}):
            return root[key][symbol]
    names = sorted({*root.get("$defs", {}), *root.get("definitions", {})})
    raise ValueError(f"expected a definition of the schema ({', '.join(names) or 'none'}), got {symbol!r}")


class _Reader:
    def __init__(self, root: dict):
        self.root = root
        self.models: dict[str, dict] = {}

    def deref(self, node: Any) -> tuple[dict, str | None]:
        """(node with local ``$ref`` followed and one-item ``allOf`` merged, name of the last definition)."""
        name = None
        for _ in range(20):
            if not isinstance(node, dict):
                return {}, name
            if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
                parts = [p.replace("~1", "/").replace("~0", "~") for p in node["$ref"][2:].split("/")]
                target: Any = self.root
                for p in parts:
                    target = target.get(p, {}) if isinstance(target, dict) else {}
                name = parts[-1]
                node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
                continue
            if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
                node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
                continue
            return node, name
        raise ValueError("expected $ref chains that end, got a cycle of 20 $ref")

    def fields(self, node: dict) -> list[dict]:
        required = set(node.get("required", []))
        out = []
        for name, prop in (node.get("properties") or {}).items():
            spec, nullable = self.spec(prop, name)
            field: dict[str, Any] = {"name": name, "spec": spec, "optional": nullable, "required": name in required}
            resolved, _ = self.deref(prop)
            if "default" in resolved:
                field["default"] = resolved["default"]
            out.append(field)
        return out

    def spec(self, prop: Any, name: str) -> tuple[dict, bool]:
        node, ref_name = self.deref(prop)
        nullable = False
        for key in ("anyOf", "oneOf"):
            arms = node.get(key)
            if isinstance(arms, list) and arms:
                real = [a for a in arms if self.deref(a)[0].get("type") != "null"]
                nullable = len(real) < len(arms)
                if real:
                    inner, inner_null = self.spec(real[0], name)
                    rest = {k: v for k, v in node.items() if k not in (key, "type")}
                    return {**inner, **self.constraints(rest, inner["type"])}, nullable or inner_null
                return {"type": "any"}, True
        kinds = node.get("type")
        if isinstance(kinds, list):
            nullable = "null" in kinds
            kinds = next((k for k in kinds if k != "null"), None)
        if not isinstance(kinds, str):
            kinds = None
        if "enum" in node and isinstance(node["enum"], list):
            members = [m for m in node["enum"] if m is not None]
            return {"type": "literal", "members": members}, nullable or None in node["enum"]
        if "const" in node:
            return {"type": "literal", "members": [node["const"]]}, nullable
        if kinds == "string" and node.get("format") in _FORMAT_TYPES:
            return {"type": _FORMAT_TYPES[node["format"]]}, nullable
        simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
        if kinds in simple:
            return {"type": simple[kinds], **self.constraints(node, simple[kinds])}, nullable
        if kinds == "array" or "items" in node:
            items = node.get("items")
            item = self.spec(items, name)[0] if isinstance(items, dict) else {"type": "any"}
            kind = "set" if node.get("uniqueItems") else "list"
            return {"type": kind, "item": item, **self.constraints(node, kind)}, nullable
        if kinds == "object" or "properties" in node:
            if node.get("properties"):
                model = ref_name or node.get("title") or name[:1].upper() + name[1:]
                model = "".join(ch for ch in str(model) if ch.isalnum() or ch == "_") or "Item"
                if model not in self.models and len(self.models) < MAX_MODELS:
                    self.models[model] = {}
                    self.models[model] = {"kind": "jsonschema", "ref": model, "fields": self.fields(node)}
                return {"type": "model", "name": model, "ref": model}, nullable
            extra = node.get("additionalProperties")
            value = self.spec(extra, name)[0] if isinstance(extra, dict) else {"type": "any"}
            return {"type": "dict", "key": {"type": "str"}, "value": value}, nullable
        if kinds == "null":
            return {"type": "any"}, True
        return {"type": "any"}, nullable

    @staticmethod
    def constraints(node: dict, kind: str) -> dict:
        out: dict[str, Any] = {}
        for key, ours in _BOUNDS.items():
            value = node.get(key)
            if isinstance(value, bool):  # draft 4: exclusiveMinimum is a flag on minimum
                continue
            if isinstance(value, (int, float)):
                out[ours] = value
        for key, ours in (("minimum", "gt"), ("maximum", "lt")):
            flag = "exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"
            if node.get(flag) is True and key in node:
                out.pop("ge" if key == "minimum" else "le", None)
                out[ours] = node[key]
        if isinstance(node.get("multipleOf"), (int, float)):
            out["multiple_of"] = node["multipleOf"]
        for key, ours in _LENGTHS.items():
            if isinstance(node.get(key), int):
                out[ours] = node[key]
        if kind == "str":
            if isinstance(node.get("pattern"), str):
                out["pattern"] = node["pattern"]
            if isinstance(node.get("format"), str):
                out["format"] = node["format"]
        return out


def describe_schema(path: Path, symbol: str | None = None) -> dict:
    """The description of the JSON Schema file ``path`` (its root object, or definition ``symbol``).

    Raises:
        ValueError: The file is not JSON, or the target is not an object with properties.
    """
    root = load_schema(path)
    node = target_schema(root, symbol)
    reader = _Reader(root)
    resolved, _ = reader.deref(node)
    if not isinstance(resolved.get("properties"), dict) or not resolved["properties"]:
        raise ValueError(f"expected an object schema with properties in {path}, got none")
    name = symbol or resolved.get("title") or path.name.split(".")[0]
    name = "".join(ch for ch in str(name) if ch.isalnum() or ch == "_") or "Record"
    fields = reader.fields(resolved)
    return {"name": name, "kind": "jsonschema", "ref": path.name, "fields": fields, "models": reader.models}


@cache
def _validator_for(text: str, symbol: str | None) -> Any:
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    root = json.loads(text)
    schema = target_schema(root, symbol)
    if symbol:  # keep the root's definitions reachable from the sub-schema
        schema = {**schema, **{k: root[k] for k in ("$defs", "definitions") if k in root}}
    cls = validator_for(root)
    cls.check_schema(schema)
    return cls(schema, format_checker=FormatChecker())


def validate_records(path: Path, symbol: str | None, records: list) -> dict:
    """Validate JSON records with jsonschema (format checking on); same result shape as the worker's ``validate``."""
    validator = _validator_for(path.read_text(encoding="utf-8"), symbol)
    errors = []
    for i, record in enumerate(records):
        error = next(iter(sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))), None)
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "record"
            message = " ".join(error.message.split())
            errors.append([i, f"{where}: {message[:200]}"])
    return {"valid": len(records) - len(errors), "errors": errors}
