"""The supervised-token loss: the vocabulary head only where something is learned, and its references."""

from __future__ import annotations

import random
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


def supervised_loss(causal_lm: Any, batch: dict[str, Any], share_prefix: bool = True) -> tuple[Any, int]:
    """Mean cross-entropy over supervised positions, running the vocabulary head only there.

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
        The loss tensor and the number of supervised tokens.
    """
    import torch
    import torch.nn.functional as F

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
    return F.cross_entropy(logits.float(), labels[keep]), int(keep.sum())


def full_logits_loss(causal_lm: Any, batch: dict[str, Any]) -> Any:
    """Reference: the same loss through the model's full-vocabulary forward (used in tests and the bench)."""
    import torch.nn.functional as F

    logits = causal_lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["labels"]
    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=-100)


def evaluate_loss(model: Any, examples: list[TokenizedExample], pad_id: int, batch_size: int) -> float | None:
    """Mean supervised-token loss over ``examples`` (token-weighted)."""
    import torch

    if not examples:
        return None
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for idx in length_grouped_batches(examples, batch_size, random.Random(0)):
            loss, n = supervised_loss(model.get_base_model(), collate(examples, idx, pad_id))
            total += float(loss) * n
            count += n
    model.train()
    return total / max(count, 1)
