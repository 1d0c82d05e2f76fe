"""The tied embedding and output head with trained control-token rows: PEFT's values and gradients, no merged copy."""

from __future__ import annotations

import pytest

from toolsmith.shared.head import embedded, head_logits, trained_rows
from toolsmith.shared.trainconfig import TrainConfig

pytestmark = pytest.mark.smoke


@pytest.fixture
def peft_lm(tiny_model_dir, tokenizer):
    """The tiny model with LoRA and trained control-token rows, the rows moved off their initial values."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from toolsmith.shared.lora import lora_config

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model = get_peft_model(base, lora_config(TrainConfig(lora_r=4, lora_alpha=8), 2, tokenizer))
    lm = model.get_base_model()
    torch.manual_seed(1)
    with torch.no_grad():
        lm.lm_head.token_adapter.trainable_tokens_delta["default"].add_(torch.randn(7, 64))
    return lm


def control_ids(tokenizer) -> list[int]:
    from toolsmith.shared.constants import FUNCTION_TOKENS

    return tokenizer.convert_tokens_to_ids(list(FUNCTION_TOKENS))


def test_the_embedding_is_pefts_bit_for_bit(peft_lm, tokenizer):
    import torch

    ids = torch.tensor([[2, *control_ids(tokenizer), 100, 5000], [5000, 100, *control_ids(tokenizer)[::-1], 2]])
    ours = embedded(peft_lm.model.embed_tokens, ids)
    assert not ours.requires_grad
    assert torch.equal(ours, peft_lm.model.embed_tokens(ids))


def test_the_head_gives_pefts_logits_and_gradients(peft_lm, tokenizer):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    hidden = torch.randn(40, 64)
    targets = torch.randint(0, 262144, (40,))
    targets[:20] = torch.tensor(control_ids(tokenizer)).repeat(3)[:20]  # half the targets are trained rows
    rows = peft_lm.lm_head.token_adapter.trainable_tokens_delta["default"]
    results = []
    for head in (peft_lm.lm_head, lambda h: head_logits(peft_lm.lm_head, h)):
        h = hidden.clone().requires_grad_()
        rows.grad = None
        logits = head(h)
        F.cross_entropy(logits, targets).backward()
        results.append((logits.detach(), h.grad, rows.grad.clone()))
    (peft_logits, peft_dh, peft_drows), (logits, dh, drows) = results
    torch.testing.assert_close(logits, peft_logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(dh, peft_dh, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(drows, peft_drows, rtol=1e-5, atol=1e-7)
    assert drows.abs().sum() > 0


def test_the_head_saves_no_merged_copy_of_the_vocabulary_matrix(peft_lm):
    """PEFT's head keeps a merged copy of the 262144-row matrix for its backward; ours keeps the base matrix."""
    import torch

    weight = peft_lm.lm_head.token_adapter.base_layer.weight

    def copies_saved(head) -> int:
        saved = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
            head(torch.randn(5, 64, requires_grad=True))
        return sum(t.numel() == weight.numel() and t.data_ptr() != weight.data_ptr() for t in saved)

    assert copies_saved(peft_lm.lm_head) == 1  # what the test detects
    assert copies_saved(lambda h: head_logits(peft_lm.lm_head, h)) == 0


def test_plain_and_merged_layers_are_called_as_they_are(tiny_model_dir, peft_lm):
    import torch
    from transformers import AutoModelForCausalLM

    plain = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    hidden = torch.randn(3, 64)
    assert trained_rows(plain.lm_head) is None
    assert torch.equal(head_logits(plain.lm_head, hidden), plain.lm_head(hidden))
    assert trained_rows(peft_lm.lm_head) is not None
    peft_lm.lm_head.token_adapter.merge()
    assert trained_rows(peft_lm.lm_head) is None
