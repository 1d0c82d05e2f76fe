"""Google-style docstring text from the parts the model writes, after checking them against the code.

The template guarantees the format: the summary on the first line (a period added, the first word
capitalized, as ruff's D415/D403 want), the details, then ``Args`` (in signature order), ``Returns``,
``Yields``, ``Raises`` and the sections kept from the old docstring, a blank line between blocks,
descriptions wrapped at :data:`WIDTH` columns (lists and examples kept line by line). The parts are
refused with "expected X, got Y" when a name is not a parameter (or a parameter has none), when a
section disagrees with the code (see :mod:`toolsmith.docstring.source`) or when text is a placeholder.
"""

from __future__ import annotations

import re
import textwrap

from toolsmith.docstring.parts import Parts
from toolsmith.docstring.source import Facts

WIDTH = 88  # a docstring line's length, its indentation included
MIN_WIDTH = 40  # text is never wrapped narrower than this, however deep the indentation
# Placeholder text as docstring generators (autoDocstring, pyment, IDE templates) leave it; _type_ only as a word of
# its own (set_type_adapter_mocks names a function)
PLACEHOLDER = re.compile(
    r"\bTODO\b|\bFIXME\b|\bTBD\b|\bXXX\b|(?<![A-Za-z0-9_])_(?:type|summary|description)_(?![A-Za-z0-9_])"
    r"|\[description\]|\[summary\]"
    r"|<[^>\n]*description[^>\n]*>|^\s*(?:description|summary|desc|text|none|n/?a|\.\.\.|-)\s*\.?\s*$",
    re.IGNORECASE,
)
_VERBATIM = re.compile(r"\s|[-*+] |\d+[.)] |>>>|\.\. |\|")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def placeholder(text: str) -> str | None:
    """The placeholder in ``text`` (or "empty"), None when it is real words."""
    if not text.strip():
        return "empty"
    m = PLACEHOLDER.search(text)
    return m.group(0).strip() or text.strip() if m else None


def _words(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"expected {what} as a string, got {type(text).__name__} {text!r}")
    if '"""' in text or _CONTROL.search(text):
        raise ValueError(f"expected {what} without triple quotes or control characters, got {text!r}")
    lines = [line.rstrip() for line in textwrap.dedent(text.replace("\t", "    ")).strip("\n").splitlines()]
    text = "\n".join(lines).strip()
    found = placeholder(text)
    if found:
        got = f"a placeholder ({found!r})" if text else "an empty text"
        raise ValueError(f"expected real words for {what}, got {got}")
    return text


def _summary(text: object) -> str:
    summary = " ".join(_words(text, "the summary").split())
    first = summary.split(" ", 1)[0]
    if first.isalpha() and first[0].islower():  # ruff's D403 (it asks for "IPhone" too)
        summary = summary[0].upper() + summary[1:]
    if summary[-1] not in ".?!":
        summary += "."
    return summary


def _names(given: object, expected: list[str], what: str, symbol: str) -> dict[str, str]:
    """``given`` (name -> description) with names checked against ``expected`` (stars added when missing)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValueError(f"expected {what} as an object (name -> description), got {type(given).__name__}")
    shown = ", ".join(expected) or "none"
    out: dict[str, str] = {}
    for raw, text in given.items():
        name = str(raw).strip()
        if name not in expected:
            starred = [e for e in expected if e.lstrip("*") == name.lstrip("*")]
            if not starred:
                raise ValueError(f"expected {what} names of `{symbol}` ({shown}), got {raw!r}")
            name = starred[0]
        if name in out:
            raise ValueError(f"expected each of {what} once, got {name!r} twice")
        out[name] = _words(text, f"{what}[{name!r}]")
    missing = [e for e in expected if e not in out]
    if missing:
        raise ValueError(f"expected a description for every one of {what} ({shown}), got none for {missing[0]}")
    return out


def _section(text: object, needed: bool, allowed: bool, what: str, symbol: str, verb: str) -> str:
    text = "" if text is None else text
    if isinstance(text, str) and not text.strip():
        if needed:
            raise ValueError(f"expected `{what}` (what `{symbol}` {verb}), got none")
        return ""
    if not allowed:
        raise ValueError(f"expected no `{what}`: `{symbol}` {verb} nothing, got {text!r}")
    return _words(text, f"`{what}`")


def checked(
    facts: Facts,
    summary: object,
    details: object = "",
    args: object = None,
    returns: object = "",
    yields: object = "",
    raises: object = None,
) -> Parts:
    """The parts, normalized and checked against the code's facts.

    Args:
        facts: What the code says (parameters, returns, yields, raises).
        summary: The one-line summary.
        details: Paragraphs after the summary ("" for none).
        args: Parameter name -> description; every parameter, no other name.
        returns: What the function returns ("" when it returns nothing).
        yields: What the generator yields ("" when it does not yield).
        raises: Exception name -> when it is raised; every exception the body raises, no other.

    Returns:
        The parts as they will be rendered.

    Raises:
        ValueError: A part is wrong, as "expected X, got Y".
    """
    details = "" if details is None else details
    return Parts(
        summary=_summary(summary),
        details=_words(details, "the details") if isinstance(details, str) and details.strip() else "",
        args=_names(args, facts.names, "args", facts.symbol),
        returns=_section(returns, facts.returns, facts.returns_allowed, "returns", facts.symbol, "returns"),
        yields=_section(yields, facts.yields, facts.yields, "yields", facts.symbol, "yields"),
        raises=_names(raises, list(facts.raises), "raises", facts.symbol),
    )


def _fill(text: str, first: str, rest: str, width: int) -> list[str]:
    """``text`` wrapped to ``width``: prose paragraphs refilled, lists/examples kept line by line."""
    out: list[str] = []
    for i, para in enumerate(re.split(r"\n\s*\n", text)):
        lines = para.splitlines()
        if i:
            out.append("")
        lead = rest if out else first
        verbatim = any(_VERBATIM.match(line) for line in lines[1:]) or (i > 0 and _VERBATIM.match(lines[0]))
        if verbatim:
            out += [(lead if j == 0 else rest) + line for j, line in enumerate(lines)]
        else:
            out += textwrap.wrap(
                " ".join(para.split()),
                width=max(width, len(lead) + 20),
                initial_indent=lead,
                subsequent_indent=rest,
                break_long_words=False,
                break_on_hyphens=False,
            )
    return [line.rstrip() for line in out]


def render(parts: Parts, facts: Facts, kept: list[str] | None = None, indent: int = 4) -> list[str]:
    """The docstring's lines (no indentation, no quotes) from checked parts.

    Args:
        parts: Parts from :func:`checked`.
        facts: The code's facts (the order of the arguments).
        kept: Lines of the old docstring's other sections (``Examples``, ``Note``...), kept verbatim.
        indent: Columns of the docstring's indentation in the file (for wrapping).

    Returns:
        The lines; one line when there is only a summary.
    """
    width = max(MIN_WIDTH, WIDTH - indent)
    lines = [parts.summary]
    if parts.details:
        lines += ["", *_fill(parts.details, "", "", width)]
    if parts.args:
        lines += ["", "Args:"]
        for name in facts.names:
            lines += _fill(parts.args[name], f"    {name}: ", " " * 8, width)
    for title, text in (("Returns", parts.returns), ("Yields", parts.yields)):
        if text:
            lines += ["", f"{title}:", *_fill(text, " " * 4, " " * 4, width)]
    if parts.raises:
        lines += ["", "Raises:"]
        for name, text in parts.raises.items():
            lines += _fill(text, f"    {name}: ", " " * 8, width)
    if kept:
        lines += ["", *kept]
    return lines
