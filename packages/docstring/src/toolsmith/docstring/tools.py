"""The docstring agent's tools: inspect, write (template + libcst edit), check (pydoclint + ruff), submit.

Tools are plain typed functions on :func:`toolsmith.shared.sandbox.current` (its target file and the
symbol the run is limited to). The tools guarantee the format, the facts and the placement; the model
writes the words and copies names from the last response. The tools also say when the work is done:
``submit_result`` is refused while the symbol has no docstring or the checkers report a problem, and when its
numbers are not the last check's.
"""

from __future__ import annotations

import ast
from typing import Any

from toolsmith.docstring.checkers import check
from toolsmith.docstring.inspection import complete, inspect_text
from toolsmith.docstring.parts import Parts, change_summary, parts_of
from toolsmith.docstring.source import facts_of, find, parse
from toolsmith.docstring.write import write_text
from toolsmith.shared.sandbox import Sandbox, current


def _target() -> tuple[Sandbox, str]:
    box = current()
    if not box.symbol:
        raise ValueError("expected a run limited to one function, method or class (path.py::name), got a whole file")
    return box, box.symbol


def inspect_function() -> dict:
    """Inspect the function (or method, or class) to document.

    Returns:
        Its signature, parameter names, whether it returns or yields a value, the exceptions it raises,
        its current docstring in parts, its code without the docstring, and the checkers' problems.
    """
    box, symbol = _target()
    return inspect_text(box.read(), symbol, box.rel_target)


def write_docstring(
    summary: str,
    args: dict[str, str] | None = None,
    returns: str = "",
    raises: dict[str, str] | None = None,
    yields: str = "",
    details: str = "",
) -> dict:
    """Write the docstring (Google style) over the current one; a part left out keeps its current text.

    Args:
        summary: One sentence saying what it does.
        args: Each parameter name (as listed in params) -> its description.
        returns: What it returns; empty when it returns nothing.
        raises: Each exception it raises -> when it is raised.
        yields: What it yields, for a generator; empty otherwise.
        details: More explanation after the summary; empty for none.

    Returns:
        The documented symbol, the sections written, and the next step.
    """
    box, symbol = _target()
    new = write_text(box.read(), symbol, summary, args, returns, raises, yields, details)
    box.write(new)
    doc = ast.get_docstring(find(ast.parse(new), symbol)[0]) or ""
    sections = [
        t for t, given in (("Args", args), ("Returns", returns), ("Yields", yields), ("Raises", raises)) if given
    ]
    return {"written": symbol, "sections": sections, "lines": len(doc.splitlines()), "next": "check_docstrings"}


def check_docstrings() -> dict:
    """Run the docstring checkers (pydoclint and ruff's pydocstyle rules) on the function.

    Returns:
        The problems found, their count, the parameter names now documented, and the next step.
    """
    box, symbol = _target()
    text = box.read()
    problems = check(text, symbol, box.rel_target)
    doc = facts_of(parse(text), symbol).docstring
    documented = list(parts_of(doc).args) if doc else []
    result: dict[str, Any] = {
        "problems": [p.compact() for p in problems[:6]],
        "count": len(problems),
        "documented": documented,
        "next": "submit_result" if not problems else "write_docstring",
    }
    return result


def submit_result(documented: list[str], remaining_problems: int, summary: str = "") -> dict:
    """Submit the result and end the task.

    Args:
        documented: The parameter names now documented (documented from the last check).
        remaining_problems: The number of problems left (count from the last check).
        summary: One sentence on what was documented or fixed; left out, the tool writes it from the change.

    Returns:
        Whether the result was accepted, and the summary.
    """
    if isinstance(remaining_problems, bool) or not isinstance(remaining_problems, int) or remaining_problems < 0:
        raise ValueError(f"expected remaining_problems to be a whole number >= 0, got {remaining_problems!r}")
    if not isinstance(documented, list) or not all(isinstance(d, str) for d in documented):
        raise ValueError(f"expected documented to be a list of parameter names, got {documented!r}")
    if not isinstance(summary, str):
        raise ValueError(f"expected a one-sentence summary, got {summary!r}")
    box, symbol = _target()
    text = box.read()
    problems = check(text, symbol, box.rel_target)
    facts = facts_of(parse(text), symbol)
    if not complete(facts, problems):  # the tools, not the model, say when it is done
        first = problems[0].compact() if problems else f"no docstring on `{symbol}`"
        raise ValueError(
            f"expected a docstring the checkers pass before submitting, got {len(problems)} problem(s): {first}; "
            "call write_docstring"
        )
    names = list(parts_of(facts.docstring).args) if facts.docstring else []
    if sorted(documented) != sorted(names):
        raise ValueError(f"expected documented to be the documented parameter names {names}, got {documented}")
    if remaining_problems:
        raise ValueError(f"expected remaining_problems 0 (the checkers found none), got {remaining_problems}")
    return {"accepted": True, "summary": summary.strip() or _change(box, symbol, facts.docstring)}


def _change(box: Sandbox, symbol: str, docstring: str | None) -> str:
    """What the run changed in the symbol's docstring, in one sentence (:func:`change_summary`)."""
    after = parts_of(docstring) if docstring else Parts("")
    original = box.original()
    try:
        old = facts_of(parse(original), symbol).docstring if original is not None else None
        before = parts_of(old) if old else None
    except ValueError:  # the author's docstring was no Google style (or the symbol was not there): rewritten
        return f"Rewrote the docstring of `{symbol}`."
    return change_summary(symbol, before, after)


TOOLS = (inspect_function, write_docstring, check_docstrings, submit_result)
