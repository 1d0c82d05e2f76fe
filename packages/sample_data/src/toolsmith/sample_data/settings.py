"""Fine-tune overrides for the sample_data agent (field names of the trainer's ``TrainConfig``).

Conversations (stop 41's tools: one ``set_field`` per field with a provider to choose, the edge cases added by
``generate``; the default data set, 400 examples, seed 0): 1,257 tokens a training row on average with the real
tokenizer, at most 1,679, of which the 477 tokens of declarations are shared by a batch; ``max_length`` 3072 cuts
none. Before stop 41 (an ``add_edge_case`` call per edge case, ``list_providers`` declared, ``set_field`` answering
its field, provider and an example) rows were 1,946 tokens, at most 2,983.

A step is one batch of 4 rows, 40 steps (160 rows): rows this short fit in memory at once (19.8 GiB peak resident
at stop 41; rows of up to 2,983 tokens did not, so the step was 2 micro-batches of 2 before), and the declarations
are computed once a step instead of once per micro-batch.

Stop 41, one run each (``toolsmith train sample_data`` with the arguments named, then ``toolsmith eval sample_data
--no-base --latency-runs 1`` on the 50 held-out types; docs/performance.md "Stop 41"):

- these settings and data: 15.6 min the whole command (862 s of fine-tuning), 92.0% end to end (46 of 50; the four
  failures are realism: unseen person-name and phone fields given ``word``, ``user_name`` or ``text``), next call
  89.3%, realism 0.981, every run wrote valid samples with every edge case;
- the same settings before every 20th composed train type had nothing to choose: 16.2 min, 88.0%; 2 micro-batches
  of 2 (``--batch-size 2 --grad-accum 2``): 16.9 min, 80.0%; 48 steps of one micro-batch of 2 (``--grad-accum 1
  --max-steps 48``): 11.1 min, 68.0% (not taken);
- the tools before, 40 steps of 2 micro-batches of 2 (stop 40, in ``make train-all``): 28.0 min, 98.0%; rounding
  siblings of that design reached 84.0-98.0% (stop 36).

Older measurements, on the tools before: 30 steps ended 54% of eval runs with success against 78% at 40 (stop 24);
36 steps 86.0% against 96.0% at 40 (stop 32); LoRA rank 32 (alpha 64) kept over 16 (stop 31); LoRA on the top 9
layers only 70% (stop 31). Validation runs once, at the end.
"""

from __future__ import annotations

from typing import Any

TRAIN: dict[str, Any] = {
    "lora_r": 32,
    "lora_alpha": 64,
    "learning_rate": 4e-4,
    "epochs": 1,
    "max_length": 3072,
    "batch_size": 4,
    "grad_accum": 1,
    "max_steps": 40,
}
