"""Parse FunctionGemma model output back into function calls.

The grammar (``docs/format.md``): ``<start_function_call>call:NAME{k:v,...}<end_function_call>``
where a value is ``<escape>any text<escape>``, a bare number, ``true``/``false``/``null``, a nested
``{...}`` object or a ``[...]`` array. Keys are bare (or escaped). Several calls may follow each other;
anything between them is kept as text. The parser never raises: problems come back as
:class:`ParseError` values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from toolsmith.shared.constants import (
    END_FUNCTION_CALL,
    END_OF_TURN,
    EOS,
    ESCAPE,
    START_FUNCTION_CALL,
    START_FUNCTION_RESPONSE,
)

ErrorKind = Literal["bad_name", "bad_value", "unterminated", "trailing"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_CALL_PREFIX = "call:"


@dataclass(frozen=True)
class FunctionCall:
    """One parsed call."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ParseError:
    """A problem found while parsing; ``position`` is a character offset in the input."""

    kind: ErrorKind
    message: str
    position: int


@dataclass(frozen=True)
class Parsed:
    """Everything read from one model output."""

    calls: tuple[FunctionCall, ...] = ()
    errors: tuple[ParseError, ...] = ()
    text: str = ""
    raw: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """True when at least one call was read and nothing failed."""
        return bool(self.calls) and not self.errors


class _Fail(Exception):
    def __init__(self, kind: ErrorKind, message: str, position: int) -> None:
        super().__init__(message)
        self.error = ParseError(kind, message, position)


class _Reader:
    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def fail(self, kind: ErrorKind, message: str) -> _Fail:
        if self.pos >= len(self.text):  # output cut off (max tokens, stop token inside a call)
            kind = "unterminated"
        return _Fail(kind, message, self.pos)

    def expect(self, literal: str) -> None:
        if not self.text.startswith(literal, self.pos):
            got = self.text[self.pos : self.pos + len(literal) + 10]
            raise self.fail("bad_value", f"expected {literal!r}, got {got!r}")
        self.pos += len(literal)

    def value(self, depth: int = 0) -> Any:
        if depth > 64:
            raise self.fail("bad_value", "expected nesting depth <= 64, got deeper")
        t, p = self.text, self.pos
        if t.startswith(ESCAPE, p):
            end = t.find(ESCAPE, p + len(ESCAPE))
            if end < 0:
                raise self.fail("unterminated", "expected a closing <escape>, got end of text")
            self.pos = end + len(ESCAPE)
            return t[p + len(ESCAPE) : end]
        if t.startswith("{", p):
            return self.obj(depth)
        if t.startswith("[", p):
            self.pos += 1
            items: list[Any] = []
            if t.startswith("]", self.pos):
                self.pos += 1
                return items
            while True:
                items.append(self.value(depth + 1))
                if t.startswith(",", self.pos):
                    self.pos += 1
                elif t.startswith("]", self.pos):
                    self.pos += 1
                    return items
                else:
                    raise self.fail("bad_value", f"expected ',' or ']' in array, got {t[self.pos : self.pos + 10]!r}")
        for word, val in (("true", True), ("false", False), ("null", None)):
            if t.startswith(word, p) and not _KEY.match(t, p + len(word)):
                self.pos += len(word)
                return val
        m = _NUMBER.match(t, p)
        if m and not _KEY.match(t, m.end()):
            self.pos = m.end()
            s = m.group()
            return float(s) if any(c in s for c in ".eE") else int(s)
        raise self.fail(
            "bad_value",
            "expected a value (<escape>string<escape>, number, true/false/null, {...}, [...]), "
            f"got {t[p : p + 20]!r}",
        )

    def obj(self, depth: int = 0) -> dict[str, Any]:
        t = self.text
        self.expect("{")
        out: dict[str, Any] = {}
        if t.startswith("}", self.pos):
            self.pos += 1
            return out
        while True:
            if t.startswith(ESCAPE, self.pos):
                key = self.value(depth + 1)
            else:
                m = _KEY.match(t, self.pos)
                if not m:
                    raise self.fail("bad_value", f"expected a key, got {t[self.pos : self.pos + 10]!r}")
                key = m.group()
                self.pos = m.end()
            self.expect(":")
            out[key] = self.value(depth + 1)
            if t.startswith(",", self.pos):
                self.pos += 1
            elif t.startswith("}", self.pos):
                self.pos += 1
                return out
            else:
                raise self.fail("bad_value", f"expected ',' or '}}' in object, got {t[self.pos : self.pos + 10]!r}")


def parse_value(text: str) -> Any:
    """Parse one complete value (as written inside calls and responses).

    Raises:
        ValueError: With "expected X, got Y" when ``text`` is not exactly one value.
    """
    r = _Reader(text, 0)
    try:
        v = r.value()
    except _Fail as f:
        raise ValueError(f.error.message) from None
    if r.pos != len(text):
        raise ValueError(f"expected end of value, got {text[r.pos : r.pos + 20]!r}")
    return v


def parse_output(text: str) -> Parsed:
    """Read every call in ``text``; never raises.

    Args:
        text: Model output, detokenized WITH special tokens.

    Returns:
        The calls, the errors, and the remaining text (outside calls, control tokens removed).
    """
    calls: list[FunctionCall] = []
    errors: list[ParseError] = []
    rest: list[str] = []
    pos = 0
    while True:
        start = text.find(START_FUNCTION_CALL, pos)
        if start < 0:
            rest.append(text[pos:])
            break
        rest.append(text[pos:start])
        r = _Reader(text, start + len(START_FUNCTION_CALL))
        end = text.find(END_FUNCTION_CALL, r.pos)
        try:
            if not text.startswith(_CALL_PREFIX, r.pos):
                raise r.fail("bad_name", f"expected 'call:NAME{{...}}', got {text[r.pos : r.pos + 20]!r}")
            r.pos += len(_CALL_PREFIX)
            m = _NAME.match(text, r.pos)
            if not m:
                raise r.fail("bad_name", f"expected a function name, got {text[r.pos : r.pos + 20]!r}")
            r.pos = m.end()
            args = r.obj()
            if not text.startswith(END_FUNCTION_CALL, r.pos):
                kind: ErrorKind = "unterminated" if end < 0 else "trailing"
                raise r.fail(kind, f"expected {END_FUNCTION_CALL}, got {text[r.pos : r.pos + 20]!r}")
            calls.append(FunctionCall(m.group(), args))
            pos = r.pos + len(END_FUNCTION_CALL)
        except _Fail as f:
            errors.append(f.error)
            if end < 0:
                break
            pos = end + len(END_FUNCTION_CALL)
    remaining = "".join(rest)
    for tok in (START_FUNCTION_RESPONSE, END_OF_TURN, EOS, END_FUNCTION_CALL):
        remaining = remaining.replace(tok, "")
    return Parsed(calls=tuple(calls), errors=tuple(errors), text=remaining.strip(), raw=text)
