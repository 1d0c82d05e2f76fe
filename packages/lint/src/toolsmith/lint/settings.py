"""Fine-tune overrides for the lint agent (field names of the trainer's ``TrainConfig``).

Lint trajectories are short and very regular (run_linter, one apply_fix per fixable issue,
run_linter, submit_result). Chosen so ``make train-lint`` fits this project's budget on 2 CPU cores
(measured in the README): one pass over 360 examples, LoRA on every layer (it learned much faster per
step than LoRA on the top half only, for ~25% more time per token). With at most 6 issues
per example, rendered conversations are 530-1160 tokens (median ~720, seed 0), so ``max_length``
is 1280: no example is cut.
"""

from __future__ import annotations

from typing import Any

TRAIN: dict[str, Any] = {
    "lora_r": 16,
    "lora_alpha": 32,
    "learning_rate": 4e-4,
    "epochs": 1,
    "max_length": 1280,
    "batch_size": 4,
}
