"""``make train-<domain>``: fine-tune -> merge -> Q8_0 GGUF -> smoke check -> parity -> model card."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.shared.chat import Rendered
from toolsmith.shared.constants import CARD_NAME, DEFAULT_EXAMPLES, EVAL_FILE, GGUF_NAME, TRAIN_FILE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parity:
    """HF tokenizer/model against llama.cpp on the exported GGUF."""

    token_ids_equal: bool
    prompts: int
    greedy_agree: int
    hf_top1_in_gguf_top5: int
    min_logit_correlation: float
    first_mismatch: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def check_parity(checkpoint: Path, gguf_path: Path, prompts: list[Rendered]) -> Parity:
    """Compare token ids of each prompt, and the next-token argmax of the HF model and the GGUF."""
    import numpy as np
    import torch

    from toolsmith.shared.base import load_model, load_tokenizer
    from toolsmith.shared.chat import encode
    from toolsmith.shared.llm import GGUFModel

    tok = load_tokenizer(checkpoint)
    model = load_model(checkpoint).eval()
    hf = [encode(tok, p).input_ids for p in prompts]
    gg = GGUFModel(gguf_path, n_ctx=max(512, max(len(ids) for ids in hf) + 8))
    equal, agree, top5, mismatch, corr = True, 0, 0, "", 1.0
    for p, hf_ids in zip(prompts, hf):
        ll_ids = gg.tokenize(p)
        if hf_ids != ll_ids and not mismatch:
            at = next((i for i, (a, b) in enumerate(zip(hf_ids, ll_ids)) if a != b), min(len(hf_ids), len(ll_ids)))
            mismatch = (
                f"prompt {p.text[:40]!r}: first difference at token {at}: HF {hf_ids[at : at + 3]} vs llama.cpp "
                f"{ll_ids[at : at + 3]}"
            )
        equal &= hf_ids == ll_ids
        with torch.no_grad():
            hf_logits = model(torch.tensor([hf_ids])).logits[0, -1].float()
        hf_next = int(hf_logits.argmax())
        scores = gg.next_token_logits(p)
        agree += int(scores.argmax()) == hf_next
        top5 += hf_next in set(np.argsort(scores)[-5:].tolist())
        corr = min(corr, float(np.corrcoef(hf_logits.numpy(), scores)[0, 1]))
    return Parity(equal, len(prompts), agree, top5, round(corr, 4), mismatch)


def export(base_dir: Path, adapter_dir: Path, work_dir: Path, gguf_path: Path) -> tuple[Path, dict[str, float]]:
    """Merge the adapter and convert to a Q8_0 GGUF; returns the merged folder and the timings."""
    from toolsmith.shared.export import convert_to_gguf, merge_lora

    t0 = time.perf_counter()
    merged = merge_lora(base_dir, adapter_dir, work_dir / "merged")
    t1 = time.perf_counter()
    convert_to_gguf(merged, gguf_path)
    t2 = time.perf_counter()
    return merged, {"merge_s": round(t1 - t0, 1), "convert_s": round(t2 - t1, 1)}


def train_domain(
    domain: str,
    overrides: dict[str, Any],
    base_model: str | None = None,
    data: Path | None = None,
    generate_count: int = DEFAULT_EXAMPLES,
) -> dict[str, Any]:
    """The whole ``train-<domain>`` job; returns the model card facts.

    Raises:
        DomainNotReady: The domain has no tools/generator yet.
        RuntimeError: The smoke check or parity failed.
    """
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.base import base_path, resolve_base
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.domain import agent_dir, data_dir, load_domain, repo_root
    from toolsmith.shared.export import Q8_SIZE_MB_270M, smoke_check, write_card
    from toolsmith.shared.io import sha256_file
    from toolsmith.shared.train import train
    from toolsmith.shared.trainconfig import TrainConfig

    module = load_domain(domain)
    spec = load_agent(domain)
    data = data or data_dir(domain)
    if not (data / TRAIN_FILE).is_file():
        log.warning("no %s: generating %d examples first", data / TRAIN_FILE, generate_count)
        module.generate(data, count=generate_count, seed=0)
    train_rows = load_examples(data / TRAIN_FILE)
    eval_rows = load_examples(data / EVAL_FILE) if (data / EVAL_FILE).is_file() else None
    cfg = TrainConfig.build({"output_dir": repo_root() / "runs" / domain}, module.TRAIN, overrides)
    choice = resolve_base(base_model)
    base_dir = base_path(choice)

    result = train(cfg, base_dir, train_rows)  # validation rows come from the train split: eval stays unseen
    gguf = agent_dir(domain) / "models" / GGUF_NAME.format(domain=domain)
    merged, timings = export(base_dir, result.adapter_dir, cfg.output_dir, gguf)

    probe = (eval_rows or train_rows)[0]
    first = spec.first_messages(path="example.py")
    smoke = smoke_check(gguf, first, spec.schemas, size_mb_range=Q8_SIZE_MB_270M)
    from toolsmith.shared.chat import render

    prompts = [render(r["messages"][:2], r["tools"], add_generation_prompt=True) for r in (eval_rows or train_rows)[:4]]
    parity = check_parity(merged, gguf, prompts)
    if not parity.token_ids_equal:
        raise RuntimeError(
            f"expected identical token ids from HF and llama.cpp, got a difference: {parity.first_mismatch}"
        )
    shutil.rmtree(merged, ignore_errors=True)  # 1 GB of fp32; the GGUF and the adapter are what we keep
    facts = {
        "title": f"{domain} agent — FunctionGemma format, Q8_0 GGUF",
        "domain": domain,
        "gguf": str(gguf),
        "gguf_sha256": sha256_file(gguf),
        "gguf_mb": round(smoke.size_mb, 1),
        "base_model": choice.name,
        "base_source": choice.source,
        "base_reason": choice.reason,
        "train_file": str(data / TRAIN_FILE),
        "train_sha256": sha256_file(data / TRAIN_FILE),
        "train_examples": len(train_rows),
        "eval_file": str(data / EVAL_FILE) if eval_rows else None,
        "eval_sha256": sha256_file(data / EVAL_FILE) if eval_rows else None,
        "eval_examples": len(eval_rows or []),
        "backend": result.backend,
        "train_minutes": round(result.seconds / 60, 2),
        "train_steps": result.steps,
        "train_tokens_per_s": round(result.tokens / max(result.seconds, 1e-9), 1),
        "final_train_loss": result.train_loss,
        "final_eval_loss": result.eval_loss,
        **timings,
        "smoke_calls": smoke.calls,
        "smoke_seconds": round(smoke.seconds, 2),
        "parity": parity.to_json(),
        "config": cfg.to_json(),
        "probe_source": probe.get("meta", {}).get("source"),
    }
    write_card(gguf.with_name(CARD_NAME.format(domain=domain)), facts)
    return facts
