"""Fine-tune overrides for the docstring agent (field names of the trainer's ``TrainConfig``).

Started from lint's (LoRA r=16 on every layer, lr 4e-4, one pass, batch 4). Docstring trajectories are
short in calls (inspect, write, check, submit) but long in text: the inspect response holds the code and the
current docstring, the write call the whole docstring. ``max_length`` fits the longest example of the default
data set (measured with the real tokenizer; the distribution is in the design note), so none is cut.
"""

from __future__ import annotations

from typing import Any

TRAIN: dict[str, Any] = {
    "lora_r": 16,
    "lora_alpha": 32,
    "learning_rate": 4e-4,
    "epochs": 1,
    "max_length": 3072,
    "batch_size": 4,
}
