"""Training attention on CPU: each block of queries against only the keys its mask lets it see.

PyTorch's CPU flash attention computes the whole query x key rectangle whatever the mask, so a sliding-window
layer (Gemma 3: 512 keys, 15 of the 270M's 18 layers) over a 2,000-token row costs as much as full attention.
Cutting the queries into blocks and each block's keys to the span its mask allows computes the same softmax over
the same keys (the same values up to rounding) on a fraction of the rectangle. ``docs/performance.md`` ("Stop
40") has the measurements.
"""

from __future__ import annotations

from typing import Any

from toolsmith.shared.constants import ATTENTION_NAME, ATTENTION_QUERY_BLOCK


def blocked_attention(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Any, None]:
    """An ``AttentionInterface`` function: transformers' SDPA attention, one block of queries at a time.

    Args:
        module: The attention layer.
        query: ``(batch, heads, queries, head_dim)``.
        key: ``(batch, kv_heads, keys, head_dim)``.
        value: Like ``key``.
        attention_mask: transformers' boolean SDPA mask ``(batch, 1, queries, keys)``, or None.
        dropout: Attention dropout.
        scaling: The score scale.
        **kwargs: Passed on to transformers' SDPA attention where the blocks are not used.

    Returns:
        The output ``(batch, queries, heads, head_dim)`` and no attention weights.
    """
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    n = query.shape[2]
    if attention_mask is None or attention_mask.dtype != torch.bool or n <= ATTENTION_QUERY_BLOCK:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    seen = attention_mask.any(dim=1).any(dim=0)  # (queries, keys): seen by some row of the batch
    out = []
    for a in range(0, n, ATTENTION_QUERY_BLOCK):
        b = min(a + ATTENTION_QUERY_BLOCK, n)
        cols = seen[a:b].any(dim=0).nonzero()
        lo, hi = (int(cols[0]), int(cols[-1]) + 1) if len(cols) else (0, key.shape[2])
        out.append(
            torch.nn.functional.scaled_dot_product_attention(
                query[:, :, a:b],
                key[:, :, lo:hi],
                value[:, :, lo:hi],
                attn_mask=attention_mask[:, :, a:b, lo:hi],
                dropout_p=dropout,
                scale=scaling,
                enable_gqa=query.shape[1] != key.shape[1],
            )
        )
    return torch.cat(out, dim=2).transpose(1, 2).contiguous(), None


def use_blocked_attention(model: Any) -> None:
    """Make a model attend with :func:`blocked_attention`, under transformers' SDPA masks.

    Args:
        model: A transformers model whose attention layers call the ``AttentionInterface`` with only
            ``sliding_window`` beside the standard arguments (Gemma 3 does); other keywords are passed on only where
            the blocks fall back to transformers' SDPA attention.
    """
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(ATTENTION_NAME, blocked_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(ATTENTION_NAME, sdpa_mask)
    model.set_attn_implementation(ATTENTION_NAME)
