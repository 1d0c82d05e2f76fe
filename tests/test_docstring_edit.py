"""The libcst docstring editor and the writer, on real files: only the docstring changes, byte for byte."""

from __future__ import annotations

import ast
import difflib

import pytest

from toolsmith.docstring.checkers import check
from toolsmith.docstring.edit import remove_docstring, set_docstring
from toolsmith.docstring.source import find
from toolsmith.docstring.write import write_text

DOC = ["Add one.", "", "Args:", "    x: The number."]


def changed_lines(before: str, after: str) -> list[str]:
    """The lines of ``before`` that the edit removed (``-``) and the lines it added (``+``)."""
    diff = difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True))
    return [d for d in diff if d[:1] in "+-"]


CASES = [
    # name, source, symbol, expected output
    (
        "insert below a def with comments kept",
        "import os  # why\n\n\ndef f(x):  # header\n    # first\n    return x + 1  # tail\n",
        "f",
        'import os  # why\n\n\ndef f(x):  # header\n    """Add one.\n\n    Args:\n        x: The number.\n    """\n'
        "    # first\n    return x + 1  # tail\n",
    ),
    (
        "replace a one-line docstring",
        "def f(x):\n    '''old'''\n    return x + 1\n",
        "f",
        'def f(x):\n    """Add one.\n\n    Args:\n        x: The number.\n    """\n    return x + 1\n',
    ),
    (
        "tabs stay tabs",
        "class A:\n\tdef f(self, x):\n\t\treturn x + 1\n",
        "A.f",
        'class A:\n\tdef f(self, x):\n\t\t"""Add one.\n\n\t\tArgs:\n\t\t    x: The number.\n\t\t"""\n'
        "\t\treturn x + 1\n",
    ),
    (
        "CRLF stays CRLF",
        "def f(x):\r\n    return x + 1\r\n",
        "f",
        'def f(x):\r\n    """Add one.\r\n\r\n    Args:\r\n        x: The number.\r\n    """\r\n    return x + 1\r\n',
    ),
    (
        "decorators and the nested function of the same name untouched",
        "@cache\n@other(1)\ndef f(x):\n    def f(y):\n        '''Inner.'''\n        return y\n    return f(x)\n",
        "f",
        '@cache\n@other(1)\ndef f(x):\n    """Add one.\n\n    Args:\n        x: The number.\n    """\n'
        "    def f(y):\n        '''Inner.'''\n        return y\n    return f(x)\n",
    ),
    (
        "one-line body becomes a block",
        "def f(x): return x + 1  # keep\n",
        "f",
        'def f(x):  # keep\n    """Add one.\n\n    Args:\n        x: The number.\n    """\n    return x + 1\n',
    ),
    (
        "overloads: the last definition is the one",
        "@overload\ndef f(x: int) -> int: ...\ndef f(x):\n    return x + 1\n",
        "f",
        "@overload\ndef f(x: int) -> int: ...\n"
        'def f(x):\n    """Add one.\n\n    Args:\n        x: The number.\n    """\n    return x + 1\n',
    ),
    (
        "docstring followed by a statement on its line",
        "def f(x):\n    'old'; y = x\n    return y + 1\n",
        "f",
        'def f(x):\n    """Add one.\n\n    Args:\n        x: The number.\n    """; y = x\n    return y + 1\n',
    ),
]


@pytest.mark.parametrize(("name", "source", "symbol", "expected"), CASES, ids=[c[0] for c in CASES])
def test_set_docstring(name: str, source: str, symbol: str, expected: str) -> None:
    out = set_docstring(source, symbol, DOC)
    assert out == expected
    assert ast.get_docstring(find(ast.parse(out), symbol)[0]) == "\n".join(DOC).replace("    x", "    x")


