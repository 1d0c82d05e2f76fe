"""The lint example generator: deterministic, verified by replay on real ruff, split by source module."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

import toolsmith.lint
from toolsmith.lint import TOOLS
from toolsmith.lint.checks import check_episode
from toolsmith.lint.inject import NO_FIX_CODES, Source, inject, inject_unused_index
from toolsmith.lint.tools import lint_text, scoped
from toolsmith.shared.agent import load_agent
from toolsmith.shared.data import check_example, load_examples
from toolsmith.shared.episode import Episode
from toolsmith.shared.examples import Case, record_case
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.sandbox import open_sandbox
from toolsmith.shared.tools import response as tool_response
from toolsmith.shared.tools import run_tool, tool_schema

gen = sys.modules["toolsmith.lint.generate"]  # `toolsmith.lint.generate` the attribute is the function
FILES = ("train.jsonl", "eval.jsonl", "summary.json")
COUNT, SEED = 16, 10
AGENT_YAML = Path(__file__).resolve().parents[1] / "agents" / "lint" / "agent.yaml"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lint-data")
    summary = toolsmith.lint.generate(path, COUNT, SEED)
    assert summary["examples"] == {"train": 14, "eval": 2}
    assert summary["examples_with_mistakes"] > 0  # recovery is on by default
    return path


def test_every_call_after_the_first_is_a_copy_of_the_next_call(rows: list[dict]) -> None:
    # each right call after the first run_linter copies the call the last successful response names as next (the
    # tool, the code, the replacement, or submit_result's counts): the linter is not run again after the fixes; one
    # fix_all fixes several issues (cases with one rule injected 2-3 times)
    counts, tools = [], Counter()
    for r in rows:
        msgs = r["messages"]
        calls = [(i, m) for i, m in enumerate(msgs) if m.get("tool_calls") and m.get("weight", 1)]
        right = [(i, m["tool_calls"][0]["function"]) for i, m in calls]
        assert right[0][1] == {"name": "run_linter", "arguments": {}}
        for i, fn in right[1:]:
            responses = [p["content"] for p in msgs[:i] if p["role"] == "tool" and "error" not in p["content"]]
            nxt = responses[-1]["next"]
            assert fn["name"] == nxt["call"]
            if fn["name"] == "submit_result":
                assert fn["arguments"] == {k: nxt[k] for k in ("issues_fixed", "issues_remaining")}
            else:
                assert fn["arguments"] == {
                    "issue_code": nxt["code"],
                    **({"replacement": nxt["replacement"]} if fn["name"] == "rewrite" else {}),
                }
            tools[fn["name"]] += 1
            if fn["name"] == "fix_all":
                counts.append(msgs[i + 1]["content"]["count"])
    assert counts and max(counts) > 1 and tools["rewrite"] and tools["submit_result"] == len(rows)
    assert any(r["meta"]["injected"] and Counter(r["meta"]["injected"]).most_common(1)[0][1] > 1 for r in rows)


def test_whole_modules_are_cases_with_their_own_issues(out: Path, rows: list[dict]) -> None:
    modules = [r for r in rows if r["meta"]["kind"] == "module"]
    assert modules and len({r["meta"]["source"] for r in modules}) == len(modules)  # each module once
    summary = json.loads((out / "summary.json").read_text())
    assert sum(summary["whole_module_examples"].values()) == len(modules)
    for r in modules:  # the file as the standard library has it, its issues ruff's own
        assert [i.code for i in lint_text(r["meta"]["original"], r["meta"]["filename"])] == r["meta"]["codes"]


@pytest.fixture(scope="module")
def rows(out: Path) -> list[dict]:
    return load_examples(out / "train.jsonl") + load_examples(out / "eval.jsonl")


def test_same_seed_same_bytes(out: Path, tmp_path: Path) -> None:
    toolsmith.lint.generate(tmp_path, COUNT, SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_process_pool_gives_the_same_bytes(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("toolsmith.shared.examples.PARALLEL_MIN", 1)
    toolsmith.lint.generate(tmp_path, COUNT, SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_other_seed_other_examples(out: Path, tmp_path: Path) -> None:
    toolsmith.lint.generate(tmp_path, 4, SEED + 1)
    assert (tmp_path / "train.jsonl").read_bytes() != (out / "train.jsonl").read_bytes()


def test_rows_are_valid_and_start_like_the_runner(rows: list[dict]) -> None:
    agent = load_agent("lint", path=AGENT_YAML, tools=TOOLS)
    schemas = [tool_schema(f) for f in agent.tools]
    for row in rows:
        check_example(row)
        meta = row["meta"]
        assert set(meta) == {"source", "kind", "filename", "symbol", "original", "codes", "injected"}
        assert row["tools"] == schemas
        assert row["messages"][:2] == agent.first_messages(
            path=meta["filename"], code=meta["original"], symbol=meta["symbol"]
        )
        if meta["kind"] == "module":  # a whole module as it is: its own issues, nothing injected
            assert 1 <= len(meta["codes"]) <= gen.MAX_FILE_ISSUES and not meta["injected"] and meta["symbol"] is None
        else:
            assert meta["kind"] == "snippet" and 1 <= len(meta["codes"]) <= gen.MAX_ISSUES and meta["injected"]
        calls = [m for m in row["messages"][2:] if m["role"] == "assistant" and m.get("tool_calls")]
        assert all(len(m["tool_calls"]) == 1 for m in calls)
        names = [m["tool_calls"][0]["function"]["name"] for m in calls]
        assert names[0] == "run_linter" and names[-1] == "submit_result"
        assert row["messages"][-2].get("weight", 1) == 1  # the last call is a right one
        assert set(names) <= {"run_linter", "fix_all", "rewrite", "submit_result"}
        # the trajectory ends with submit_result's response: the runner stops at the terminal call
        # (the model submits the counts; the tool writes the summary)
        last = row["messages"][-1]
        assert last["role"] == "tool" and last["name"] == "submit_result" and last["content"]["accepted"] is True
        assert set(row["messages"][-2]["tool_calls"][0]["function"]["arguments"]) == {
            "issues_fixed",
            "issues_remaining",
        }
        assert last["content"]["summary"].startswith("Fixed ")


def test_check_example_ignores_meta() -> None:
    row = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}],
        "tools": [],
        "meta": {"source": "m:f", "original": "x = 1\n", "codes": []},
    }
    check_example(row)


def test_replay_reproduces_every_tool_output_and_counts_match_ruff(rows: list[dict], tmp_path: Path) -> None:
    # every response, mistakes included, is what the runner's own path (loop guard, schema check, tool) gives
    tools = {f.__name__: f for f in TOOLS}
    schemas = {name: tool_schema(fn) for name, fn in tools.items()}
    for n, row in enumerate(rows):
        meta = row["meta"]
        path = tmp_path / str(n) / meta["filename"]
        path.parent.mkdir()
        path.write_text(meta["original"], encoding="utf-8")
        guard = LoopGuard("submit_result")
        with open_sandbox(path, symbol=meta["symbol"]) as box:
            submitted = None
            msgs = row["messages"]
            for call, response in zip(msgs[2::2], msgs[3::2], strict=True):
                fn = call["tool_calls"][0]["function"]
                value, error = guard.call(
                    fn["name"], fn["arguments"], lambda name, args: run_tool(tools[name], schemas[name], args)
                )
                assert response == {"role": "tool", "name": fn["name"], "content": tool_response(value, error)}
                assert (error is not None) == (call.get("weight") == 0)  # mistakes fail, the rest succeed
                if fn["name"] == "submit_result" and error is None:
                    submitted = fn["arguments"]
            final = box.read()
            verdict = check_episode(Episode.from_sandbox(box, submitted))
        assert verdict["success"], (meta["source"], verdict["reason"])
        issues = scoped(lint_text(final, meta["filename"]), final, meta["symbol"])
        assert submitted["issues_remaining"] == len(issues)
        assert not any(i.fixable for i in issues)


def test_split_by_source_module(out: Path, rows: list[dict]) -> None:
    train = {json.loads(line)["meta"]["source"].split(":")[0] for line in (out / "train.jsonl").open()}
    evals = {json.loads(line)["meta"]["source"].split(":")[0] for line in (out / "eval.jsonl").open()}
    assert train and evals and not train & evals
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["source_modules"]["train"]) == train and set(summary["source_modules"]["eval"]) == evals
    import random

    train_mods, eval_mods = gen.RECIPE.corpus.split(random.Random(0), gen.RECIPE.eval_share)
    assert not set(train_mods) & set(eval_mods)
    assert 0.05 < len(eval_mods) / (len(train_mods) + len(eval_mods)) < 0.15


def test_summary_counts(out: Path, rows: list[dict]) -> None:
    summary = json.loads((out / "summary.json").read_text())
    calls = [m["tool_calls"][0]["function"]["name"] for r in rows for m in r["messages"] if m.get("tool_calls")]
    wrong = [m["tool_calls"][0]["function"]["name"] for r in rows for m in r["messages"] if m.get("weight") == 0]
    right = list(calls)
    for name in wrong:
        right.remove(name)
    assert summary["tool_calls"] == {n: right.count(n) for n in sorted(set(right))}
    assert summary["mistake_calls"] == {n: wrong.count(n) for n in sorted(set(wrong))}
    assert summary["examples_with_mistakes"] == sum(any(m.get("weight") == 0 for m in r["messages"]) for r in rows)
    assert summary["packages"] == [{"name": "stdlib", "version": sys.version.split()[0], "licence": "PSF-2.0"}]
    assert summary["tool_calls"]["submit_result"] == COUNT
    assert sum(summary["violation_codes"].values()) == sum(len(r["meta"]["codes"]) for r in rows)
    assert summary["dropped"] == 0 and summary["candidates"] >= COUNT
    assert "seconds" not in summary  # the file is byte-identical across runs


def test_without_recovery_the_rows_are_the_right_calls_only(out: Path, rows: list[dict], tmp_path: Path) -> None:
    # mistakes draw from their own random stream: removing them (and their error responses) gives the data
    # generated with recovery off, byte for byte
    toolsmith.lint.generate(tmp_path, COUNT, SEED, recovery=False)
    plain = load_examples(tmp_path / "train.jsonl") + load_examples(tmp_path / "eval.jsonl")
    assert len(plain) == len(rows)
    for with_mistakes, without in zip(rows, plain, strict=True):
        msgs = with_mistakes["messages"]
        kept = [m for i, m in enumerate(msgs) if m.get("weight") != 0 and msgs[i - 1].get("weight") != 0]
        assert kept == without["messages"]
        assert not any(m.get("weight") == 0 for m in without["messages"])


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # a listed code without a fixable issue, never one with
        (
            {
                "issues": [{"code": "E722", "line": 2, "fixable": False}, {"code": "F401", "line": 3, "fixable": True}],
                "next": {"call": "fix_all", "code": "F401"},
            },
            [{"issue_code": "E722"}],
        ),
        # after fix_all: the code just fixed again
        ({"fixed": "W291", "count": 3, "next": {"call": "fix_all", "code": "F401"}}, [{"issue_code": "W291"}]),
    ],
)
def test_wrong_copies(last: dict, expected: list[dict]) -> None:
    assert gen.wrong_copies(last) == expected


NO_FIX_TEXT = """def first(values, kind):
    for value in values:
        try:
            if isinstance(value, kind):
                return value
        except TypeError:
            pass
    for item in values:
        print(item)
    return None
