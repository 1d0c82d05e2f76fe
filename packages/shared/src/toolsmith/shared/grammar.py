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
from collections.abc import Callable, Mapping
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


def forced_text(schemas: list[dict[str, Any]], text: str) -> str:
    """The text every call :func:`call_grammar` accepts must write next after ``text`` (``""`` when it has a choice).

    What no model needs to choose: the call's opening, the rest of a tool name, key or enum member once its start
    names only one, the ``:`` and the ``<escape>`` opening a string value, the ``,`` when a required key is still to
    come, the end of the call after its last key. A decoder may append it without asking the model (jump-forward
    decoding): under the grammar the model could only have written the same text. Inside numbers, arrays and
    objects nothing is forced.

    Args:
        schemas: The agent's tool schemas (those given to :func:`call_grammar`).
        text: The output so far (control tokens as text), a prefix of a call the grammar accepts.
    """
    tools = {s.get("function", s)["name"]: s.get("function", s).get("parameters") or {} for s in schemas}
    out = ""
    while step := _forced_step(tools, text + out):
        out += step
    return out


_CALL_OPENING = START_FUNCTION_CALL + "call:"
_CALL_END = END_FUNCTION_CALL + START_FUNCTION_RESPONSE


def split_tails(schemas: list[dict[str, Any]], tokenize: Callable[[str], list[int]]) -> frozenset[str]:
    """The texts without a control token :func:`forced_text` may end with (``call:`` before a tool name, ``,``
    before a key) that ``tokenize`` splits off every text the grammar allows after them.

    A decoder that appends forced text ending in plain text leaves the model to go on after it; that is as in
    training only if the tokenizer would have split the text there too (``,`` and ``provider`` are two tokens, not
    one ``,provider``). Value openings (``{``, ``[``) are never in the set: what follows them is free.
    """
    tools = [s.get("function", s) for s in schemas]
    keys = {k for fn in tools for k in (fn.get("parameters") or {}).get("properties", {})}
    nexts = {"call:": [fn["name"] + "{" for fn in tools], ",": [k + ":" for k in keys]}
    split = set()
    for tail, after in nexts.items():
        ids = tokenize(tail)
        if all(tokenize(tail + a)[: len(ids)] == ids for a in after):
            split.add(tail)
    return frozenset(split)


def _forced_step(tools: dict[str, dict[str, Any]], text: str) -> str:
    """One run of forced text after ``text``; ``tools``: each tool's parameters schema by name."""
    if len(text) < len(_CALL_OPENING):
        return _CALL_OPENING[len(text) :] if _CALL_OPENING.startswith(text) else ""
    if not text.startswith(_CALL_OPENING) or text.endswith(_CALL_END):
        return ""
    name, brace, body = text[len(_CALL_OPENING) :].partition("{")
    if not brace:
        names = [n for n in tools if n.startswith(name)]
        return names[0][len(name) :] + "{" if len(names) == 1 else ""
    if name not in tools:
        return ""
    at = _scan(body)
    if at is None:
        return ""
    if at.closed:
        return _CALL_END if body.endswith("}") else ""
    props, required = tools[name].get("properties", {}), set(tools[name].get("required", []))
    keys = sorted(props)
    rest = keys[keys.index(at.key) + 1 :] if at.key in props else ([] if at.key else keys)
    if at.reading_key:
        if not rest and not at.partial and at.key is None:
            return "}" + _CALL_END  # a tool without arguments
        if at.key is None and not at.partial and not required & set(rest):
            return ""  # only optional keys: the call may also end here
        chosen = [k for k in _next_keys(rest, required) if k.startswith(at.partial)]
        return chosen[0][len(at.partial) :] + ":" + _value_opening(props[chosen[0]]) if len(chosen) == 1 else ""
    if at.in_string:
        members = _enum_members(props.get(at.key, {})) if at.value.startswith(ESCAPE) else []
        written = at.value[len(ESCAPE) :]
        chosen = [m for m in members if m.startswith(written)]
        return chosen[0][len(written) :] + ESCAPE if len(chosen) == 1 else ""
    if not at.value_complete:
        return ""
    if not rest:
        return "}" + _CALL_END
    return "," if required & set(rest) else ""


def _enum_members(schema: Mapping[str, Any]) -> list[str]:
    """The members a string value of ``schema`` must be one of (none when any string would do, as under an
    ``anyOf``, where :func:`call_grammar` leaves the string free)."""
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    if "anyOf" in schema or "oneOf" in schema or "string" not in kinds:
        return []
    return [str(m) for m in schema.get("enum", []) if m is not None]


