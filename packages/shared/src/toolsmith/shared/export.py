"""Merge the LoRA, convert with llama.cpp's own converter to Q8_0, smoke-test the GGUF, write its card."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.shared.llamacpp import converter_dir

log = logging.getLogger(__name__)

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "chat_template.jinja",
)
# A Q8_0 GGUF of a 268M-parameter Gemma 3 (llama.cpp drops no rows; ~8.5 bits a weight).
Q8_SIZE_MB_270M = (250.0, 320.0)


def copy_tokenizer(src: Path, dst: Path) -> None:
    """Copy the tokenizer files (including SentencePiece ``tokenizer.model``) from ``src`` to ``dst``."""
    if not (src / "tokenizer.model").is_file():
        raise FileNotFoundError(f"expected {src / 'tokenizer.model'} (llama.cpp's converter needs it), got none")
    for name in TOKENIZER_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)


def merge_lora(base_dir: Path, adapter_dir: Path, out_dir: Path) -> Path:
    """Merge a PEFT LoRA adapter into the fp32 base and save a plain HF checkpoint with its tokenizer."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    copy_tokenizer(base_dir, tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    log.info("merged %s into %s", adapter_dir, out_dir)
    return out_dir


def convert_to_gguf(checkpoint: Path, out_path: Path, outtype: str = "q8_0") -> Path:
    """Convert an HF checkpoint with llama.cpp's ``convert_hf_to_gguf.py`` (its own gguf-py); atomic write."""
    if not (checkpoint / "tokenizer.model").is_file():
        raise FileNotFoundError(
            f"expected {checkpoint / 'tokenizer.model'} beside the checkpoint, got none "
            "(without it the converter writes a gpt2 vocab)"
        )
    conv = converter_dir()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(conv / "gguf-py"), os.environ.get("PYTHONPATH", "")]))
    cmd = [
        sys.executable,
        str(conv / "convert_hf_to_gguf.py"),
        str(checkpoint),
        "--outfile",
        str(tmp),
        "--outtype",
        outtype,
    ]
    log.info("converting: %s", " ".join(cmd))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(
            f"expected convert_hf_to_gguf.py to write {tmp}, got exit {proc.returncode}:\n{proc.stderr[-3000:]}"
        )
    os.replace(tmp, out_path)
    return out_path


@dataclass(frozen=True)
class SmokeResult:
    """What the smoke check saw."""

    size_mb: float
    prompt: str
    output: str
    calls: list[dict[str, Any]]
    seconds: float


def smoke_check(
    gguf_path: Path,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    size_mb_range: tuple[float, float] | None = Q8_SIZE_MB_270M,
    max_tokens: int = 96,
    require_call: bool = True,
) -> SmokeResult:
    """Load the GGUF in llama.cpp, render the prompt, generate greedily, parse.

    Raises:
        RuntimeError: If the size is out of range, or (with ``require_call``) no call to a declared tool parsed.
    """
    from toolsmith.shared.chat import render
    from toolsmith.shared.llm import GGUFModel
    from toolsmith.shared.parse import parse_output

    size_mb = gguf_path.stat().st_size / 1e6
    if size_mb_range and not size_mb_range[0] <= size_mb <= size_mb_range[1]:
        raise RuntimeError(f"{gguf_path}: expected {size_mb_range[0]}-{size_mb_range[1]} MB, got {size_mb:.1f} MB")
    model = GGUFModel(gguf_path, n_ctx=2048)
    prompt = render(messages, tools, add_generation_prompt=True)
    gen = model.generate(prompt, max_tokens=max_tokens)
    parsed = parse_output(gen.text)
    declared = {t["function"]["name"] for t in tools}
    calls = [{"name": c.name, "arguments": c.arguments} for c in parsed.calls]
    if require_call and not any(c["name"] in declared for c in calls):
        raise RuntimeError(
            f"{gguf_path}: expected at least one call to {sorted(declared)}, got output "
            f"{gen.text[:300]!r} (parse errors: {[e.message for e in parsed.errors]})"
        )
    return SmokeResult(size_mb, prompt.text, gen.text, calls, gen.seconds)


def write_card(path: Path, facts: dict[str, Any]) -> None:
    """Write the model card (Markdown with a JSON block of every fact) atomically."""
    from toolsmith.shared.io import atomic_write_text

    lines = [f"# {facts.get('title', path.stem)}", ""]
    for key, value in facts.items():
        if key != "title" and not isinstance(value, dict | list):
            lines.append(f"- **{key}**: {value}")
    lines += ["", "```json", json.dumps(facts, indent=2, default=str), "```", ""]
    atomic_write_text(path, "\n".join(lines))
