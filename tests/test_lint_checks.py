"""The lint evaluator's episode checks, table-driven, on real ruff."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from toolsmith.lint.checks import check_episode
from toolsmith.shared.episode import Episode


def judge(original: str, final: str, submitted: dict | None, symbol: str | None = None, **kw) -> dict:
    """check_episode on a one-file project holding ``final`` (``original`` before the run)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "target.py").write_text(final, encoding="utf-8")
        return check_episode(Episode(Path(tmp), "target.py", symbol, {"target.py": original}, submitted, **kw))


# F401 (fixable), E711 (fixable), E722 (not fixable): 3 issues.
ORIGINAL = """import os


def f(x):
    if x == None:
        return 0
    try:
        return 1 / x
    except:
        return -1
"""
# Both fixable issues fixed; the E722 remains.
FIXED = ORIGINAL.replace("import os\n\n\n", "").replace("x == None", "x is None")
# Only the F401 fixed.
HALF = ORIGINAL.replace("import os\n\n\n", "")
BROKEN = FIXED.replace("def f(x):", "def f(x)")

CASES = [
    # name, final, submitted, success, all_fixable_fixed, parses, counts_true, reason
    ("all fixed, counts true", FIXED, {"issues_fixed": 2, "issues_remaining": 1}, True, True, True, True, ""),
    (
        "summary is ignored",
        FIXED,
        {"summary": "done", "issues_fixed": 2, "issues_remaining": 1},
        True,
        True,
        True,
        True,
        "",
    ),
    (
        "remaining count wrong",
        FIXED,
        {"issues_fixed": 2, "issues_remaining": 0},
        False,
        True,
        True,
        False,
        "expected issues_remaining=1 (ruff's count), got 0",
    ),
    (
        "fixed count wrong",
        FIXED,
        {"issues_fixed": 3, "issues_remaining": 1},
        False,
        True,
        True,
        False,
        "expected issues_fixed=2 (3 before - 1 after), got 3",
    ),
    (
        "count not a number",
        FIXED,
        {"issues_fixed": "2", "issues_remaining": 1},
        False,
        True,
        True,
        False,
        "expected issues_fixed=2",
    ),
    ("never submitted", FIXED, None, False, True, True, False, "expected a submit_result call, got none"),
    (
        "a fixable issue left",
        HALF,
        {"issues_fixed": 1, "issues_remaining": 2},
        False,
        False,
        True,
        True,
        "expected no fixable issues left, got 1: E711 at line 2",
    ),
    (
        "nothing done, counts true",
        ORIGINAL,
        {"issues_fixed": 0, "issues_remaining": 3},
        False,
        False,
        True,
        True,
        "expected no fixable issues left, got 2",
    ),
    # ruff reports the syntax error as its one issue (code "invalid-syntax"), so the counts are true
    (
        "does not parse",
        BROKEN,
        {"issues_fixed": 2, "issues_remaining": 1},
        False,
        False,
        False,
        True,
        "expected the final file to parse",
    ),
]