def _next_keys(keys: list[str], required: set[str]) -> list[str]:
    """The keys that may be written next, from those after the last one written (sorted): up to the first required
    one (the ones before it are optional)."""
    out = []
    for k in keys:
        out.append(k)
        if k in required:
            break
    return out


def _value_opening(schema: Mapping[str, Any]) -> str:
    """What a value of ``schema`` must start with, when only one kind of value is allowed."""
    kind = schema.get("type")
    if not isinstance(kind, str) or schema.get("nullable") or "anyOf" in schema or "oneOf" in schema:
        return ""
    return {"string": ESCAPE, "array": "[", "object": "{"}.get(kind, "")


@dataclass
class _Body:
    """Where a call's argument text stands (:func:`_scan`)."""

    key: str | None = None  # the last key written with its ``:``
    reading_key: bool = True  # a key is being written (after ``{`` or a top-level ``,``)
    partial: str = ""  # what of it is written
    value: str = ""  # the value of ``key`` so far
    in_string: bool = False
    value_complete: bool = False  # the value is a whole string, array, object, true, false or null
    closed: bool = False  # the call's own ``}`` is written


def _scan(body: str) -> _Body | None:
    """Scan a call's argument text (after the tool name's ``{``); None for text the template would not write."""
    at = _Body()
    depth = i = 0
    while i < len(body):
        if at.closed:
            return None
        if body.startswith(ESCAPE, i):
            if at.reading_key:
                return None
            at.in_string = not at.in_string
            at.value += ESCAPE
            at.value_complete = depth == 0 and not at.in_string
            i += len(ESCAPE)
            continue
        ch = body[i]
        i += 1
        if at.in_string:
            at.value += ch
        elif at.reading_key:
            if ch == ":":
                at.key, at.reading_key, at.partial, at.value, at.value_complete = at.partial, False, "", "", False
            elif ch == "}" and not at.partial and at.key is None:
                at.closed = True
            else:
                at.partial += ch
        elif depth == 0 and ch == ",":
            at.reading_key = True
        elif depth == 0 and ch == "}":
            at.closed = True
        else:
            at.value += ch
            depth += (ch in "[{") - (ch in "]}")
            at.value_complete = depth == 0 and (ch in "]}" or at.value in ("true", "false", "null"))
    return at


class _Unfit(ValueError):
    """The text is no prefix of a call the grammar accepts."""


def closing_text(schemas: list[dict[str, Any]], text: str) -> str | None:
    """The shortest ending that makes ``text`` a whole call :func:`call_grammar` accepts, or None when ``text`` is no
    prefix of one.

    An open string is closed (an enum member finished first), a number given a digit where it needs one, a
    ``true``/``false``/``null`` finished, each required key still to come written with its smallest value
    (:func:`smallest_value`), the open arrays and objects closed, then the call's end. A decoder whose budget runs out
    inside a call appends it, so the output is still one well-formed call (whose values may be cut short).
    """
    tools = {fn["name"]: fn.get("parameters") or {} for fn in (s.get("function", s) for s in schemas)}
    if len(text) < len(_CALL_OPENING):
        if not _CALL_OPENING.startswith(text):
            return None
        name = next(iter(tools))
        return _CALL_OPENING[len(text) :] + name + "{" + _required_after(tools[name], -1) + "}" + _CALL_END
    if not text.startswith(_CALL_OPENING):
        return None
    name, brace, body = text[len(_CALL_OPENING) :].partition("{")
    if not brace:
        names = [n for n in tools if n.startswith(name)]
        if not names:
            return None
        return names[0][len(name) :] + "{" + _required_after(tools[names[0]], -1) + "}" + _CALL_END
    if name not in tools:
        return None
    scan = _Closer(body)
    try:
        end, closing = scan.members(tools[name], 0)
        if closing is not None:
            return closing + _CALL_END
        tail = body[end:]
        if not _CALL_END.startswith(tail):
            raise _Unfit(f"expected the call's end after its arguments, got {tail!r}")
        return _CALL_END[len(tail) :]
    except _Unfit:
        return None


