"""The renderer's refusals ("expected X, got Y") and its Google-style output, table-driven."""

from __future__ import annotations

import ast
import re

import pytest

from toolsmith.docstring.render import checked, placeholder, render
from toolsmith.docstring.source import facts_of

SOURCE = """
def parse(text, *args, sep=",", **kwargs):
    if not text:
        raise ValueError("empty")
    return text.split(sep)


def report(items):
    print(items)


def numbers(n):
    yield from range(n)
"""
TREE = ast.parse(SOURCE)
GOOD = {
    "summary": "Split the text.",
    "args": {"text": "The text.", "*args": "Unused.", "sep": "The separator.", "**kwargs": "Unused."},
    "returns": "The parts.",
    "raises": {"ValueError": "The text is empty."},
}

REFUSALS = [
    # name, symbol, overrides, error
    (
        "not a parameter",
        "parse",
        {"args": {**GOOD["args"], "delim": "x"}},
        "expected args names of `parse` (text, *args, sep, **kwargs), got 'delim'",
    ),
    (
        "a parameter missing",
        "parse",
        {"args": {"text": "The text."}},
        "expected a description for every one of args (text, *args, sep, **kwargs), got none for *args",
    ),
    (
        "returns for nothing",
        "report",
        {"args": {"items": "What to print."}, "returns": "Nothing.", "raises": {}},
        "expected no `returns`: `report` returns nothing, got 'Nothing.'",
    ),
    ("returns missing", "parse", {"returns": ""}, "expected `returns` (what `parse` returns), got none"),
    (
        "yields missing",
        "numbers",
        {"args": {"n": "How many."}, "returns": "", "raises": {}},
        "expected `yields` (what `numbers` yields), got none",
    ),
    (
        "raises not raised",
        "parse",
        {"raises": {"ValueError": "Empty.", "KeyError": "Never."}},
        "expected raises names of `parse` (ValueError), got 'KeyError'",
    ),
    (
        "raises missing",
        "parse",
        {"raises": {}},
        "expected a description for every one of raises (ValueError), got none for ValueError",
    ),
    ("TODO", "parse", {"summary": "TODO"}, "expected real words for the summary, got a placeholder ('TODO')"),
    (
        "_description_",
        "parse",
        {"args": {**GOOD["args"], "sep": "_description_"}},
        "expected real words for args['sep'], got a placeholder ('_description_')",
    ),
    (
        "the word description",
        "parse",
        {"returns": "description"},
        "expected real words for `returns`, got a placeholder ('description')",
    ),
    (
        "_type_",
        "parse",
        {"returns": "_type_: the parts"},
        "expected real words for `returns`, got a placeholder ('_type_')",
    ),
    (
        "empty description",
        "parse",
        {"args": {**GOOD["args"], "text": "  "}},
        "expected real words for args['text'], got an empty text",
    ),
    ("empty summary", "parse", {"summary": ""}, "expected real words for the summary, got an empty text"),
    ("not a string", "parse", {"summary": 3}, "expected the summary as a string, got int 3"),
    ("args not an object", "parse", {"args": ["text"]}, "expected args as an object (name -> description), got list"),
    (
        "triple quotes",
        "parse",
        {"summary": 'Say """hi"""'},
        "expected the summary without triple quotes or control characters",
    ),
]


@pytest.mark.parametrize(("name", "symbol", "overrides", "error"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(name: str, symbol: str, overrides: dict, error: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(error)):
        checked(facts_of(TREE, symbol), **{**GOOD, **overrides})


def test_render_google_layout_in_signature_order() -> None:
    facts = facts_of(TREE, "parse")
    given = {**GOOD, "args": {"**kwargs": "Unused.", "sep": "The separator.", "args": "Unused.", "text": "The text."}}
    parts = checked(
        facts,
        summary="split the text",
        details="More words here.",
        **{k: v for k, v in given.items() if k != "summary"},
    )
    assert parts.summary == "Split the text."  # capitalized, period added (ruff D403/D415)
    assert render(parts, facts) == [
        "Split the text.",
        "",
        "More words here.",
        "",
        "Args:",
        "    text: The text.",
        "    *args: Unused.",  # 'args' given without its star: the tool adds it
        "    sep: The separator.",
        "    **kwargs: Unused.",
        "",
        "Returns:",
        "    The parts.",
        "",
        "Raises:",
        "    ValueError: The text is empty.",
    ]


def test_render_wraps_prose_and_keeps_lists() -> None:
    facts = facts_of(TREE, "report")
    text = "Things to print: " + "word " * 30 + "\n\nOne of:\n- a list\n- of lines"
    lines = render(checked(facts, "Print them.", args={"items": text}), facts, indent=4)
    assert all(len(line) <= 84 for line in lines)
    assert lines[3].startswith("    items: Things to print: word") and lines[4].startswith("        word")
    assert lines[-4:] == ["", "        One of:", "        - a list", "        - of lines"]


def test_one_line_when_only_a_summary() -> None:
    facts = facts_of(ast.parse("def f():\n    pass\n"), "f")
    assert render(checked(facts, "Do nothing"), facts) == ["Do nothing."]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("TODO: write", "TODO"),
        ("_summary_", "_summary_"),
        ("[description]", "[description]"),
        ("", "empty"),
        ("Description.", "Description."),
        ("The description of the list.", None),
        ("Todos are listed.", None),
        ("key (_type_): _description_", "_type_"),
        ("Set the mocks of `set_type_adapter_mocks`.", None),  # inside a name: no placeholder
        ("Reads my_summary_text.", None),
    ],
)
def test_placeholder(text: str, found: str | None) -> None:
    assert placeholder(text) == found
