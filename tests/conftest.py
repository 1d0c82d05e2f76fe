"""Shared fixtures: the real tokenizer and a tiny random-initialised Gemma 3 for the full CPU path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TINY = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 32,
    "sliding_window": 64,
    "query_pre_attn_scalar": 32,
    "layer_types": ["sliding_attention", "full_attention"],
    "max_position_embeddings": 4096,
}


@pytest.fixture(scope="session")
def base_dir() -> Path:
    """The offline base (real tokenizer, control tokens mapped); prepared once (about a minute)."""
    from toolsmith.shared.base import prepare_offline_base

    return prepare_offline_base()


@pytest.fixture(scope="session")
def tokenizer(base_dir: Path):
    from toolsmith.shared.base import load_tokenizer

    return load_tokenizer(base_dir)


@pytest.fixture(scope="session")
def tiny_model_dir(base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide Gemma 3 with random weights, the real 262144 vocab and tokenizer files."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from toolsmith.shared.export import copy_tokenizer

    out = tmp_path_factory.mktemp("tiny-gemma3")
    config_dict = json.loads((base_dir / "config.json").read_text())
    config_dict.update(TINY)
    config_dict.pop("quantization_config", None)
    config = AutoConfig.for_model(**config_dict)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(out)
    copy_tokenizer(base_dir, out)
    return out


@pytest.fixture(scope="session")
def tiny_gguf(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random model as a Q8_0 GGUF (llama.cpp's converter), for run-time tests."""
    from toolsmith.shared.export import convert_to_gguf

    return convert_to_gguf(tiny_model_dir, tmp_path_factory.mktemp("tiny-gguf") / "tiny_q8.gguf")
