"""The full CPU path on a tiny random Gemma 3 with the real tokenizer: train -> merge -> GGUF -> llama.cpp."""

from __future__ import annotations

import json
import random

import pytest
from fakes import one_call_row

from toolsmith.shared.batching import collate, tokenize_examples
from toolsmith.shared.chat import render
from toolsmith.shared.loss import full_logits_loss, shared_prefix_length, supervised_loss
from toolsmith.shared.parse import parse_output
from toolsmith.shared.tools import tool_schema
from toolsmith.shared.train import train
from toolsmith.shared.trainconfig import TrainConfig

pytestmark = pytest.mark.smoke


def count_lines(path: str, pattern: str) -> int:
    """Count lines of a file that contain a pattern.

    Args:
        path: File to read.
        pattern: Text to look for.

    Returns:
        How many lines contain it.
    """
    return 0


SCHEMA = tool_schema(count_lines)


def examples(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        path, pat = f"src/m{i}.py", rng.choice(["TODO", "import", "def ", "x{1}, y: [2]"])
        result = {"count": rng.randint(0, 9)}
        user = f"How many lines of {path} mention {pat}?"
        rows.append(one_call_row(SCHEMA, user, {"path": path, "pattern": pat}, result, f"{result['count']} lines."))
    return rows


def test_fast_loss_matches_full_logits_reference(tiny_model_dir, tokenizer):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    toks, _ = tokenize_examples(tokenizer, examples(3), 1024)
    batch = collate(toks, [0, 1, 2], tokenizer.pad_token_id)
    assert shared_prefix_length(batch["input_ids"], batch["labels"]) > 64  # the developer turn is computed once
    unshared, _ = supervised_loss(model, batch, share_prefix=False)
    fast, n = supervised_loss(model, batch)
    ref = full_logits_loss(model, batch)
    assert n == sum(t.supervised for t in toks) > 0
    torch.testing.assert_close(fast, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(unshared, ref, rtol=1e-5, atol=1e-5)
    # gradients agree too
    fast.backward()
    g_fast = model.model.layers[0].mlp.down_proj.weight.grad.clone()
    model.zero_grad()
    full_logits_loss(model, batch).backward()
    torch.testing.assert_close(g_fast, model.model.layers[0].mlp.down_proj.weight.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("control_tokens", [True, False])
@pytest.mark.parametrize(("lora_layers", "graphed"), [(0, [True, True]), (1, [False, True])])
def test_layers_below_the_lowest_lora_layer_run_without_a_graph(
    tiny_model_dir, tokenizer, lora_layers, graphed, control_tokens
):
    """With LoRA on the top N layers only, nothing below them is recorded for the backward pass (the saving
    ``lora_layers`` exists for), control-token embedding rows trained or not."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from toolsmith.shared.lora import lora_config

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    cfg = TrainConfig(lora_r=4, lora_alpha=8, lora_layers=lora_layers, train_control_tokens=control_tokens)
    model = get_peft_model(base, lora_config(cfg, base.config.num_hidden_layers, tokenizer))
    seen: list[bool] = []
    for layer in model.get_base_model().model.layers:
        # a layer returns its hidden states (a tuple in older transformers: its first item)
        layer.register_forward_hook(
            lambda _m, _i, out: seen.append((out[0] if isinstance(out, tuple) else out).requires_grad)
        )
    toks, _ = tokenize_examples(tokenizer, examples(2), 1024)
    loss, _ = supervised_loss(model.get_base_model(), collate(toks, [0, 1], tokenizer.pad_token_id))
    assert seen == graphed * 2  # the shared prefix's pass, then the rows' suffixes
    loss.backward()
    lora_grads = {
        n.split(".layers.")[1].split(".")[0] for n, p in model.named_parameters() if "lora_" in n and p.grad is not None
    }
    assert lora_grads == ({"1"} if lora_layers else {"0", "1"})


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    """4 fast-path steps on the tiny model, merged and exported to Q8_0."""
    from toolsmith.shared.pipeline import export

    tmp = tmp_path_factory.mktemp("pipeline")
    rows = examples(12)
    cfg = TrainConfig(
        output_dir=tmp / "run",
        backend="fast",
        max_steps=4,
        batch_size=4,
        learning_rate=5e-3,
        save_every=2,
        progress=False,
        lora_r=4,
        lora_alpha=8,
    )
    result = train(cfg, tiny_model_dir, rows[:10], rows[10:])
    gguf = tmp / "models" / "tiny_functiongemma_q8.gguf"
    merged, timings = export(tiny_model_dir, result.adapter_dir, tmp / "run", gguf)
    return rows, result, merged, gguf, tmp


def test_train_changes_lora_and_logs(trained):
    from safetensors.torch import load_file

    rows, result, merged, gguf, tmp = trained
    assert result.steps == 4 and result.eval_loss is not None
    weights = load_file(result.adapter_dir / "adapter_model.safetensors")
    lora_b = [w for k, w in weights.items() if "lora_B" in k]
    assert lora_b and all(float(w.abs().sum()) > 0 for w in lora_b)  # B starts at zero: training moved it
    log_rows = [json.loads(line) for line in (tmp / "run" / "loss.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log_rows if "loss" in r] == [1, 2, 3, 4]
    assert (tmp / "run" / "loss.png").stat().st_size > 0


def test_merge_gguf_llamacpp_parity_parse(trained):
    from toolsmith.shared.llm import GGUFModel
    from toolsmith.shared.pipeline import check_parity

    rows, result, merged, gguf, tmp = trained
    assert gguf.is_file() and not list(gguf.parent.glob(".*partial"))
    prompts = [render(r["messages"][:2], r["tools"], add_generation_prompt=True) for r in rows[:3]]
    prompts.append(render(rows[0]["messages"], rows[0]["tools"]))
    parity = check_parity(merged, gguf, prompts)
    assert parity.token_ids_equal, parity.first_mismatch
    # a random tiny model has near-flat logits (and 7 freshly trained, near-tied control rows), so Q8_0 noise
    # may reorder its top tokens; the logits must still follow HF's. The real 270M is checked in the slow test.
    assert parity.min_logit_correlation > 0.8, parity

    model = GGUFModel(gguf, n_ctx=1024)
    gen = model.generate(prompts[0], max_tokens=16, reuse_cache=False)
    again = model.generate(prompts[0], max_tokens=16, reuse_cache=False)
    assert gen.text == again.text and 0 < gen.new_tokens <= 16  # greedy: the same output every time
    assert (gen.stopped == "max_tokens") == (gen.new_tokens == 16) and gen.prompt_tokens == len(
        model.tokenize(prompts[0])
    )
    assert parse_output(gen.text).raw == gen.text  # whatever a random model writes, the parser takes it


def test_control_strings_in_content_hf_and_llamacpp_ids_agree(trained, tokenizer):
    """User text, schema text, call arguments and tool results holding every control-token string: the same ids
    from HF (training) and llama.cpp (run time), and none of those strings becomes a control token."""
    from test_format import EVERY_CONTROL, tool_with, with_control_strings

    from toolsmith.shared.chat import encode
    from toolsmith.shared.constants import CONTROL_TOKENS
    from toolsmith.shared.llm import GGUFModel

    _, _, _, gguf, _ = trained
    model = GGUFModel(gguf, n_ctx=2048)
    control_ids = set(model.control_ids.values())
    assert control_ids == set(tokenizer.convert_tokens_to_ids(list(CONTROL_TOKENS)))
    for n in (3, 5, 7):  # open after a tool response, and closed after the answer
        r = render(with_control_strings(EVERY_CONTROL)[:n], [tool_with(EVERY_CONTROL)], add_generation_prompt=True)
        clean = render(with_control_strings("")[:n], [tool_with("")], add_generation_prompt=True)
        hf, ll = encode(tokenizer, r).input_ids, model.tokenize(r)
        assert hf == ll
        assert [i for i in ll if i in control_ids] == [i for i in model.tokenize(clean) if i in control_ids]
        assert model.detokenize(ll) == r.text
    gen = model.generate(r, max_tokens=4)
    assert gen.prompt_tokens == len(ll) and gen.new_tokens > 0


def test_runner_turn_with_the_real_gguf_leaves_the_file_alone(trained, tmp_path):
    """One real agent run: llama.cpp on the tiny GGUF, the lint agent's real ruff tools, a sandbox."""
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.data import check_example
    from toolsmith.shared.llm import GGUFModel
    from toolsmith.shared.runner import run_agent

    _, _, _, gguf, _ = trained
    target = tmp_path / "messy.py"
    original = "import os\nimport sys\n\n\ndef f(x):\n    if x == None:\n        return sys.argv\n"
    target.write_text(original)
    spec = load_agent("lint")
    result = run_agent(spec, GGUFModel(gguf, n_ctx=2048), target, max_turns=2, transcript=tmp_path / "t.jsonl")
    assert result.turns == 2 and all(s.new_tokens > 0 for s in result.steps)  # a random model never submits
    assert result.status in ("failed", "turn_limit") and result.submitted is None
    first, second = result.steps
    assert first.evaluated_tokens == first.prompt_tokens  # nothing cached yet
    assert 0 < second.evaluated_tokens < second.prompt_tokens  # the shared prefix came from the KV cache
    assert target.read_text() == original and not result.applied
    row = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    assert row["messages"] == result.messages and row["meta"]["steps"][1]["evaluated_tokens"] == second.evaluated_tokens
    if any(m["role"] == "assistant" for m in row["messages"]):
        check_example(row)


RESUME = dict(backend="fast", batch_size=2, save_every=2, max_steps=5, progress=False, lora_r=2, lora_alpha=4)
# Runs the fast backend in a child process that SIGKILLs itself once step 3 is trained (before it is logged):
# checkpoint-2 is on disk, step 3 is lost, nothing is cleaned up.
KILLED_AT_STEP_3 = """
import json, os, signal, sys
from pathlib import Path
from toolsmith.shared import losslog
from toolsmith.shared.train import train
from toolsmith.shared.trainconfig import TrainConfig

write = losslog.LossLog.write
def write_or_die(self, row):
    if row.get("step") == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    write(self, row)
losslog.LossLog.write = write_or_die
cfg, base, rows = json.loads(sys.argv[1]), Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
train(TrainConfig(**cfg), base, rows, [])
"""


def test_resume_after_a_kill_ends_where_an_uninterrupted_run_does(tiny_model_dir, tmp_path, caplog):
    import logging
    import signal
    import subprocess
    import sys

    from safetensors.torch import load_file

    rows = examples(8)
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    cfg = TrainConfig(output_dir=tmp_path / "killed", **RESUME)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_AT_STEP_3,
            json.dumps(cfg.to_json()),
            str(tiny_model_dir),
            str(tmp_path / "rows.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert [p.name for p in (tmp_path / "killed").glob("checkpoint-*")] == ["checkpoint-2"]
    assert not (tmp_path / "killed" / "adapter").exists()

    with caplog.at_level(logging.INFO, logger="toolsmith.shared.backend_fast"):
        resumed = train(TrainConfig(output_dir=tmp_path / "killed", resume=True, **RESUME), tiny_model_dir, rows, [])
    assert "checkpoint-2 (step 2)" in caplog.text
    whole = train(TrainConfig(output_dir=tmp_path / "whole", **RESUME), tiny_model_dir, rows, [])
    assert resumed.steps == whole.steps == 5

    def losses(run: str) -> list[tuple[int, float]]:
        lines = (tmp_path / run / "loss.jsonl").read_text().splitlines()
        return [(r["step"], r["loss"]) for r in map(json.loads, lines) if "loss" in r]

    # the killed run logged steps 1-2; the resumed one logged 3-5; together the same numbers as one whole run
    assert losses("killed") == losses("whole") and [s for s, _ in losses("whole")] == [1, 2, 3, 4, 5]
    got = load_file(resumed.adapter_dir / "adapter_model.safetensors")
    want = load_file(whole.adapter_dir / "adapter_model.safetensors")
    assert got.keys() == want.keys() and all(got[k].equal(want[k]) for k in want)  # bit for bit


def test_the_fast_path_trains_with_freed_memory_reused(tiny_model_dir, tmp_path, monkeypatch):
    from toolsmith.shared import backend_fast, heap

    events = []
    train_fast = backend_fast.train_fast
    monkeypatch.setattr(heap, "reuse_freed_memory", lambda: events.append("reuse") or True)
    monkeypatch.setattr(heap, "release_freed_memory", lambda: events.append("release"))
    monkeypatch.setattr(backend_fast, "train_fast", lambda *a: events.append("train") or train_fast(*a))
    cfg = TrainConfig(output_dir=tmp_path, backend="fast", max_steps=1, batch_size=2, progress=False, lora_r=2)
    train(cfg, tiny_model_dir, examples(2), [])
    assert events == ["reuse", "train", "release"]


@pytest.mark.parametrize("backend", ["fast", "peft"])
def test_resume_refuses_a_checkpoint_of_another_run(tiny_model_dir, tmp_path, backend):
    rows = examples(6)
    common = dict(output_dir=tmp_path, backend=backend, batch_size=3, max_steps=2, save_every=1, progress=False)
    common.update(lora_r=2, lora_alpha=4, eval_fraction=0)
    train(TrainConfig(**common), tiny_model_dir, rows, [])
    assert (tmp_path / "checkpoint-1" / "run.json").is_file()
    before = (tmp_path / "train_config.json").read_text()
    with pytest.raises(
        ValueError,
        match=r"expected a checkpoint of this run \(config \w{12}, data \w{12}\) to resume, got .*"
        r"checkpoint-\d of another run .*settings differ: learning_rate 0.0002 -> 0.001",
    ):
        train(TrainConfig(**common, resume=True, learning_rate=1e-3), tiny_model_dir, rows, [])
    with pytest.raises(ValueError, match="training data differs: 6 examples then, 5 now"):
        train(TrainConfig(**common, resume=True), tiny_model_dir, rows[:5], [])
    with pytest.raises(ValueError, match="training data differs: 6 examples both times but other tokens"):
        train(TrainConfig(**common, resume=True), tiny_model_dir, examples(6, seed=1), [])
    assert (tmp_path / "train_config.json").read_text() == before  # a refused resume changes nothing
    for checkpoint in tmp_path.glob("checkpoint-*"):
        (checkpoint / "run.json").unlink()
    with pytest.raises(ValueError, match="with no run.json"):
        train(TrainConfig(**common, resume=True), tiny_model_dir, rows, [])


def test_trl_backend_learns_from_the_same_masks(tiny_model_dir, tokenizer, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    rows = examples(6)
    cfg = TrainConfig(
        output_dir=tmp_path / "trl",
        backend="peft",
        max_steps=2,
        batch_size=6,
        progress=False,
        lora_r=2,
        lora_alpha=4,
        save_every=0,
        eval_fraction=0,
        warmup_ratio=0,
    )
    result = train(cfg, tiny_model_dir, rows, [])
    assert result.backend == "peft" and result.steps == 2
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()
    # step 1 runs before any update and LoRA B starts at zero: TRL's loss is the base model's loss on our labels
    first = next(json.loads(x) for x in (tmp_path / "trl" / "loss.jsonl").read_text().splitlines())
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    toks, _ = tokenize_examples(tokenizer, rows, 1024)
    with torch.no_grad():
        ours, _ = supervised_loss(model, collate(toks, list(range(6)), tokenizer.pad_token_id))
    assert first["loss"] == pytest.approx(float(ours), rel=2e-3)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="expected lora_r > 0, got 0"):
        TrainConfig(lora_r=0)
    with pytest.raises(ValueError, match="expected a setting in .* got 'lora_rank'"):
        TrainConfig.build({"lora_rank": 8})


def test_span_match_is_greedy_exact_match_under_teacher_forcing():
    import torch

    from toolsmith.shared.loss import span_matches

    # two rows; supervised runs: row 0 positions 1-2 and 4, row 1 positions 0-1
    keep = torch.tensor([[False, True, True, False, True], [True, True, False, False, False]])
    targets = torch.tensor([5, 6, 7, 8, 9])
    logits = torch.full((5, 10), -1.0)
    for i, t in enumerate([5, 6, 7, 8, 0]):  # the last span's only token is wrong
        logits[i, t] = 1.0
    assert span_matches(logits, targets, keep) == (2, 3)


@pytest.mark.parametrize(
    ("values", "patience", "stops_at"),
    [([0.5, 0.7, 0.7, 0.7], 2, 3), ([0.5, 0.7, 0.6, 0.8, 0.8], 2, None), ([0.9, 0.9], 0, None), ([1.0, 1.0], 1, 1)],
)
def test_plateau(values, patience, stops_at):
    from toolsmith.shared.backend_fast import Plateau

    p = Plateau(patience)
    stops = [i for i, v in enumerate(values) if p.stop(v)]
    assert (stops[0] if stops else None) == stops_at


def test_training_stops_when_the_span_match_stops_improving(tiny_model_dir, tmp_path):
    rows = examples(12)
    cfg = TrainConfig(
        output_dir=tmp_path / "run",
        backend="fast",
        max_steps=40,
        batch_size=4,
        learning_rate=5e-3,
        progress=False,
        lora_r=4,
        lora_alpha=8,
        eval_every=1,
        stop_after_plateau=2,
        save_every=0,
    )
    result = train(cfg, tiny_model_dir, rows[:10], rows[10:])
    logged = [json.loads(line) for line in (tmp_path / "run" / "loss.jsonl").read_text().splitlines()]
    matches = [r["eval_span_match"] for r in logged if "loss" in r]
    assert result.steps == len(matches) < 40  # stopped early
    best = max(matches[:-2])
    assert all(m <= best for m in matches[-2:])  # the last two evaluations found no new best
    assert logged[-1]["eval_spans"] == 4  # 2 held-out rows, a call and an answer each
    # the last step's validation is the final one: not run (nor logged) twice
    assert sum("eval_loss" in r for r in logged) == result.steps
    assert result.eval_loss == logged[-1]["eval_loss"]


def test_validation_during_training_leaves_the_weights_as_they_are(tiny_model_dir, tmp_path):
    """``eval_every`` only decides when the held-out set is measured (it is in NOT_LEARNED): a run validating
    every step ends with the same adapter as one validating only at the end (dropout on: a validation that
    drew random numbers or left dropout on would change it)."""
    import torch
    from safetensors.torch import load_file

    rows = examples(10)
    adapters = []
    for every in (1, 0):
        cfg = TrainConfig(
            output_dir=tmp_path / f"every{every}", backend="fast", max_steps=3, batch_size=2, learning_rate=5e-3,
            progress=False, lora_r=2, lora_alpha=4, lora_dropout=0.1, eval_every=every, save_every=0,
        )  # fmt: skip
        adapters.append(
            load_file(train(cfg, tiny_model_dir, rows[:8], rows[8:]).adapter_dir / "adapter_model.safetensors")
        )
    assert adapters[0].keys() == adapters[1].keys()
    for key, weight in adapters[0].items():
        assert torch.equal(weight, adapters[1][key]), key


def test_eval_writes_the_side_by_side_report(trained, tmp_path, monkeypatch):
    """`make eval-<domain>` on a real GGUF (the tiny one): tuned, and the no-model baseline, in one report."""
    import toolsmith.lint
    from toolsmith.shared import domain as domain_mod
    from toolsmith.shared.evaluate import evaluate_domain

    _, _, _, gguf, _ = trained
    toolsmith.lint.generate(tmp_path / "data" / "lint", 8, 0, recovery=False)
    monkeypatch.setattr(domain_mod, "data_dir", lambda d: tmp_path / "data" / d)
    report = evaluate_domain("lint", gguf, limit=1, e2e_limit=2, with_base=False, latency_runs=0, command="test")
    md = (gguf.parent / "lint_eval.md").read_text()
    assert "| metric | untuned base | tuned | no model: ruff check --fix --unsafe-fixes |" in md
    # the split is by module, so how many of the 8 examples land in eval depends on the stdlib at hand
    held_out = len((tmp_path / "data" / "lint" / "eval.jsonl").read_text().splitlines())
    assert held_out >= 1
    assert report["baseline"]["runs"] == report["tuned"]["end_to_end"]["runs"] == min(2, held_out)
    assert report["baseline"]["success_rate"] == 1.0  # ruff fixes what is fixable in injected lint problems
    assert report["tuned"]["next_call"]["steps"] > 0 and report["tuned"]["end_to_end"]["turns"] > 0
    assert json.loads((gguf.parent / "lint_eval.json").read_text())["baseline_name"] == toolsmith.lint.BASELINE
    # every end-to-end run's conversation is kept beside the report (the failures are read there), one row a run
    runs = gguf.parent / "lint_eval_tuned_runs.jsonl"
    assert report["tuned"]["transcripts"] == str(runs) and f"`{runs}`" in md
    rows = [json.loads(line) for line in runs.read_text().splitlines()]
    assert len(rows) == report["tuned"]["end_to_end"]["runs"] and all(r["messages"] for r in rows)
