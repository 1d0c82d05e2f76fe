"""The tied embedding and output head with trained control-token rows: PEFT's values and gradients, no merged copy."""

from __future__ import annotations

import pytest

from toolsmith.shared.head import embedded, head_logits, trained_rows
from toolsmith.shared.trainconfig import TrainConfig

pytestmark = pytest.mark.smoke


@pytest.fixture
def peft_model(tiny_model_dir, tokenizer):
    """The tiny model with LoRA and trained control-token rows, the rows moved off their initial values."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from toolsmith.shared.lora import lora_config

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model = get_peft_model(base, lora_config(TrainConfig(lora_r=4, lora_alpha=8), 2, tokenizer))
    torch.manual_seed(1)
    with torch.no_grad():
        model.get_base_model().lm_head.token_adapter.trainable_tokens_delta["default"].add_(torch.randn(7, 64))
    return model


def control_ids(tokenizer) -> list[int]:
    from toolsmith.shared.constants import FUNCTION_TOKENS

    return tokenizer.convert_tokens_to_ids(list(FUNCTION_TOKENS))


def no_merged_copy(monkeypatch, *modules) -> None:
    """Make PEFT's merged-weight path fail, so only the code under test can produce values."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("PEFT's merged copy of the vocabulary matrix was built")

    for module in modules:
        monkeypatch.setattr(module.token_adapter, "get_merged_weights", refuse)


def test_the_embedding_is_pefts_bit_for_bit(peft_model, tokenizer, monkeypatch):
    import torch

    lm = peft_model.get_base_model()
    ids = torch.tensor([[2, *control_ids(tokenizer), 100, 5000], [5000, 100, *control_ids(tokenizer)[::-1], 2]])
    pefts = lm.model.embed_tokens(ids)
    no_merged_copy(monkeypatch, lm.model.embed_tokens)
    ours = embedded(lm.model.embed_tokens, ids)
    assert not ours.requires_grad
    assert torch.equal(ours, pefts)


@pytest.mark.parametrize("shape", [(40,), (4, 10)])
def test_the_head_gives_pefts_logits_and_gradients(peft_model, tokenizer, monkeypatch, shape):
    import torch
    import torch.nn.functional as F

    lm = peft_model.get_base_model()
    torch.manual_seed(0)
    hidden = torch.randn(*shape, 64)
    targets = torch.randint(0, 262144, (40,))
    targets[:20] = torch.tensor(control_ids(tokenizer)).repeat(3)[:20]  # half the targets are trained rows
    rows = lm.lm_head.token_adapter.trainable_tokens_delta["default"]
    results = []
    for ours in (False, True):
        if ours:
            no_merged_copy(monkeypatch, lm.lm_head)
        h = hidden.clone().requires_grad_()
        rows.grad = None
        logits = head_logits(lm.lm_head, h) if ours else lm.lm_head(h)
        F.cross_entropy(logits.reshape(40, -1), targets).backward()
        results.append((logits.detach(), h.grad, rows.grad.clone()))
    (peft_logits, peft_dh, peft_drows), (logits, dh, drows) = results
    torch.testing.assert_close(logits, peft_logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(dh, peft_dh, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(drows, peft_drows, rtol=1e-5, atol=1e-7)
    assert drows.abs().sum() > 0


def test_the_head_saves_no_merged_copy_of_the_vocabulary_matrix(peft_model):
    """PEFT's head keeps a merged copy of the 262144-row matrix for its backward; ours keeps the base matrix."""
    import torch

    lm = peft_model.get_base_model()
    weight = lm.lm_head.token_adapter.base_layer.weight

    def copies_saved(head) -> int:
        saved = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
            head(torch.randn(5, 64, requires_grad=True))
        return sum(t.numel() == weight.numel() and t.data_ptr() != weight.data_ptr() for t in saved)

    assert copies_saved(lm.lm_head) == 1  # what the test detects
    assert copies_saved(lambda h: head_logits(lm.lm_head, h)) == 0


def test_other_layers_go_through_the_layer_itself(tiny_model_dir, peft_model):
    import torch
    from transformers import AutoModelForCausalLM

    plain = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    hidden = torch.randn(3, 64)
    assert trained_rows(plain.lm_head) is None
    assert torch.equal(head_logits(plain.lm_head, hidden), plain.lm_head(hidden))
    head = peft_model.get_base_model().lm_head
    assert trained_rows(head) is not None
    with peft_model.disable_adapter():
        assert trained_rows(head) is None
    head.token_adapter.base_layer.weight.requires_grad_(True)
    assert trained_rows(head) is None
    head.token_adapter.base_layer.weight.requires_grad_(False)
    head.token_adapter.merge()
    assert trained_rows(head) is None


def test_a_row_named_twice_is_refused(peft_model):
    head = peft_model.get_base_model().lm_head
    head.token_adapter.token_indices["default"] = [6, 7, 7, 9, 10, 11, 12]
    with pytest.raises(ValueError, match=r"expected distinct trained token ids, got \[6, 7, 7"):
        trained_rows(head)