def smallest_value(schema: Mapping[str, Any]) -> str:
    """The shortest value the grammar accepts for ``schema`` (``null`` where it may be null; else the shortest of its
    ``anyOf``/``oneOf`` alternatives, the shortest enum member), e.g. ``<escape><escape>``, ``0``, ``[]``."""
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if schema.get("nullable") or "null" in types:
        return "null"
    if schema.get("anyOf") or schema.get("oneOf"):  # the shortest alternative (an enum beside the anyOf: a member)
        alternatives = ({k: v for k, v in o.items() if k not in ("anyOf", "oneOf")} for o in _options(schema))
        return min((smallest_value(o) for o in alternatives), key=len)
    kind = next((t for t in types if t != "null"), "string")
    if kind == "string":
        members = [str(m) for m in schema.get("enum", []) if m is not None]
        return ESCAPE + (min(members, key=len) if members else "") + ESCAPE
    if kind in ("integer", "number"):
        return "0"
    if kind == "boolean":
        return "false"
    if kind == "array":
        return "[]"
    return "{" + _required_after(schema, -1) + "}" if schema.get("properties") else "{}"


def _required_after(schema: Mapping[str, Any], last: int) -> str:
    """The required keys after the ``last``-th key (sorted order; -1: none written) with their smallest values, each
    after a ``,`` but the first when none was written."""
    props, required = schema.get("properties", {}), set(schema.get("required", []))
    pairs = [f"{k}:{smallest_value(props[k])}" for k in sorted(props)[last + 1 :] if k in required]
    return ("," if last >= 0 and pairs else "") + ",".join(pairs)


_NUMBER_PREFIX = re.compile(r"-?[0-9]*(\.[0-9]*)?([eE][-+]?[0-9]*)?")
_LITERALS = ("true", "false", "null")


