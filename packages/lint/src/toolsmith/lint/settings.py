"""Fine-tune overrides for the lint agent (field names of the trainer's ``TrainConfig``).

Lint trajectories are short and very regular: run_linter, then the call each response names as ``next`` (fix_all
per rule code with fixable issues, rewrite per rule code ruff cannot fix, and last submit_result with the counts),
so every call after the first is a copy. LoRA on every layer (it learned much faster per step than LoRA on the top
half only, for ~25% more time per token). Snippets hold at most 6 issues; whole modules (up to 60 issues, at most 12
listed by run_linter) make longer conversations: the 360 training examples of ``make generate-lint`` render to at
most 1,551 tokens (median 919, tool declarations included), so ``max_length`` is 2048: no example is cut (a longer
one would be dropped and counted).

Batch 8 at lr 6e-4 (stop 30): the tool declarations every row shares are computed once per batch, 16% less
fine-tuning time than batch 4 at no loss; it fits in memory because lint conversations are short (17.8 GiB peak
resident at stop 30, 18.2-18.6 GiB at stop 38; test and docstring did not fit at batch 8).

24 steps of 8 (192 of the 342 training rows, 18 held out for the validation loss; stop 38, docs/performance.md).
Until stop 37 the responses named the next call only while there was something to fix, and the model had to notice
that none was named and run the linter again or submit: the setting was one epoch (43 steps), 16.5 min the whole
``make train-lint``; at 30 steps next call fell to 94.4% (stop 33) and 93.4% at lr 1e-3 (stop 38, whose 13 misses
were all a wrong tool: 12 ``run_linter`` or ``submit_result`` where ``next`` named a fix, one ``run_linter`` where
``submit_result`` was due). Since stop 38 every successful run_linter, fix_all and rewrite response names one,
submit_result with its counts included, and the linter is not run again after the fixes. On that data, one run each,
then ``toolsmith eval lint`` (40 held-out files): 28 steps 100% next call and 100% end to end (12.3 min the whole
``toolsmith train lint``), **24 steps 100% and 100% (10.0 min; 10.2 min in a ``make train-lint`` that wrote the same
GGUF: kept)**, 20 steps 98.7% (two ``rewrite`` calls written as ``fix_all``) and 100% (9.1 min). 24 steps keep a
margin on both sides of issue 14's targets (12 minutes; 98% next call, 97% end to end).
"""

from __future__ import annotations

from typing import Any

TRAIN: dict[str, Any] = {
    "lora_r": 16,
    "lora_alpha": 32,
    "learning_rate": 6e-4,
    "epochs": 1,
    "max_length": 2048,
    "batch_size": 8,
    "max_steps": 24,
}
