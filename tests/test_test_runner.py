"""The test agent end to end through the real runner (tool host, sandbox, tools, checks), a scripted model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeModel

import toolsmith.test
from toolsmith.shared.agent import load_agent
from toolsmith.shared.constants import START_FUNCTION_RESPONSE
from toolsmith.shared.episode import Episode
from toolsmith.shared.runner import resolve_targets, run_agent
from toolsmith.test.actions import Project
from toolsmith.test.checks import check_episode
from toolsmith.test.search import search

AGENT_YAML = Path(__file__).resolve().parents[1] / "agents" / "test" / "agent.yaml"
CODE = '''def sign(n):
    """The sign of n."""
    if n < 0:
        return -1
    if n == 0:
        return 0
    return 1


def double(n):
    return n * 2
'''


def val(x) -> str:
    return f"<escape>{x}<escape>" if isinstance(x, str) else json.dumps(x)


def call(name: str, **args) -> str:
    body = ",".join(f"{k}:{val(v)}" for k, v in args.items())
    return f"<start_function_call>call:{name}{{{body}}}<end_function_call>{START_FUNCTION_RESPONSE}"


SCRIPT = [
    call("inspect_function"),
    *(c for a in ("5", "-3", "0") for c in (call("try_call", arguments=a), call("add_test", arguments=a))),
    call("run_tests"),
    call("submit_result", tests_added=3, branch_coverage=100),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n", encoding="utf-8")
    (root / "src" / "calc.py").write_text(CODE, encoding="utf-8")
    return root


def test_a_run_writes_the_test_file_only_with_apply(project: Path, tmp_path: Path) -> None:
    spec = load_agent("test", path=AGENT_YAML, tools=toolsmith.test.TOOLS)
    target = f"{project / 'src' / 'calc.py'}::sign"
    new = project / "tests" / "test_calc_sign.py"
    before = (project / "src" / "calc.py").read_bytes()

    result = run_agent(spec, FakeModel(SCRIPT), target, transcript=tmp_path / "t.jsonl")
    assert result.status == "success", result.reason
    assert not new.exists() and not result.applied
    assert result.diff.startswith("--- /dev/null\n+++ b/tests/test_calc_sign.py\n")
    text = result.changes["tests/test_calc_sign.py"]
    assert "from calc import sign" in text and "assert sign(-3) == -1" in text and "assert sign(0) == 0" in text
    responses = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert responses[-2] == {
        "passed": 3,
        "failed": 0,
        "branch_coverage": 100,
        "next": {"tool": "submit_result", "tests_added": 3, "branch_coverage": 100},
    }
    assert responses[-1] == {"accepted": True, "summary": "Added 3 tests for sign; branch coverage 100%."}
    # the evaluator's check on what the run left behind
    root = tmp_path / "judged"
    (root / "src").mkdir(parents=True)
    (root / "src" / "calc.py").write_text(CODE, encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_calc_sign.py").write_text(text, encoding="utf-8")
    before_files = {"src/calc.py": CODE, "tests/test_calc_sign.py": None}
    verdict = check_episode(Episode(root, "src/calc.py", "sign", before_files, result.submitted))
    assert verdict["success"] and verdict["branch_coverage"] == 1.0 and verdict["tests"] == 3

    result = run_agent(spec, FakeModel(SCRIPT), target, apply=True, transcript=tmp_path / "t.jsonl")
    assert result.applied and result.written == ["tests/test_calc_sign.py"]
    assert new.read_text(encoding="utf-8") == text and (project / "src" / "calc.py").read_bytes() == before

    new.write_text("# mine\n", encoding="utf-8")  # exists now: refused without --overwrite, nothing written
    result = run_agent(spec, FakeModel(SCRIPT), target, apply=True, transcript=tmp_path / "t.jsonl")
    assert result.status == "failed" and "use --overwrite" in result.reason
    assert new.read_text(encoding="utf-8") == "# mine\n"


def test_a_file_is_one_run_per_top_level_function(project: Path) -> None:
    spec = load_agent("test", path=AGENT_YAML, tools=toolsmith.test.TOOLS)
    targets = resolve_targets(project / "src" / "calc.py", spec.target_units)
    assert [t.symbol for t in targets] == ["sign", "double"]


def test_the_tools_offer_the_search_s_next_call_and_refuse_an_early_submit(project: Path, tmp_path: Path) -> None:
    spec = load_agent("test", path=AGENT_YAML, tools=toolsmith.test.TOOLS)
    steps = search(Project(project, "src/calc.py", "sign", "tests/test_calc_sign.py")).steps
    calls = [s.arguments for s in steps]
    assert len(calls) == 3
    early = call("submit_result", tests_added=1, branch_coverage=50)
    script = [
        call("inspect_function"),
        call("try_call", arguments=calls[0]),
        call("add_test", arguments=calls[0]),
        early,  # refused: the search knows calls that reach more
        *(c for a in calls[1:] for c in (call("try_call", arguments=a), call("add_test", arguments=a))),
        call("run_tests"),
        call("submit_result", tests_added=3, branch_coverage=100),
    ]
    result = run_agent(spec, FakeModel(script), f"{project / 'src' / 'calc.py'}::sign", transcript=tmp_path / "t.jsonl")
    assert result.status == "success", result.reason
    responses = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert responses[0]["try"] == calls[0]  # inspect_function offers the first call
    assert responses[3] == {
        "error": f"expected every branch a call can reach covered before submitting, got more: try `{calls[1]}`"
    }
    added = [r for r in responses if isinstance(r, dict) and "test" in r]
    assert [r.get("try") for r in added] == [calls[1], calls[2], None]  # each offers the next, the last none
    assert added[-1]["next"] == {"tool": "run_tests"}
    assert responses[-2]["next"] == {"tool": "submit_result", "tests_added": 3, "branch_coverage": 100}
    # every right call after the first copies the last successful response: `try` or `next`, whole
    made = [m["tool_calls"][0]["function"] for m in result.messages if m["role"] == "assistant"]
    assert made.pop(3)["name"] == "submit_result"  # the early submit (a mistake), refused
    last_ok = [r for r in responses if "error" not in r][:-1]
    assert len(made) - 1 == len(last_ok)
    for call_made, before in zip(made[1:], last_ok, strict=True):
        named = before.get("next") or {"tool": "try_call", "arguments": before["try"]}
        assert call_made == {"name": named["tool"], "arguments": {k: v for k, v in named.items() if k != "tool"}}
