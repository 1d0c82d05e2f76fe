"""Tokenized training examples (labels where the model wrote) and length-grouped, right-padded batches."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

from toolsmith.shared.chat import encode, render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenizedExample:
    """Token ids and the label of each position (-100 where nothing is learned)."""

    input_ids: list[int]
    labels: list[int]

    @property
    def supervised(self) -> int:
        return sum(1 for x in self.labels if x != -100)


def tokenize_examples(
    tokenizer: Any, examples: list[dict[str, Any]], max_length: int
) -> tuple[list[TokenizedExample], int]:
    """Render and tokenize; labels are the next token where the model wrote it, and each example ends at its last
    learned position.

    Returns:
        The kept examples and how many were dropped for being longer than ``max_length``.
    """
    out, dropped = [], 0
    for ex in examples:
        enc = encode(tokenizer, render(ex["messages"], ex.get("tools")))
        ids = enc.input_ids
        # position t predicts token t+1; it is learned when token t+1 was written by the model
        labels = [ids[t + 1] if enc.supervised[t + 1] else -100 for t in range(len(ids) - 1)] + [-100]
        # attention is causal, so the positions after the last learned one (the last tool response, as a rule)
        # change no loss term: they are not computed
        last = max((t for t, x in enumerate(labels) if x != -100), default=len(ids) - 1)
        ids, labels = ids[: last + 1], labels[: last + 1]
        if len(ids) > max_length:
            dropped += 1
            continue
        out.append(TokenizedExample(ids, labels))
    if dropped:
        log.warning("dropped %d of %d examples longer than max_length=%d", dropped, len(examples), max_length)
    if not out:
        raise ValueError(f"expected at least one example within max_length={max_length}, got none")
    return out, dropped


@dataclass(frozen=True)
class TokenizedSplits:
    """A run's tokenized examples: ``train``, ``held_out`` (for eval loss; may be empty), and how many
    training examples were dropped for being too long."""

    train: list[TokenizedExample]
    held_out: list[TokenizedExample]
    dropped: int


def tokenize_splits(
    tokenizer: Any, train_rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]], max_length: int
) -> TokenizedSplits:
    """:func:`tokenize_examples` on both splits (an empty eval split stays empty)."""
    train, dropped = tokenize_examples(tokenizer, train_rows, max_length)
    held_out = tokenize_examples(tokenizer, eval_rows, max_length)[0] if eval_rows else []
    return TokenizedSplits(train, held_out, dropped)


def length_grouped_batches(examples: list[TokenizedExample], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].input_ids), rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(examples: list[TokenizedExample], idx: list[int], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels."""
    import torch

    n = max(len(examples[i].input_ids) for i in idx)
    ids = torch.full((len(idx), n), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), n), -100, dtype=torch.long)
    mask = torch.zeros((len(idx), n), dtype=torch.long)
    for row, i in enumerate(idx):
        ex = examples[i]
        k = len(ex.input_ids)
        ids[row, :k] = torch.tensor(ex.input_ids)
        labels[row, :k] = torch.tensor(ex.labels)
        mask[row, :k] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
