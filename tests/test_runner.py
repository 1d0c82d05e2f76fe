"""The FunctionGemma runner's control flow, driven by a scripted fake model (no GGUF needed)."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from fakes import FakeModel, read_file, write_file

from toolsmith.shared import cli
from toolsmith.shared.agent import AgentSpec, AgentSpecError, load_agent
from toolsmith.shared.constants import END_OF_TURN, START_FUNCTION_RESPONSE, TRIGGER
from toolsmith.shared.data import check_example
from toolsmith.shared.domain import repo_root
from toolsmith.shared.isolate import Limits, run_isolated
from toolsmith.shared.runner import STATUSES, RunResult, Target, resolve_targets, run_agent, run_targets
from toolsmith.shared.sandbox import current

# ------------------------------------------------------------------------------------------------ tools


def where() -> dict:
    """Where the agent works."""
    box = current()
    return {"target": box.rel_target, "symbol": box.symbol}


def explode(message: str) -> str:
    """Always fails.

    Args:
        message: What to fail with.
    """
    raise RuntimeError(message)


def nap(seconds: float) -> str:
    """Sleep.

    Args:
        seconds: How long.
    """
    time.sleep(seconds)
    return "rested"


def linger(seconds: float) -> str:
    """Start a sleeping subprocess, sleep, then edit the target.

    Args:
        seconds: How long to sleep before the edit.
    """
    box = current()
    child = subprocess.Popen(["sleep", "600"])
    (box.home / "child.pid").write_text(str(child.pid))
    time.sleep(seconds)
    box.write("late = 1\n")
    return "done"


def create(text: str) -> dict:
    """Write the agent's declared output file.

    Args:
        text: Its content.
    """
    box = current()
    box.write(text, box.outputs[0])
    return {"created": box.outputs[0]}


def run_user(function: str) -> dict:
    """Call a function of the user's module in a limited child process.

    Args:
        function: The function's name.
    """
    box = current()
    module = Path(box.rel_target).stem
    limits = Limits(timeout_s=2, cpu_s=2, memory_mb=256)
    r = run_isolated(
        "isolate_entries:call",
        {"module": module, "function": function},
        cwd=box.target.parent,
        limits=limits,
        path=[Path(__file__).parent],
    )
    if not r.ok:
        raise ValueError(f"expected {function}() to return, got {r.error_type}: {r.error}")
    return {"value": r.value}


def submit(summary: str) -> dict:
    """Submit the result and end the run.

    Args:
        summary: What was done.
    """
    return {"accepted": True}


TOOLS = (read_file, write_file, where, explode, nap, linger, create, run_user, submit)
CODE = "def alpha():\n    return 1\n\n\nclass Beta:\n    def gamma(self):\n        return 2\n"


def make_spec(tmp_path: Path, **overrides) -> AgentSpec:
    raw = {
        "system_prompt": TRIGGER,
        "context_template": "Work on {{ path }}{% if symbol %} (only `{{ symbol }}`){% endif %}:\n{{ code }}",
        "tools": [t.__name__ for t in TOOLS],
        "terminal_tool": "submit",
        "max_turns": 6,
        "max_retries": 2,
        "tool_timeout_s": 0.3,
        "sampling": {"max_tokens": 64},
    }
    raw.update(overrides)
    path = tmp_path / "agent" / "agent.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_agent("lint", path=path, tools=TOOLS)


def val(x) -> str:
    return f"<escape>{x}<escape>" if isinstance(x, str) else json.dumps(x)


def call(name: str, **args) -> str:
    body = ",".join(f"{k}:{val(v)}" for k, v in sorted(args.items()))
    return f"<start_function_call>call:{name}{{{body}}}<end_function_call>{START_FUNCTION_RESPONSE}"


SUBMIT = call("submit", summary="done")


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    f = tmp_path / "src" / "t.py"
    f.write_text(CODE, encoding="utf-8")
    return f


def go(tmp_path: Path, target, outputs, spec: AgentSpec | None = None, **kw) -> tuple[RunResult, FakeModel]:
    spec = spec or make_spec(tmp_path)
    model = FakeModel(outputs)
    result = run_agent(spec, model, target, transcript=tmp_path / "runs" / "t.jsonl", **kw)
    assert result.status in STATUSES
    check_transcript(result)
    return result, model


def check_transcript(result: RunResult) -> None:
    rows = [json.loads(line) for line in result.transcript.read_text(encoding="utf-8").splitlines()]
    row = rows[-1]
    check_example(row)
    assert row["messages"] == result.messages
    assert row["meta"]["status"] == result.status and row["meta"]["reason"] == result.reason
    assert row["meta"]["target"] == result.target and len(row["meta"]["steps"]) == result.turns
    assert {"total_s", "generation_s", "tool_s", "evaluated_tokens"} <= set(row["meta"]["timings"])


def tool_messages(result: RunResult) -> list[dict]:
    return [m for m in result.messages if m["role"] == "tool"]


# ------------------------------------------------------------------------------------------- endings


def test_success_through_the_terminal_tool(tmp_path, work):
    result, model = go(tmp_path, work, [call("read_file", path="t.py"), SUBMIT])
    assert (result.status, result.turns, result.submitted) == ("success", 2, {"summary": "done"})
    assert result.steps[0].calls[0].result == CODE and result.steps[0].error is None
    assert [m["name"] for m in tool_messages(result)] == ["read_file", "submit"]
    assert tool_messages(result)[-1]["content"] == {"accepted": True}
    assert result.diff == "" and not result.applied
    assert "submit" in result.reason
    assert model.reuse == [True, True]


def test_a_text_answer_is_no_submission(tmp_path, work):
    # only the terminal tool ends a run as a success: a text answer is answered with an error, and never applied
    edit = call("write_file", path="t.py", text="x = 1\n")
    result, _ = go(tmp_path, work, [edit] + ["Nothing to fix here." + END_OF_TURN] * 3, apply=True)
    assert (result.status, result.answer, result.submitted) == ("failed", "Nothing to fix here.", None)
    assert result.messages[4] == {"role": "assistant", "content": "Nothing to fix here."}
    assert result.messages[5] == {
        "role": "user",
        "content": "error: expected a call to submit to end the task, got a text answer",
    }
    assert not result.applied and work.read_text(encoding="utf-8") == CODE
    result, _ = go(tmp_path, work, ["Done." + END_OF_TURN, SUBMIT])
    assert result.status == "success" and result.steps[0].error


def test_parallel_calls_run_in_order_and_stop_at_the_terminal_tool(tmp_path, work):
    both = (
        call("where").removesuffix(START_FUNCTION_RESPONSE)
        + SUBMIT.removesuffix(START_FUNCTION_RESPONSE)
        + call("explode", message="never").removesuffix(START_FUNCTION_RESPONSE)
        + START_FUNCTION_RESPONSE
    )
    result, _ = go(tmp_path, work, [both])
    assert result.status == "success" and result.turns == 1
    assert [c.name for c in result.steps[0].calls] == ["where", "submit"]


# ------------------------------------------------------------------------------------ failures as data


def test_unparseable_output_then_recovery(tmp_path, work):
    bad = "<start_function_call>call:read_file{path:<escape>t.py}<end_function_call>" + START_FUNCTION_RESPONSE
    result, model = go(tmp_path, work, [bad, SUBMIT])
    assert result.status == "success" and result.turns == 2
    assert "unterminated" in result.steps[0].error and result.steps[0].calls == ()
    assert result.messages[2] == {"role": "assistant", "content": bad.removesuffix(START_FUNCTION_RESPONSE)}
    assert result.messages[3]["role"] == "user" and result.messages[3]["content"].startswith("error: expected")
    assert model.prompts[1].endswith("<start_of_turn>model\n")


@pytest.mark.parametrize(
    ("output", "needle"),
    [
        ("", "empty output"),
        (END_OF_TURN, "empty output"),
        ("I think the answer is", "cut off"),
        ("Let me call it." + START_FUNCTION_RESPONSE, "before the function response"),
        ("call:read_file{path:<escape>t.py<escape>}" + START_FUNCTION_RESPONSE, "before the function response"),
    ],
)
def test_unusable_output_is_answered_with_a_user_error(tmp_path, work, output, needle):
    result, _ = go(tmp_path, work, [output, SUBMIT])
    assert needle in result.steps[0].error and result.status == "success"
    users = [m["content"] for m in result.messages[2:] if m["role"] == "user"]
    assert users == ["error: " + result.steps[0].error]


def test_a_call_the_grammar_closed_at_max_tokens_is_not_run(tmp_path, work):
    # well-formed, but its values were cut where the budget ran out: answered with an error, the file untouched
    closed = (call("write_file", path="t.py", text="def alpha():\n    ret"), "closed")
    result, _ = go(tmp_path, work, [closed, SUBMIT])
    assert result.status == "success" and result.steps[0].calls == ()
    assert result.steps[0].error == "expected the call to end within max_tokens=64, got it cut there (not run)"
    assert result.diff == "" and result.messages[3] == {"role": "user", "content": "error: " + result.steps[0].error}


def test_unknown_tool(tmp_path, work):
    result, _ = go(tmp_path, work, [call("delete_everything", path="t.py"), SUBMIT])
    assert result.status == "success"
    assert (
        result.steps[0].error.startswith("expected a call to one of [")
        and "'delete_everything'" in result.steps[0].error
    )
    # the bad call stays as assistant text (not as a tool call to an undeclared tool) and a user error follows
    assert result.messages[2]["content"].startswith("<start_function_call>call:delete_everything")
    assert result.messages[3]["content"].startswith("error: ")


def test_bad_arguments(tmp_path, work):
    outputs = [
        call("read_file", path=3),
        call("read_file"),
        call("read_file", path="t.py", mode="r"),
        call("write_file", path="t.py", text=5),
        SUBMIT,
    ]
    result, _ = go(tmp_path, work, outputs, spec=make_spec(tmp_path, max_retries=5))
    assert result.status == "success"
    errors = [m["content"]["error"] for m in tool_messages(result)[:4]]
    assert errors[0] == "expected path of type string, got int 3"
    assert errors[1] == "expected argument 'path', got none"
    assert errors[2].startswith("expected one of ['path'] as argument, got 'mode'")
    assert errors[3] == "expected text of type string, got int 5"
    assert result.diff == ""  # the rejected write never ran


def test_tool_raising(tmp_path, work):
    result, _ = go(tmp_path, work, [call("explode", message="boom"), SUBMIT])
    assert result.status == "success"
    assert tool_messages(result)[0] == {"role": "tool", "name": "explode", "content": {"error": "RuntimeError: boom"}}
    assert result.steps[0].error == "explode: RuntimeError: boom"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_tool_timing_out(tmp_path, work):
    result, _ = go(tmp_path, work, [call("nap", seconds=30), call("nap", seconds=0.01), SUBMIT])
    assert result.status == "success"
    assert "timed out" in tool_messages(result)[0]["content"]["error"]
    assert tool_messages(result)[1]["content"] == "rested"  # a fresh tool process took the next call
    assert result.steps[0].tool_s < 10  # stopped at its 0.3 s limit, not after 30 s


def test_nothing_a_timed_out_tool_started_outlives_it(tmp_path, work):
    seen = {}

    def outputs(i):
        if i == 1:
            seen["pid"] = int(next(Path("/tmp").glob("toolsmith-*/child.pid")).read_text())
        return [call("linger", seconds=2.0), SUBMIT][i]

    result, _ = go(tmp_path, work, outputs)
    assert result.status == "success" and "timed out" in tool_messages(result)[0]["content"]["error"]
    deadline = time.monotonic() + 5
    while alive(seen["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(seen["pid"])  # its subprocess was killed with it
    assert result.diff == ""


def test_retries_exhausted(tmp_path, work):
    result, _ = go(tmp_path, work, ["garbage" + START_FUNCTION_RESPONSE] * 3 + [SUBMIT])
    assert (result.status, result.turns) == ("failed", 3)
    assert "3 consecutive failed steps (max_retries=2)" in result.reason


def test_a_good_step_resets_the_failure_count(tmp_path, work):
    bad = call("explode", message="x")
    outputs = [bad, bad, call("where"), bad, bad, SUBMIT]
    result, _ = go(tmp_path, work, outputs)
    assert result.status == "success" and result.turns == 6


def test_turn_limit(tmp_path, work):
    def naps(i):
        return call("nap", seconds=0.001 * (i + 1))

    result, model = go(tmp_path, work, naps)
    assert (result.status, result.turns, len(model.prompts)) == ("turn_limit", 6, 6)
    result, _ = go(tmp_path, work, naps, max_turns=2)
    assert (result.status, result.turns) == ("turn_limit", 2)
    assert "max_turns=2" in result.reason


def test_no_progress_loops_end_early(tmp_path, work):
    # the same call with the same result: the model is told it made no progress (and can recover)
    result, _ = go(tmp_path, work, [call("where"), call("where"), SUBMIT])
    assert result.status == "success"
    assert tool_messages(result)[1]["content"] == {
        "error": "expected progress, got the same where result as before (nothing changed since): "
        "call another tool, or submit when the task is done"
    }
    # a model that keeps looping fails after max_retries instead of running to max_turns or n_ctx
    result, model = go(tmp_path, work, lambda i: call("where"), spec=make_spec(tmp_path, max_turns=50))
    assert (result.status, result.turns) == ("failed", 4) and "expected progress" in result.reason


def test_a_call_that_just_failed_is_not_run_again(tmp_path, work):
    boom = call("explode", message="boom")
    result, _ = go(tmp_path, work, [boom, boom, SUBMIT])
    assert result.status == "success"
    second = tool_messages(result)[1]["content"]["error"]
    assert second == "expected a different call, got the same explode call that just failed (RuntimeError: boom)"
    assert result.steps[1].calls[0].seconds < result.steps[0].calls[0].seconds  # refused before any tool ran


def test_after_a_failed_step_the_model_is_told_which_outputs_to_avoid_and_what_was_wrong(tmp_path, work):
    boom = call("explode", message="expected calm, got 'boom'")
    garbled = "<start_function_call>call:where{<end_function_call>"
    result, model = go(tmp_path, work, [call("where"), boom, garbled, call("nap", seconds=0.01), SUBMIT])
    assert result.status == "success"
    first, after_ok, after_boom, after_garbled, after_recovery = model.avoids
    assert first is None and after_ok is None and after_recovery is None  # only after a failed step
    # after a refused call: that call (alone or beside another), not another
    assert after_boom(boom) and after_boom(call("where").removesuffix(START_FUNCTION_RESPONSE) + boom)
    assert not after_boom(call("explode", message="bang")) and not after_boom(call("where")) and not after_boom(SUBMIT)
    # after unusable output: that output, and the failed outputs before it
    assert after_garbled(garbled) and after_garbled(boom) and not after_garbled(call("where"))
    # what the error said it got, where the output holds it
    assert model.blames[2] == ("boom",) and model.blames[0] == model.blames[1] == model.blames[4] == ()
    assert not any(s.second_choice for s in result.steps)  # the fake model never takes one


def test_a_target_too_big_for_the_context_is_refused_up_front(tmp_path, work):
    big = work.parent / "big.py"
    big.write_text("def big():\n" + "    x = 1\n" * 2000, encoding="utf-8")
    model = FakeModel([SUBMIT])
    with pytest.raises(ValueError, match=r"big\.py: expected the task to fit the model's 4096-token context, got"):
        run_agent(make_spec(tmp_path), model, big, transcript=tmp_path / "t.jsonl")
    assert model.prompts == [] and not (tmp_path / "t.jsonl").exists()


def test_long_tool_responses_are_cut_before_the_model_sees_them(tmp_path, work):
    result, model = go(
        tmp_path, work, [call("write_file", path="t.py", text="x" * 9000), call("read_file", path="t.py"), SUBMIT]
    )
    text = tool_messages(result)[1]["content"]
    assert len(text) < 4000 and text.endswith("characters cut]") and text.startswith("xxx")


def test_model_error_fails_the_run(tmp_path, work):
    class Broken(FakeModel):
        def generate(self, prompt, **kw):
            raise ValueError("expected a prompt under 4096 tokens, got 5000")

    result = run_agent(make_spec(tmp_path), Broken([]), work, transcript=tmp_path / "t.jsonl")
    assert result.status == "failed" and "4096" in result.reason and result.turns == 0


# --------------------------------------------------------------------------------------------- sandbox


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "sub/../../x"])
def test_sandbox_escapes_fail_as_data(tmp_path, work, path):
    (work.parent.parent / "x").write_text("outside", encoding="utf-8")
    result, _ = go(tmp_path, work, [call("read_file", path=path), call("write_file", path=path, text="pwned"), SUBMIT])
    assert result.status == "success"
    for m in tool_messages(result)[:2]:
        assert m["content"]["error"].startswith("expected a relative path inside the sandbox")
    assert (work.parent.parent / "x").read_text(encoding="utf-8") == "outside"


def test_user_file_changes_only_with_apply_after_success(tmp_path, work):
    edit = call("write_file", path="t.py", text="x = 1\n")
    result, _ = go(tmp_path, work, [edit, SUBMIT])
    assert result.status == "success" and not result.applied
    assert "+x = 1" in result.diff and "-def alpha():" in result.diff
    assert work.read_text(encoding="utf-8") == CODE

    result, _ = go(tmp_path, work, [edit, "junk", "junk", "junk"], apply=True)
    assert result.status == "failed" and not result.applied and result.diff
    assert work.read_text(encoding="utf-8") == CODE

    result, _ = go(tmp_path, work, lambda i: call("write_file", path="t.py", text=f"x = {i}\n"), apply=True)
    assert result.status == "turn_limit" and not result.applied
    assert work.read_text(encoding="utf-8") == CODE

    result, _ = go(tmp_path, work, [edit, SUBMIT], apply=True)
    assert result.status == "success" and result.applied
    assert work.read_text(encoding="utf-8") == "x = 1\n"
    assert json.loads(result.transcript.read_text().splitlines()[-1])["meta"]["applied"] is True


def test_apply_is_atomic(tmp_path, work, monkeypatch):
    edit = call("write_file", path="t.py", text="y = 2\n")

    def no_rename(*args):
        raise OSError("disk full")

    monkeypatch.setattr("toolsmith.shared.io.os.replace", no_rename)
    result, _ = go(tmp_path, work, [edit, SUBMIT], apply=True)
    assert result.status == "failed" and "could not apply" in result.reason and "disk full" in result.reason
    assert not result.applied
    assert work.read_text(encoding="utf-8") == CODE
    assert sorted(p.name for p in work.parent.iterdir()) == ["t.py"]
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)

    result, _ = go(tmp_path, work, [edit, SUBMIT], apply=True)
    assert result.applied and work.read_text(encoding="utf-8") == "y = 2\n"
    assert sorted(p.name for p in work.parent.iterdir()) == ["t.py"]


def test_no_apply_when_the_user_edits_during_the_run(tmp_path, work):
    def outputs(i):
        if i == 1:
            work.write_text("# edited by the user\n", encoding="utf-8")
        return [call("write_file", path="t.py", text="z = 3\n"), SUBMIT][i]

    result, _ = go(tmp_path, work, outputs, apply=True)
    assert result.status == "failed" and not result.applied and "edited" in result.reason
    assert work.read_text(encoding="utf-8") == "# edited by the user\n"


# --------------------------------------------------------------------------------------------- targets


def test_symbol_target(tmp_path, work):
    result, model = go(tmp_path, f"{work}::Beta", [call("where"), SUBMIT])
    assert result.target == f"{work}::Beta"
    assert result.steps[0].calls[0].result == {"target": "t.py", "symbol": "Beta"}
    user = result.messages[1]["content"]
    assert user.startswith("Work on t.py (only `Beta`):\nclass Beta:") and "alpha" not in user
    assert resolve_targets(f"{work}::Beta.gamma") == [Target(work, "Beta.gamma")]


def test_symbol_not_found_names_the_file(tmp_path, work):
    with pytest.raises(ValueError, match=r"t\.py: expected a function or class named 'delta', got none"):
        resolve_targets(f"{work}::delta")
    with pytest.raises(FileNotFoundError, match="nope.py"):
        resolve_targets("nope.py::f")


def test_directory_target(tmp_path, work):
    root = work.parent
    (root / "b").mkdir()
    (root / "b" / "a.py").write_text("async def g():\n    pass\n", encoding="utf-8")
    (root / "broken.py").write_text("def (:\n", encoding="utf-8")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "h.py").write_text("def h():\n    pass\n", encoding="utf-8")
    (root / "empty.py").write_text("X = 1\n", encoding="utf-8")
    # whole files by default: module-level code is covered too
    assert resolve_targets(root) == [Target(root / "b" / "a.py"), Target(root / "empty.py"), Target(work)]
    assert resolve_targets(root, "functions") == [Target(root / "b" / "a.py", "g"), Target(work, "alpha")]
    assert resolve_targets(root, "classes") == [Target(work, "Beta")]
    assert resolve_targets(work, "definitions") == [
        Target(work, "alpha"),
        Target(work, "Beta"),
        Target(work, "Beta.gamma"),
    ]
    expected = [Target(root / "b" / "a.py", "g"), Target(work, "alpha"), Target(work, "Beta")]
    spec = make_spec(tmp_path, target_units="definitions")
    expected = [*expected, Target(work, "Beta.gamma")]
    assert resolve_targets(root, "definitions") == expected
    assert resolve_targets(str(root), "definitions") == expected  # deterministic
    model = FakeModel(lambda i: [call("where"), SUBMIT][i % 2])
    results = run_targets(spec, model, root, transcript=tmp_path / "dir.jsonl")
    assert [r.target for r in results] == [str(t) for t in expected]
    assert all(r.status == "success" for r in results)
    assert [r.steps[0].calls[0].result["symbol"] for r in results] == ["g", "alpha", "Beta", "Beta.gamma"]
    lines = (tmp_path / "dir.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    for line in lines:
        check_example(json.loads(line))
    with pytest.raises(ValueError, match="use run_targets"):
        run_agent(spec, model, root)


def test_a_folder_run_goes_on_after_a_target_it_cannot_work_on(tmp_path, work, caplog):
    root = work.parent
    (root / "big.py").write_text("def big():\n" + "    x = 1\n" * 2000, encoding="utf-8")  # sorts before t.py
    seen = []
    with caplog.at_level(logging.WARNING):
        results = run_targets(
            make_spec(tmp_path), FakeModel([SUBMIT]), root, on_result=seen.append, transcript=tmp_path / "t.jsonl"
        )
    assert [(Path(r.target).name, r.status) for r in results] == [("big.py", "failed"), ("t.py", "success")]
    assert "big.py: expected the task to fit the model's 4096-token context" in results[0].reason
    assert results[0].turns == 0 and not results[0].applied and "skipped" in caplog.text
    assert seen == results  # each result handed over as it is made


def test_default_transcript_path(tmp_path, work):
    # in the toolsmith checkout's runs/<domain>/ (git-ignored), not in the folder the command ran from
    result = run_agent(make_spec(tmp_path), FakeModel([SUBMIT]), work)
    try:
        assert result.transcript.parent == repo_root() / "runs" / "lint" and result.transcript.suffix == ".jsonl"
        assert result.transcript.is_file() and not (tmp_path / "runs").exists()
    finally:
        result.transcript.unlink()


# ----------------------------------------------------------------------------------------- KV prefix


def test_each_prompt_extends_the_previous_one(tmp_path, work):
    bad = "<start_function_call>call:where{oops}<end_function_call>" + START_FUNCTION_RESPONSE
    outputs = [call("read_file", path="t.py"), call("explode", message="x"), bad, "cut", SUBMIT]
    result, model = go(tmp_path, work, outputs, spec=make_spec(tmp_path, max_retries=3), reuse_cache=False)
    assert result.status == "success" and model.reuse == [False] * 5
    p = model.prompts
    assert p[0].endswith("<start_of_turn>model\n")
    # a successful call: the next prompt is the previous one + the call as written + its response
    assert p[1].startswith(p[0] + outputs[0])
    assert p[1].endswith("<end_function_response>")
    # a tool error stays in the turn the same way
    assert p[2].startswith(p[1] + outputs[1])
    # unusable output: what the model wrote (stop token dropped), then a user turn with the error
    assert p[3].startswith(p[2] + bad.removesuffix(START_FUNCTION_RESPONSE) + END_OF_TURN + "\n<start_of_turn>user\n")
    assert p[4].startswith(p[3] + "cut" + END_OF_TURN)


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_missing_model(tmp_path, work, monkeypatch, capsys):
    spec = make_spec(tmp_path)
    monkeypatch.setattr("toolsmith.shared.agent.load_agent", lambda domain: spec)
    assert cli.main(["run", "lint", str(work)]) == 1
    err = capsys.readouterr().err
    assert "expected a GGUF at" in err and "make train-lint" in err


def test_cli_run_prints_trace_diff_and_status(tmp_path, work, monkeypatch, capsys):
    spec = make_spec(tmp_path)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    scripts = {"ok": [call("write_file", path="t.py", text="x = 1\n"), SUBMIT], "bad": ["junk"] * 3}
    seen = {}

    def fake_gguf(path, n_ctx=4096, n_threads=None, jump_forward=True):
        seen["path"], seen["jump_forward"] = path, jump_forward
        return FakeModel(scripts[seen["script"]])

    monkeypatch.setattr("toolsmith.shared.agent.load_agent", lambda domain: spec)
    monkeypatch.setattr("toolsmith.shared.llm.GGUFModel", fake_gguf)
    seen["script"] = "ok"
    assert cli.main(["run", "lint", str(work), "--model", str(gguf), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "call write_file" in out and "status: success" in out and "+x = 1" in out
    assert f"transcript: {repo_root() / 'runs' / 'lint'}" in out
    assert work.read_text(encoding="utf-8") == "x = 1\n" and seen["path"] == gguf
    assert seen["jump_forward"] is spec.jump_forward
    assert cli.main(["run", "lint", str(work), "--model", str(gguf), "--isolated"]) == 0  # the project's config off
    capsys.readouterr()
    seen["script"] = "bad"
    assert cli.main(["run", "lint", str(work), "--model", str(gguf), "--max-turns", "2"]) == 1
    assert "status: turn_limit" in capsys.readouterr().out


# ------------------------------------------------------------------------------------- outputs, user code


def test_an_agent_creates_a_file_shown_in_the_diff_and_written_only_with_apply(tmp_path, work):
    spec = make_spec(tmp_path, outputs=["tests/test_{module}_{symbol}.py"])
    new = work.parent / "tests" / "test_t_alpha.py"
    steps = [call("create", text="def test_alpha():\n    assert True\n"), SUBMIT]
    result, _ = go(tmp_path, f"{work}::alpha", steps, spec=spec)
    assert result.status == "success" and not result.applied and not new.exists()
    assert "--- /dev/null\n+++ b/tests/test_t_alpha.py\n" in result.diff and "+def test_alpha():" in result.diff
    assert result.changes == {"tests/test_t_alpha.py": "def test_alpha():\n    assert True\n"}
    # the target itself is not the agent's to change when it declares outputs
    result, _ = go(tmp_path, f"{work}::alpha", [call("write_file", path="t.py", text="x"), SUBMIT], spec=spec)
    assert "expected one of the files this agent may write" in tool_messages(result)[0]["content"]["error"]

    result, _ = go(tmp_path, f"{work}::alpha", steps, spec=spec, apply=True)
    assert result.applied and result.written == ["tests/test_t_alpha.py"]
    assert new.read_text(encoding="utf-8") == "def test_alpha():\n    assert True\n"
    assert work.read_text(encoding="utf-8") == CODE

    new.write_text("# mine\n", encoding="utf-8")  # exists now: refused without --overwrite, nothing written
    result, _ = go(tmp_path, f"{work}::alpha", steps, spec=spec, apply=True)
    assert result.status == "failed" and "use --overwrite" in result.reason and not result.applied
    assert new.read_text(encoding="utf-8") == "# mine\n"
    result, _ = go(tmp_path, f"{work}::alpha", steps, spec=spec, apply=True, overwrite=True)
    assert result.applied and new.read_text(encoding="utf-8").startswith("def test_alpha")


USER = """import socket
import time


