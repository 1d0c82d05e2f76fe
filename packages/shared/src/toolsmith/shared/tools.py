"""Tools are plain typed Python functions with Google docstrings; schemas come from transformers.

Calls are checked against those schemas with ``jsonschema`` (``nullable``, the OpenAPI flag transformers writes
for ``Optional`` parameters, is read as "or null"), and every failure becomes one "expected X, got Y" sentence:
that is what the model sees. :func:`run_tool` is the one way a tool is called, by the runner's tool host and by
the example recorder alike, so training data holds exactly the responses the model meets at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from toolsmith.shared.constants import TOOL_RESPONSE_CHARS

ERROR_KEY = "error"  # a failed call's response is {"error": "expected ..., got ..."}


def tool_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """The JSON schema of ``fn`` (``transformers.utils.get_json_schema``)."""
    from transformers.utils import get_json_schema

    return get_json_schema(fn)


def _standard(schema: Any) -> Any:
    """``schema`` with ``nullable: true`` turned into JSON Schema's ``null`` type (recursively)."""
    if isinstance(schema, list):
        return [_standard(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _standard(v) for k, v in schema.items() if not (k == "nullable" and isinstance(v, bool))}
    if schema.get("nullable") is True and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _where(path: Any) -> str:
    parts = list(path)
    if not parts:
        return "the arguments"
    name = str(parts[0])
    return name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts[1:])


def _type_name(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(
        type(value), type(value).__name__
    )


def _shape(schema: dict[str, Any]) -> str:
    """A schema in a few words: ``integer``, ``array of string``, ``null``, ``one of ['a', 'b']``."""
    if "enum" in schema:
        return f"one of {schema['enum']}"
    kind = schema.get("type", "any value")
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_shape(schema['items'])}"
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _sentence(error: Any, properties: dict[str, Any]) -> str:
    kind, where, got = error.validator, _where(error.absolute_path), error.instance
    if kind == "required":
        missing = [name for name in error.validator_value if name not in (got or {})]
        return f"expected argument {missing[0]!r}, got none"
    if kind == "additionalProperties" and not error.absolute_path:
        extra = sorted(set(got) - set(properties))
        return f"expected one of {sorted(properties)} as argument, got {extra[0]!r}"
    if kind == "type":
        return f"expected {where} of type {error.validator_value}, got {_type_name(got)} {got!r:.80}"
    if kind == "enum":
        return f"expected {where} in {error.validator_value}, got {got!r:.80}"
    if kind in ("anyOf", "oneOf"):
        options = ", ".join(_shape(option) for option in error.validator_value)
        return f"expected {where} to be one of: {options}; got {_type_name(got)} {got!r:.80}"
    return f"expected {where} to satisfy {kind}={error.validator_value!r:.60}, got {got!r:.80}"


def check_arguments(schema: dict[str, Any], arguments: dict[str, Any]) -> list[str]:
    """Check call arguments against a tool schema.

    Args:
        schema: A tool schema as from :func:`tool_schema`.
        arguments: The parsed call arguments.

    Returns:
        Problems as "expected X, got Y" sentences, most basic first; empty when the call is valid.
    """
    from jsonschema import Draft202012Validator

    params = _standard(schema["function"]["parameters"])
    params.setdefault("additionalProperties", False)
    validator = Draft202012Validator(params)
    errors = sorted(
        validator.iter_errors(arguments),
        key=lambda e: (e.validator not in ("required", "additionalProperties"), list(map(str, e.absolute_path))),
    )
    return [_sentence(e, params.get("properties", {})) for e in errors]


def error_text(e: BaseException) -> str:
    """What the model is told about a tool's exception: a ValueError's own sentence, else its type and text."""
    if isinstance(e, ValueError) and str(e):
        return str(e)
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def jsonable(value: Any) -> Any:
    """A tool result as sent to the model and written to JSON (strings stay strings)."""
    if isinstance(value, str):
        return value
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def _shrink(value: Any, keep: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= keep else value[:keep] + f"... [{len(value) - keep} characters cut]"
    if isinstance(value, list):
        items = [_shrink(v, keep) for v in value[: max(3, keep // 20)]]
        return items + ([f"... [{len(value) - len(items)} more]"] if len(value) > len(items) else [])
    if isinstance(value, dict):
        return {k: _shrink(v, keep) for k, v in value.items()}
    return value


def cap_response(value: Any, limit: int = TOOL_RESPONSE_CHARS) -> Any:
    """``value`` cut down (long strings and lists shortened, saying so) until its JSON fits ``limit`` characters."""
    size = len(json.dumps(value, ensure_ascii=False))
    if size <= limit:
        return value
    for keep in (1000, 300, 100, 30):
        small = _shrink(value, keep)
        if len(json.dumps(small, ensure_ascii=False)) <= limit:
            return small
    text = json.dumps(value, ensure_ascii=False)
    return text[: limit - 40] + f"... [{size - limit + 40} characters cut]"


def run_tool(fn: Callable[..., Any], schema: dict[str, Any], arguments: dict[str, Any]) -> tuple[Any, str | None]:
    """Check the arguments, call the tool; returns (JSON result, capped, None) or (None, the error sentence)."""
    problems = check_arguments(schema, arguments)
    if problems:
        return None, "; ".join(problems)
    try:
        return cap_response(jsonable(fn(**arguments))), None
    except Exception as e:  # noqa: BLE001 - a tool failure of any kind is data for the model
        return None, cap_response(error_text(e))


def response(value: Any, error: str | None) -> Any:
    """The tool message content for a call's outcome."""
    return {ERROR_KEY: error} if error is not None else value
