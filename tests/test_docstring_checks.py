"""judge (check_episode's core) on real pydoclint/ruff/ast, table-driven, and the ROUGE-L similarity."""

from __future__ import annotations

import ast

import pytest

from toolsmith.docstring.checkers import check
from toolsmith.docstring.checks import judge, rouge_l
from toolsmith.docstring.parts import Parts, parts_of

ORIGINAL = '''import os


def join(base, name, sep="/"):
    """Join two parts.

    Args:
        base: The first part.
        nme: The second part.
    """
    if not base:
        raise ValueError("no base")
    return base + sep + name
'''
GOOD = '''import os


def join(base, name, sep="/"):
    """Join two parts.

    Args:
        base: The first part.
        name: The second part.
        sep: What goes between them.

    Returns:
        The joined path.

    Raises:
        ValueError: The base is empty.
    """
    if not base:
        raise ValueError("no base")
    return base + sep + name
'''
SUBMITTED = {"summary": "Fixed it.", "documented": ["base", "name", "sep"], "remaining_problems": 0}
CODE_CHANGED = GOOD.replace("return base + sep + name", "return base + name")
MISSING_PARAM = GOOD.replace("        sep: What goes between them.\n", "")
PLACEHOLDER = GOOD.replace("What goes between them.", "_description_")
NO_RAISES = GOOD.replace("\n    Raises:\n        ValueError: The base is empty.\n", "")
COMMENT_ADDED = GOOD.replace("    if not base:", "    # a comment is not code\n    if not base:")

CASES = [
    # name, final, submitted, judge, success, failing check, reason
    ("good docstring", GOOD, SUBMITTED, True, True, None, ""),
    ("comments and blank lines are not code", COMMENT_ADDED, SUBMITTED, True, True, None, ""),
    ("code changed", CODE_CHANGED, SUBMITTED, True, False, "code_unchanged",
     "expected only docstrings to change, got a change to the code"),
    ("a parameter missing", MISSING_PARAM, {**SUBMITTED, "documented": ["base", "name"]}, True, False, "names_exact",
     "expected no checker problems, got 3: D417 Missing argument description in the docstring for `join`: `sep`"),
    ("placeholder", PLACEHOLDER, SUBMITTED, True, False, "no_placeholder",
     "expected real words in args['sep'], got '_description_'"),
    ("raises missing", NO_RAISES, SUBMITTED, True, False, "sections_agree",
     'expected no checker problems, got 2: DOC501 has raise statements, but the docstring does not have a '
     '"Raises" section'),
    ("nothing submitted", GOOD, None, True, False, "submitted_true", "expected a submit_result call, got none"),
    ("wrong count submitted", GOOD, {**SUBMITTED, "remaining_problems": 2}, True, False, "submitted_true",
     "expected remaining_problems=0 (the checkers' count), got 2"),
    ("wrong names submitted", GOOD, {**SUBMITTED, "documented": ["base"]}, True, False, "submitted_true",
     "expected documented=['base', 'name', 'sep'], got ['base']"),
    ("baseline: no submission judged", GOOD, None, False, True, None, ""),
    ("untouched damaged file", ORIGINAL, SUBMITTED, True, False, "checker_clean",
     "expected no checker problems, got 6: D417 Missing argument descriptions in the docstring for `join`: "
     "`name`, `sep`"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "final", "submitted", "judged", "success", "failing", "reason"), CASES, ids=[c[0] for c in CASES]
)
def test_judge(name, final, submitted, judged, success, failing, reason) -> None:
    r = judge(ORIGINAL, final, "join", submitted, judge_submission=judged)
    assert r["success"] is success
    assert r["reason"] == reason
    if failing:
        assert r[failing] is False
    else:
        assert all(r[k] for k in ("code_unchanged", "checker_clean", "names_exact", "sections_agree", "no_placeholder"))


def test_similarity_measured_against_the_author() -> None:
    author = Parts("Join two parts.", args={"base": "The first part."}, returns="The joined path.")
    same = judge(ORIGINAL, GOOD, "join", SUBMITTED, reference=author)
    assert 0.5 < same["similarity"] < 1.0  # GOOD says more than the author did
    assert same["success"] is True  # measured, not gated
    assert same["docstring_written"] is True


def test_a_run_that_left_the_docstring_as_it_was_has_no_similarity() -> None:
    author = Parts("Join two parts.", args={"base": "The first part.", "name": "The second part."})
    untouched = judge(ORIGINAL, ORIGINAL, "join", SUBMITTED, reference=author)
    assert untouched["docstring_written"] is False
    assert "similarity" not in untouched  # the damaged docstring is close to the author's, but nobody wrote it
    damaged = parts_of(ast.get_docstring(ast.parse(ORIGINAL).body[1]))
    assert rouge_l(damaged.words(), author.words()) > 0.8


@pytest.mark.parametrize(
    ("candidate", "reference", "score"),
    [
        ("The first part.", "the FIRST part", 1.0),
        ("", "", 1.0),
        ("words", "", 0.0),
        ("a b c d", "a x c y", 0.5),
        ("join the two parts", "join both parts", 2 * (2 / 4) * (2 / 3) / ((2 / 4) + (2 / 3))),
    ],
)
def test_rouge_l(candidate: str, reference: str, score: float) -> None:
    assert rouge_l(candidate, reference) == pytest.approx(score)


def test_checker_messages_name_the_arguments_without_types() -> None:
    source = (
        "def f(ratios_name: list[int], minimums: dict[str, int] | None = None) -> None:\n"
        '    """Distribute.\n\n    Args:\n        ratios: Ratios.\n        minimums: Minimums.\n    """\n'
    )
    codes = [p.compact() for p in check(source, "f")]
    assert codes == [
        "D417 Missing argument description in the docstring for `f`: `ratios_name`",
        "DOC103 Not documented: [ratios_name]. Not in the signature: [ratios].",
    ]
