"""The supervised-token loss: the vocabulary head only where something is learned, and its references."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from toolsmith.shared.batching import TokenizedExample, collate, length_grouped_batches


def shared_prefix_length(input_ids: Any, labels: Any, minimum: int = 64) -> int:
    """Length of the token prefix all rows share before anything is learned (0 if under ``minimum``)."""
    if input_ids.shape[0] < 2:
        return 0
    same = (input_ids == input_ids[:1]).all(dim=0)
    n = int(same.int().cumprod(0).sum())
    learned = (labels != -100).any(dim=0).nonzero()
    if len(learned):
        n = min(n, int(learned[0]))  # position n-1 must not be learned: it is computed once
    n = min(n, input_ids.shape[1] - 1)
    return n if n >= minimum else 0


def supervised_logits(causal_lm: Any, batch: dict[str, Any], share_prefix: bool = True) -> tuple[Any, Any, Any]:
    """Logits at the supervised positions only, running the vocabulary head only there.

    - The input embeddings are detached: their values are used as they are (trained control-token rows
      included), but no gradient flows back through the frozen layers below the lowest LoRA layer. The
      (tied) control-token rows still learn through the output head.
    - With ``share_prefix``, the prefix every row shares (the developer turn with the tool declarations)
      is run once with a KV cache that the rows' suffixes then attend to; gradients flow through it.

    Args:
        causal_lm: A (LoRA-wrapped) ``*ForCausalLM`` exposing ``.model`` (the decoder) and ``.lm_head``.
        batch: From :func:`collate`.
        share_prefix: Compute the shared prefix once per batch.

    Returns:
        The logits (one row per supervised position, row-major), their target ids, and the supervision mask of
        the positions that were run (the batch's, minus a shared prefix).
    """
    import torch

    decoder = causal_lm.model
    ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
    p = shared_prefix_length(ids, labels) if share_prefix else 0
    embeds = decoder.embed_tokens(ids).detach()
    if p:
        prefix = decoder(inputs_embeds=embeds[:1, :p], attention_mask=mask[:1, :p], use_cache=True)
        cache = prefix.past_key_values
        cache.batch_repeat_interleave(ids.shape[0])
        positions = torch.arange(p, ids.shape[1]).unsqueeze(0).expand(ids.shape[0], -1)
        hidden = decoder(
            inputs_embeds=embeds[:, p:],
            attention_mask=mask,
            past_key_values=cache,
            use_cache=True,
            position_ids=positions,
            cache_position=torch.arange(p, ids.shape[1]),
        ).last_hidden_state
        labels = labels[:, p:]
    else:
        hidden = decoder(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
    keep = labels != -100
    logits = causal_lm.lm_head(hidden[keep])
    cap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if cap:
        logits = (logits / cap).tanh() * cap
    return logits, labels[keep], keep


def supervised_loss(causal_lm: Any, batch: dict[str, Any], share_prefix: bool = True) -> tuple[Any, int]:
    """Mean cross-entropy over supervised positions (see :func:`supervised_logits`).

    Returns:
        The loss tensor and the number of supervised tokens.
    """
    import torch.nn.functional as F

    logits, targets, _ = supervised_logits(causal_lm, batch, share_prefix)
    return F.cross_entropy(logits.float(), targets), int(targets.numel())


def span_matches(logits: Any, targets: Any, keep: Any) -> tuple[int, int]:
    """How many model-written spans (runs of supervised positions: a call and its stop token, a text answer) the
    greedy choice reproduces exactly under teacher forcing, and how many spans there are.

    A span is reproduced when the argmax is the target at every one of its positions: exactly when greedy
    decoding from the gold prefix writes it, so this is the next-call exact match without generating.
    """
    import torch

    starts = keep & ~torch.cat([torch.zeros_like(keep[:, :1]), keep[:, :-1]], dim=1)
    span = starts.flatten().cumsum(0)[keep.flatten()] - 1
    n = int(starts.sum())
    wrong = torch.zeros(n, dtype=torch.long).index_add_(0, span, (logits.argmax(-1) != targets).long())
    return int((wrong == 0).sum()), n


@dataclass(frozen=True)
class Evaluation:
    """Held-out measures of a model being trained.

    Attributes:
        loss: Mean supervised-token cross-entropy.
        span_match: Share of model-written spans greedy decoding reproduces exactly (teacher forcing).
        spans: How many spans were judged.
    """

    loss: float
    span_match: float
    spans: int


def evaluate(model: Any, examples: list[TokenizedExample], pad_id: int, batch_size: int) -> Evaluation | None:
    """Loss and span match over held-out ``examples`` (None when there are none)."""
    import torch
    import torch.nn.functional as F

    if not examples:
        return None
    total, count, hit, spans = 0.0, 0, 0, 0
    model.eval()
    with torch.no_grad():
        for idx in length_grouped_batches(examples, batch_size, random.Random(0)):
            logits, targets, keep = supervised_logits(model.get_base_model(), collate(examples, idx, pad_id))
            total += float(F.cross_entropy(logits.float(), targets, reduction="sum"))
            count += int(targets.numel())
            h, n = span_matches(logits, targets, keep)
            hit, spans = hit + h, spans + n
    model.train()
    return Evaluation(total / max(count, 1), hit / max(spans, 1), spans)


def full_logits_loss(causal_lm: Any, batch: dict[str, Any]) -> Any:
    """Reference: the same loss through the model's full-vocabulary forward (used in tests and the bench)."""
    import torch.nn.functional as F

    logits = causal_lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["labels"]
    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=-100)
