"""``make bench-train``: plain TRL SFTTrainer + PEFT against toolsmith's fast CPU path, side by side.

Both runs get the same examples (``steps * batch_size`` of the domain's train split, each seen once),
the same base, LoRA config, max length and optimizer steps, and no control-token training (so the
trainable parameters are identical). Each run is a fresh subprocess (clean peak RSS); backends
alternate for ``rounds`` rounds. Quality is the supervised-token loss on held-out examples, computed
by one function for both adapters. A profile of one step and this CPU's matmul peak explain the rest.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BACKENDS = ("peft", "fast")
LORA = {"lora_r": 16, "lora_alpha": 32, "learning_rate": 4e-4, "warmup_ratio": 0.0, "lr_scheduler": "constant"}


def _eval_loss(base_dir: Path, adapter: Path, rows: list[dict[str, Any]], max_length: int) -> float:
    import torch
    from peft import PeftModel

    from toolsmith.shared.base import load_model, load_tokenizer
    from toolsmith.shared.batching import tokenize_examples
    from toolsmith.shared.loss import evaluate

    tok = load_tokenizer(base_dir)
    model = PeftModel.from_pretrained(load_model(base_dir, dtype=torch.float32), str(adapter))
    ex, _ = tokenize_examples(tok, rows, max_length)
    return evaluate(model, ex, tok.pad_token_id or 0, 4).loss


def run_one(backend: str, data: Path, steps: int, batch_size: int, max_length: int, out: Path) -> dict[str, Any]:
    """One timed run (call in a fresh process); writes and returns its measurements."""
    from toolsmith.shared.base import base_path, resolve_base
    from toolsmith.shared.constants import EVAL_FILE, TRAIN_FILE
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.train import train
    from toolsmith.shared.trainconfig import TrainConfig

    base_dir = base_path(resolve_base())
    rows = load_examples(data / TRAIN_FILE)[: steps * batch_size]
    held_out = load_examples(data / EVAL_FILE)[:8]
    with tempfile.TemporaryDirectory(prefix="toolsmith-bench-") as tmp:
        cfg = TrainConfig(
            output_dir=Path(tmp),
            backend=backend,
            max_steps=steps,
            batch_size=batch_size,
            max_length=max_length,
            save_every=0,
            eval_fraction=0,
            progress=False,
            train_control_tokens=False,
            **LORA,
        )
        result = train(cfg, base_dir, rows, [])
        eval_loss = _eval_loss(base_dir, result.adapter_dir, held_out, max_length)
    measured = {
        "backend": backend,
        "steps": result.steps,
        "examples": len(rows),
        "seconds": round(result.seconds, 1),
        "tokens": result.tokens,
        "supervised_tokens": result.supervised_tokens,
        "tokens_per_s": round(result.tokens / result.seconds, 1),
        "supervised_tokens_per_s": round(result.supervised_tokens / result.seconds, 2),
        "train_loss": result.train_loss,
        "eval_loss": round(eval_loss, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    out.write_text(json.dumps(measured))
    return measured


def matmul_peak_gflops(n: int = 1024, repeats: int = 20) -> float:
    """fp32 GEMM throughput on this CPU with torch's threads (best of ``repeats``)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def count_cpu_attention() -> None:
    """Let ``torch.utils.flop_counter`` count CPU flash attention, which torch 2.13 counts on CUDA only.

    The formulas are torch's own for the CUDA flash kernels: the whole query x key rectangle, which is what the CPU
    kernel computes when it is given a mask (the decoder gives one). Registering again is a no-op.
    """
    import torch
    from torch.utils import flop_counter as fc

    aten = torch.ops.aten
    fwd = aten._scaled_dot_product_flash_attention_for_cpu
    bwd = aten._scaled_dot_product_flash_attention_for_cpu_backward
    if fwd not in fc.flop_registry:

        @fc.register_flop_formula(fwd)
        def _forward(query_shape: Any, key_shape: Any, value_shape: Any, *_: Any, **__: Any) -> int:
            return fc.sdpa_flop_count(query_shape, key_shape, value_shape)

    if bwd not in fc.flop_registry:

        @fc.register_flop_formula(bwd)
        def _backward(grad_shape: Any, query_shape: Any, key_shape: Any, value_shape: Any, *_: Any, **__: Any) -> int:
            return fc.sdpa_backward_flop_count(grad_shape, query_shape, key_shape, value_shape)


