"""The no-model baseline: a skeleton generator that fills the Google structure with placeholder text.

It does what deterministic docstring tools do (VS Code's autoDocstring template, pyment's patching):
the structure comes from the signature and the body, the words from a template. Words the current
docstring already has are kept where their names still match; everything else is ``_summary_``,
``_description_`` and ``(_type_)``. It fixes the structure; it cannot write words, so it fails the
placeholder rule whenever a word is missing.
"""

from __future__ import annotations

from pathlib import Path

from toolsmith.docstring.checkers import check
from toolsmith.docstring.edit import set_docstring
from toolsmith.docstring.parts import layout, parts_of
from toolsmith.docstring.source import definitions, facts_of, parse
from toolsmith.shared.sandbox import decode_source, encode_like

BASELINE = "docstring skeleton (autoDocstring/pyment-style placeholders)"
SUMMARY = "_summary_"
DESCRIPTION = "_description_"


def _item(head: str, words: str) -> list[str]:
    first, *rest = words.splitlines() or [""]
    return [f"    {head}: {first}", *(f"        {line}" if line else "" for line in rest)]


def skeleton(text: str, symbol: str) -> str:
    """``text`` with the docstring of ``symbol`` rebuilt as a skeleton (see the module docstring).

    Args:
        text: The module's source.
        symbol: ``name`` or ``Class.method``.

    Returns:
        The new source.
    """
    facts = facts_of(parse(text), symbol)
    try:
        old = parts_of(facts.docstring) if facts.docstring else None
    except ValueError:
        old = None
    lines = [old.summary if old and old.summary else SUMMARY]
    if old and old.details:
        lines += ["", *old.details.splitlines()]
    if facts.params:
        lines += ["", "Args:"]
        for p in facts.params:
            words = (old.args.get(p.name) if old else None) or DESCRIPTION
            lines += _item(f"{p.name} (_type_)", words)
    if facts.returns:
        lines += ["", "Returns:", *_item("_type_", (old.returns if old else "") or DESCRIPTION)]
    if facts.yields:
        lines += ["", "Yields:", *_item("_type_", (old.yields if old else "") or DESCRIPTION)]
    if facts.raises:
        lines += ["", "Raises:"]
        for r in facts.raises:
            lines += _item(r, (old.raises.get(r) if old else None) or DESCRIPTION)
    kept = layout(facts.docstring).kept() if facts.docstring else []
    if kept:
        lines += ["", *kept]
    return set_docstring(text, symbol, lines)


def baseline(root: Path, target: str, symbol: str | None) -> None:
    """Rebuild the docstring of ``symbol`` in ``root / target`` as a skeleton, in place (the file's encoding
    and newlines kept); without a symbol, every function, method and class the checkers report problems for.

    Args:
        root: The project copy.
        target: The target file, relative to ``root``.
        symbol: ``name`` or ``Class.method``, or None for the whole file.
    """
    path = root / target
    data = path.read_bytes()
    text = decode_source(data, target)
    if symbol:
        text = skeleton(text, symbol)
    else:
        for name in definitions(parse(text)):
            if check(text, name, path.name):
                text = skeleton(text, name)
    path.write_bytes(encode_like(text, data, target))
