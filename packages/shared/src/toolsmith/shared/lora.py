"""The PEFT LoRA config of a run and its learning-rate schedule."""

from __future__ import annotations

import math
from typing import Any

from toolsmith.shared.trainconfig import TrainConfig


def lora_config(cfg: TrainConfig, num_layers: int, tokenizer: Any) -> Any:
    """The PEFT LoRA config for ``cfg`` (``tokenizer`` gives the control-token ids)."""
    from peft import LoraConfig

    from toolsmith.shared.constants import FUNCTION_TOKENS

    layers = list(range(num_layers - cfg.lora_layers, num_layers)) if cfg.lora_layers else None
    tokens = sorted(tokenizer.convert_tokens_to_ids(list(FUNCTION_TOKENS))) if cfg.train_control_tokens else None
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.target_modules),
        layers_to_transform=layers,
        bias="none",
        task_type="CAUSAL_LM",
        trainable_token_indices={"embed_tokens": tokens} if tokens else None,
    )


def lr_lambda(cfg: TrainConfig, total_steps: int):
    """Warmup then cosine/linear/constant, as a multiplier of the peak rate."""
    warmup = int(total_steps * cfg.warmup_ratio)

    def f(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if cfg.lr_scheduler == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total_steps - warmup)
        return max(0.0, 1 - progress) if cfg.lr_scheduler == "linear" else 0.5 * (1 + math.cos(math.pi * progress))

    return f
