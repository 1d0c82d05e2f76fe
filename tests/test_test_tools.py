"""The test agent's tools on real limited child processes (run_isolated), pytest and coverage.py (no mocks).

Covers a function that raises, one with an unreproducible result, one with an unassertable repr, NaN,
a generator, one that hangs (it must end as an error, never hang the suite), the whole
try_call -> add_test -> run_tests flow, and the tools as the agent calls them: in a sandbox, writing only the
declared test file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import toolsmith.test
from toolsmith.shared.agent import load_agent
from toolsmith.shared.isolate import Limits, run_isolated
from toolsmith.shared.sandbox import SandboxError, open_sandbox
from toolsmith.test import actions, tools
from toolsmith.test.actions import Project, add_test, inspect_function, run_tests, submit_result, try_call
from toolsmith.test.layout import OUTPUT

MODULE = '''import random
import signal


class Box:
    pass


class Oops(Exception):
    pass


def clamp(x, lo=0, hi=10):
    """Clamp x into [lo, hi]."""
    if x < lo:
        raise ValueError("too small")
    if x > hi:
        return hi
    return x


def fail(kind):
    if kind == "own":
        raise Oops("mine")
    return {"kind": kind}


def noisy(n):
    print("hello from noisy")
    return n * 2


def roll(n):
    return random.random() * n


def box(n):
    return Box()


def nan(n):
    return float("nan")


def odds(n):
    for i in range(n):
        if i % 2:
            yield i


def spin(n):
    while True:
        n += 1


def stubborn(n):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    while True:
        n += 1
'''


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src" / "shapes").mkdir(parents=True)
    (tmp_path / "src" / "shapes" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "src" / "shapes" / "util.py").write_text(MODULE, encoding="utf-8")
    return tmp_path


def project(root: Path, symbol: str) -> Project:
    return Project(root, "src/shapes/util.py", symbol, f"tests/test_util_{symbol}.py")


def test_inspect_function(root: Path) -> None:
    assert inspect_function(project(root, "clamp")) == {
        "signature": "clamp(x, lo=0, hi=10)",
        "doc": "Clamp x into [lo, hi].",
        "branches": ["line 15 if x < lo", "line 17 if x > hi"],
        "raises": ["ValueError"],
    }


def test_flow_try_add_run_submit(root: Path) -> None:
    p = project(root, "clamp")
    r = try_call(p, "5")
    assert r == {
        "call": "clamp(5)",
        "result": "5",
        "new": ["line 15 if x < lo: false", "line 17 if x > hi: false"],
        "next": {"tool": "add_test", "arguments": "5"},  # the call to make, whole
    }
    assert add_test(p, "5") == {
        "test": "test_clamp_1",
        "tests": 1,
        "branch_coverage": 50,
        "missing": ["line 15 if x < lo: true", "line 17 if x > hi: true"],
    }
    # nothing new compared with the tests in the file: the response says what is missing
    assert try_call(p, "6") == {
        "call": "clamp(6)",
        "result": "6",
        "new": [],
        "missing": ["line 15 if x < lo: true", "line 17 if x > hi: true"],
    }
    assert try_call(p, "-1")["raises"] == "ValueError: too small"
    assert add_test(p, "-1")["branch_coverage"] == 75
    assert add_test(p, "x=11") == {
        "test": "test_clamp_3",
        "tests": 3,
        "branch_coverage": 100,
        "next": {"tool": "run_tests"},
    }
    text = (root / p.test_rel).read_text(encoding="utf-8")
    assert "from shapes.util import clamp" in text  # the src layout: imported as the project imports it
    assert "    with pytest.raises(ValueError):\n        clamp(-1)\n" in text
    assert "    assert clamp(x=11) == 10\n" in text
    assert run_tests(p) == {  # the counts submit_result takes, named
        "passed": 3,
        "failed": 0,
        "branch_coverage": 100,
        "next": {"tool": "submit_result", "tests_added": 3, "branch_coverage": 100},
    }
    assert run_tests(p, tests_before=1)["next"]["tests_added"] == 2  # tests the file held before the run
    assert submit_result(3, 100, "Three tests cover every branch.") == {
        "accepted": True,
        "summary": "Three tests cover every branch.",
    }


def test_add_test_refuses_a_repeat(root: Path) -> None:
    p = project(root, "clamp")
    add_test(p, "5")
    with pytest.raises(ValueError, match=r"expected arguments not pinned yet, got `5`"):
        add_test(p, " 5 ")


def test_own_exception_is_imported(root: Path) -> None:
    p = project(root, "fail")
    assert try_call(p, "'own'")["raises"] == "Oops: mine"
    add_test(p, "'own'")
    add_test(p, "'x'")
    text = (root / p.test_rel).read_text(encoding="utf-8")
    assert "from shapes.util import Oops" in text and "with pytest.raises(Oops):" in text
    assert "assert fail('x') == {'kind': 'x'}" in text
    assert run_tests(p)["passed"] == 2


def test_output_of_the_function_is_ignored(root: Path) -> None:
    assert try_call(project(root, "noisy"), "2")["result"] == "4"


@pytest.mark.parametrize(
    ("symbol", "arguments", "problem"),
    [
        ("roll", "3", "expected the same result on each call, got "),
        ("box", "1", "expected a result the test can compare, got an object repr with an address: <shapes.util.Box"),
        ("nan", "1", "expected a result that equals itself, got NaN in nan (nan != nan)"),
    ],
)
def test_unpinnable_results(root: Path, symbol: str, arguments: str, problem: str) -> None:
    p = project(root, symbol)
    r = try_call(p, arguments)
    assert r["problem"].startswith(problem) and "next" not in r
    with pytest.raises(ValueError, match="^expected") as e:
        add_test(p, arguments)
    assert str(e.value).startswith(problem)
    assert not (root / p.test_rel).exists()


def test_generator_is_consumed(root: Path) -> None:
    p = project(root, "odds")
    assert try_call(p, "4")["result"] == "[1, 3]"
    add_test(p, "4")
    assert "assert list(odds(4)) == [1, 3]" in (root / p.test_rel).read_text(encoding="utf-8")
    assert run_tests(p)["passed"] == 1


@pytest.mark.parametrize(
    ("symbol", "arguments", "message"),
    [
        ("spin", "1", "expected the call to finish within 2 s, got a timeout"),
        ("clamp", "1, 2, 3, 4", "expected arguments that fit clamp(x, lo=0, hi=10), got too many positional arguments"),
        (
            "clamp",
            "1, y=1",
            "expected arguments that fit clamp(x, lo=0, hi=10), got an unexpected keyword argument 'y'",
        ),
        ("clamp", "", "expected arguments that fit clamp(x, lo=0, hi=10), got missing a required argument: 'x'"),
        ("clamp", "open('f')", "got a call of `open`"),
        ("missing", "1", "expected a top-level function `missing` in the file, got only ["),
    ],
)
def test_tool_errors(root: Path, symbol: str, arguments: str, message: str) -> None:
    with pytest.raises(ValueError, match="^expected") as e:
        try_call(project(root, symbol), arguments)
    assert message in str(e.value)


def test_import_error_is_reported(root: Path) -> None:
    (root / "src" / "shapes" / "util.py").write_text("import no_such_module\n\ndef f(x):\n    return x\n")
    with pytest.raises(ValueError, match=r"expected `import shapes.util` to work, got ModuleNotFoundError"):
        try_call(project(root, "f"), "1")


def test_a_child_that_ignores_the_alarm_is_killed(root: Path) -> None:
    payload = {"root": str(root), "target": "src/shapes/util.py", "symbol": "stubborn", "calls": ["1"]}
    r = run_isolated(actions.WORKER, {**payload, "timeout_s": 0.5}, cwd=root, limits=Limits(timeout_s=3))
    assert (r.ok, r.error_type) == (False, "Timeout")


def test_run_tests_reports_failures_and_a_missing_file(root: Path) -> None:
    p = project(root, "clamp")
    with pytest.raises(ValueError, match="expected a test file tests/test_util_clamp.py"):
        run_tests(p)
    add_test(p, "5")
    path = root / p.test_rel
    path.write_text(path.read_text().replace("== 5", "== 6"), encoding="utf-8")
    r = run_tests(p)
    assert (r["passed"], r["failed"]) == (0, 1) and "next" not in r
    assert r["failures"][0].startswith("test_clamp_1: assert 5 == 6")
    assert json.dumps(r)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((1, 50, " "), "expected a one-sentence summary"),
        ((-1, 50, "ok"), "expected tests_added to be a whole number >= 0, got -1"),
        ((1, 101, "ok"), "expected branch_coverage as a percentage 0-100, got 101"),
        ((1, True, "ok"), "expected branch_coverage to be a whole number >= 0, got True"),
    ],
)
def test_submit_result_errors(arguments: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        submit_result(*arguments)


# ------------------------------------------------------------------------------- the tools in a sandbox


def test_agent_yaml_declares_the_tools_and_the_test_file() -> None:
    spec = load_agent("test", path=Path(__file__).resolve().parents[1] / "agents" / "test" / "agent.yaml")
    assert spec.tools == toolsmith.test.TOOLS and spec.terminal_tool == toolsmith.test.TERMINAL_TOOL
    assert spec.outputs == (OUTPUT,) and not spec.edits_target and spec.target_units == "functions"
    assert [s["function"]["name"] for s in spec.schemas] == [
        "inspect_function",
        "try_call",
        "add_test",
        "run_tests",
        "submit_result",
    ]


def test_tools_write_only_the_declared_test_file(root: Path) -> None:
    target = root / "src" / "shapes" / "util.py"
    before = target.read_bytes()
    with open_sandbox(target, symbol="clamp", outputs=(OUTPUT,), edits_target=False, project=root) as box:
        assert box.outputs == ("tests/test_util_clamp.py",)
        assert tools.inspect_function()["signature"] == "clamp(x, lo=0, hi=10)"
        assert tools.try_call("11")["next"] == {"tool": "add_test", "arguments": "11"}
        assert tools.add_test("11")["branch_coverage"] == 50
        assert tools.run_tests()["passed"] == 1
        with pytest.raises(ValueError, match=r"before submitting, got more: try `"):  # the search reaches more
            tools.submit_result(1, 50)
        assert list(box.changes()) == ["tests/test_util_clamp.py"]
        assert "+    assert clamp(11) == 10" in box.diff()
        with pytest.raises(SandboxError, match="expected one of the files this agent may write"):
            box.write("x = 1\n")
    assert target.read_bytes() == before and not (root / "tests").exists()


def test_run_tests_counts_only_the_tests_this_run_added(root: Path) -> None:
    mine = "from shapes.util import clamp\n\n\ndef test_mine():\n    assert clamp(5) == 5\n"
    (root / "tests").mkdir()
    (root / "tests" / "test_util_clamp.py").write_text(mine, encoding="utf-8")
    with open_sandbox(
        root / "src" / "shapes" / "util.py", symbol="clamp", outputs=(OUTPUT,), edits_target=False, project=root
    ):
        assert tools.add_test("-1")["tests"] == 2  # the user's test and this one
        assert tools.add_test("x=11")["branch_coverage"] == 100
        ran = tools.run_tests()
        assert ran["passed"] == 3 and ran["next"] == {"tool": "submit_result", "tests_added": 2, "branch_coverage": 100}
        done = tools.submit_result(2, 100)  # the tool writes the summary when none is given
        assert done == {"accepted": True, "summary": "Added 2 tests for clamp; branch coverage 100%."}
        assert tools.submit_result(2, 100, " ") == done  # a blank one too


def test_tools_refuse_a_whole_file(root: Path) -> None:
    with open_sandbox(root / "src" / "shapes" / "util.py", outputs=(OUTPUT,), edits_target=False, project=root):
        with pytest.raises(ValueError, match=r"expected one function to test \(src/shapes/util.py::name\)"):
            tools.inspect_function()


def test_a_latin1_target(tmp_path: Path) -> None:
    source = '# -*- coding: latin-1 -*-\n\n\ndef accent(s):\n    """Add \xe9."""\n'
    source += '    if s:\n        return s + "\xe9"\n    return ""\n'
    (tmp_path / "lat.py").write_bytes(source.encode("latin-1"))
    p = Project(tmp_path, "lat.py", "accent", "tests/test_lat_accent.py")
    assert inspect_function(p)["doc"] == "Add \xe9."
    assert add_test(p, "'a'")["branch_coverage"] == 50 and add_test(p, "''")["branch_coverage"] == 100
    assert "assert accent('a') == 'a\xe9'" in (tmp_path / p.test_rel).read_text(encoding="utf-8")
    assert run_tests(p)["next"] == {"tool": "submit_result", "tests_added": 2, "branch_coverage": 100}


def test_coverage_pragmas_do_not_hide_lines_or_branches(tmp_path: Path) -> None:
    source = "def cmp(a, b):  # pragma: no cover\n    if a is None:  # pragma: no branch\n"
    source += "        return 0\n    return 1\n"
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    p = Project(tmp_path, "m.py", "cmp", "tests/test_m_cmp.py")
    assert add_test(p, "None, 1")["branch_coverage"] == 50  # the calls' own measurement
    assert run_tests(p)["branch_coverage"] == 50  # pytest + coverage.py agree


def test_a_function_named_like_a_test_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def test_pgm(h):\n    return h\n", encoding="utf-8")
    with open_sandbox(tmp_path / "m.py", symbol="test_pgm", outputs=(OUTPUT,), edits_target=False, project=tmp_path):
        with pytest.raises(ValueError, match="expected a function pytest does not collect as a test, got `test_pgm`"):
            tools.try_call("1")


EDGES = """def pairs(items):
    for a, b in items:
        yield a + b


def deep(n):
    return n if n <= 0 else deep(n - 1)
"""


def test_a_generator_that_raises_is_consumed_inside_pytest_raises(tmp_path: Path) -> None:
    (tmp_path / "e.py").write_text(EDGES, encoding="utf-8")
    p = Project(tmp_path, "e.py", "pairs", "tests/test_e_pairs.py")
    assert try_call(p, "[1]")["raises"].startswith("TypeError: cannot unpack")
    add_test(p, "[1]")
    assert "    with pytest.raises(TypeError):\n        list(pairs([1]))\n" in (tmp_path / p.test_rel).read_text()
    assert run_tests(p)["passed"] == 1


def test_a_recursion_error_is_not_pinned(tmp_path: Path) -> None:
    (tmp_path / "e.py").write_text(EDGES, encoding="utf-8")
    p = Project(tmp_path, "e.py", "deep", "tests/test_e_deep.py")
    problem = "expected an outcome that does not depend on the stack depth, got RecursionError"
    assert try_call(p, "100000")["problem"] == problem
    with pytest.raises(ValueError, match=problem):
        add_test(p, "100000")
