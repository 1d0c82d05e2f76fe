"""Base-model resolution, single-id control tokens, the tiny fixture, and data validation."""

from __future__ import annotations

import json

import pytest

from toolsmith.shared.base import control_token_ids, resolve_base
from toolsmith.shared.constants import CONTROL_TOKENS, UNUSED_SLOTS, VOCAB_SIZE
from toolsmith.shared.data import DataError, load_examples, write_examples


def test_every_control_token_is_one_id_on_an_unused_slot(tokenizer, base_dir):
    ids = control_token_ids(tokenizer)
    assert set(ids) == set(CONTROL_TOKENS) and len(set(ids.values())) == len(ids)
    assert len(tokenizer) == VOCAB_SIZE
    vocab_before = {f"<unused{i}>": 6 + i for i in range(7)}  # Gemma 3: <unused0> is id 6
    for token, slot in UNUSED_SLOTS.items():
        assert ids[token] == vocab_before[slot]
    assert (base_dir / "tokenizer.model").is_file()


def test_offline_is_the_default_without_functiongemma(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert resolve_base().source == "offline"
    assert resolve_base(str(tmp_path)).source == "explicit"
    with pytest.raises(FileNotFoundError, match="expected a local folder or a hub id"):
        resolve_base("nobody/nothing")


def test_tiny_model_fixture(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert model.config.num_hidden_layers == 2
    assert model.get_input_embeddings().weight.shape[0] == VOCAB_SIZE


@pytest.mark.slow
def test_offline_base_loads_with_268m_parameters(base_dir):
    from toolsmith.shared.base import load_model

    model = load_model(base_dir)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6) == 268


GOOD = {
    "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]},
        {"role": "tool", "name": "f", "content": {"ok": True}},
        {"role": "assistant", "content": "done"},
    ],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}],
}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("messages"), "non-empty list"),
        (lambda r: r["messages"][0].update(role="robot"), "role in"),
        (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(name="g"), "to call one of"),
        (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(arguments="{}"), "to be an object"),
        (lambda r: r["messages"].insert(0, {"role": "tool", "name": "f", "content": 1}), "to follow a call"),
        (lambda r: r.update(messages=[{"role": "user", "content": "x"}]), "at least one supervised assistant"),
        (lambda r: r["messages"][0].update(weight=0), "'weight' only on assistant messages, got it on messages.0."),
        (lambda r: r["messages"][2].update(weight=1), "'weight' only on assistant messages, got it on messages.2."),
        (lambda r: r["messages"][1].update(weight=2), r"messages.1..weight to be 0 or 1, got 2"),
        (lambda r: r["messages"][1].update(weight=True), r"weight to be 0 or 1, got True"),
        (lambda r: r["messages"][1].update(weight=0.5), r"weight to be 0 or 1, got 0.5"),
        (lambda r: [m.update(weight=0) for m in r["messages"][1::2]], "at least one supervised assistant message"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, mutate, message):
    bad = json.loads(json.dumps(GOOD))
    mutate(bad)
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=rf"train\.jsonl:2: expected .*{message}"):
        load_examples(path)


def test_broken_json_and_round_trip(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{oops\n")
    with pytest.raises(DataError, match=r"d\.jsonl:2:"):
        load_examples(path)
    assert write_examples(path, [GOOD, GOOD]) == 2
    assert load_examples(path) == [GOOD, GOOD]
    weighted = json.loads(json.dumps(GOOD))
    weighted["messages"][1]["weight"] = 0
    weighted["messages"][3]["weight"] = 1
    assert write_examples(path, [weighted]) == 1 and load_examples(path) == [weighted]
