"""Static analysis of a target function (inspect_function's content) and the module layout, table-driven."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolsmith.test.analysis import analyze
from toolsmith.test.layout import ModulePath, module_path, output_file

SOURCE = '''import re


def grade(score: int, curve=0, *, strict: bool = False) -> str:
    """Letter grade for a score.

    >>> grade(95)
    'A'
    >>> grade(50, curve=5)
    'F'
    >>> len("not a call of grade")
    19
    >>> print(grade(85, strict=True))
    F
    """
    if score < 0 or score > 100:
        raise ValueError("score out of range")
    score += curve
    if score >= 90:
        return "A"
    elif score >= 80 and not strict:
        return "B"
    for bonus in (1, 2):
        if score + bonus == 80:
            return "B-"
    while score > 70:
        score -= 5
    match curve:
        case 3:
            return "C+"
    label = "pass" if score > 60 else "fail"

    def helper(x):
        if x:
            return 1
        return 0

    return "F" if label == "fail" else "D"


def plain(a, b=-1.5):
    return a
'''


@pytest.fixture(scope="module")
def info():
    return analyze(SOURCE, "grade", "grades.py")


def test_signature_params_doc_examples(info) -> None:
    assert info.signature == "grade(score: int, curve=0, *, strict: bool=False) -> str"
    assert [(p.name, p.kind, p.annotation, p.default) for p in info.params] == [
        ("score", "plain", "int", None),
        ("curve", "plain", None, "0"),
        ("strict", "keyword", "bool", "False"),
    ]
    assert info.doc == "Letter grade for a score."
    # only the doctest examples that call the function
    assert [(e.arguments, e.want) for e in info.examples] == [
        ("95", "'A'"),
        ("50, curve=5", "'F'"),
        ("85, strict=True", "F"),  # print(grade(...)) counts: the call inside
    ]
    assert info.raises == ("ValueError",)
    assert (info.start, info.end) == (4, 38)


BRANCHES = [
    # line, kind, condition (as written), true arc, false arc, literals
    (16, "if", "score < 0 or score > 100", (16, 17), (16, 18), ("0", "100")),
    (19, "if", "score >= 90", (19, 20), (19, 21), ("90",)),
    (21, "elif", "score >= 80 and not strict", (21, 22), (21, 23), ("80",)),
    (23, "for", "bonus in (1, 2)", (23, 24), (23, 26), ("1", "2")),
    (24, "if", "score + bonus == 80", (24, 25), (24, 23), ("80",)),  # false: back to the loop
    (26, "while", "score > 70", (26, 27), (26, 28), ("70",)),
    (29, "case", "3", (29, 30), (29, 31), ("3",)),
]


def test_branches_are_coverages_own(info) -> None:
    # the ternaries, `or`/`and` and the nested helper's `if` are not branches of grade for coverage.py
    got = [(b.line, b.kind, b.condition, b.true_arc, b.false_arc, b.literals) for b in info.branches]
    assert got == BRANCHES
    assert len(info.arcs) == 2 * len(BRANCHES)


def test_literals_types_and_describe(info) -> None:
    # compared against in conditions (the ternaries' too), in line order; the loop's tuple is not compared
    assert info.literals == ("0", "100", "90", "80", "70", "3", "60", "'fail'")
    assert info.types == ()
    assert info.describe_arcs({(19, 20), (16, 18), (101, 102)}) == [
        "line 16 if score < 0 or score > 100: false",
        "line 19 if score >= 90: true",
    ]


def test_compact_is_small_and_complete(info) -> None:
    c = info.compact()
    assert set(c) == {"signature", "doc", "examples", "branches", "literals", "raises"}
    assert c["examples"] == ["grade(95) -> 'A'", "grade(50, curve=5) -> 'F'", "grade(85, strict=True) -> F"]
    assert c["branches"][0] == "line 16 if score < 0 or score > 100"
    assert len(json.dumps(c)) < 700


@pytest.mark.parametrize(
    ("source", "name", "message"),
    [
        ("def f(:\n", "f", "expected t.py to be valid Python, got a syntax error at line 1"),
        ("def g(): pass\n", "f", "expected a top-level function `f` in the file, got only ['g']"),
        ("class f: pass\n", "f", "expected a plain top-level function `f`, got a class"),
        ("async def f(): pass\n", "f", "expected a plain top-level function `f`, got an async function"),
        ("class C:\n    def m(self): pass\n", "C.m", "methods are not supported"),
    ],
)
def test_analyze_errors(source: str, name: str, message: str) -> None:
    with pytest.raises(ValueError, match="expected") as e:
        analyze(source, name, "t.py")
    assert message in str(e.value)


def test_function_without_branches() -> None:
    info = analyze(SOURCE, "plain")
    assert info.branches == () and info.arcs == frozenset() and info.compact()["branches"] == []
    assert info.params[1].default == "-1.5" and len(info.statements) == 1


@pytest.mark.parametrize(
    ("files", "rel", "expected"),
    [
        (["mod.py"], "mod.py", ModulePath("", "mod")),
        (["src/pkg/__init__.py", "src/pkg/mod.py"], "src/pkg/mod.py", ModulePath("src", "pkg.mod")),
        (["src/pkg/__init__.py", "src/pkg/sub/__init__.py", "src/pkg/sub/m.py"], "src/pkg/sub/m.py",
         ModulePath("src", "pkg.sub.m")),
        (["scripts/tool.py"], "scripts/tool.py", ModulePath("scripts", "tool")),
        (["pkg/__init__.py"], "pkg/__init__.py", ModulePath("", "pkg")),
    ],
)  # fmt: skip
def test_module_path(tmp_path: Path, files: list[str], rel: str, expected: ModulePath) -> None:
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("", encoding="utf-8")
    assert module_path(tmp_path, rel) == expected


@pytest.mark.parametrize("rel", ["mod.txt", "../x.py", "my-mod.py", "class.py"])
def test_module_path_refuses(tmp_path: Path, rel: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        module_path(tmp_path, rel)


def test_output_file() -> None:
    assert output_file("src/pkg/mod.py", "clamp") == "tests/test_mod_clamp.py"
