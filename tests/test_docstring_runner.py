"""The docstring agent through the real runner (tool host, sandbox, apply) with a scripted model, and the exports
the evaluator uses: check_episode on an Episode, the no-model baseline in place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fakes import FakeModel

import toolsmith.docstring
from toolsmith.docstring import TOOLS, baseline, check_episode
from toolsmith.docstring.source import strip_docstrings
from toolsmith.shared.agent import AgentSpec, load_agent
from toolsmith.shared.chat import render
from toolsmith.shared.constants import START_FUNCTION_RESPONSE
from toolsmith.shared.domain import load_domain
from toolsmith.shared.episode import Episode
from toolsmith.shared.runner import Target, accepted_reply, format_result, resolve_targets, run_agent, run_targets

AGENT_YAML = Path(__file__).resolve().parents[1] / "agents" / "docstring" / "agent.yaml"
CODE = '''"""Shapes."""
import math  # used below


class Circle:
    """A circle."""

    def __init__(self, r):
        self.r = r  # radius

    def area(self, scale=1):
        return math.pi * self.r**2 * scale


def shrink(c, by):
    """Shrink a circle.

    Args:
        c: The circle.
        by: How much to take off the radius.

    Returns:
        A smaller circle.
    """
    return Circle(c.r - by)


def grow(c, by):
    # keep the comment
    if by < 0:
        raise ValueError("negative")
    return Circle(c.r + by)
'''
GROW = {
    "summary": "Grow a circle.",
    "args": {"c": "The circle.", "by": "How much to add to the radius."},
    "returns": "A bigger circle.",
    "raises": {"ValueError": "``by`` is negative."},
}


def call(name: str, **arguments) -> str:
    """What the model writes for one call (the project's own rendering), ending at the response marker."""
    msgs = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}]},
    ]
    return render(msgs, []).model_text()[0] + START_FUNCTION_RESPONSE


SCRIPT = [
    call("inspect_function"),
    call("write_docstring", **GROW),
    call("check_docstrings"),
    call("submit_result", documented=["c", "by"], remaining_problems=0),
]


@pytest.fixture
def spec() -> AgentSpec:
    return load_agent("docstring", path=AGENT_YAML, tools=TOOLS)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "shapes").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'shapes'\n", encoding="utf-8")
    (root / "shapes" / "geo.py").write_text(CODE, encoding="utf-8")
    return root


def test_the_domain_meets_the_protocol() -> None:
    module = load_domain("docstring")
    assert module.TERMINAL_TOOL == "submit_result" and module.TOOLS == TOOLS
    assert module.TRAIN["max_length"] >= 2048 and module.BASELINE