def profile_step(data: Path, batch_size: int, max_length: int) -> dict[str, Any]:
    """Where one step's time goes, for the fast path and for a full-vocabulary head, on the ``batch_size``
    shortest training rows."""
    import torch
    from peft import get_peft_model
    from torch.utils.flop_counter import FlopCounterMode

    from toolsmith.shared.attention import use_blocked_attention
    from toolsmith.shared.base import base_path, load_model, load_tokenizer, resolve_base
    from toolsmith.shared.batching import collate, tokenize_examples
    from toolsmith.shared.constants import TRAIN_FILE
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.lora import lora_config
    from toolsmith.shared.loss import supervised_loss
    from toolsmith.shared.trainconfig import TrainConfig

    base_dir = base_path(resolve_base())
    tok = load_tokenizer(base_dir)
    # the shortest rows: a full-vocabulary head holds several (tokens x 262,144) fp32 tensors at once, which for
    # four of today's longer lint rows (~1,000 tokens each) is more than this machine's 23.5 GiB
    ex, _ = tokenize_examples(tok, load_examples(data / TRAIN_FILE), max_length)
    ex = sorted(ex, key=lambda e: len(e.input_ids))[:batch_size]
    batch = collate(ex, list(range(len(ex))), tok.pad_token_id or 0)
    cfg = TrainConfig(train_control_tokens=False, **LORA)
    base = load_model(base_dir)
    model = get_peft_model(base, lora_config(cfg, base.config.num_hidden_layers, tok))
    lm = model.get_base_model()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    spent: dict[str, float] = {"attention": 0.0, "mlp": 0.0}
    starts: dict[int, float] = {}

    def pre(mod: Any, *_: Any) -> None:
        starts[id(mod)] = time.perf_counter()

    def post(kind: str):
        def hook(mod: Any, *_: Any) -> None:
            spent[kind] += time.perf_counter() - starts[id(mod)]

        return hook

    for layer in lm.model.layers:
        for kind, mod in (("attention", layer.self_attn), ("mlp", layer.mlp)):
            mod.register_forward_pre_hook(pre)
            mod.register_forward_hook(post(kind))

    def timed(share_prefix: bool, full_head: bool) -> dict[str, float]:
        import torch.nn.functional as F

        spent.update(attention=0.0, mlp=0.0)
        t0 = time.perf_counter()
        if full_head:
            hidden = lm.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            t1 = time.perf_counter()
            logits = lm.lm_head(hidden)
            loss = F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=-100)
        else:
            loss, _ = supervised_loss(lm, batch, share_prefix=share_prefix)
            t1 = None
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t4 = time.perf_counter()
        fwd = t2 - t0
        layers = spent["attention"] + spent["mlp"]
        return {
            "forward_s": round(fwd, 2),
            "attention_fwd_s": round(spent["attention"], 2),
            "mlp_fwd_s": round(spent["mlp"], 2),
            "head_and_rest_fwd_s": round(fwd - layers if t1 is None else t2 - t1 + (t1 - t0 - layers), 2),
            "backward_s": round(t3 - t2, 2),
            "optimizer_s": round(t4 - t3, 3),
            "step_s": round(t4 - t0, 2),
        }

    def flops(share_prefix: bool) -> int:
        count_cpu_attention()
        with FlopCounterMode(display=False) as counter:
            loss, _ = supervised_loss(lm, batch, share_prefix=share_prefix)
            loss.backward()
        opt.zero_grad(set_to_none=True)
        return counter.get_total_flops()

    use_blocked_attention(base)  # the fast path's attention, with or without prefix sharing
    timed(True, False)  # warm-up
    fast = timed(True, False)
    fast_flops = flops(True)
    no_prefix = timed(False, False)
    base.set_attn_implementation("sdpa")  # what a plain loop has
    full = timed(False, True)
    peak = matmul_peak_gflops()
    return {
        "batch_size": len(ex),
        "tokens": int(batch["attention_mask"].sum()),
        "fast_path": fast,
        "fast_path_without_prefix_sharing": no_prefix,
        "full_vocabulary_head": full,
        "fast_step_gflop": round(fast_flops / 1e9, 1),
        "fast_step_gflops_achieved": round(fast_flops / 1e9 / fast["step_s"], 1),
        "matmul_peak_gflops": round(peak, 1),
        "threads": torch.get_num_threads(),
    }


def bench_train(
    domain: str, steps: int = 6, batch_size: int = 4, rounds: int = 2, max_length: int = 1280, profile: bool = True
) -> dict[str, Any]:
    """Alternate the two backends ``rounds`` times, in fresh processes; return all measurements."""
    from toolsmith.shared.constants import TRAIN_FILE
    from toolsmith.shared.domain import data_dir, load_domain

    data = data_dir(domain)
    if not (data / TRAIN_FILE).is_file():
        load_domain(domain).generate(data, count=400, seed=0)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="toolsmith-bench-") as tmp:
        for r in range(rounds):
            for backend in BACKENDS:
                out = Path(tmp) / f"{backend}-{r}.json"
                cmd = [
                    sys.executable,
                    "-m",
                    "toolsmith.shared.bench",
                    backend,
                    str(data),
                    str(steps),
                    str(batch_size),
                    str(max_length),
                    str(out),
                ]
                log.info("round %d: %s", r + 1, backend)
                subprocess.run(cmd, check=True, env=dict(os.environ, TOKENIZERS_PARALLELISM="false"))
                runs.append(json.loads(out.read_text()))
    summary = {}
    for backend in BACKENDS:
        mine = [x for x in runs if x["backend"] == backend]
        summary[backend] = {
            k: statistics.mean(x[k] for x in mine)
            for k in ("tokens_per_s", "supervised_tokens_per_s", "seconds", "train_loss", "eval_loss", "peak_rss_mb")
        }
    ratio = summary["fast"]["tokens_per_s"] / summary["peft"]["tokens_per_s"]
    report = {
        "domain": domain,
        "steps": steps,
        "batch_size": batch_size,
        "rounds": rounds,
        "max_length": max_length,
        "lora": LORA,
        "runs": runs,
        "mean": summary,
        "speedup": round(ratio, 2),
        "eval_loss_difference": round(summary["fast"]["eval_loss"] - summary["peft"]["eval_loss"], 4),
    }
    if profile:
        report["profile"] = profile_step(data, batch_size, max_length)
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    backend, data, steps, batch_size, max_length, out = sys.argv[1:7]
    run_one(backend, Path(data), int(steps), int(batch_size), int(max_length), Path(out))
