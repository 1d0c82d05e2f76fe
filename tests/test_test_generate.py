"""The test agent's example generator: deterministic, verified by replay on the real tools, split by module,
recovery mistakes with the runner's own errors."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import toolsmith.test
from toolsmith.shared.agent import load_agent
from toolsmith.shared.data import check_example, load_examples
from toolsmith.shared.episode import Episode, materialize
from toolsmith.shared.examples import Case, record_case
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.runner import symbol_source
from toolsmith.shared.sandbox import open_sandbox
from toolsmith.shared.tools import response as tool_response
from toolsmith.shared.tools import run_tool, tool_schema
from toolsmith.test import dataset
from toolsmith.test.analysis import analyze
from toolsmith.test.checks import check_episode
from toolsmith.test.layout import OUTPUT

FILES = ("train.jsonl", "eval.jsonl", "summary.json")
COUNT, SEED = 4, 2
AGENT_YAML = Path(__file__).resolve().parents[1] / "agents" / "test" / "agent.yaml"
META = {"files", "target", "symbol", "source", "package", "branches", "expert_calls", "expert_coverage"}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("test-data")
    summary = toolsmith.test.generate(path, COUNT, SEED)
    assert summary["examples"] == {"train": 3, "eval": 1}
    assert summary["dropped"] == 0
    return path


@pytest.fixture(scope="module")
def rows(out: Path) -> list[dict]:
    return load_examples(out / "train.jsonl") + load_examples(out / "eval.jsonl")


def test_same_seed_same_bytes_and_recovery_off_is_the_right_calls_only(
    out: Path, rows: list[dict], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    toolsmith.test.generate(again, COUNT, SEED)
    for name in FILES:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    # mistakes draw from their own random stream: without them (and their errors) the rows are the plain ones
    toolsmith.test.generate(tmp_path / "plain", COUNT, SEED, recovery=False)
    plain = load_examples(tmp_path / "plain" / "train.jsonl") + load_examples(tmp_path / "plain" / "eval.jsonl")
    for with_mistakes, without in zip(rows, plain, strict=True):
        msgs = with_mistakes["messages"]
        kept = [m for i, m in enumerate(msgs) if m.get("weight") != 0 and msgs[i - 1].get("weight") != 0]
        assert kept == without["messages"]


def test_rows_are_valid_and_start_like_the_runner(rows: list[dict]) -> None:
    agent = load_agent("test", path=AGENT_YAML, tools=toolsmith.test.TOOLS)
    for row in rows:
        check_example(row)
        meta = row["meta"]
        assert set(meta) == META and meta["files"] == {meta["target"]: meta["files"][meta["target"]]}
        assert row["tools"] == agent.schemas
        code = symbol_source(meta["files"][meta["target"]], meta["symbol"])
        assert row["messages"][:2] == agent.first_messages(path=meta["target"], code=code, symbol=meta["symbol"])
        names = [
            m["tool_calls"][0]["function"]["name"] for m in row["messages"] if m.get("weight", 1) and "tool_calls" in m
        ]
        n = len(meta["expert_calls"])
        assert names == ["inspect_function", *["try_call", "add_test"] * n, "run_tests", "submit_result"]
        summary = f"Added {n} test{'s' if n != 1 else ''} for {meta['symbol']}; branch coverage "
        last = row["messages"][-1]
        assert last["name"] == "submit_result" and last["content"]["accepted"] is True
        assert last["content"]["summary"].startswith(summary)  # the tool writes it; the model copies the counts
        last_ok = None  # every right call after the first copies the last successful response: `next` or `try`
        for m in row["messages"][2:]:
            if m["role"] == "tool" and "error" not in m["content"]:
                last_ok = m["content"]
            elif m["role"] == "assistant" and m.get("weight", 1) and last_ok is not None:
                named = last_ok.get("next") or {"tool": "try_call", "arguments": last_ok["try"]}
                made = m["tool_calls"][0]["function"]
                assert made == {"name": named["tool"], "arguments": {k: v for k, v in named.items() if k != "tool"}}


def test_replay_reproduces_every_response_and_passes_the_checks(rows: list[dict], tmp_path: Path) -> None:
    tools = {f.__name__: f for f in toolsmith.test.TOOLS}
    schemas = {name: tool_schema(fn) for name, fn in tools.items()}
    for n, row in enumerate(rows):
        meta = row["meta"]
        project = tmp_path / str(n)
        materialize(project, meta["files"])
        guard = LoopGuard("submit_result")
        submitted = None
        with open_sandbox(
            project / meta["target"], symbol=meta["symbol"], outputs=(OUTPUT,), edits_target=False, project=project
        ) as box:
            msgs = row["messages"]
            for call, answer in zip(msgs[2::2], msgs[3::2], strict=True):
                fn = call["tool_calls"][0]["function"]
                value, error = guard.call(
                    fn["name"], fn["arguments"], lambda name, args: run_tool(tools[name], schemas[name], args)
                )
                assert answer == {"role": "tool", "name": fn["name"], "content": tool_response(value, error)}
                assert (error is not None) == (call.get("weight") == 0)  # mistakes fail, the rest succeed
                if fn["name"] == "submit_result":
                    submitted = fn["arguments"]
            verdict = check_episode(Episode.from_sandbox(box, submitted, meta))
        assert verdict["success"], (meta["source"], verdict["reason"])
        assert submitted["tests_added"] == len(meta["expert_calls"]) == verdict["tests"]


def test_split_by_source_module(out: Path) -> None:
    summary = json.loads((out / "summary.json").read_text())
    train, evals = (set(summary["source_modules"][k]) for k in ("train", "eval"))
    assert train and evals and not train & evals
    train_mods, eval_mods = dataset.CORPUS.split(random.Random(0), dataset.RECIPE.eval_share)
    assert not set(train_mods) & set(eval_mods)
    assert 0.05 < len(eval_mods) / (len(train_mods) + len(eval_mods)) < 0.15


class Always(random.Random):
    """A mistakes stream that always makes a mistake, at the first place it can."""

    def random(self) -> float:
        return 0.0

    def choice(self, seq):  # noqa: ANN001, ANN201 - random.Random's own signature
        return list(seq)[0]


CLAMP = 'def clamp(x, lo=0, hi=10):\n    """Clamp x."""\n    if x < lo:\n        raise ValueError("low")\n'
CLAMP += "    return min(x, hi)\n"


def test_recovery_mistakes_get_the_runners_errors_then_the_right_call() -> None:
    meta = {"files": {"m.py": CLAMP}, "target": "m.py", "symbol": "clamp", "source": "m:clamp", "package": "demo"}
    meta |= {"branches": 1, "expert_calls": ["1", "-1"], "expert_coverage": 1.0}  # the search's calls
    row, status = record_case(dataset.RECIPE, Case(meta["files"], "m.py", "clamp", meta), Always())
    assert status == "ok"
    msgs = row["messages"]
    wrong = [
        (m["tool_calls"][0]["function"], r["content"]["error"]) for m, r in zip(msgs, msgs[1:]) if m.get("weight") == 0
    ]
    assert wrong == [
        (
            {"name": "inspect_function", "arguments": {}},
            "expected progress, got the same inspect_function result as before (nothing changed since): "
            "call another tool, or submit_result when the task is done",
        ),
        ({"name": "try_call", "arguments": {"arguments": "x"}}, wrong[1][1]),
        ({"name": "try_call", "arguments": {"arguments": ""}}, wrong[2][1]),
        (
            {"name": "add_test", "arguments": {"arguments": "1"}},
            "expected arguments not pinned yet, got `1` (a test already pins it)",
        ),
    ]
    assert wrong[1][1].startswith("expected literals") and wrong[1][1].endswith("got `x`")
    assert wrong[2][1] == "expected arguments that fit clamp(x, lo=0, hi=10), got missing a required argument: 'x'"
    # each mistake is followed by the right call
    after = [msgs[i + 2]["tool_calls"][0]["function"] for i, m in enumerate(msgs) if m.get("weight") == 0]
    assert after[2] == {"name": "try_call", "arguments": {"arguments": "1"}}
    assert after[3] == {"name": "try_call", "arguments": {"arguments": "-1"}}


CLAMP3 = CLAMP.replace("    return min(x, hi)\n", "    if x > hi:\n        return hi\n    return x\n")


def test_a_submit_while_the_tools_offer_a_call_is_refused_then_that_call_is_tried() -> None:
    calls = ["1", "-1", "1, hi=0"]  # the search's calls for CLAMP3
    meta = {"files": {"m.py": CLAMP3}, "target": "m.py", "symbol": "clamp", "source": "m:clamp", "package": "demo"}
    meta |= {"branches": 2, "expert_calls": calls, "expert_coverage": 1.0}
    row, status = record_case(dataset.RECIPE, Case(meta["files"], "m.py", "clamp", meta), Always())
    assert status == "ok"
    msgs = row["messages"]
    early = [
        i
        for i, m in enumerate(msgs)
        if m.get("weight") == 0 and m["tool_calls"][0]["function"]["name"] == "submit_result"
    ]
    assert len(early) == 1
    i = early[0]
    error = msgs[i + 1]["content"]["error"]
    assert error.startswith("expected every branch a call can reach covered before submitting, got more: try `")
    offered = error.rsplit("`", 2)[1]
    assert offered in calls[1:] and msgs[i + 2]["tool_calls"][0]["function"] == {
        "name": "try_call",
        "arguments": {"arguments": offered},
    }


@pytest.mark.parametrize(
    ("source", "names", "misfits"),
    [
        ("def f(a, b=1):\n    return a\n", "a", ["", "1, 0, 0", "1, a_value=1"]),  # not the keyword `as`
        ("def f(*items, key=None):\n    return items\n", None, ["1, keys=1"]),
        ("def f(len, **kw):\n    return len\n", None, ["", "1, 0"]),  # `len` is a valid value
    ],
)
def test_wrong_arguments(source: str, names: str | None, misfits: list[str]) -> None:
    info = analyze(source, "f")
    assert dataset.parameter_names(info) == names
    assert dataset.misfits(info, "1") == misfits


def test_functions_without_branches_are_capped() -> None:
    snippet = next(s for s in dataset.CORPUS.snippets("toolz.utils") if s.name == "raises")
    assert dataset.make_case(snippet, None, Always()) != "no branches (capped)"
    never = random.Random()
    never.random = lambda: 0.99  # type: ignore[method-assign]
    assert dataset.make_case(snippet, None, never) == "no branches (capped)"