def test_a_run_shows_a_docstring_only_diff_and_leaves_the_file(spec: AgentSpec, project: Path, tmp_path: Path) -> None:
    path = project / "shapes" / "geo.py"
    result = run_agent(spec, FakeModel(SCRIPT), Target(path, "grow"), transcript=tmp_path / "t.jsonl")
    assert result.status == "success", result.reason
    assert path.read_text(encoding="utf-8") == CODE and not result.applied
    assert accepted_reply(result) == {"accepted": True, "summary": "Added a docstring to `grow`."}  # the tool's words
    assert '\nresult: {"summary": "Added a docstring to `grow`."}\n' in format_result(result)
    assert result.diff.startswith("--- a/shapes/geo.py\n+++ b/shapes/geo.py\n")
    added = [line[1:] for line in result.diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in result.diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert not removed and added[0] == '    """Grow a circle.' and added[-1] == '    """'
    final = result.final_text
    assert strip_docstrings(ast.parse(final)) == strip_docstrings(ast.parse(CODE))
    assert "    # keep the comment\n" in final and "import math  # used below\n" in final
    doc = ast.parse(final).body[-1].body[0]  # grow's new docstring
    assert added == final.splitlines()[doc.lineno - 1 : doc.end_lineno]
    root = tmp_path / "judged"  # as the evaluator judges a run: the case's files as the run left them
    (root / "shapes").mkdir(parents=True)
    (root / "shapes" / "geo.py").write_text(final, encoding="utf-8")
    before = {"shapes/geo.py": CODE}
    verdict = check_episode(Episode(root, "shapes/geo.py", "grow", before, result.submitted, meta={"truth": GROW}))
    assert verdict["success"], verdict["reason"]
    assert verdict["similarity"] == 1.0


def test_apply_writes_the_docstring_and_keeps_crlf(spec: AgentSpec, project: Path, tmp_path: Path) -> None:
    path = project / "shapes" / "geo.py"
    path.write_bytes(CODE.replace("\n", "\r\n").encode("utf-8"))
    result = run_agent(spec, FakeModel(SCRIPT), Target(path, "grow"), apply=True, transcript=tmp_path / "t.jsonl")
    assert result.status == "success" and result.applied, result.reason
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > CODE.count("\n")  # CRLF throughout, lines added
    assert b'    """Grow a circle.\r\n\r\n    Args:\r\n        c: The circle.\r\n' in data
    text = data.decode("utf-8")
    assert strip_docstrings(ast.parse(text)) == strip_docstrings(ast.parse(CODE))


def test_a_failed_run_writes_nothing_even_with_apply(spec: AgentSpec, project: Path, tmp_path: Path) -> None:
    path = project / "shapes" / "geo.py"
    wrong = call("write_docstring", **{**GROW, "args": {"c": "The circle.", "amount": "How much."}})
    result = run_agent(spec, FakeModel([SCRIPT[0], wrong, wrong, wrong]), Target(path, "grow"), apply=True)
    assert result.status == "failed" and not result.applied
    assert "expected args names of `grow` (c, by), got 'amount'" in str(result.steps[1].calls[0].result)
    assert path.read_text(encoding="utf-8") == CODE


def test_a_file_or_folder_is_one_run_per_function_class_and_method(
    spec: AgentSpec, project: Path, tmp_path: Path
) -> None:
    expected = ["grow", "shrink", "Circle", "Circle.__init__", "Circle.area"]
    targets = resolve_targets(project / "shapes" / "geo.py", spec.target_units)
    assert sorted(t.symbol for t in targets) == sorted(expected)
    submit = call("submit_result", summary="Nothing done.", documented=["c", "by"], remaining_problems=0)  # shrink's
    model = FakeModel(lambda i: [call("inspect_function"), submit][i % 2])
    results = run_targets(spec, model, project, transcript=tmp_path / "t.jsonl")
    assert sorted(r.target.rsplit("::", 1)[1] for r in results) == sorted(expected)
    inspected = {r.steps[0].calls[0].result["symbol"]: r.steps[0].calls[0].result for r in results}
    assert set(inspected) == set(expected)
    assert inspected["shrink"]["next"] == "submit_result"  # its docstring passes the checkers: nothing to do
    assert inspected["Circle"]["next"] == "write_docstring"  # "A circle." does not describe `r`
    assert inspected["Circle"]["params"] == ["r"] and inspected["Circle.area"]["params"] == ["scale"]
    assert inspected["grow"]["raises"] == ["ValueError"] and inspected["grow"]["returns"] is True
    for r in results:  # a submit is accepted only where the checkers pass: the others end refused, unchanged
        done = inspected[r.target.rsplit("::", 1)[1]]["next"] == "submit_result"
        assert (r.status == "success") == done and not r.diff, r.target
        refused = "expected a docstring the checkers pass before submitting, got "
        assert done or refused in str(r.steps[1].calls[0].result), r.steps[1].calls[0].result


def test_baseline_fills_a_skeleton_in_place(tmp_path: Path) -> None:
    path = tmp_path / "geo.py"
    path.write_bytes(CODE.replace("\n", "\r\n").encode("utf-8"))
    baseline(tmp_path, "geo.py", "grow")
    text = path.read_bytes().decode("utf-8")
    assert '    """_summary_\r\n\r\n    Args:\r\n        c (_type_): _description_\r\n' in text
    verdict = check_episode(Episode(tmp_path, "geo.py", "grow", {"geo.py": CODE}, None, judge_submission=False))
    assert not verdict["success"] and not verdict["no_placeholder"] and verdict["code_unchanged"]
    path.write_text(CODE, encoding="utf-8")
    baseline(tmp_path, "geo.py", None)  # a whole file: every symbol the checkers report
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documented = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and ast.get_docstring(n)]
    assert sorted(documented) == ["area", "grow", "shrink"]  # __init__: the class docstring now documents `r`
    assert '    """A circle.\n\n    Args:\n        r (_type_): _description_\n' in path.read_text(encoding="utf-8")


def test_check_episode_needs_a_symbol(tmp_path: Path) -> None:
    (tmp_path / "geo.py").write_text(CODE, encoding="utf-8")
    verdict = toolsmith.docstring.check_episode(Episode(tmp_path, "geo.py", None, {"geo.py": CODE}, None))
    assert verdict == {"success": False, "reason": "expected a run on one function, method or class, got a whole file"}
