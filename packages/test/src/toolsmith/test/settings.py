"""Fine-tune overrides for the test agent (field names of the trainer's ``TrainConfig``).

Started from lint's (LoRA on every layer, one pass). Test trajectories are longer than lint's: the prompt
holds the function's source, and each kept call is a try_call + add_test pair.
"""

from __future__ import annotations

from typing import Any

TRAIN: dict[str, Any] = {
    "lora_r": 16,
    "lora_alpha": 32,
    "learning_rate": 4e-4,
    "epochs": 1,
    "max_length": 2048,
    "batch_size": 4,
}
