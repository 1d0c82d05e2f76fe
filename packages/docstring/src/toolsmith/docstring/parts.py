"""A Google-style docstring as the parts the agent writes, parsed with ``docstring_parser``.

The agent writes five parts: the summary line, the details (the paragraphs after it), one description
per argument, the Returns or Yields description, and one description per raised exception. Any other
section (``Examples``, ``Note``, ``Attributes``...) is not the agent's: it is kept verbatim. A type the
author put in the docstring (``x (int): ...``, ``Returns: int: ...``) is not part of the words: the
signature holds types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docstring_parser import DocstringStyle, ParseError
from docstring_parser import parse as parse_docstring
from docstring_parser.common import DocstringParam, DocstringRaises, DocstringReturns

# Section titles whose content is rendered from the parts (Google style, with napoleon's aliases).
ARGS_TITLES = frozenset({"Args", "Arguments", "Parameters", "Params"})
RETURNS_TITLES = frozenset({"Returns", "Return"})
YIELDS_TITLES = frozenset({"Yields", "Yield"})
RAISES_TITLES = frozenset({"Raises", "Raise", "Exceptions", "Except"})
WRITTEN_TITLES = ARGS_TITLES | RETURNS_TITLES | YIELDS_TITLES | RAISES_TITLES
# Other Google section titles (napoleon's list): kept verbatim when a docstring is rewritten.
KEPT_TITLES = frozenset(
    {
        "Attention",
        "Attributes",
        "Caution",
        "Danger",
        "Error",
        "Example",
        "Examples",
        "Hint",
        "Important",
        "Keyword Args",
        "Keyword Arguments",
        "Methods",
        "Note",
        "Notes",
        "Other Parameters",
        "References",
        "See Also",
        "Tip",
        "Todo",
        "Warning",
        "Warnings",
        "Warns",
    }
)
_HEADER = re.compile(r"([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)?):\s*")
_TYPE = re.compile(r"[\w.`~:|()*]+")


@dataclass(frozen=True)
class Parts:
    """The words of a docstring.

    Attributes:
        summary: The one-line summary.
        details: The paragraphs between the summary and the sections ("" if none).
        args: Argument name -> description, in the docstring's order.
        returns: The Returns description ("" if none).
        yields: The Yields description ("" if none).
        raises: Exception name -> description, in the docstring's order.
    """

    summary: str
    details: str = ""
    args: dict[str, str] = field(default_factory=dict)
    returns: str = ""
    yields: str = ""
    raises: dict[str, str] = field(default_factory=dict)

    def words(self) -> str:
        """All the written text in one string (for similarity), argument and exception descriptions by name, so
        the order they were given in (or a JSON file's sorted keys) does not matter."""
        args = [v for _, v in sorted(self.args.items())]
        raises = [v for _, v in sorted(self.raises.items())]
        chunks = [self.summary, self.details, *args, self.returns, self.yields, *raises]
        return "\n".join(c for c in chunks if c)


@dataclass(frozen=True)
class Layout:
    """A cleaned docstring cut into its blocks.

    Attributes:
        preamble: The lines before the first section (summary and details).
        sections: ``(title, lines)`` per section in order; ``lines`` are the header and its body.
    """

    preamble: list[str]
    sections: list[tuple[str, list[str]]]

    def text(self, titles: frozenset[str]) -> str:
        """The preamble and the sections whose title is in ``titles``."""
        lines = list(self.preamble)
        for title, block in self.sections:
            if title in titles:
                lines += ["", *block]
        return "\n".join(lines).strip("\n")

    def kept(self) -> list[str]:
        """The lines of the sections the agent does not write (blank lines between sections kept)."""
        out: list[str] = []
        for title, block in self.sections:
            if title not in WRITTEN_TITLES:
                out += ([""] if out else []) + block
        return out


def layout(docstring: str) -> Layout:
    """Cut a cleaned docstring (``ast.get_docstring``) into preamble and sections.

    A section starts at an unindented ``Title:`` line whose title is a Google section title and runs
    until the next one; blank lines at the end of a block are dropped.
    """
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in docstring.splitlines():
        m = _HEADER.fullmatch(line)
        if m and m.group(1) in WRITTEN_TITLES | KEPT_TITLES:
            sections.append((m.group(1), [line.rstrip()]))
        elif sections:
            sections[-1][1].append(line.rstrip())
        else:
            preamble.append(line.rstrip())
    for _, block in sections:
        while block and not block[-1]:
            block.pop()
    while preamble and not preamble[-1]:
        preamble.pop()
    return Layout(preamble, sections)


def _untyped(type_name: str | None, description: str | None) -> str:
    """A Returns/Yields description without the author's type (``int: The sum.`` -> ``The sum.``)."""
    description = (description or "").strip()
    if not type_name:
        return description
    bare = re.sub(r"\[.*\]", "", type_name)
    bare = re.sub(r"\s*(?:\||,|\bor\b)\s*", "|", bare).strip()
    if _TYPE.fullmatch(bare):
        return description
    return f"{type_name}: {description}".strip()  # the parser took the words before a colon for a type


def parts_of(docstring: str) -> Parts:
    """The parts of a cleaned Google-style docstring.

    Args:
        docstring: The docstring as ``ast.get_docstring`` returns it.

    Returns:
        Its parts (other sections are left out: see :meth:`Layout.kept`).

    Raises:
        ValueError: ``docstring_parser`` cannot parse it.
    """
    text = layout(docstring).text(WRITTEN_TITLES)
    try:
        doc = parse_docstring(text, DocstringStyle.GOOGLE)
    except ParseError as e:
        raise ValueError(f"expected a Google-style docstring, got one that does not parse: {e}") from None
    args: dict[str, str] = {}
    raises: dict[str, str] = {}
    returns = yields = ""
    for meta in doc.meta:
        if isinstance(meta, DocstringParam) and meta.args[0] == "param":
            args[meta.arg_name] = (meta.description or "").strip()
        elif isinstance(meta, DocstringRaises):
            raises[meta.type_name or ""] = (meta.description or "").strip()
        elif isinstance(meta, DocstringReturns):  # the fork's DocstringYields is a DocstringReturns too
            words = _untyped(meta.type_name, meta.description)
            if meta.is_generator or meta.args[0] == "yields":
                yields = words
            else:
                returns = words
    return Parts(
        summary=(doc.short_description or "").strip(),
        details=(doc.long_description or "").strip(),
        args=args,
        returns=returns,
        yields=yields,
        raises=raises,
    )


def change_summary(symbol: str, before: Parts | None, after: Parts) -> str:
    """One sentence on what a run changed in a docstring, for the report.

    Args:
        symbol: The documented function, method or class.
        before: The docstring's parts before the run (None: it had none).
        after: Its parts now.

    Returns:
        ``Added a docstring to `f`.``, ``Fixed the docstring of `f`: documented `x`, added Returns.``, and so on.
    """
    if before == after:
        return f"The docstring of `{symbol}` is already complete."
    if before is None or not before.summary:
        return f"Added a docstring to `{symbol}`."
    changes = [f"documented `{a}`" for a, text in after.args.items() if text and not before.args.get(a)]
    changes += [f"removed `{a}`" for a in before.args if a not in after.args]
    for key, title in (("returns", "Returns"), ("yields", "Yields"), ("raises", "Raises")):
        if getattr(after, key) and not getattr(before, key):
            changes.append(f"added {title}")
    if not changes:
        return f"Rewrote the docstring of `{symbol}`."
    return f"Fixed the docstring of `{symbol}`: " + ", ".join(changes) + "."
