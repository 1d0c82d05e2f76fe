"""The test agent's episode checks on real pytest + coverage.py: passes x3 (and reversed), asserts, coverage, counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolsmith.shared.episode import Episode
from toolsmith.test.checks import check_episode, check_tests, count_tests, judge, measure, unasserted_tests

# A hand-made function with known branches: 3 ifs -> 6 branch arcs.
MODULE = """def sign(x, strict=False):
    if x > 0:
        return 1
    if x < 0:
        return -1
    if strict:
        raise ValueError("zero")
    return 0


STATE = []


def remember(x):
    STATE.append(x)
    return len(STATE)
"""
HEADER = "import pytest\n\nfrom calc import sign\n\n\n"
GOOD = HEADER + (
    "def test_pos():\n    assert sign(5) == 1\n\n\n"
    "def test_neg():\n    assert sign(-2) == -1\n\n\n"
    "def test_zero():\n    assert sign(0) == 0\n\n\n"
    "def test_strict():\n    with pytest.raises(ValueError):\n        sign(0, strict=True)\n"
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "calc.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    return tmp_path


def write(root: Path, text: str) -> str:
    (root / "tests" / "test_calc_sign.py").write_text(text, encoding="utf-8")
    return "tests/test_calc_sign.py"


def check(root: Path, text: str, submitted: dict | None, **kw) -> dict:
    return check_tests(root, "calc.py", kw.pop("symbol", "sign"), write(root, text), submitted, **kw)


def test_good_file_passes(root: Path) -> None:
    r = check(root, GOOD, {"summary": "4 tests", "tests_added": 4, "branch_coverage": 100})
    assert r == {
        "success": True,
        "passes": True,
        "asserts": True,
        "covered": True,
        "counts_true": True,
        "branch_coverage": 1.0,
        "tests": 4,
        "reason": "",
    }


@pytest.mark.parametrize(
    ("kept", "percent"),
    [
        # which tests of GOOD are kept -> covered arcs out of 6
        (("test_pos",), 17),  # 2>3
        (("test_pos", "test_neg", "test_zero"), 83),  # 2>3, 2>4, 4>5, 4>6, 6>8
    ],
)
def test_coverage_of_a_hand_made_function(root: Path, kept: tuple, percent: int) -> None:
    blocks = GOOD[len(HEADER) :].split("\n\n\n")
    text = HEADER + "\n\n\n".join(b for b in blocks if b.split("(")[0].removeprefix("def ") in kept) + "\n"
    m = measure(root, "calc.py", "sign", write(root, text))
    cov = m.runs[0].coverage
    assert (m.runs[0].passed, cov.percent, len(cov.arcs)) == (len(kept), percent, 6)
    submitted = {"tests_added": len(kept), "branch_coverage": percent}
    r = judge(m, submitted)
    assert r["counts_true"] and r["passes"] and r["covered"] == (percent >= 80)
    if percent < 80:
        assert r["reason"] == (
            "expected branch coverage >= 80%, got 17% (missing line 2 if x > 0: false, line 4 if x < 0: true)"
        )
        # the expert reached no more on this function: what it reached is enough
        assert judge(m, submitted, expert_coverage=cov.fraction)["success"]


def test_test_without_assert_fails(root: Path) -> None:
    text = GOOD + "\n\ndef test_call_only():\n    sign(3)\n"
    r = check(root, text, {"tests_added": 5, "branch_coverage": 100})
    assert (r["success"], r["asserts"], r["passes"]) == (False, False, True)
    assert r["reason"] == "expected every test to assert on sign's result, got 1 that do not: test_call_only"


@pytest.mark.parametrize(
    ("test", "ok"),
    [
        ("def test_a():\n    assert sign(1) == 1\n", True),
        ("def test_a():\n    r = sign(1)\n    assert r == 1\n", True),
        ("def test_a():\n    assert sign(1)\n", True),
        ("def test_a():\n    with pytest.raises(ValueError):\n        sign(0, True)\n", True),
        ("def test_a():\n    assert sign(1) == sign(1)\n", False),  # compares the function with itself
        ("def test_a():\n    assert True\n    sign(1)\n", False),
        ("def test_a():\n    with pytest.raises(ValueError):\n        int('x')\n    sign(1)\n", False),
        ("def test_a():\n    pass\n", False),
    ],
)
def test_unasserted_tests(test: str, ok: bool) -> None:
    assert unasserted_tests(HEADER + test, "sign") == ([] if ok else ["test_a"])


def test_failing_test_fails(root: Path) -> None:
    text = GOOD.replace("sign(5) == 1", "sign(5) == 2")
    r = check(root, text, {"tests_added": 4, "branch_coverage": 100})
    assert (r["success"], r["passes"]) == (False, False)
    assert r["reason"].startswith(
        "expected every test to pass on the original code (run 1, forwards), got 1 failed and 0 errors: test_pos:"
    )


def test_order_dependent_tests_fail_in_reverse(root: Path) -> None:
    text = (
        "from calc import remember\n\n\n"
        "def test_first():\n    assert remember(1) == 1\n\n\n"
        "def test_second():\n    assert remember(2) == 2\n"
    )
    r = check(root, text, {"tests_added": 2, "branch_coverage": 100}, symbol="remember")
    assert not r["success"]
    assert r["reason"].startswith("expected every test to pass on the original code (run 2, in reverse order)")


def test_import_error_and_missing_file(root: Path) -> None:
    r = check(root, "from calc import nothing\n\n\ndef test_a():\n    assert nothing(1) == 1\n", None)
    assert r["reason"].startswith("expected every test to pass on the original code (run 1, forwards), got 0 failed")
    r = check_tests(root, "calc.py", "sign", "tests/test_none.py", None)
    assert r["reason"] == "expected a test file tests/test_none.py, got none" and not r["success"]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("good")
    (root / "calc.py").write_text(MODULE, encoding="utf-8")
    (root / "tests").mkdir()
    return measure(root, "calc.py", "sign", write(root, GOOD))


@pytest.mark.parametrize(
    ("submitted", "reason"),
    [
        ({"tests_added": 3, "branch_coverage": 100}, "expected tests_added=4, got 3"),
        ({"tests_added": 4, "branch_coverage": 90}, "expected branch_coverage=100 (measured), got 90"),
        ({"tests_added": 4, "branch_coverage": "100"}, "expected branch_coverage=100 (measured), got '100'"),
        (None, "expected a submit_result call, got none"),
    ],
)
def test_submitted_numbers_must_be_true(good, submitted: dict | None, reason: str) -> None:
    r = judge(good, submitted)
    assert (r["success"], r["counts_true"], r["reason"]) == (False, False, reason)


def test_submitted_counts_with_tests_before_and_rounding(good) -> None:
    assert judge(good, {"tests_added": 1, "branch_coverage": 99}, tests_before=3)["success"]


def test_baseline_is_not_judged_on_a_submission(good) -> None:
    r = judge(good, None, judge_submission=False)
    assert r["success"] and not r["counts_true"]


def test_a_hanging_test_ends_as_a_timeout(root: Path) -> None:
    text = "from calc import sign\n\n\ndef test_hang():\n    while True:\n        pass\n    assert sign(1) == 1\n"
    r = check(root, text, None, timeout_s=5)
    assert r["reason"] == "expected the tests to finish (run 1, forwards), got a timeout"


def test_check_episode_on_what_a_run_left(root: Path) -> None:
    partial = HEADER + "def test_pos():\n    assert sign(5) == 1\n\n\n" + "def test_neg():\n    assert sign(-2) == -1\n"
    rel = write(root, GOOD)
    (root / "calc.py").write_text("def sign(x, strict=False):\n    return 1\n", encoding="utf-8")  # edited: put back
    ep = Episode(root, "calc.py", "sign", {"calc.py": MODULE, rel: partial}, {"tests_added": 2, "branch_coverage": 100})
    r = check_episode(ep)
    assert r["success"] and r["tests"] == 4 and (root / "calc.py").read_text(encoding="utf-8") == MODULE
    assert count_tests(partial) == 2 and count_tests(None) == 0 and count_tests("def (") == 0
    # the expert's coverage, when below 80%, is the threshold
    write(root, HEADER + "def test_pos():\n    assert sign(5) == 1\n")
    one = {"tests_added": 1, "branch_coverage": 17}
    low = Episode(root, "calc.py", "sign", {"calc.py": MODULE, rel: None}, one, meta={"expert_coverage": 1 / 6})
    assert check_episode(low)["success"]
    assert not check_episode(Episode(root, "calc.py", "sign", {"calc.py": MODULE, rel: None}, one))["success"]
    whole = check_episode(Episode(root, "calc.py", None, {"calc.py": MODULE}, one))
    assert whole["reason"] == "expected a function (path.py::name), got a file" and not whole["success"]
