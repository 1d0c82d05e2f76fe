"""Fine-tune overrides for the sample_data agent (field names of the trainer's ``TrainConfig``).

Started from lint's settings. Conversations are longer than lint's (one set_field per field and one
add_edge_case per edge case): on the default data set (400 examples, seed 0) rendered conversations are
983-2879 tokens with the real tokenizer (median 1717, p95 2323), about 2.4 times lint's, so ``max_length``
is 3072: no example is cut. The longest call the model writes is 51 tokens.

Budget (issue: ``make train-sample_data`` within 30 minutes on 2 cores): a whole pass is 88 steps of ~6,900
tokens (~55 min at the fast path's ~180 tokens/s), so the run is capped at 40 steps (160 of the 350 examples).
Validation (17 held-out training conversations, ~100 s each time) runs at steps 20 and 40 only (it ran every 10
steps until stop 25: ~3.3 min more). 30 steps would fit the budget (30.9 min at stop 24) but ended 54% of eval
runs with success against 78% at 40 steps (docs/performance.md).

Memory: batch 4 was killed by the kernel's OOM killer at step 28 of a run on this 24 GiB machine (24.4 GB resident
on a batch of the longest conversations, ~2,900 tokens each), so a step is 2 micro-batches of 2 (the same 4
examples per optimizer step).
"""

from __future__ import annotations

from typing import Any

TRAIN: dict[str, Any] = {
    "lora_r": 16,
    "lora_alpha": 32,
    "learning_rate": 4e-4,
    "epochs": 1,
    "max_length": 3072,
    "batch_size": 2,
    "grad_accum": 2,
    "max_steps": 40,
    "eval_every": 20,
}