@pytest.mark.parametrize(
    ("final", "submitted", "success", "fixed", "parses", "counts", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_check_episode(
    final: str, submitted: dict | None, success: bool, fixed: bool, parses: bool, counts: bool, reason: str
) -> None:
    r = judge(ORIGINAL, final, submitted)
    assert (r["success"], r["all_fixable_fixed"], r["parses"], r["counts_true"]) == (success, fixed, parses, counts)
    assert r["reason"].startswith(reason)
    assert (r["reason"] == "") == success


REWRITTEN = FIXED.replace("except:", "except Exception:")  # the E722 rewritten: nothing left
REGRESSIONS = [
    # name, final, (compiles, new_violations, changed_outside), reason
    ("the rewrite, no regression", REWRITTEN, (True, 0, 0), ""),
    (
        "a line without an issue changed",
        REWRITTEN.replace("return 1 / x", "return 2 / x"),
        (True, 0, 1),
        "expected changes only in statements with an issue, got line(s) [8] changed",
    ),
    (
        "a new violation",
        REWRITTEN.replace("except Exception:", "except Exception: "),  # trailing whitespace on the rewritten line
        (True, 1, 0),
        "expected no new violations, got more W291 than before",
    ),
    (
        "parses but does not compile",
        REWRITTEN.replace("        return -1", "        nonlocal y\n        return -1"),
        (False, 0, 0),
        "expected the final file to compile, got SyntaxError",
    ),
]


@pytest.mark.parametrize(
    ("final", "regressions", "reason"), [c[1:] for c in REGRESSIONS], ids=[c[0] for c in REGRESSIONS]
)
def test_regressions_fail_the_run(final: str, regressions: tuple, reason: str) -> None:
    r = judge(ORIGINAL, final, {"issues_fixed": 3, "issues_remaining": 0}, judge_submission=False)
    assert (r["compiles"], r["new_violations"], r["changed_outside"]) == regressions
    assert r["success"] == (not reason) and r["reason"].startswith(reason)


def test_check_episode_with_symbol() -> None:
    original = "import os\n\n\ndef f(x):\n    return x == None\n\n\ndef g(y):\n    return y == None\n"
    final = original.replace("return x == None", "return x is None")
    # Only `f` counts: the unused import and `g` are outside it.
    r = judge(original, final, {"issues_fixed": 1, "issues_remaining": 0}, symbol="f")
    assert r["success"], r["reason"]
    assert (r["issues_before"], r["issues_after"]) == (1, 0)
    whole = judge(original, final, {"issues_fixed": 1, "issues_remaining": 2})
    assert not whole["success"] and not whole["all_fixable_fixed"]


def test_domain_module_exports_the_check() -> None:
    import toolsmith.lint

    assert toolsmith.lint.check_episode is check_episode


def test_net_fixed_never_negative() -> None:
    original = "def f(x):\n    return x\n"
    worse = "import os\n\n\ndef f(x):\n    return x\n"
    r = judge(original, worse, {"issues_fixed": 0, "issues_remaining": 1})
    assert r["counts_true"] and not r["all_fixable_fixed"]


def test_the_baseline_is_judged_without_a_submission() -> None:
    r = judge(ORIGINAL, FIXED, None, judge_submission=False)
    assert r["success"] and not r["counts_true"] and r["reason"] == ""
    r = judge(ORIGINAL, HALF, None, judge_submission=False)
    assert not r["success"] and r["reason"].startswith("expected no fixable issues left")


def test_ruff_fix_baseline_fixes_what_ruff_can(tmp_path: Path) -> None:
    from toolsmith.lint import baseline

    (tmp_path / "target.py").write_text(ORIGINAL, encoding="utf-8")
    baseline(tmp_path, "target.py", None)
    final = (tmp_path / "target.py").read_text(encoding="utf-8")
    assert "import os" not in final and "x is None" in final and "except:" in final  # E722 has no ruff fix
    assert judge(ORIGINAL, final, None, judge_submission=False)["success"]


def test_checks_and_baseline_use_the_projects_ruff_config(tmp_path: Path) -> None:
    """With a ruff.toml selecting only F401, the E711 and E722 are no issues: the F401 fix alone is success."""
    from toolsmith.lint import baseline

    (tmp_path / "ruff.toml").write_text("[lint]\nselect = ['F401']\n", encoding="utf-8")
    (tmp_path / "target.py").write_text(ORIGINAL, encoding="utf-8")
    baseline(tmp_path, "target.py", None)
    final = (tmp_path / "target.py").read_text(encoding="utf-8")
    assert "import os" not in final and "x == None" in final  # the E711 is not the project's rule: left alone
    submitted = {"issues_fixed": 1, "issues_remaining": 0}
    r = check_episode(Episode(tmp_path, "target.py", None, {"target.py": ORIGINAL}, submitted))
    assert r["success"] and (r["issues_before"], r["issues_after"]) == (1, 0), r["reason"]


IMPORTS = [
    # name, original, final, imports, reason
    (
        "ruff's F401 fix removes an import module-level code reads",
        "import os\n\nSEP = globals()['os'].sep\n",
        "SEP = globals()['os'].sep\n",
        False,
        "expected the module to import as it did before, got KeyError: 'os'",
    ),
    ("imports as before", "import os\n\nSEP = 1\n", "SEP = 1\n", True, ""),
    ("the original did not import either: not judged", "import os\n\nraise SystemExit(3)\n", "raise SystemExit(3)\n",
     True, ""),
    ("a __main__ block does not run", "import os\n\nif __name__ == '__main__':\n    print(globals()['os'])\n",
     "if __name__ == '__main__':\n    print(globals()['os'])\n", True, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("original", "final", "imports", "reason"), [c[1:] for c in IMPORTS], ids=[c[0] for c in IMPORTS]
)
def test_a_module_that_no_longer_imports_is_a_regression(original: str, final: str, imports: bool, reason: str) -> None:
    # real ruff, a real limited child running both texts as modules
    r = judge(original, final, None, judge_submission=False)
    assert (r["compiles"], r["imports"]) == (True, imports)
    assert r["reason"].startswith(reason) and r["success"] == (not reason)


def test_the_import_check_runs_each_text_in_its_own_interpreter(tmp_path: Path) -> None:
    # a sibling registry refuses a second register("thing"): in one interpreter the final text would fail for nothing
    from toolsmith.shared.importcheck import import_regression

    (tmp_path / "registry.py").write_text(
        "SEEN = set()\n\n\ndef register(name):\n    if name in SEEN:\n        raise ValueError('duplicate ' + name)\n"
        "    SEEN.add(name)\n",
        encoding="utf-8",
    )
    (tmp_path / "m.py").write_text("from registry import register\n\nregister('thing')\nX = 2\n", encoding="utf-8")
    assert import_regression(tmp_path, "m.py", "from registry import register\n\nregister('thing')\nX = 1\n") is None
