"""Training cost levers: blocked attention (the loss and gradients of SDPA on fewer keys) and examples cut at their
last learned position (no learned token lost, in our rows or TRL's)."""

from __future__ import annotations

import pytest
from fakes import one_call_row

from toolsmith.shared import attention
from toolsmith.shared.batching import collate, tokenize_examples
from toolsmith.shared.loss import shared_prefix_length, supervised_loss
from toolsmith.shared.tools import tool_schema

pytestmark = pytest.mark.smoke


def find_word(text: str, word: str) -> bool:
    """Say whether a word occurs in a text.

    Args:
        text: The text to search.
        word: The word to look for.

    Returns:
        Whether it occurs.
    """
    return word in text


def rows() -> list[dict]:
    """Conversations of different lengths (so the batch is padded), each longer than the tiny model's window.

    Returns:
        Three training rows.
    """
    schema = tool_schema(find_word)
    out = []
    for i, n in enumerate((40, 55, 70)):
        text = " ".join(f"w{i}{j}" for j in range(n))
        args = {"text": text, "word": f"w{i}3"}
        out.append(one_call_row(schema, f"Does {text} hold w{i}3?", args, {"found": True}, "Yes, it does."))
    return out


@pytest.mark.parametrize("share_prefix", [True, False])
def test_blocked_attention_gives_the_loss_and_gradients_of_sdpa(tiny_model_dir, tokenizer, monkeypatch, share_prefix):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    toks, _ = tokenize_examples(tokenizer, rows(), 4096)
    batch = collate(toks, [0, 1, 2], tokenizer.pad_token_id)
    window = model.config.sliding_window
    assert batch["input_ids"].shape[1] > 3 * window  # the sliding layer hides keys
    assert shared_prefix_length(batch["input_ids"], batch["labels"]) > 0
    assert (batch["attention_mask"] == 0).any()  # padded

    def loss_and_grads():
        model.zero_grad(set_to_none=True)
        loss, _ = supervised_loss(model, batch, share_prefix=share_prefix)
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    model.set_attn_implementation("sdpa")
    ref_loss, ref_grads = loss_and_grads()

    block = 16
    monkeypatch.setattr(attention, "ATTENTION_QUERY_BLOCK", block)
    spans = []
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def spy(query, key, *args, **kwargs):
        spans.append((query.shape[2], key.shape[2]))
        return sdpa(query, key, *args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    attention.use_blocked_attention(model)
    loss, grads = loss_and_grads()

    torch.testing.assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6)
    assert len(grads) == len(ref_grads)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)
    # the passes with a mask went in blocks of `block` queries (a pass without one, a prefix of one row, is
    # transformers' own); the sliding layer's blocks (half of them) see at most the window and the block, the full
    # layer's only the first few
    blocks = [k for q, k in spans if q <= block]
    assert len(blocks) > len(spans) / 2
    assert sum(k <= block + window - 1 for k in blocks) > len(blocks) / 2


def test_examples_end_at_their_last_learned_position(tokenizer):
    from toolsmith.shared.chat import encode, render

    toks, dropped = tokenize_examples(tokenizer, rows(), 4096)
    assert dropped == 0
    for row, ex in zip(rows(), toks):
        full = encode(tokenizer, render(row["messages"], row["tools"]))
        assert ex.labels[-1] != -100  # the last position is learned
        assert ex.input_ids == full.input_ids[: len(ex.input_ids)] and len(ex.input_ids) < len(full.input_ids)
        assert ex.supervised == sum(full.supervised[1:])  # no learned token is lost


@pytest.mark.parametrize(
    ("input_ids", "labels", "trl_ids", "trl_labels"),
    [
        # cut at the last learned position: the token it learns (9) is appended, every label moves right by one
        ([1, 2, 3], [-100, 3, 9], [1, 2, 3, 9], [-100, -100, 3, 9]),
        # nothing learned at the end (an example with nothing learned is not cut): no token appended
        ([1, 2, 3], [-100, -100, -100], [1, 2, 3], [-100, -100, -100]),
    ],
)
def test_trl_rows_keep_every_learned_token(input_ids, labels, trl_ids, trl_labels):
    from toolsmith.shared.backend_trl import trl_row
    from toolsmith.shared.batching import TokenizedExample

    row = trl_row(TokenizedExample(input_ids, labels))
    assert row == {"input_ids": trl_ids, "labels": trl_labels}
    # TRL's label t is token t: every learned label of ours is learned there too
    assert [x for x in row["labels"] if x != -100] == [x for x in labels if x != -100]
