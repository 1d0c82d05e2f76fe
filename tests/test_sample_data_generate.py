"""The sample_data example generator: deterministic, verified by replay through the real tools and the loop guard,
split so eval field names are unseen, with realistic recovery mistakes."""

from __future__ import annotations

import itertools
import json
import random
import re
import shutil
from pathlib import Path

import pytest
from test_sample_data_checks import record_expert
from test_sample_data_describe import make_project

import toolsmith.sample_data
from toolsmith.sample_data import dataset, expert
from toolsmith.sample_data.checks import check_episode
from toolsmith.sample_data.corpus import composed_target, eval_names
from toolsmith.sample_data.tools import TOOLS
from toolsmith.shared.agent import load_agent
from toolsmith.shared.data import check_example, load_examples
from toolsmith.shared.episode import Episode, materialize
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.sandbox import open_sandbox
from toolsmith.shared.tools import response as tool_response
from toolsmith.shared.tools import run_tool, tool_schema

FILES = ("train.jsonl", "eval.jsonl", "summary.json")
COUNT, SEED = 8, 3


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample-data")
    summary = toolsmith.sample_data.generate(path, COUNT, SEED)
    assert summary["examples"] == {"train": 7, "eval": 1}
    return path


@pytest.fixture(scope="module")
def rows(out: Path) -> list[dict]:
    return load_examples(out / "train.jsonl") + load_examples(out / "eval.jsonl")


