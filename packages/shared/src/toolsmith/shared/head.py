"""The tied embedding and output head with trained token rows, without a merged copy of the vocabulary matrix.

PEFT's ``trainable_token_indices`` wraps the tied embedding and output head; each of their forwards builds the
merged weight with ``index_copy`` (a copy of all 262144 x 640 rows, 671 MB in fp32, for 7 changed rows), and the
head's backward then computes the gradient of that whole matrix (a GEMM over every vocabulary row and supervised
position) to keep 7 of its rows. Here the head multiplies by the frozen base matrix, puts the trained rows' columns
in place, and its backward computes the gradient of the 7 rows alone; the embedding looks up the base rows and
replaces the trained ones. The values are PEFT's (the embedding's bit for bit; the head's up to float rounding).
Anything else (a plain layer, a merged or disabled adapter, a trainable base matrix) goes through the layer itself.

``torch`` is imported at the top (the autograd function subclasses it); only ``loss`` imports this module, inside
the function that needs it, so the CLI starts without torch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.function import once_differentiable


class _TrainedRowsLinear(torch.autograd.Function):
    """``F.linear(hidden, weight with rows at index)``, 2-D ``hidden``; gradients for ``hidden`` and ``rows`` only."""

    @staticmethod
    def forward(
        ctx: Any, hidden: torch.Tensor, rows: torch.Tensor, weight: torch.Tensor, index: torch.Tensor
    ) -> torch.Tensor:
        logits = hidden @ weight.T
        logits[:, index] = hidden @ rows.T
        ctx.save_for_backward(hidden, rows, weight, index)
        return logits

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None, None, None]:
        hidden, rows, weight, index = ctx.saved_tensors
        at_rows = grad[:, index]
        grad_hidden = grad_rows = None
        if ctx.needs_input_grad[0]:
            # grad @ (weight with rows in place) = grad @ weight + grad[:, index] @ (rows - weight[index])
            grad_hidden = grad @ weight + at_rows @ (rows - weight[index])
        if ctx.needs_input_grad[1]:
            grad_rows = at_rows.T @ hidden
        return grad_hidden, grad_rows, None, None


def trained_rows(module: Any) -> tuple[Any, list[int], torch.Tensor] | None:
    """The parts of a PEFT trainable-tokens wrapper with one active, unmerged adapter of its own.

    Args:
        module: A layer, PEFT's ``TrainableTokensWrapper`` or anything else.

    Returns:
        The frozen base layer, the trained row indices and their values; None when ``module`` is not such a
        wrapper, its adapter is merged, disabled or not one of its own, or its base matrix is trainable.

    Raises:
        ValueError: The adapter names a row twice.
    """
    adapter = getattr(module, "token_adapter", None)
    if adapter is None or adapter.merged or adapter.disable_adapters or len(adapter.active_adapters) != 1:
        return None
    (name,) = adapter.active_adapters
    if name not in adapter.token_indices or adapter.base_layer.weight.requires_grad:
        return None
    index = list(adapter.token_indices[name])
    if len(set(index)) != len(index):
        raise ValueError(f"expected distinct trained token ids, got {index}")
    return adapter.base_layer, index, adapter.trainable_tokens_delta[name]


def head_logits(head: Any, hidden: torch.Tensor) -> torch.Tensor:
    """``head(hidden)``: the output head's logits (``head`` a ``Linear`` or PEFT's wrapper of one)."""
    found = trained_rows(head)
    if found is None:
        return head(hidden)
    base, index, rows = found
    weight = base.weight
    flat = hidden.reshape(-1, hidden.shape[-1])
    ids = torch.tensor(index, device=weight.device)
    logits = _TrainedRowsLinear.apply(flat, rows.to(weight.dtype), weight, ids)
    return logits.reshape(*hidden.shape[:-1], weight.shape[0])


def embedded(embedding: Any, ids: torch.Tensor) -> torch.Tensor:
    """``embedding(ids).detach()``: the input embeddings, trained rows included, outside the graph."""
    found = trained_rows(embedding)
    if found is None:
        return embedding(ids).detach()
    base, index, rows = found
    with torch.no_grad():
        out = base(ids)  # the base rows, times the embedding's scale where it has one (Gemma)
        scale = getattr(base, "embed_scale", None)
        for row, token in zip(rows.to(base.weight.dtype), index, strict=True):
            out[ids == token] = row * torch.as_tensor(scale).to(out.dtype) if scale is not None else row
    return out
