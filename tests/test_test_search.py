"""The expert's search, the corpus filter and the ghostwriter baseline, on real child processes and pytest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from toolsmith.shared.constants import HELD_OUT_PACKAGES
from toolsmith.shared.corpus import Corpus
from toolsmith.test.actions import Project
from toolsmith.test.analysis import analyze, find_function
from toolsmith.test.corpus import PACKAGES, Function, cut, functions_of, probe
from toolsmith.test.dataset import CORPUS
from toolsmith.test.ghostwriter import baseline, ghostwrite
from toolsmith.test.search import candidates, search

MODULE = '''def classify(n: int, label="x"):
    """Say what n is.

    >>> classify(7)
    'big'
    """
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return "zero"
    if n > 5 and label == "y":
        return "big y"
    if n > 5:
        return "big"
    return "small"


def words(text, limit=3):
    out = []
    for w in text.split():
        if len(w) > limit:
            out.append(w.upper())
        elif w.startswith("#"):
            continue
        else:
            out.append(w)
    return out
'''


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    (root / "kinds.py").write_text(MODULE, encoding="utf-8")
    return root


def test_candidates_order() -> None:
    info = analyze(MODULE, "classify")
    got = candidates(info, find_function(ast.parse(MODULE), "classify"))
    assert got[0] == "7" and len(got) == len(set(got))  # the doctest call comes first, no repeats
    # the condition's literal and its boundaries (n < 0 -> -1, 0, 1; n > 5 -> 4, 5, 6) and the other parameter
    assert {"-1", "0", "1", "4", "5", "6", "7, 'y'"} <= set(got)
    assert candidates(info, find_function(ast.parse(MODULE), "classify")) == got  # deterministic


def test_search_reaches_every_branch(root: Path) -> None:
    r = search(Project(root, "kinds.py", "classify", "tests/test_kinds_classify.py"))
    assert r.coverage == 1.0 and r.missing == ()
    # the doctest call, then base calls (a generic seed for every parameter), then the conditions' literals
    assert [s.arguments for s in r.steps] == ["7", "1", "0", "-1", "7, 'y'"]
    assert r.steps[3].shown == {"raises": "ValueError: negative"}
    assert r.steps[4].new == ('line 11 if n > 5 and label == "y": true',)
    # every kept call reached something new
    assert all(s.new for s in r.steps)


def test_search_on_strings(root: Path) -> None:
    r = search(Project(root, "kinds.py", "words", "tests/test_kinds_words.py"))
    assert r.coverage == 1.0
    assert [s.arguments for s in r.steps] == ["'abc'", "'Hello World'", "'#'"]
    assert r.steps[1].shown == {"result": "['HELLO', 'WORLD']"}


LIBRARY = """import os
import re
from math import floor

_WORD = re.compile(r"[a-z]+")
LIMIT = 3


def _helper(s):
    return _WORD.findall(s)


def count_words(text, limit=LIMIT):
    words = _helper(text)
    if len(words) > limit:
        return limit
    return len(words)


def where(path):
    # three lines at least
    return os.path.abspath(path)


def shout(x):
    # three lines at least
    print(x)
    return x


@staticmethod
def decorated(x):
    # three lines at least
    return x


def _private(x):
    # three lines at least
    return x


def half(x):
    # three lines at least
    return floor(x / 2) if x else UNKNOWN
"""


def test_functions_of_a_module(tmp_path: Path) -> None:
    path = tmp_path / "lib.py"
    path.write_text(LIBRARY, encoding="utf-8")
    found, skipped = functions_of("demo", "demo.lib", path)
    assert [f.name for f in found] == ["count_words", "_private"]  # private functions are targets too
    assert skipped == {"uses os": 1, "uses print": 1, "decorated": 1, "reads module names": 1, "size": 1}
    assert cut("demo", "demo.lib", path, "count_words") == found[0]
    assert cut("demo", "demo.lib", path, "where") == "uses os"
    assert cut("demo", "demo.lib", path, "LIMIT") == "not a plain top-level function"
    text = found[0].text
    # the import, the constants and the helper it reads come along, in file order
    assert text.startswith('import re\n\n\n_WORD = re.compile(r"[a-z]+")\n\n\nLIMIT = 3\n\n\ndef _helper(s):')
    assert "import os" not in text and found[0].filename == "demo_lib.py"
    ast.parse(text)
    p = probe(found[0])
    assert p.usable and p.result is not None and p.result.coverage == 1.0


def test_probe_refuses_what_cannot_be_pinned() -> None:
    fn = Function(
        "demo", "demo.obj", "make", "demo_obj.py", "class Box:\n    pass\n\n\ndef make(n):\n    return Box()\n"
    )
    p = probe(fn)
    assert (p.usable, p.reason) == (False, "no call could be pinned")


def test_packages_have_licences_and_none_is_held_out() -> None:
    assert not {d.lower() for d in PACKAGES} & set(HELD_OUT_PACKAGES)
    assert [p.name for p in CORPUS.sources()][1:] == ["boltons", "inflection", "more-itertools", "pydash", "toolz"]
    assert all(p.licence != "unknown" for p in CORPUS.sources())
    with pytest.raises(ValueError, match="expected a package that is not held out, got 'humanize'"):
        Corpus(packages=("humanize",))


TYPED = """def clip(x: int, top: int = 10) -> int:
    if x > top:
        return top
    return x
"""


def test_ghostwriter_baseline(tmp_path: Path) -> None:
    (tmp_path / "nums.py").write_text(TYPED, encoding="utf-8")
    g = ghostwrite(tmp_path, "nums.py", "clip")
    assert g.error == "" and g.test_rel == "tests/test_nums_clip.py"
    text = (tmp_path / g.test_rel).read_text(encoding="utf-8")
    assert "@given(" in text and "nums.clip(" in text
    assert g.run is not None and g.run.ok
    assert g.run.coverage is not None and g.run.coverage.percent == 100


def test_ghostwriter_reports_a_failure(tmp_path: Path) -> None:
    (tmp_path / "nums.py").write_text(TYPED, encoding="utf-8")
    g = ghostwrite(tmp_path, "nums.py", "nothing")
    assert g.test_rel == "" and g.run is None and g.error.startswith("expected a test file from the ghostwriter")


def test_baseline_writes_the_agents_test_file(tmp_path: Path) -> None:
    (tmp_path / "nums.py").write_text(TYPED, encoding="utf-8")
    baseline(tmp_path, "nums.py", "clip")
    assert "@given(" in (tmp_path / "tests" / "test_nums_clip.py").read_text(encoding="utf-8")
    with pytest.raises(RuntimeError, match="expected a test file from the ghostwriter"):
        baseline(tmp_path, "nums.py", "nothing")
