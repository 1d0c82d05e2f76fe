"""Write a docstring from its parts: check them against the code, render the template, edit the file."""

from __future__ import annotations

from toolsmith.docstring.edit import set_docstring
from toolsmith.docstring.parts import Parts, layout, parts_of
from toolsmith.docstring.render import checked, render
from toolsmith.docstring.source import facts_of, find, parse


def write_text(
    text: str,
    symbol: str,
    summary: object,
    args: object = None,
    returns: object = "",
    raises: object = None,
    yields: object = "",
    details: object = "",
) -> str:
    """``text`` with the docstring of ``symbol`` rendered from the parts (``write_docstring``'s work).

    A part left out (empty, or a name missing from ``args``/``raises``) keeps the old docstring's text where the
    code still needs it: an argument's description for a parameter, ``Returns`` for a function that returns...
    Sections of the old docstring that the parts do not cover (``Examples``, ``Note``...) are kept.

    Args:
        text: The module's source.
        symbol: ``name`` or ``Class.method``.
        summary: One-line summary.
        args: Parameter name -> description.
        returns: What is returned.
        raises: Exception name -> when.
        yields: What is yielded.
        details: Paragraphs after the summary.

    Returns:
        The new source.

    Raises:
        ValueError: A part is wrong for the code ("expected X, got Y"), or the file/symbol is.
    """
    tree = parse(text)
    facts = facts_of(tree, symbol)
    old = parts_of(facts.docstring) if facts.docstring else Parts("")
    args = _merged(args, old.args, facts.names)
    raises = _merged(raises, old.raises, list(facts.raises))
    returns = returns or (old.returns if facts.returns else returns)
    yields = yields or (old.yields if facts.yields else yields)
    details = details or old.details
    parts = checked(facts, summary, details, args, returns, yields, raises)
    node, _ = find(tree, symbol)
    line = text.splitlines()[node.body[0].lineno - 1].expandtabs(4)
    kept = layout(facts.docstring).kept() if facts.docstring else []
    return set_docstring(text, symbol, render(parts, facts, kept, indent=len(line) - len(line.lstrip())))


def _merged(given: object, old: dict[str, str], names: list[str]) -> object:
    """``given`` (name -> description) with the old descriptions of ``names`` it leaves out or leaves empty."""
    if given is not None and not isinstance(given, dict):
        return given  # checked() refuses it with its own message
    out = dict(given or {})
    for name in names:
        if not out.get(name) and old.get(name):
            out[name] = old[name]
    return out or given


def write_parts(text: str, symbol: str, parts: Parts) -> str:
    """``text`` with ``parts`` written as the docstring of ``symbol`` (see :func:`write_text`)."""
    return write_text(text, symbol, parts.summary, parts.args, parts.returns, parts.raises, parts.yields, parts.details)
