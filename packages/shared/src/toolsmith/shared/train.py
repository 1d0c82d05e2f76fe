"""LoRA fine-tuning with completion-only loss over everything the model wrote.

Backends (``TrainConfig.backend``):

- ``fast`` (the CPU default): PEFT LoRA in a plain PyTorch loop that runs the 262k-vocabulary
  head only at supervised positions, with length-grouped batches (no padding waste) and
  optionally LoRA on the upper layers only (no backward through the frozen lower ones).
- ``peft``: TRL's ``SFTTrainer`` with PEFT LoRA on the same pre-tokenized examples and masks.
- ``unsloth``: Unsloth's ``FastLanguageModel`` + TRL, on CUDA only.
- ``auto``: Unsloth on CUDA when importable, else ``peft`` on CUDA, else ``fast``.

fp32 on CPU (bf16 on this CPU is many times slower), bf16 on GPU. Multi-GPU: run the ``peft``
backend under ``accelerate launch -m toolsmith.shared.cli train ...`` (TRL handles it).
"""

from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from toolsmith.shared.batching import tokenize_splits
from toolsmith.shared.checkpoints import RunIdentity, clear_checkpoints, resume_point
from toolsmith.shared.trainconfig import Backend, TrainConfig, TrainResult

log = logging.getLogger(__name__)


def choose_backend(requested: Backend) -> str:
    """Resolve ``auto`` (and check ``unsloth``) against this machine."""
    import torch

    cuda = torch.cuda.is_available()
    if requested == "unsloth" and not cuda:
        raise RuntimeError("backend unsloth: expected a CUDA GPU, got none (use --backend fast or peft)")
    if requested != "auto":
        return requested
    if cuda:
        try:
            import unsloth  # noqa: F401

            return "unsloth"
        except Exception:  # not installed, or its import failed
            return "peft"
    return "fast"


def train(
    cfg: TrainConfig, base_dir: Path, train_rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]] | None = None
) -> TrainResult:
    """Fine-tune a LoRA on ``train_rows`` and save the adapter in ``cfg.output_dir / 'adapter'``.

    With ``cfg.resume`` it continues from the last checkpoint in ``cfg.output_dir`` (from step 0 when there
    is none); without, it removes the checkpoints an earlier run left there.

    Raises:
        ValueError: Resuming from a checkpoint of another run (other settings or data); see
            :func:`toolsmith.shared.checkpoints.resume_point`.
    """
    import torch

    from toolsmith.shared.base import load_tokenizer

    backend = choose_backend(cfg.backend)
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    rng = random.Random(cfg.seed)
    if eval_rows is None and cfg.eval_fraction > 0 and len(train_rows) > 4:
        rows = list(train_rows)
        rng.shuffle(rows)
        k = max(1, int(len(rows) * cfg.eval_fraction))
        eval_rows, train_rows = rows[:k], rows[k:]
    if backend != "fast" and cfg.train_control_tokens:
        log.warning("backend %s cannot train the control-token rows (TRL's fused head); LoRA only", backend)
        cfg = replace(cfg, train_control_tokens=False)
    tokenizer = load_tokenizer(base_dir)
    data = tokenize_splits(tokenizer, train_rows, eval_rows or [], cfg.max_length)
    run = RunIdentity.of(cfg, backend, data.train)
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    start = resume_point(cfg.output_dir, run) if cfg.resume else None
    if cfg.resume and start is None:
        log.info("no checkpoint to resume in %s: starting at step 0", cfg.output_dir)
    if not cfg.resume and (n := clear_checkpoints(cfg.output_dir)):
        log.warning("removed %d checkpoint(s) of an earlier run from %s", n, cfg.output_dir)
    (cfg.output_dir / "train_config.json").write_text(json.dumps(cfg.to_json(), indent=2))
    log.info(
        "training backend=%s on %d examples (%d eval), %s",
        backend,
        len(train_rows),
        len(eval_rows or []),
        run.describe(),
    )
    if backend == "fast":
        from toolsmith.shared.backend_fast import train_fast
        from toolsmith.shared.heap import freed_memory_reused

        with freed_memory_reused():  # 12-19% less time a step (docs/performance.md, "Stop 34")
            return train_fast(cfg, base_dir, tokenizer, data, run, start)
    from toolsmith.shared.backend_trl import train_trl

    return train_trl(cfg, backend, base_dir, tokenizer, data, run, start)
