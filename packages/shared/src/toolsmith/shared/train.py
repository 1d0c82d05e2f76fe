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
    """Fine-tune a LoRA on ``train_rows`` and save the adapter in ``cfg.output_dir / 'adapter'``."""
    import torch

    backend = choose_backend(cfg.backend)
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    rng = random.Random(cfg.seed)
    if eval_rows is None and cfg.eval_fraction > 0 and len(train_rows) > 4:
        rows = list(train_rows)
        rng.shuffle(rows)
        k = max(1, int(len(rows) * cfg.eval_fraction))
        eval_rows, train_rows = rows[:k], rows[k:]
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    (cfg.output_dir / "train_config.json").write_text(json.dumps(cfg.to_json(), indent=2))
    log.info("training backend=%s on %d examples (%d eval)", backend, len(train_rows), len(eval_rows or []))
    if backend == "fast":
        from toolsmith.shared.backend_fast import train_fast

        return train_fast(cfg, base_dir, train_rows, eval_rows or [])
    if cfg.train_control_tokens:
        log.warning("backend %s cannot train the control-token rows (TRL's fused head); LoRA only", backend)
        cfg = replace(cfg, train_control_tokens=False)
    from toolsmith.shared.backend_trl import train_trl

    return train_trl(cfg, backend, base_dir, train_rows, eval_rows or [])
