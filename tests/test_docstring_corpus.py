"""Case making: the corpus filter on a real module, the damages (deterministic, code still works), the baseline."""

from __future__ import annotations

import ast
import itertools
import random
import textwrap
from collections import Counter

import pytest

from toolsmith.docstring.baseline import skeleton
from toolsmith.docstring.checkers import check
from toolsmith.docstring.checks import judge
from toolsmith.docstring.corpus import DocstringCorpus, Entry, case_text, entries
from toolsmith.docstring.damage import DAMAGES, damage
from toolsmith.docstring.parts import parts_of
from toolsmith.shared.corpus import Snippet

MODULE = '''"""A module."""


def good(text: str, sep: str = ",") -> list[str]:
    """Split text on a separator.

    Args:
        text: The text to split.
        sep: Where to split it.

    Returns:
        The pieces, in order.

    Raises:
        ValueError: The separator is empty.
    """
    if not sep:
        raise ValueError("empty separator")
    return text.split(sep)


def formatting_only(a):
    """
    Double a number.

    Args:
        a: The number.

    Returns:
        Twice the number.
    """
    return a * 2


def summary_only(a):
    """Double a number."""
    return a * 2


def missing_arg(a, b):
    """Add two numbers.

    Args:
        a: The first.

    Returns:
        The sum.
    """
    return a + b


def placeholder(a):
    """Triple a number.

    Args:
        a: TODO

    Returns:
        Three times the number.
    """
    return a * 3


class Counter:
    def add(self, key, n=1):
        """Count a key.

        Args:
            key: What to count.
            n: By how much.
        """
        self.counts[key] = self.counts.get(key, 0) + n
'''


def snippets_of(text: str) -> list[Snippet]:
    """The kit's cut of a module: top-level functions and classes, and methods dedented."""
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            body = ast.get_source_segment(text, node) + "\n"
            out.append(Snippet("demo.mod", node.name, node.name, (), body, "demo"))
        if isinstance(node, ast.ClassDef):
            for m in node.body:
                body = textwrap.dedent(ast.get_source_segment(text, m, padded=True)) + "\n"
                out.append(Snippet("demo.mod", f"{node.name}.{m.name}", m.name, (), body, "demo"))
    return out


def test_entries_take_good_docstrings_only() -> None:
    got = entries(snippets_of(MODULE))
    taken = [(e.symbol, e.kind, e.strict) for e in got if isinstance(e, Entry)]
    assert taken == [
        ("good", "function", True),
        ("formatting_only", "function", False),  # D212: the template fixes the layout, the words are good
        ("Counter.add", "method", True),
    ]
    reasons = Counter(e for e in got if isinstance(e, str))
    assert reasons == {
        "checkers: DOC101": 1,  # missing_arg
        "no Args/Returns/Yields/Raises": 1,  # summary_only
        "renderer refuses: expected real words for args['a']": 1,  # placeholder
        "no docstring": 1,  # the class Counter
    }
    good = next(e for e in got if isinstance(e, Entry))
    assert good.truth == parts_of(ast.get_docstring(ast.parse(MODULE).body[1]))
    assert good.filename == "mod.py" and good.source == "demo.mod:good"
    method = next(e for e in got if isinstance(e, Entry) and e.symbol == "Counter.add")
    assert method.text.startswith("class Counter:\n    def add(self, key, n=1):\n")


def test_snippets_with_imports_keep_them() -> None:
    (s,) = [x for x in snippets_of(MODULE) if x.name == "good"]
    with_imports = Snippet(s.module, s.name, s.symbol, ("import os",), s.body, s.package)
    assert case_text(with_imports) == "import os\n\n\n" + s.body


def test_corpus_split_is_by_package_and_refuses_held_out() -> None:
    corpus = DocstringCorpus(packages=("rich", "pydantic"), stdlib=False, eval_packages=("pydantic",))
    train, evals = corpus.split(random.Random(0), 0.1)
    assert {corpus.package_of(m) for m in train} == {"rich"}
    assert {corpus.package_of(m) for m in evals} == {"pydantic"}
    with pytest.raises(ValueError, match="expected eval packages among"):
        DocstringCorpus(packages=("rich",), stdlib=False, eval_packages=("pydantic",))
    with pytest.raises(ValueError, match="not held out"):
        DocstringCorpus(packages=("rich", "tenacity"), eval_packages=("rich",))


