"""What ``inspect_function`` shows the model about one symbol, kept short (a 270M model, 4096 tokens).

The response holds what the model copies into ``write_docstring`` next: the parameter names, which
sections the code needs, the current docstring's parts aligned to the code (:func:`docstring_view`: a null
where words are missing, stale arguments apart), the code without its docstring (to write new words) and the
checkers' problems. ``next`` says ``submit_result`` when there is
nothing to do (a docstring the checkers pass), else ``write_docstring``.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from toolsmith.docstring.checkers import Problem, check
from toolsmith.docstring.parts import WRITTEN_TITLES, layout, parts_of
from toolsmith.docstring.source import Facts, facts_of, find, parse

CODE_CHARS = 1500  # the code shown, at most (cut at a line end)
MAX_PROBLEMS = 6  # problems listed, at most (``problem_count`` is the total)


def code_without_docstring(text: str, tree: ast.Module, facts: Facts) -> str:
    """The symbol's source (decorators included), dedented, without its docstring, cut to :data:`CODE_CHARS`."""
    node, _ = find(tree, facts.symbol)
    lines = text.splitlines()[facts.first_line - 1 : facts.end_lineno]
    if facts.docstring is not None:
        doc = node.body[0]
        lines = lines[: doc.lineno - facts.first_line] + lines[(doc.end_lineno or doc.lineno) - facts.first_line + 1 :]
    code = textwrap.dedent("\n".join(line.replace("\t", "    ") for line in lines))
    if len(code) <= CODE_CHARS:
        return code
    cut = code[:CODE_CHARS].rsplit("\n", 1)[0]
    return f"{cut}\n# ... {code.count(chr(10)) - cut.count(chr(10))} more lines"


def docstring_view(docstring: str | None, facts: Facts) -> dict[str, Any] | None:
    """The current docstring's parts aligned to the code, so that copying them is the right call but for the words
    still missing: ``args`` has each parameter in order (its description, null where none is written), ``raises``
    each exception the code raises, ``returns``/``yields`` where the code needs one (null where missing); argument
    descriptions under names that are not parameters (stale, or a parameter's old name) are in ``not_params``;
    ``kept`` names the sections the tools keep. No docstring: the same keys, all null (None for an ``__init__``
    its class documents). A docstring the parser cannot read is shown as its ``text``."""
    if docstring is None and facts.documented_by_class:
        return None
    try:
        parts = parts_of(docstring) if docstring is not None else None
    except ValueError:
        return {"text": docstring}
    args = parts.args if parts else {}
    raises = parts.raises if parts else {}
    view: dict[str, Any] = {"summary": parts.summary if parts else None}
    if parts and parts.details:
        view["details"] = parts.details
    if facts.names:
        view["args"] = {name: args.get(name) or None for name in facts.names}
    stale = {name: text for name, text in args.items() if name not in facts.names}
    if stale:
        view["not_params"] = stale
    for key, needed in (("returns", facts.returns), ("yields", facts.yields)):
        if needed:
            view[key] = (getattr(parts, key) if parts else "") or None
    if facts.raises:
        view["raises"] = {name: raises.get(name) or None for name in facts.raises}
    kept = [title for title, _ in layout(docstring).sections if title not in WRITTEN_TITLES] if docstring else []
    if kept:
        view["kept"] = kept
    return view


def complete(facts: Facts, problems: list[Problem]) -> bool:
    """Whether there is nothing to do: no problem, and a docstring (or an ``__init__`` its class documents)."""
    return not problems and (facts.docstring is not None or facts.documented_by_class)


def inspect_text(text: str, symbol: str, filename: str = "target.py") -> dict[str, Any]:
    """The ``inspect_function`` response for ``symbol`` in ``text``.

    Args:
        text: The module's source.
        symbol: ``name`` or ``Class.method``.
        filename: The name ruff sees.

    Returns:
        The compact view (see the module docstring).
    """
    tree = parse(text)
    facts = facts_of(tree, symbol)
    problems = check(text, symbol, filename)
    result: dict[str, Any] = {
        "symbol": symbol,
        "signature": facts.signature,
        "params": facts.names,
        "returns": facts.returns,
        "yields": facts.yields,
        "raises": list(facts.raises),
        "docstring": docstring_view(facts.docstring, facts),
        "code": code_without_docstring(text, tree, facts),
        "problems": [p.compact() for p in problems[:MAX_PROBLEMS]],
        "problem_count": len(problems),
        # a docstring the checkers pass is left as it is; a missing one is written even if no rule asks for it
        # (but for an __init__ its class documents)
        "next": "submit_result" if complete(facts, problems) else "write_docstring",
    }
    return result
