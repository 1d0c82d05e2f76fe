"""The tied embedding and output head with trained token rows, without a merged copy of the vocabulary matrix.

PEFT's ``trainable_token_indices`` wraps the tied embedding and output head; each of their forwards builds the
merged weight with ``index_copy`` (a copy of all 262144 x 640 rows, 671 MB in fp32, for 7 changed rows), and the
head's backward then computes the gradient of that whole matrix (a GEMM over every vocabulary row and supervised
position) to keep 7 of its rows. Here the head multiplies by the frozen base matrix, puts the trained rows' columns
in place, and its backward computes the gradient of the 7 rows alone; the embedding looks up the base rows and
replaces the trained ones. The values are PEFT's (the embedding's bit for bit; the head's up to float rounding).
"""

from __future__ import annotations

from typing import Any

import torch


class _TrainedRowsLinear(torch.autograd.Function):
    """``F.linear(hidden, weight with rows at index)``, with gradients for ``hidden`` and ``rows`` only."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, rows: torch.Tensor, weight: torch.Tensor, index: torch.Tensor):
        logits = hidden @ weight.T
        logits[:, index] = hidden @ rows.T
        ctx.save_for_backward(hidden, rows, weight, index)
        return logits

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        hidden, rows, weight, index = ctx.saved_tensors
        at_rows = grad[:, index]
        grad_hidden = grad_rows = None
        if ctx.needs_input_grad[0]:
            # grad @ (weight with rows in place) = grad @ weight + grad[:, index] @ (rows - weight[index])
            grad_hidden = grad @ weight + at_rows @ (rows - weight[index])
        if ctx.needs_input_grad[1]:
            grad_rows = at_rows.T @ hidden
        return grad_hidden, grad_rows, None, None


def trained_rows(module: Any) -> tuple[Any, Any, Any] | None:
    """The frozen base layer, its trained row indices and their values, when ``module`` is a PEFT trainable-tokens
    wrapper with one active, unmerged adapter; None for anything else (a plain layer, a merged adapter)."""
    adapter = getattr(module, "token_adapter", None)
    if adapter is None or adapter.merged or adapter.disable_adapters or len(adapter.active_adapters) != 1:
        return None
    (name,) = adapter.active_adapters
    index = torch.tensor(adapter.token_indices[name], device=adapter.base_layer.weight.device)
    return adapter.base_layer, index, adapter.trainable_tokens_delta[name]


def head_logits(head: Any, hidden: Any) -> Any:
    """``head(hidden)``: the output head's logits (``head`` a ``Linear`` or PEFT's wrapper of one)."""
    found = trained_rows(head)
    if found is None:
        return head(hidden)
    base, index, rows = found
    return _TrainedRowsLinear.apply(hidden, rows.to(hidden.dtype), base.weight, index)


def embedded(embedding: Any, ids: Any) -> Any:
    """``embedding(ids).detach()``: the input embeddings, trained rows included, outside the graph."""
    found = trained_rows(embedding)
    if found is None:
        return embedding(ids).detach()
    base, index, rows = found
    with torch.no_grad():
        out = base(ids)  # the base rows, times the embedding's scale where it has one (Gemma)
        scale = getattr(base, "embed_scale", None)
        for j, token in enumerate(index.tolist()):
            row = rows[j].to(out.dtype)
            out[ids == token] = row * scale.to(out.dtype) if scale is not None else row
    return out