def test_raw_docstring_kept_and_needed() -> None:
    raw_before = 'def f(x):\n    r"""Old \\d."""\n    return x\n'
    assert set_docstring(raw_before, "f", ["New."]) == 'def f(x):\n    r"""New."""\n    return x\n'
    plain = "def f():\n    pass\n"
    out = set_docstring(plain, "f", ["Match \\d+ digits."])
    assert out == 'def f():\n    r"""Match \\d+ digits."""\n    pass\n'
    assert ast.get_docstring(ast.parse(out).body[0]) == "Match \\d+ digits."
    assert check(out, "f") == []  # ruff's D301 wants a raw string for backslashes


def test_only_docstring_lines_change_in_a_real_module() -> None:
    source = ast.__file__ and open(ast.__file__, encoding="utf-8").read()
    out = set_docstring(source, "NodeVisitor.generic_visit", ["Visit every child."])
    removed_added = changed_lines(source, out)
    assert removed_added == [
        '-         """Called if no explicit visitor function exists for a node."""\n',
        '+         """Visit every child."""\n',
    ]


@pytest.mark.parametrize(
    ("source", "symbol", "error"),
    [
        ("def f(:\n", "f", "expected the file to be valid Python, got a syntax error at line 1"),
        ("def f(x):\n    return x\n", "g", "expected a function or class `g` in the file, got none named `g`"),
        ("def f(x):\n    return x\n", "f.g", "expected `f` to be a class in `f.g`, got a function"),
        ("def f(x):\n    return x\n", "f x", "expected a symbol such as `name` or `Class.method`, got 'f x'"),
    ],
)
def test_set_docstring_errors(source: str, symbol: str, error: str) -> None:
    with pytest.raises(ValueError, match="^" + __import__("re").escape(error)):
        set_docstring(source, symbol, DOC)


def test_remove_docstring() -> None:
    assert remove_docstring("def f(x):\n    'Doc.'\n    return x\n", "f") == "def f(x):\n    return x\n"
    assert remove_docstring("def f(x):\n    'Doc.'\n", "f") == "def f(x):\n    ...\n"
    assert remove_docstring("def f(x):\n    return x\n", "f") == "def f(x):\n    return x\n"


def test_write_text_keeps_other_sections_and_wraps() -> None:
    source = (
        "def area(w, h):\n"
        '    """Old.\n\n    Args:\n        w: Old width.\n\n    Example:\n        >>> area(2, 3)\n        6\n    """\n'
        "    return w * h\n"
    )
    long = "The width of the rectangle, in the same unit as the height, which is also the unit of the result."
    out = write_text(source, "area", "compute the area", {"w": long, "h": "The height."}, returns="w times h")
    assert out == (
        "def area(w, h):\n"
        '    """Compute the area.\n\n'
        "    Args:\n"
        "        w: The width of the rectangle, in the same unit as the height, which is also the\n"
        "            unit of the result.\n"
        "        h: The height.\n\n"
        "    Returns:\n"
        "        w times h\n\n"
        "    Example:\n"
        "        >>> area(2, 3)\n"
        "        6\n"
        '    """\n'
        "    return w * h\n"
    )
    assert check(out, "area") == []


@pytest.mark.parametrize(
    ("source", "returns"),
    [
        ("class A:\n\tdef f(self, x):\n\t\treturn x + 1\n", "The sum."),
        ("class A:\r\n    def f(self, x):\r\n        return x + 1\r\n", "The sum."),
        ("class A:\n    @staticmethod\n    def f(x): return x + 1\n", "The sum."),
    ],
    ids=["tabs", "crlf", "one-line static method"],
)
def test_written_docstring_passes_the_checkers(source: str, returns: str) -> None:
    out = write_text(source, "A.f", "add one", {"x": "The number."}, returns=returns)
    assert check(out, "A.f") == []
    doc = "Add one.\n\nArgs:\n    x: The number." + ("\n\nReturns:\n    The sum." if returns else "")
    assert ast.get_docstring(find(ast.parse(out), "A.f")[0]) == doc