"""


@pytest.mark.parametrize("seed", range(6))
def test_injecting_only_rules_without_a_fix_leaves_nothing_to_fix(seed: int) -> None:
    assert lint_text(NO_FIX_TEXT, "m.py") == []
    text, codes = inject(NO_FIX_TEXT, random.Random(seed), NO_FIX_CODES)
    issues = lint_text(text, "m.py")
    assert codes and set(codes) <= set(NO_FIX_CODES) == {"B007", "B904", "E721", "E722", "E741"}
    # an ambiguous name injected into a loop variable two loops bind is two E741 (no other code comes twice)
    assert {i.code for i in issues} == set(codes)
    assert set(Counter(i.code for i in issues) - Counter(codes)) <= {"E741"}
    assert not any(i.fixable for i in issues)


UNUSED_INDEX = {
    # name: (text, the text after injecting, or None where it offers no place)
    "a later loop's name": (
        "def f(xs, ys):\n    for x in xs:\n        print(x)\n    for y in ys:\n        print(y)\n",
        "def f(xs, ys):\n    for y, x in enumerate(xs):\n        print(x)\n    for y in ys:\n        print(y)\n",
    ),
    "a name assigned later and read": (
        "def f(xs):\n    for x in xs:\n        print(x)\n    total = len(xs)\n    return total\n",
        "def f(xs):\n    for total, x in enumerate(xs):\n        print(x)\n    total = len(xs)\n    return total\n",
    ),
    "one loop": ("def f(xs):\n    for x in xs:\n        print(x)\n", None),
    "the other loop in a nested function": (
        "def f(xs, ys):\n    def g():\n        for x in xs:\n            print(x)\n\n    g()\n    for y in ys:\n"
        "        print(y)\n",
        None,  # ruff would fix it (g's own y is never read): not the B007 this injector is for
    ),
    "read after the later loop": (
        "def f(xs, ys):\n    for x in xs:\n        print(x)\n    for y in ys:\n        print(y)\n    return y\n",
        None,  # renaming the index could not be checked safe, so no B007 the rewrite tool cannot take
    ),
}


@pytest.mark.parametrize("text, after", UNUSED_INDEX.values(), ids=UNUSED_INDEX.keys())
def test_inject_unused_index(text: str, after: str | None) -> None:
    assert inject_unused_index(Source(text), random.Random(0)) == after
    if after is not None:
        issues = lint_text(after, "m.py")
        assert [(i.code, i.line, i.fixable) for i in issues] == [("B007", 2, False)]  # ruff has no fix for it


def test_an_issue_without_a_fix_is_tried_then_submitted(monkeypatch: pytest.MonkeyPatch) -> None:
    # the model's mistake on a file with nothing to fix (fix_all on a listed code): the real error, then the
    # submission with the issue left
    for share in ("WRONG_COPY_SHARE", "REPEAT_SHARE", "WRONG_COUNT_SHARE"):
        monkeypatch.setattr(gen, share, 0.0)
    monkeypatch.setattr(gen, "NO_FIX_MISTAKE_SHARE", 1.0)
    text = NO_FIX_TEXT.replace("kind", "l")  # E741 on a parameter: no ruff fix, no rewrite (callers may use the name)
    meta = {"source": "m:first", "filename": "m.py", "symbol": None, "original": text, "codes": ["E741"],
            "injected": ["E741"]}  # fmt: skip
    case = Case(files={"m.py": text}, target="m.py", symbol=None, meta=meta)
    row, status = record_case(gen.RECIPE, case, random.Random(0))
    assert status == "ok", status
    calls = [(m["tool_calls"][0]["function"], m.get("weight")) for m in row["messages"] if m.get("tool_calls")]
    assert [(f["name"], w) for f, w in calls] == [("run_linter", None), ("fix_all", 0), ("submit_result", None)]
    assert calls[1][0]["arguments"] == {"issue_code": "E741"}
    error = next(m for m in row["messages"] if m.get("role") == "tool" and "error" in m["content"])["content"]
    assert "E741 without an automatic fix;" in error["error"]
    assert calls[2][0]["arguments"]["issues_remaining"] == 1


def test_a_wrong_count_is_refused_then_submitted_right(monkeypatch: pytest.MonkeyPatch) -> None:
    # the first linter run's counts (stale after a fix): submit_result refuses with the linter's counts now
    for share in ("WRONG_COPY_SHARE", "REPEAT_SHARE", "NO_FIX_MISTAKE_SHARE"):
        monkeypatch.setattr(gen, share, 0.0)
    monkeypatch.setattr(gen, "WRONG_COUNT_SHARE", 1.0)
    text = "import os\n\n\ndef f(x):\n    return x\n"
    meta = {"source": "m:f", "filename": "m.py", "symbol": None, "original": text, "codes": ["F401"],
            "injected": ["F401"]}  # fmt: skip
    row, status = record_case(
        gen.RECIPE, Case(files={"m.py": text}, target="m.py", symbol=None, meta=meta), random.Random(0)
    )
    assert status == "ok", status
    calls = [(m["tool_calls"][0]["function"], m.get("weight")) for m in row["messages"] if m.get("tool_calls")]
    assert [(f["name"], w) for f, w in calls] == [
        ("run_linter", None), ("fix_all", None), ("submit_result", 0), ("submit_result", None)
    ]  # fmt: skip
    wrong, right = calls[2][0]["arguments"], calls[3][0]["arguments"]
    assert (wrong["issues_fixed"], wrong["issues_remaining"]) == (0, 1)  # stale and swapped are the same here
    assert (right["issues_fixed"], right["issues_remaining"]) == (1, 0)
    error = next(m for m in row["messages"] if m.get("role") == "tool" and "error" in m["content"])["content"]
    assert "expected the linter's counts now (issues_fixed 1, issues_remaining 0)" in error["error"]