def sleep_forever():
    while True:
        time.sleep(1)


def allocate():
    blocks = []
    while True:
        blocks.append(bytearray(50 << 20))


def connect():
    return socket.create_connection(("127.0.0.1", {port}), timeout=1).fileno()


def fine():
    return 42
"""


def test_user_code_cannot_hang_exhaust_or_reach_the_network_through_a_tool(tmp_path, monkeypatch):
    import socket

    monkeypatch.chdir(tmp_path)
    server = socket.create_server(("127.0.0.1", 0))  # a listener the user code would reach without isolation
    user = tmp_path / "proj" / "user.py"
    user.parent.mkdir()
    user.write_text(USER.format(port=server.getsockname()[1]), encoding="utf-8")
    outputs = [call("run_user", function=f) for f in ("sleep_forever", "allocate", "connect", "fine")] + [SUBMIT]
    try:
        result, _ = go(tmp_path, user, outputs, spec=make_spec(tmp_path, tool_timeout_s=30, max_retries=5))
    finally:
        server.close()
    errors = [m["content"] for m in tool_messages(result)]
    assert errors[0]["error"].startswith("expected sleep_forever() to return, got Timeout")
    assert errors[1]["error"].startswith("expected allocate() to return, got MemoryError")
    assert "connect() to return, got" in errors[2]["error"] and "unreachable" in errors[2]["error"].lower()
    assert errors[3] == {"value": 42} and result.status == "success"


def test_the_grammar_switch_hands_the_model_the_agents_call_grammar(tmp_path, work):
    spec = make_spec(tmp_path, sampling={"max_tokens": 64, "grammar": True})
    result, model = go(tmp_path, work, [call("where"), SUBMIT], spec=spec)
    assert result.status == "success" and len(set(model.grammars)) == 1 and model.grammars[0]
    assert all(f'"{t.__name__}{{"' in model.grammars[0] for t in TOOLS)  # every declared tool, nothing else
    _, model = go(tmp_path, work, [SUBMIT])
    assert model.grammars == [None]
    with pytest.raises(AgentSpecError, match="sampling.grammar"):
        make_spec(tmp_path, sampling={"grammar": "yes"})
    # jump-forward decoding under the grammar: on unless the agent turns it off
    assert spec.jump_forward and not make_spec(tmp_path, sampling={"jump_forward": False}).jump_forward
    with pytest.raises(AgentSpecError, match="sampling.jump_forward"):
        make_spec(tmp_path, sampling={"jump_forward": 1})


def test_project_files_named_like_standard_modules_do_not_shadow_the_tool_host(tmp_path, monkeypatch):
    """The host starts in the project's sandbox copy: a project's ``_compression.py`` (Python's own module, as in the
    standard library's source) or ``json.py`` must not replace the modules the host imports."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    for name in ("_compression", "json", "tempfile", "select"):
        (project / f"{name}.py").write_text(f"raise SystemExit('imported the project {name}.py')\n", encoding="utf-8")
    target = project / "_compression.py"
    monkeypatch.chdir(project)
    result, _ = go(tmp_path, target, [call("where"), SUBMIT])
    assert result.status == "success", result.reason
    assert tool_messages(result)[0]["content"] == {"target": "_compression.py", "symbol": None}
