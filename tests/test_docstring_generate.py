"""The docstring example generator: deterministic, verified by replay on the real tools, split by package."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import toolsmith.docstring
from toolsmith.docstring import TOOLS, check_episode
from toolsmith.docstring.corpus import Entry
from toolsmith.docstring.generate import CORPUS, EVAL_PACKAGES, EVAL_SHARE, Selector, make_case, recipe
from toolsmith.shared.agent import load_agent
from toolsmith.shared.corpus import Snippet
from toolsmith.shared.data import check_example, load_examples
from toolsmith.shared.episode import Episode, materialize
from toolsmith.shared.examples import record_case
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.sandbox import open_sandbox
from toolsmith.shared.tools import response as tool_response
from toolsmith.shared.tools import run_tool, tool_schema

FILES = ("train.jsonl", "eval.jsonl", "summary.json")
COUNT, SEED = 16, 3
AGENT_YAML = Path(__file__).resolve().parents[1] / "agents" / "docstring" / "agent.yaml"
META = {"files", "target", "symbol", "source", "kind", "damage", "detail", "renamed", "strict", "truth"}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docstring-data")
    summary = toolsmith.docstring.generate(path, COUNT, SEED)
    assert summary["examples"] == {"train": 14, "eval": 2}
    assert summary["examples_with_mistakes"] > 0  # recovery is on by default
    return path


@pytest.fixture(scope="module")
def rows(out: Path) -> list[dict]:
    return load_examples(out / "train.jsonl") + load_examples(out / "eval.jsonl")


def test_same_seed_same_bytes(out: Path, tmp_path: Path) -> None:
    toolsmith.docstring.generate(tmp_path, COUNT, SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_process_pool_gives_the_same_bytes(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("toolsmith.shared.examples.PARALLEL_MIN", 1)
    toolsmith.docstring.generate(tmp_path, COUNT, SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_rows_are_valid_and_start_like_the_runner(rows: list[dict]) -> None:
    agent = load_agent("docstring", path=AGENT_YAML, tools=TOOLS)
    schemas = [tool_schema(f) for f in agent.tools]
    for row in rows:
        check_example(row)
        meta = row["meta"]
        assert set(meta) == META
        assert meta["source"] == f"{meta['source'].split(':')[0]}:{meta['symbol']}"
        assert row["tools"] == schemas
        assert row["messages"][:2] == agent.first_messages(
            path=meta["target"], code=meta["files"][meta["target"]], symbol=meta["symbol"]
        )
        calls = [m["tool_calls"][0]["function"]["name"] for m in row["messages"] if m.get("tool_calls")]
        right = [n for m, n in zip([m for m in row["messages"] if m.get("tool_calls")], calls) if m.get("weight") != 0]
        expected = ["inspect_function", "submit_result"]
        if meta["damage"] != "none":
            expected[1:1] = ["write_docstring", "check_docstrings"]
        assert right == expected
        last = row["messages"][-1]
        assert (last["name"], last["content"]["accepted"]) == ("submit_result", True)
        assert f"`{meta['symbol']}`" in last["content"]["summary"]  # the tool writes it; the model does not
        assert "summary" not in row["messages"][-2]["tool_calls"][0]["function"]["arguments"]


def test_replay_reproduces_every_tool_output_and_the_check_passes(rows: list[dict], tmp_path: Path) -> None:
    # every response, mistakes included, is what the runner's own path (loop guard, schema check, tool) gives
    tools = {f.__name__: f for f in TOOLS}
    schemas = {name: tool_schema(fn) for name, fn in tools.items()}
    for n, row in enumerate(rows):
        meta = row["meta"]
        project = tmp_path / str(n)
        materialize(project, meta["files"])
        guard = LoopGuard("submit_result")
        with open_sandbox(project / meta["target"], symbol=meta["symbol"], project=project) as box:
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
            verdict = check_episode(Episode.from_sandbox(box, submitted, meta))
        assert verdict["success"], (meta["source"], verdict["reason"])
        if meta["damage"] == "none":  # the author's docstring, left as it is: nothing written, no similarity
            assert not verdict["docstring_written"] and "similarity" not in verdict
        else:
            assert verdict["similarity"] == 1.0  # the expert writes the author's own words


def test_split_by_package(out: Path) -> None:
    summary = json.loads((out / "summary.json").read_text())
    train = {CORPUS.package_of(m) for m in summary["source_modules"]["train"]}
    evals = {CORPUS.package_of(m) for m in summary["source_modules"]["eval"]}
    assert train and evals and not train & evals
    assert evals <= set(EVAL_PACKAGES)
    train_mods, eval_mods = CORPUS.split(random.Random(SEED), EVAL_SHARE)
    assert {CORPUS.package_of(m) for m in eval_mods} == set(EVAL_PACKAGES)
    assert not {CORPUS.package_of(m) for m in train_mods} & set(EVAL_PACKAGES)
    assert round(400 * EVAL_SHARE) >= 40  # `make generate-docstring` (400 examples) gives 40 eval targets


def test_summary_counts_and_licences(out: Path, rows: list[dict]) -> None:
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dropped"] == 0
    assert sum(summary["damages"].values()) == COUNT
    assert {p["name"] for p in summary["packages"]} >= {"rich", "torch", "transformers", "pydantic", "huggingface_hub"}
    assert all(p["version"] and p["licence"] for p in summary["packages"])
    assert summary["examples_with_mistakes"] == sum(any(m.get("weight") == 0 for m in r["messages"]) for r in rows)


def test_recovery_rows_hold_a_real_error_then_the_right_call(rows: list[dict], out: Path, tmp_path: Path) -> None:
    seen = set()
    for row in rows:
        msgs = row["messages"]
        for i, m in enumerate(msgs):
            if m.get("weight") == 0:
                assert "error" in msgs[i + 1]["content"] and msgs[i + 1]["content"]["error"].startswith("expected")
                assert msgs[i + 2].get("tool_calls") and msgs[i + 2].get("weight", 1) == 1
                seen.add(m["tool_calls"][0]["function"]["name"])
    assert seen  # at least one kind in this small set
    # mistakes draw from their own random stream: without them (and their errors) the rows are recovery-off's
    toolsmith.docstring.generate(tmp_path, COUNT, SEED, recovery=False)
    plain = load_examples(tmp_path / "train.jsonl") + load_examples(tmp_path / "eval.jsonl")
    assert len(plain) == len(rows)
    for with_mistakes, without in zip(rows, plain, strict=True):
        msgs = with_mistakes["messages"]
        kept = [m for i, m in enumerate(msgs) if m.get("weight") != 0 and msgs[i - 1].get("weight") != 0]
        assert kept == without["messages"]


GOOD = '''def join(base, name):
    """Join two parts.

    Args:
        base: The first part.
        name: The second part.

    Returns:
        The joined path.
    """
    return base + "/" + name
'''


def snippet(body: str, name: str = "join", package: str = "demo") -> Snippet:
    return Snippet(f"{package}.mod", name, name, (), body, package)


def test_selector_takes_each_docstring_once_and_caps_packages() -> None:
    other = GOOD.replace("def join(", "def join2(")  # the same words
    third = GOOD.replace("def join(", "def join3(").replace("Join two parts.", "Join them.")
    fourth = GOOD.replace("def join(", "def join4(").replace("Join two parts.", "Join all.")
    snippets = [snippet(GOOD), snippet(other, name="join2"), snippet(third, name="join3"), snippet(fourth, "join4")]
    got = Selector(cap=2)(snippets)
    assert isinstance(got[0], Entry) and got[0].strict and isinstance(got[2], Entry)
    assert (got[1], got[3]) == ("same docstring as another entry", "package cap reached")
    assert [type(g) for g in Selector(cap=2)([snippet(fourth, "join4"), snippet(GOOD)])] == [Entry, Entry]


@pytest.mark.parametrize("seed", range(6))
def test_make_case_damages_or_keeps_the_author_docstring(seed: int) -> None:
    (entry,) = Selector(cap=1)([snippet(GOOD)])
    case = make_case(snippet(GOOD), entry, random.Random(seed))
    assert not isinstance(case, str)
    assert case.meta["truth"]["args"] == {"base": "The first part.", "name": "The second part."}
    text = case.files["mod.py"]
    assert (text == GOOD) == (case.meta["damage"] == "none")
    assert make_case(snippet(GOOD), "no docstring", random.Random(seed)) == "no docstring"


class Always(random.Random):
    """A mistakes stream whose every chance comes true."""

    def random(self) -> float:
        return 0.0


def test_an_early_submit_is_refused_then_the_docstring_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    for share in ("COPIED_ARGS_SHARE", "MISSING_SECTION_SHARE"):  # only the early submit is left to make
        monkeypatch.setattr(f"toolsmith.docstring.expert.{share}", 0.0)
    (entry,) = Selector(cap=1)([snippet(GOOD)])
    case = next(
        c for seed in range(20) if (c := make_case(snippet(GOOD), entry, random.Random(seed))).meta["damage"] != "none"
    )
    row, status = record_case(recipe(1), case, Always())
    assert status == "ok", status
    msgs = row["messages"]
    (i,) = [i for i, m in enumerate(msgs) if m.get("weight") == 0]
    assert msgs[i]["tool_calls"][0]["function"]["name"] == "submit_result"
    assert msgs[i + 1]["content"]["error"].startswith("expected a docstring the checkers pass before submitting, got ")
    assert msgs[i + 2]["tool_calls"][0]["function"]["name"] == "write_docstring"


def test_copying_the_inspected_args_as_they_are_is_refused_then_every_parameter_is_written() -> None:
    (entry,) = Selector(cap=1)([snippet(GOOD)])
    seen = set()
    for seed in range(40):
        case = make_case(snippet(GOOD), entry, random.Random(seed))
        if case.meta["damage"] not in ("remove", "drop_arg", "rename_param", "stale_arg"):
            continue
        row, status = record_case(recipe(1), case, Always())
        assert status == "ok", status
        msgs = row["messages"]
        (i,) = [i for i, m in enumerate(msgs) if m.get("weight") == 0]
        view = msgs[i - 1]["content"]["docstring"]
        wrong = msgs[i]["tool_calls"][0]["function"]["arguments"]["args"]
        # the view's args copied as they are: with a null where words are missing, or with the stale names added
        assert wrong == view["args"] or wrong == {**view["args"], **view["not_params"]}
        assert msgs[i + 1]["content"]["error"].startswith("expected ")
        right = msgs[i + 2]["tool_calls"][0]["function"]
        assert right["name"] == "write_docstring" and list(right["arguments"]["args"]) == list(view["args"])
        assert all(right["arguments"]["args"].values())
        seen.add(case.meta["damage"])
    assert {"remove", "rename_param", "stale_arg"} <= seen