def test_same_seed_same_bytes(out: Path, tmp_path: Path) -> None:
    toolsmith.sample_data.generate(tmp_path, COUNT, SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_rows_are_valid_and_start_like_the_runner(rows: list[dict]) -> None:
    agent = load_agent("sample_data", tools=TOOLS)
    schemas = [tool_schema(f) for f in agent.tools]
    for row in rows:
        check_example(row)
        meta = row["meta"]
        assert {"files", "target", "symbol", "source", "package", "kind"} <= set(meta)
        assert meta["target"] in meta["files"] and row["tools"] == schemas
        assert row["messages"][:2] == agent.first_messages(path=meta["target"], code="", symbol=meta["symbol"])
        names = [m["tool_calls"][0]["function"]["name"] for m in row["messages"] if m.get("tool_calls")]
        assert names[0] == "describe_target" and names[-1] == "submit_result"
        assert row["messages"][-1] == {"role": "tool", "name": "submit_result", "content": {"accepted": True}}


def test_replay_reproduces_every_tool_output_and_the_result_passes(rows: list[dict], tmp_path: Path) -> None:
    # every response, mistakes included, is what the runner's own path (loop guard, schema check, tool) gives
    agent = load_agent("sample_data", tools=TOOLS)
    tools = agent.tool_by_name
    schemas = {s["function"]["name"]: s for s in agent.schemas}
    for n, row in enumerate(rows):
        meta = row["meta"]
        project = tmp_path / str(n)
        materialize(project, meta["files"])
        guard = LoopGuard("submit_result")
        with open_sandbox(
            project / meta["target"], meta["symbol"], outputs=agent.outputs, edits_target=False, project=project
        ) as box:
            submitted = None
            msgs = row["messages"]
            for call, answer in zip(msgs[2::2], msgs[3::2], strict=True):
                fn = call["tool_calls"][0]["function"]
                value, error = guard.call(
                    fn["name"], fn["arguments"], lambda name, args: run_tool(tools[name], schemas[name], args)
                )
                assert answer == {"role": "tool", "name": fn["name"], "content": tool_response(value, error)}
                assert (error is not None) == (call.get("weight") == 0)  # mistakes fail, the rest succeed
                if fn["name"] == "submit_result" and error is None:
                    submitted = fn["arguments"]
            verdict = check_episode(Episode.from_sandbox(box, submitted))
            assert set(box.changes()) == set(box.outputs)  # both outputs written, the target untouched
        assert verdict["success"], (meta["source"], verdict["reason"])
        assert verdict["realism"] >= 0.9 and verdict["edge_coverage"] == 1.0


def test_split_keeps_eval_field_names_and_packages_out_of_train(out: Path, rows: list[dict]) -> None:
    train = load_examples(out / "train.jsonl")
    evals = load_examples(out / "eval.jsonl")
    names = {
        split: {
            path.rsplit(".", 1)[-1]
            for r in part
            for m in r["messages"]
            if m.get("name") == "describe_target" and "fields" in m["content"]
            for path in m["content"]["fields"]
        }
        for split, part in (("train", train), ("eval", evals))
    }
    assert names["train"] and not names["train"] & eval_names()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["composed_eval_names_in_train"] == []
    train_sources = {r["meta"]["source"] for r in train}
    assert not train_sources & {r["meta"]["source"] for r in evals}
    corpus = dataset.RECIPE.corpus
    train_mods, eval_mods = corpus.split(random.Random(SEED), dataset.RECIPE.eval_share)
    train_packages = {corpus.package_of(m) for m in train_mods} - {dataset.COMPOSED}
    eval_packages = {corpus.package_of(m) for m in eval_mods} - {dataset.COMPOSED}
    assert eval_packages and not train_packages & eval_packages
    assert "huggingface_hub" in train_packages  # the biggest package is never held out
    assert {"composed.train", "composed.eval"} == {m for m in train_mods + eval_mods if m.startswith("composed.")}
    assert "composed.eval" in eval_mods


@pytest.mark.parametrize(
    ("name", "hard"),
    [("given", True), ("christian_name", True), ("cellphone", True), ("website", True), ("created_at", True),
     ("first_name", False), ("email", False), ("phone", False), ("postcode", False), ("url", False)],
)  # fmt: skip
def test_hard_names_are_those_the_providers_list_does_not_answer_first(name: str, hard: bool) -> None:
    assert (name in dataset.hard_names()) is hard


@pytest.mark.parametrize("split", ["train", "eval"])
def test_only_composed_train_types_draw_hard_names_more_often(split: str) -> None:
    """The corpus draws composed train types with the hard names weighted; eval types are drawn as before."""
    drawn = itertools.islice(dataset.RECIPE.corpus.candidates([f"composed.{split}"], random.Random(0)), 60)
    seed = random.Random(0).randrange(2**31)  # the corpus's seed for its composed types
    plain = [composed_target(seed, split, i) for i in range(60)]
    bodies, plain_bodies = [s.body for s in drawn], [t.files[t.target] for t in plain]

    def hard(texts: list[str]) -> int:
        return sum(len(set(re.findall(r"\w+", t)) & dataset.hard_names()) for t in texts)

    if split == "train":
        assert hard(bodies) > 1.2 * hard(plain_bodies)
    else:
        assert bodies == plain_bodies


def test_summary_counts_the_hard_fields_of_composed_train_types() -> None:
    def row(package: str, names: list[str]) -> dict:
        fields = {n: {"type": "str", "optional": False} for n in names}
        content = {"name": "T", "fields": fields}
        return {"meta": {"package": package, "kind": "dataclass"},
                "messages": [{"role": "tool", "name": "describe_target", "content": content}]}  # fmt: skip

    train = [row(dataset.COMPOSED, ["given", "email", "cellphone"]), row("pydantic", ["given", "nickname"])]
    summary = dataset.summarize({"train": train, "eval": [row(dataset.COMPOSED, ["forename"])]})
    assert (summary["composed_train_hard_fields"], summary["composed_train_fields"]) == (2, 3)


def test_summary_records_packages_and_counts(out: Path, rows: list[dict]) -> None:
    summary = json.loads((out / "summary.json").read_text())
    listed = {p["name"]: p for p in summary["packages"]}
    assert set(listed) == set(dataset.REAL_PACKAGES) and listed["pydantic"]["licence"] == "MIT"
    assert all(p["version"] for p in summary["packages"])
    assert summary["tool_calls"]["submit_result"] == COUNT
    assert summary["train_composed"] + summary["train_real"] == 7 and "seconds" not in summary
    assert 0 <= summary["composed_train_hard_fields"] <= summary["composed_train_fields"]
    assert summary["composed_train_fields"] >= 4 * summary["train_composed"]  # 4-9 fields each


def test_without_recovery_the_rows_are_the_right_calls_only(rows: list[dict], tmp_path: Path) -> None:
    # mistakes draw from their own random stream: removing them and their error responses gives the data
    # generated with recovery off, byte for byte
    toolsmith.sample_data.generate(tmp_path, COUNT, SEED, recovery=False)
    plain = load_examples(tmp_path / "train.jsonl") + load_examples(tmp_path / "eval.jsonl")
    assert len(plain) == len(rows)
    for with_mistakes, without in zip(rows, plain, strict=True):
        msgs = with_mistakes["messages"]
        drop = set()
        for i, m in enumerate(msgs):
            if m.get("weight") == 0:
                drop |= {i, i + 1}
        assert [m for i, m in enumerate(msgs) if i not in drop] == without["messages"]
        assert not any(m.get("weight") == 0 for m in without["messages"])


# ------------------------------------------------------------------------------------------- recovery mistakes

RIGHT_AFTER = {  # the mistake's error, and what the expert does next
    "unknown_provider": ("expected a provider that fits ", "set_field"),
    "wrong_provider": ("expected ", "set_field"),  # of another type, or values that do not fit
    "provider_as_field": ("expected a field of Order (", "set_field"),
    "missing_argument": ("expected argument 'provider', got none", "set_field"),
    "set_without_choice": ("expected a provider of enum values for state", "generate"),
    "repeat_describe": ("expected progress, got the same describe_target result as before", "set_field"),
    "write_too_early": ("expected records to write, got none: call generate first", "generate"),
    "missing_summary": ("expected argument 'summary', got none", "submit_result"),
}


TOOL_REFUSALS = ("unknown_provider", "wrong_provider", "provider_as_field", "set_without_choice", "write_too_early")
FLAGS = """\
import enum
import uuid
from dataclasses import dataclass


class State(enum.Enum):
    ON = "on"
    OFF = "off"


@dataclass
class Flags:
    state: State
    id: uuid.UUID
    enabled: bool = False
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("shop"))


@pytest.mark.parametrize("kind", expert.MISTAKES)
def test_each_mistake_is_followed_by_the_right_call(
    kind: str, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def plan(self, n_fields: int) -> None:
        self.pending, self.at = kind, 1 if kind == "wrong_provider" else 0

    monkeypatch.setattr(expert._Run, "plan_mistake", plan)
    monkeypatch.setattr("toolsmith.shared.examples.Recorder.chance", lambda self, p: True)
    project = tmp_path / "project"
    shutil.copytree(shop, project)
    (project / "shop" / "flags.py").write_text(FLAGS, encoding="utf-8")  # nothing to choose: describe -> generate
    target, symbol = ("shop/flags.py", "Flags") if kind == "set_without_choice" else ("shop/models.py", "Order")
    run = record_expert(project, target, symbol, tmp_path / "after")
    assert run.judge()["success"]
    messages = run.messages
    wrong = [i for i, m in enumerate(messages) if m.get("weight") == 0]
    assert len(wrong) == 1, kind
    i = wrong[0]
    error, then = RIGHT_AFTER[kind]
    assert messages[i + 1]["content"]["error"].startswith(error), messages[i + 1]
    assert messages[i + 2]["tool_calls"][0]["function"]["name"] == then
    if kind in ("unknown_provider", "wrong_provider"):  # the error names the provider it then sets
        provider = messages[i + 2]["tool_calls"][0]["function"]["arguments"]["provider"]
        assert re.search(rf"[(:,] ?{provider}[,)]", messages[i + 1]["content"]["error"]), messages[i + 1]
    if kind in TOOL_REFUSALS:  # the tool's refusal names the right call as a response's next does, to copy
        call = messages[i + 2]["tool_calls"][0]["function"]
        tool, *words = messages[i + 1]["content"]["error"].rsplit("; next: ", 1)[1].split()
        assert tool == call["name"], messages[i + 1]
        assert all(str(call["arguments"][k]) == v for k, v in (w.split("=", 1) for w in words))
    if kind != "unknown_provider":  # the right call is the one the response before the mistake led to
        before = messages[i - 1]["content"].get("next", {})
        args = messages[i + 2]["tool_calls"][0]["function"]["arguments"]
        named = {k: v for k, v in before.items() if k not in ("tool", "providers")}
        assert before.get("tool", then) == then and all(args[k] == v for k, v in named.items())
        assert "provider" not in args or args["provider"] in before["providers"]  # chosen among the offered