def test_candidates_take_turns_across_packages() -> None:
    corpus = DocstringCorpus(packages=("rich", "pydantic"), stdlib=False, eval_packages=("pydantic",))
    modules = [m for m, _ in corpus.modules()]
    first = list(itertools.islice(corpus.candidates(modules, random.Random(0)), 8))
    assert [s.package for s in first] == ["pydantic"] * 2 + ["rich"] * 2 + ["pydantic"] * 2 + ["rich"] * 2
    again = list(itertools.islice(corpus.candidates(modules, random.Random(0)), 8))
    assert again == first


AUTHOR = '''class Store:
    def put(self, key, value, *, ttl=None):
        """Store a value.

        Args:
            key: Where to store it.
            value: What to store.
            ttl: Seconds to keep it, or None for ever.

        Returns:
            The previous value, or None.

        Raises:
            KeyError: The key is reserved.
        """
        if key == "reserved":
            raise KeyError(key)
        old = self.data.get(key)
        self.data[key] = (value, ttl)
        return old
'''
EXPECTED_PROBLEM = {
    "remove": "D102",
    "drop_arg": "DOC101",
    "rename_param": "DOC103",
    "drop_returns": "DOC201",
    "drop_raises": "DOC501",
    "stale_arg": "DOC102",
}


@pytest.mark.parametrize("kind", DAMAGES)
def test_damage(kind: str) -> None:
    got = damage(AUTHOR, "Store.put", kind, random.Random(3))
    assert got is not None and got.damage == kind
    assert got == damage(AUTHOR, "Store.put", kind, random.Random(3))  # deterministic
    codes = {p.code for p in check(got.text, "Store.put")}
    assert EXPECTED_PROBLEM[kind] in codes
    if kind != "rename_param":  # the code is untouched
        assert judge(AUTHOR, got.text, "Store.put", None, judge_submission=False)["code_unchanged"]


def test_rename_keeps_the_code_working() -> None:
    source = '''def scale(values, factor=2):
    """Scale values.

    Args:
        values: Numbers.
        factor: Multiplier.

    Returns:
        The scaled numbers.
    """
    out = [v * factor for v in values]
    return dict(values=out, factor=len(out)).get("values")
'''
    for seed in range(4):
        got = damage(source, "scale", "rename_param", random.Random(seed))
        assert got is not None
        ((new, old),) = got.renamed.items()
        assert f"{new}=" in got.text.splitlines()[0] or f"({new}" in got.text.splitlines()[0]
        assert "dict(values=out, factor=len(out))" in got.text  # a callee's keyword is not the parameter
        env_a: dict = {}
        env_b: dict = {}
        exec(source, env_a)
        exec(got.text, env_b)
        assert env_a["scale"]([1, 2], 3) == env_b["scale"]([1, 2], 3) == [3, 6]
        assert "Args:\n        values: Numbers.\n        factor: Multiplier." in got.text  # the docstring is not


def test_baseline_skeleton_fills_placeholders() -> None:
    bare = damage(AUTHOR, "Store.put", "remove", random.Random(0))
    assert bare is not None
    out = skeleton(bare.text, "Store.put")
    assert '        """_summary_\n\n        Args:\n            key (_type_): _description_\n' in out
    assert (
        "        Returns:\n            _type_: _description_\n\n        Raises:\n            KeyError: _description_\n"
        in out
    )
    r = judge(bare.text, out, "Store.put", None, judge_submission=False)
    assert (r["success"], r["checker_clean"], r["names_exact"], r["sections_agree"]) == (False, False, True, True)
    assert r["reason"].startswith("expected no checker problems, got 1: D415")
    stale = damage(AUTHOR, "Store.put", "stale_arg", random.Random(0))
    assert stale is not None  # dropping a stale argument needs no new words: the baseline succeeds
    assert judge(stale.text, skeleton(stale.text, "Store.put"), "Store.put", None, judge_submission=False)["success"]
