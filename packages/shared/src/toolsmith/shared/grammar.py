"""Constrained decoding: a llama.cpp GBNF grammar of one FunctionGemma call to a declared tool.

Built from the agent's tool schemas, in the exact syntax the template renders and the parser reads
(``docs/format.md``): ``<start_function_call>call:NAME{key:value,...}<end_function_call><start_function_response>``.
Only declared tool names; each tool's keys in the template's (sorted) order, required ones always, optional ones
maybe; values of the declared JSON type: ``<escape>``-wrapped strings (enum members only, where the schema has an
enum), integers, numbers, ``true``/``false``, ``null`` where the schema allows it, arrays and objects of the
declared items and properties (free-form objects get plain keys). Control tokens are matched by id (``<[id]>``),
so a control-token string can never be mistaken for one. Strings, arrays and free objects are bounded, so every
output the grammar accepts ends: with ``max_tokens`` above the bound, a constrained call always parses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toolsmith.shared.constants import END_FUNCTION_CALL, ESCAPE, START_FUNCTION_CALL, START_FUNCTION_RESPONSE


def _literal(text: str) -> str:
    """A GBNF string literal."""
    return json.dumps(text, ensure_ascii=False)


@dataclass
class _Builder:
    ids: Mapping[str, int]
    max_string_tokens: int
    max_items: int
    rules: dict[str, str] = field(default_factory=dict)

    def token(self, text: str) -> str:
        return f"<[{self.ids[text]}]>"

    def rule(self, body: str, hint: str = "r") -> str:
        name = f"{re.sub(r'[^a-zA-Z0-9]+', '-', hint).strip('-') or 'r'}-{len(self.rules)}"
        self.rules[name] = body
        return name

    def value(self, schema: Mapping[str, Any], hint: str) -> str:
        """The rule name of a value of ``schema``."""
        types = schema.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        alternatives = []
        if schema.get("nullable") or "null" in types:
            alternatives.append('"null"')
        for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
            alternatives.append(self.value(sub, hint))
        types = [t for t in types if t != "null"]
        if not types and not alternatives:
            types = ["string", "number", "boolean"]
        for t in types:
            alternatives.append(self.typed(t, schema, hint))
        return self.rule(" | ".join(dict.fromkeys(alternatives)), hint)

    def typed(self, kind: str, schema: Mapping[str, Any], hint: str) -> str:
        esc = self.token(ESCAPE)
        if kind == "string":
            if "enum" in schema:
                members = " | ".join(_literal(str(m)) for m in schema["enum"] if m is not None)
                return f"{esc} ({members}) {esc}"
            return f"{esc} (!{esc}){{0,{self.max_string_tokens}}} {esc}"
        digits = '"-"? ("0" | [1-9] [0-9]{0,14})'  # no leading zeros: the parser reads "07" as 0 and then junk
        if kind == "integer":
            return digits
        if kind == "number":
            return f'{digits} ("." [0-9]{{1,15}})? ([eE] [-+]? [0-9]{{1,3}})?'
        if kind == "boolean":
            return '"true" | "false"'
        if kind == "array":
            item = self.value(schema.get("items", {}), hint + "-item")
            return f'"[" ({item} ("," {item}){{0,{self.max_items - 1}}})? "]"'
        if kind == "object":
            if schema.get("properties"):
                return f'"{{" {self.members(schema, hint)} "}}"'
            extra = schema.get("additionalProperties")
            item = self.value(extra if isinstance(extra, dict) else {}, hint + "-value")
            key = '"*"{0,2} [A-Za-z_] [A-Za-z0-9_.-]{0,63}'  # what the parser reads as a key
            pair = self.rule(f'{key} ":" {item}', hint + "-pair")
            return f'"{{" ({pair} ("," {pair}){{0,{self.max_items - 1}}})? "}}"'
        raise ValueError(f"expected a JSON schema type, got {kind!r} in {hint}")

    def members(self, schema: Mapping[str, Any], hint: str) -> str:
        """Keys in sorted order (as the template renders them); required ones always, optional ones maybe."""
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        names = sorted(props)
        pairs = [f"{_literal(n + ':')} {self.value(props[n], f'{hint}-{n}')}" for n in names]
        first, rest = "", ""  # rules for "the keys from i on", without / with a leading comma
        for i in range(len(names) - 1, -1, -1):
            tail = f" {rest}" if rest else ""
            with_i_first = f"{pairs[i]}{tail}"
            with_i_rest = f'"," {pairs[i]}{tail}'
            if names[i] in required:
                first_body, rest_body = with_i_first, with_i_rest
            else:
                # an empty alternative goes first: after a trailing "|" llama.cpp reads on into the next line
                first_body = f"{with_i_first} | {first}" if first else f"| {with_i_first}"
                rest_body = f"{with_i_rest} | {rest}" if rest else f"| {with_i_rest}"
            first = self.rule(first_body, f"{hint}-from-{names[i]}")
            rest = self.rule(rest_body, f"{hint}-more-{names[i]}")
        return first or '""'


def call_grammar(
    schemas: list[dict[str, Any]], token_ids: Mapping[str, int], *, max_string_tokens: int = 160, max_items: int = 16
) -> str:
    """The GBNF grammar of one call to any of ``schemas`` (as from ``tool_schema``), then the stop token.

    Args:
        schemas: The agent's tool schemas.
        token_ids: Id of each control token in the model (``GGUFModel.control_ids``).
        max_string_tokens: Most tokens inside one string value.
        max_items: Most items of one array, or entries of one free-form object.

    Returns:
        GBNF text whose ``root`` rule is the call.
    """
    if not schemas:
        raise ValueError("expected at least one tool schema, got none")
    b = _Builder(token_ids, max_string_tokens, max_items)
    tools = []
    for s in schemas:
        fn = s.get("function", s)
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        body = f'{_literal(fn["name"] + "{")} {b.members(params, fn["name"])} "}}"'
        tools.append(b.rule(body, fn["name"]))
    call = (
        f'{b.token(START_FUNCTION_CALL)} "call:" ({" | ".join(tools)}) '
        f"{b.token(END_FUNCTION_CALL)} {b.token(START_FUNCTION_RESPONSE)}"
    )
    return "\n".join([f"root ::= {call}", *(f"{name} ::= {body}" for name, body in b.rules.items())]) + "\n"
