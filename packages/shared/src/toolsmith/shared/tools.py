"""Tools are plain typed Python functions with Google docstrings; schemas come from transformers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def tool_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """The JSON schema of ``fn`` (``transformers.utils.get_json_schema``)."""
    from transformers.utils import get_json_schema

    return get_json_schema(fn)


def _type_ok(value: Any, type_: str | list[str]) -> bool:
    types = [type_] if isinstance(type_, str) else list(type_)
    for t in types:
        py = _JSON_TYPES.get(t)
        if py is None:
            return True
        if isinstance(value, bool) and t in ("integer", "number"):
            continue
        if isinstance(value, py):
            return True
    return False


def check_arguments(schema: dict[str, Any], arguments: dict[str, Any]) -> list[str]:
    """Check call arguments against a tool schema.

    Args:
        schema: A tool schema as from :func:`tool_schema`.
        arguments: The parsed call arguments.

    Returns:
        Problems as "expected X, got Y" sentences; empty when the call is valid.
    """
    params = schema["function"]["parameters"]
    props: dict[str, Any] = params.get("properties", {})
    problems = []
    for name in params.get("required", []):
        if name not in arguments:
            problems.append(f"expected argument {name!r}, got none")
    for name, value in arguments.items():
        spec = props.get(name)
        if spec is None:
            problems.append(f"expected one of {sorted(props)} as argument, got {name!r}")
            continue
        if "type" in spec and not _type_ok(value, spec["type"]):
            problems.append(f"expected {name} of type {spec['type']}, got {type(value).__name__} {value!r}")
        elif "enum" in spec and value not in spec["enum"]:
            problems.append(f"expected {name} in {spec['enum']}, got {value!r}")
    return problems