class _Closer:
    """A scan of a call's argument text that says, where the text ends inside a value, how to end it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def value(self, schema: Mapping[str, Any], i: int) -> tuple[int, str | None]:
        """``(end, None)`` for a whole value of ``schema`` at ``i``; ``(len, closing)`` when the text ends in it."""
        t = self.text
        if i == len(t):
            return i, smallest_value(schema)
        options = _options(schema)
        if t.startswith(ESCAPE, i):
            strings = [s for s in options if s.get("type") == "string"]
            for s in strings:
                try:
                    return self.string(s, i)
                except _Unfit:
                    continue
            raise _Unfit(f"expected a string of {schema}, got {t[i:]!r}")
        if t[i] in "-0123456789":
            return self.number(i)
        if t[i] in "tfn":
            return self.literal(i)
        if t[i] == "[":
            items = next((s.get("items", {}) for s in options if s.get("type") == "array"), {})
            return self.array(items, i)
        if t[i] == "{":
            obj = next((s for s in options if s.get("type") == "object"), {})
            return self.members(obj, i + 1) if obj.get("properties") else self.free(obj, i + 1)
        raise _Unfit(f"expected a value, got {t[i:]!r}")

    def string(self, schema: Mapping[str, Any], i: int) -> tuple[int, str | None]:
        t, start = self.text, i + len(ESCAPE)
        end = t.find(ESCAPE, start)
        members = [str(m) for m in schema.get("enum", []) if m is not None]
        written = t[start:] if end < 0 else t[start:end]
        fits = [m for m in members if (m.startswith(written) if end < 0 else m == written)]
        if members and not fits and not schema.get("loose"):
            raise _Unfit(f"expected one of {members}, got {written!r}")
        if end >= 0:
            return end + len(ESCAPE), None
        return len(t), (min(fits, key=len)[len(written) :] if fits else "") + ESCAPE

    def number(self, i: int) -> tuple[int, str | None]:
        t = self.text
        end = _NUMBER_PREFIX.match(t, i).end()  # type: ignore[union-attr]  # the pattern matches the empty text
        if end < len(t):
            return end, None
        return end, "0" if t[i:end][-1:] in ("-", ".", "e", "E", "+", "") else ""

    def literal(self, i: int) -> tuple[int, str | None]:
        t = self.text
        for word in _LITERALS:
            if t.startswith(word, i):
                return i + len(word), None
            if word.startswith(t[i:]):
                return len(t), word[len(t) - i :]
        raise _Unfit(f"expected true, false or null, got {t[i:]!r}")

    def array(self, items: Mapping[str, Any], i: int) -> tuple[int, str | None]:
        t, k = self.text, i + 1
        if k == len(t):
            return k, "]"
        if t[k] == "]":
            return k + 1, None
        while True:
            end, closing = self.value(items, k)
            if (done := self._item_end(end, closing, "]")) is not None:
                return done
            k = end + 1
            if k == len(t):
                return k, smallest_value(items) + "]"

    def members(self, schema: Mapping[str, Any], k: int) -> tuple[int, str | None]:
        """The keys of an object with declared properties (or a call's), after its ``{``, up to its ``}``."""
        t = self.text
        props, required = schema.get("properties", {}), set(schema.get("required", []))
        names, last = sorted(props), -1
        if k == len(t):
            return k, _required_after(schema, -1) + "}"
        if t[k] == "}" and not required:
            return k + 1, None
        while True:
            colon = t.find(":", k)
            if colon < 0:  # the text ends in a key
                partial = t[k:]
                keys = [n for n in _next_keys(names[last + 1 :], required) if n.startswith(partial)]
                if not keys:
                    raise _Unfit(f"expected a key of {names[last + 1 :]}, got {partial!r}")
                endings = [
                    key[len(partial) :] + ":" + smallest_value(props[key]) + _after(schema, names.index(key))
                    for key in keys
                ]
                return len(t), min(endings, key=len)
            key = t[k:colon]
            if key not in names[last + 1 :]:
                raise _Unfit(f"expected a key of {names[last + 1 :]}, got {key!r}")
            last = names.index(key)
            end, closing = self.value(props[key], colon + 1)
            if closing is not None:
                return end, closing + _after(schema, last)
            if end == len(t):
                return end, _after(schema, last)
            if t[end] == "}":
                return end + 1, None
            if t[end] != ",":
                raise _Unfit(f"expected , or }} after {key!r}, got {t[end:]!r}")
            k = end + 1
            if k == len(t):
                rest = _required_after(schema, last).lstrip(",")
                if not rest:  # a comma the grammar allows only before another key: the first optional one
                    if last + 1 >= len(names):
                        raise _Unfit("expected no , after the last key")
                    following = names[last + 1]
                    rest = f"{following}:{smallest_value(props[following])}" + _required_after(schema, last + 1)
                return k, rest + "}"

    def free(self, schema: Mapping[str, Any], k: int) -> tuple[int, str | None]:
        """The entries of a free-form object, after its ``{``, up to its ``}``."""
        t = self.text
        extra = schema.get("additionalProperties")
        values = extra if isinstance(extra, dict) else {}
        if k == len(t):
            return k, "}"
        if t[k] == "}":
            return k + 1, None
        while True:
            colon = t.find(":", k)
            if colon < 0:  # the text ends in a key (stars, then a letter or _, then more)
                partial = t[k:]
                name = "" if partial.lstrip("*") else "k"
                return len(t), name + ":" + smallest_value(values) + "}"
            end, closing = self.value(values, colon + 1)
            if (done := self._item_end(end, closing, "}")) is not None:
                return done
            k = end + 1
            if k == len(t):
                return k, "k:" + smallest_value(values) + "}"

    def _item_end(self, end: int, closing: str | None, close: str) -> tuple[int, str | None] | None:
        """After an array item's or a free object entry's value (``end``, ``closing`` from :meth:`value`): the result
        when the text ends there or the ``close`` bracket follows; None when a ``,`` follows."""
        t = self.text
        if closing is not None:
            return end, closing + close
        if end == len(t):
            return end, close
        if t[end] == close:
            return end + 1, None
        if t[end] != ",":
            raise _Unfit(f"expected , or {close} after a value, got {t[end:]!r}")
        return None


def _after(schema: Mapping[str, Any], last: int) -> str:
    """What ends an object whose ``last``-th key (sorted order) has its value: the required keys after it, ``}``."""
    return _required_after(schema, last) + "}"


def _options(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The schema's alternatives as single-type schemas (``anyOf``/``oneOf`` members, then each of its types)."""
    out: list[Mapping[str, Any]] = []
    for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
        # an enum beside the anyOf (transformers writes a docstring's choices there) does not bind the grammar's
        # string, but an ending had best finish one of its members
        loose = {"enum": schema["enum"], "loose": True} if "enum" in schema and "enum" not in sub else {}
        out += [{**o, **loose} if o.get("type") == "string" else o for o in _options(sub)]
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if not types and not out:
        types = ["string", "number", "boolean"]
    out += [{**schema, "type": t} for t in types if t != "null"]
    return out
