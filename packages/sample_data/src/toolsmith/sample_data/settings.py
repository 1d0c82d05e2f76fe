"""Fine-tune overrides for the sample_data agent (field names of the trainer's ``TrainConfig``).

Started from lint's settings. Conversations are longer than lint's (one set_field per field and one
add_edge_case per edge case); ``max_length`` fits the longest generated example (measured with the real
tokenizer on the default data set, see the README).
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
