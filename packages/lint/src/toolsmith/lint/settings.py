"""Fine-tune overrides for the lint agent (field names of the trainer's ``TrainConfig``).

Lint trajectories are short and very regular (run_linter, fix_all per rule code with fixable issues and rewrite per
rule code ruff cannot fix, run_linter, submit_result). Chosen so ``make train-lint`` fits this project's budget on 2
CPU cores (measured in the README): one pass over 360 examples, LoRA on every layer (it learned much faster per step
than LoRA on the top half only, for ~25% more time per token). Snippets hold at most 6 issues; whole modules (up to
60 issues, at most 12 listed by run_linter) make longer conversations: the 360 training examples of ``make
generate-lint`` (stop 26) render to at most 1,434 tokens (median 846), so ``max_length`` is 2048: no example is cut
(a longer one would be dropped and counted).

Batch 8 at lr 6e-4 (was 4 at 4e-4; stop 30, same data, ``make train-lint ARGS="--batch-size 8 --learning-rate
6e-4"`` then ``make eval-lint``): the tool declarations every row shares are computed once per batch, so a pass
costs 43 steps of 8 instead of 86 of 4: fine-tuning 17.9 min instead of 21.4 (the whole ``make train-lint`` 18.9
instead of 22.6), next call 100% (was 99.5%), end to end 100% either way. A second ``make train-lint`` wrote the
same GGUF byte for byte in 19.1 min, at 17.8 GiB peak resident memory (``/usr/bin/time -v``) of this machine's 23.5:
batch 8 fits because lint conversations are short; longer ones (test, docstring) did not fit at batch 8.
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
}
