"""The training bench's FLOP count (``make bench-train``): CPU attention is counted."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


def test_cpu_flash_attention_is_counted() -> None:
    import torch.nn.functional as F
    from torch.utils import flop_counter as fc

    from toolsmith.shared.bench import count_cpu_attention

    count_cpu_attention()
    count_cpu_attention()  # again: a no-op, not a duplicate registration
    b, h, s, d = 2, 4, 16, 32
    q, k, v = (torch.randn(b, h, s, d, requires_grad=True) for _ in range(3))
    mask = torch.ones(s, s, dtype=torch.bool).tril()  # a mask, as the decoder passes one
    with fc.FlopCounterMode(display=False) as counter:
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask).sum().backward()
    counts = counter.get_flop_counts()["Global"]
    aten = torch.ops.aten
    assert counts[aten._scaled_dot_product_flash_attention_for_cpu] == 4 * b * h * s * s * d  # Q K^T and P V
    backward = counts[aten._scaled_dot_product_flash_attention_for_cpu_backward]
    assert backward == fc.sdpa_backward_flop_count((b, h, s, d), (b, h, s, d), (b, h, s, d), (b, h, s, d)) > 0
