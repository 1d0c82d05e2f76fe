"""LoRA fine-tuning with completion-only loss over everything the model wrote.

Backends (``TrainConfig.backend``):

- ``fast`` (the CPU default): PEFT LoRA in a plain PyTorch loop that runs the 262k-vocabulary
  head only at supervised positions, with length-grouped batches (no padding waste) and
  optionally LoRA on the upper layers only (no backward through the frozen lower ones).
- ``peft``: TRL's ``SFTTrainer`` with PEFT LoRA on the same pre-tokenized examples and masks.
- ``unsloth``: Unsloth's ``FastLanguageModel`` + TRL, on CUDA only.
- ``auto``: Unsloth on CUDA when importable, else ``peft`` on CUDA, else ``fast``.

fp32 on CPU (bf16 on this CPU is many times slower), bf16 on GPU. Multi-GPU: run the ``peft``
backend under ``accelerate launch -m toolsmith.shared.cli train ...`` (TRL handles it).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from toolsmith.shared.chat import encode, render
from toolsmith.shared.constants import LOSS_LOG, LOSS_PLOT

log = logging.getLogger(__name__)

Backend = Literal["auto", "fast", "peft", "unsloth"]
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class TrainConfig:
    """Everything a fine-tune run can change. Domain defaults come from ``toolsmith.<domain>.TRAIN``."""

    output_dir: Path = Path("runs/train")
    """Checkpoints, adapter, loss log and plot go here."""
    backend: Backend = "auto"
    """Training backend (see the module docstring)."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA input."""
    target_modules: tuple[str, ...] = ALL_LINEAR
    """Linear layers that get a LoRA adapter."""
    lora_layers: int = 0
    """Put LoRA only on the top N transformer layers (0 = all layers)."""
    train_control_tokens: bool = True
    """Also train the (tied) embedding rows of FunctionGemma's 7 format tokens; on the offline base they
    sit on never-trained ``<unusedN>`` slots that LoRA alone cannot move. ``fast`` backend only: TRL's
    fused loss head reads ``lm_head.weight`` directly, so ``peft``/``unsloth`` skip it with a warning."""
    learning_rate: float = 2e-4
    """Peak learning rate (AdamW)."""
    lr_scheduler: Literal["cosine", "linear", "constant"] = "cosine"
    """Decay after warmup."""
    warmup_ratio: float = 0.05
    """Fraction of steps spent warming up linearly."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    epochs: float = 2.0
    """Passes over the training data (ignored when ``max_steps`` > 0)."""
    max_steps: int = 0
    """Optimizer steps to run (0 = from ``epochs``)."""
    batch_size: int = 4
    """Sequences per micro-batch."""
    grad_accum: int = 1
    """Micro-batches per optimizer step."""
    max_length: int = 1024
    """Longest tokenized example kept (longer ones are dropped and counted, never cut)."""
    max_grad_norm: float = 1.0
    """Gradient clipping."""
    seed: int = 0
    """Seed for shuffling, LoRA init and dropout."""
    eval_fraction: float = 0.05
    """Share of the training examples held out for eval loss when no eval file is given."""
    eval_every: int = 0
    """Evaluate every N optimizer steps (0 = only at the end)."""
    save_every: int = 50
    """Save a resumable checkpoint every N optimizer steps."""
    resume: bool = False
    """Continue from the last checkpoint in ``output_dir``."""
    threads: int = 0
    """torch CPU threads (0 = all cores)."""
    progress: bool = True
    """Show a progress bar."""

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        self.target_modules = tuple(self.target_modules)
        checks = [
            (self.backend in ("auto", "fast", "peft", "unsloth"), "backend in auto|fast|peft|unsloth", self.backend),
            (self.lora_r > 0, "lora_r > 0", self.lora_r),
            (self.lora_alpha > 0, "lora_alpha > 0", self.lora_alpha),
            (0 <= self.lora_dropout < 1, "0 <= lora_dropout < 1", self.lora_dropout),
            (bool(self.target_modules), "at least one target module", self.target_modules),
            (self.lora_layers >= 0, "lora_layers >= 0", self.lora_layers),
            (self.learning_rate > 0, "learning_rate > 0", self.learning_rate),
            (
                self.lr_scheduler in ("cosine", "linear", "constant"),
                "lr_scheduler cosine|linear|constant",
                self.lr_scheduler,
            ),
            (0 <= self.warmup_ratio < 1, "0 <= warmup_ratio < 1", self.warmup_ratio),
            (self.epochs > 0 or self.max_steps > 0, "epochs > 0 or max_steps > 0", (self.epochs, self.max_steps)),
            (self.max_steps >= 0, "max_steps >= 0", self.max_steps),
            (self.batch_size > 0, "batch_size > 0", self.batch_size),
            (self.grad_accum > 0, "grad_accum > 0", self.grad_accum),
            (self.max_length >= 32, "max_length >= 32", self.max_length),
            (0 <= self.eval_fraction < 1, "0 <= eval_fraction < 1", self.eval_fraction),
            (
                self.save_every >= 0 and self.eval_every >= 0,
                "save_every, eval_every >= 0",
                (self.save_every, self.eval_every),
            ),
        ]
        for ok, expected, got in checks:
            if not ok:
                raise ValueError(f"TrainConfig: expected {expected}, got {got!r}")

    @classmethod
    def build(cls, *layers: dict[str, Any]) -> TrainConfig:
        """Merge override dicts (later wins) into a config; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        merged: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                if value is None:
                    continue
                if key not in known:
                    raise ValueError(f"TrainConfig: expected a setting in {sorted(known)}, got {key!r}")
                merged[key] = value
        return cls(**merged)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict of the settings."""
        d = asdict(self)
        d["output_dir"] = str(self.output_dir)
        d["target_modules"] = list(self.target_modules)
        return d


@dataclass(frozen=True)
class TokenizedExample:
    """Token ids and the label of each position (-100 where nothing is learned)."""

    input_ids: list[int]
    labels: list[int]

    @property
    def supervised(self) -> int:
        return sum(1 for x in self.labels if x != -100)


def tokenize_examples(
    tokenizer: Any, examples: list[dict[str, Any]], max_length: int
) -> tuple[list[TokenizedExample], int]:
    """Render and tokenize; labels are the next token where the model wrote it.

    Returns:
        The kept examples and how many were dropped for being longer than ``max_length``.
    """
    out, dropped = [], 0
    for ex in examples:
        enc = encode(tokenizer, render(ex["messages"], ex.get("tools")))
        ids = enc.input_ids
        if len(ids) > max_length:
            dropped += 1
            continue
        # position t predicts token t+1; it is learned when token t+1 was written by the model
        labels = [ids[t + 1] if enc.supervised[t + 1] else -100 for t in range(len(ids) - 1)] + [-100]
        out.append(TokenizedExample(ids, labels))
    if dropped:
        log.warning("dropped %d of %d examples longer than max_length=%d", dropped, len(examples), max_length)
    if not out:
        raise ValueError(f"expected at least one example within max_length={max_length}, got none")
    return out, dropped


def length_grouped_batches(examples: list[TokenizedExample], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].input_ids), rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(examples: list[TokenizedExample], idx: list[int], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels."""
    import torch

    n = max(len(examples[i].input_ids) for i in idx)
    ids = torch.full((len(idx), n), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), n), -100, dtype=torch.long)
    mask = torch.zeros((len(idx), n), dtype=torch.long)
    for row, i in enumerate(idx):
        ex = examples[i]
        k = len(ex.input_ids)
        ids[row, :k] = torch.tensor(ex.input_ids)
        labels[row, :k] = torch.tensor(ex.labels)
        mask[row, :k] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def shared_prefix_length(input_ids: Any, labels: Any, minimum: int = 64) -> int:
    """Length of the token prefix all rows share before anything is learned (0 if under ``minimum``)."""
    if input_ids.shape[0] < 2:
        return 0
    same = (input_ids == input_ids[:1]).all(dim=0)
    n = int(same.int().cumprod(0).sum())
    learned = (labels != -100).any(dim=0).nonzero()
    if len(learned):
        n = min(n, int(learned[0]))  # position n-1 must not be learned: it is computed once
    n = min(n, input_ids.shape[1] - 1)
    return n if n >= minimum else 0


def supervised_loss(causal_lm: Any, batch: dict[str, Any], share_prefix: bool = True) -> tuple[Any, int]:
    """Mean cross-entropy over supervised positions, running the vocabulary head only there.

    - The input embeddings are detached: their values are used as they are (trained control-token rows
      included), but no gradient flows back through the frozen layers below the lowest LoRA layer. The
      (tied) control-token rows still learn through the output head.
    - With ``share_prefix``, the prefix every row shares (the developer turn with the tool declarations)
      is run once with a KV cache that the rows' suffixes then attend to; gradients flow through it.

    Args:
        causal_lm: A (LoRA-wrapped) ``*ForCausalLM`` exposing ``.model`` (the decoder) and ``.lm_head``.
        batch: From :func:`collate`.
        share_prefix: Compute the shared prefix once per batch.

    Returns:
        The loss tensor and the number of supervised tokens.
    """
    import torch
    import torch.nn.functional as F

    decoder = causal_lm.model
    ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
    p = shared_prefix_length(ids, labels) if share_prefix else 0
    embeds = decoder.embed_tokens(ids).detach()
    if p:
        prefix = decoder(inputs_embeds=embeds[:1, :p], attention_mask=mask[:1, :p], use_cache=True)
        cache = prefix.past_key_values
        cache.batch_repeat_interleave(ids.shape[0])
        positions = torch.arange(p, ids.shape[1]).unsqueeze(0).expand(ids.shape[0], -1)
        hidden = decoder(
            inputs_embeds=embeds[:, p:],
            attention_mask=mask,
            past_key_values=cache,
            use_cache=True,
            position_ids=positions,
            cache_position=torch.arange(p, ids.shape[1]),
        ).last_hidden_state
        labels = labels[:, p:]
    else:
        hidden = decoder(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
    keep = labels != -100
    logits = causal_lm.lm_head(hidden[keep])
    cap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if cap:
        logits = (logits / cap).tanh() * cap
    return F.cross_entropy(logits.float(), labels[keep]), int(keep.sum())


def full_logits_loss(causal_lm: Any, batch: dict[str, Any]) -> Any:
    """Reference: the same loss through the model's full-vocabulary forward (used in tests and the bench)."""
    import torch.nn.functional as F

    logits = causal_lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["labels"]
    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=-100)


def lora_config(cfg: TrainConfig, num_layers: int, tokenizer: Any) -> Any:
    """The PEFT LoRA config for ``cfg`` (``tokenizer`` gives the control-token ids)."""
    from peft import LoraConfig

    from toolsmith.shared.constants import FUNCTION_TOKENS

    layers = list(range(num_layers - cfg.lora_layers, num_layers)) if cfg.lora_layers else None
    tokens = sorted(tokenizer.convert_tokens_to_ids(list(FUNCTION_TOKENS))) if cfg.train_control_tokens else None
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.target_modules),
        layers_to_transform=layers,
        bias="none",
        task_type="CAUSAL_LM",
        trainable_token_indices={"embed_tokens": tokens} if tokens else None,
    )


def lr_lambda(cfg: TrainConfig, total_steps: int):
    """Warmup then cosine/linear/constant, as a multiplier of the peak rate."""
    warmup = int(total_steps * cfg.warmup_ratio)

    def f(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if cfg.lr_scheduler == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total_steps - warmup)
        return max(0.0, 1 - progress) if cfg.lr_scheduler == "linear" else 0.5 * (1 + math.cos(math.pi * progress))

    return f


@dataclass
class TrainResult:
    """What a run produced."""

    adapter_dir: Path
    backend: str
    steps: int
    seconds: float
    train_loss: float | None
    eval_loss: float | None
    examples: int
    dropped: int
    tokens: int
    supervised_tokens: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["adapter_dir"] = str(self.adapter_dir)
        return d


def choose_backend(requested: Backend) -> str:
    """Resolve ``auto`` (and check ``unsloth``) against this machine."""
    import torch

    cuda = torch.cuda.is_available()
    if requested == "unsloth" and not cuda:
        raise RuntimeError("backend unsloth: expected a CUDA GPU, got none (use --backend fast or peft)")
    if requested != "auto":
        return requested
    if cuda:
        try:
            import unsloth  # noqa: F401

            return "unsloth"
        except Exception:  # not installed, or its import failed
            return "peft"
    return "fast"


def train(
    cfg: TrainConfig, base_dir: Path, train_rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]] | None = None
) -> TrainResult:
    """Fine-tune a LoRA on ``train_rows`` and save the adapter in ``cfg.output_dir / 'adapter'``."""
    import torch

    backend = choose_backend(cfg.backend)
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    rng = random.Random(cfg.seed)
    if eval_rows is None and cfg.eval_fraction > 0 and len(train_rows) > 4:
        rows = list(train_rows)
        rng.shuffle(rows)
        k = max(1, int(len(rows) * cfg.eval_fraction))
        eval_rows, train_rows = rows[:k], rows[k:]
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    (cfg.output_dir / "train_config.json").write_text(json.dumps(cfg.to_json(), indent=2))
    log.info("training backend=%s on %d examples (%d eval)", backend, len(train_rows), len(eval_rows or []))
    if backend == "fast":
        from toolsmith.shared.fastlora import train_fast

        return train_fast(cfg, base_dir, train_rows, eval_rows or [])
    if cfg.train_control_tokens:
        log.warning("backend %s cannot train the control-token rows (TRL's fused head); LoRA only", backend)
        cfg = replace(cfg, train_control_tokens=False)
    return _train_trl(cfg, backend, base_dir, train_rows, eval_rows or [])


def _train_trl(
    cfg: TrainConfig, backend: str, base_dir: Path, train_rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]]
) -> TrainResult:
    """TRL SFTTrainer (+ PEFT, or Unsloth) on pre-tokenized examples with the same completion masks."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from toolsmith.shared.base import load_tokenizer

    tokenizer = load_tokenizer(base_dir)
    cuda = torch.cuda.is_available()
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        model, _ = FastLanguageModel.from_pretrained(
            str(base_dir), dtype=torch.bfloat16, load_in_4bit=False, max_seq_length=cfg.max_length
        )
        lc = lora_config(cfg, model.config.num_hidden_layers, tokenizer)
        model = FastLanguageModel.get_peft_model(
            model,
            r=lc.r,
            lora_alpha=lc.lora_alpha,
            lora_dropout=lc.lora_dropout,
            target_modules=list(lc.target_modules),
            layers_to_transform=lc.layers_to_transform,
            random_state=cfg.seed,
        )
        peft_config = None
    else:
        from toolsmith.shared.base import load_model

        model = load_model(base_dir, dtype=torch.bfloat16 if cuda else torch.float32)
        peft_config = lora_config(cfg, model.config.num_hidden_layers, tokenizer)

    def to_dataset(rows: list[dict[str, Any]]) -> tuple[Dataset | None, int]:
        if not rows:
            return None, 0
        tok, dropped = tokenize_examples(tokenizer, rows, cfg.max_length)
        # TRL shifts labels itself: label t is token t where the model wrote it (our labels moved right by one)
        return Dataset.from_list([{"input_ids": t.input_ids, "labels": [-100] + t.labels[:-1]} for t in tok]), dropped

    (train_ds, dropped), (eval_ds, _) = to_dataset(train_rows), to_dataset(eval_rows)
    logger = _LossLog(cfg.output_dir / LOSS_LOG, resume=cfg.resume)

    class _Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):  # noqa: ANN001
            if logs:
                logger.write(
                    {"step": state.global_step, **{k: v for k, v in logs.items() if isinstance(v, int | float)}}
                )

    sft = _sft_config(SFTConfig, cfg, cuda, eval_ds is not None)
    trainer = SFTTrainer(
        model=model,
        args=sft,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[_Log()],
    )
    start = time.perf_counter()
    last = _last_checkpoint(cfg.output_dir) if cfg.resume else None
    out = trainer.train(resume_from_checkpoint=str(last) if last else None)
    seconds = time.perf_counter() - start
    eval_loss = trainer.evaluate()["eval_loss"] if eval_ds is not None else None
    if eval_loss is not None:
        logger.write({"step": trainer.state.global_step, "eval_loss": eval_loss})
    adapter = cfg.output_dir / "adapter"
    trainer.model.save_pretrained(adapter)
    plot_losses(cfg.output_dir / LOSS_LOG, cfg.output_dir / LOSS_PLOT)
    passes = trainer.state.epoch or 0.0  # fraction of the dataset seen, as TRL counts it
    n_tok = round(passes * sum(len(x) for x in train_ds["input_ids"]))
    n_sup = round(passes * sum(sum(1 for x in row if x != -100) for row in train_ds["labels"]))
    return TrainResult(
        adapter,
        backend,
        trainer.state.global_step,
        seconds,
        out.training_loss,
        eval_loss,
        len(train_ds),
        dropped,
        n_tok,
        n_sup,
    )


def _sft_config(SFTConfig: Any, cfg: TrainConfig, cuda: bool, has_eval: bool) -> Any:  # noqa: N803
    return SFTConfig(
        output_dir=str(cfg.output_dir),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps or -1,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        seed=cfg.seed,
        logging_steps=1,
        save_steps=cfg.save_every or 10**9,
        save_total_limit=2,
        eval_strategy="steps" if (has_eval and cfg.eval_every) else "no",
        eval_steps=cfg.eval_every or None,
        bf16=cuda,
        max_length=cfg.max_length,
        report_to=[],
        disable_tqdm=not cfg.progress,
        dataloader_num_workers=0,
    )


class _LossLog:
    """Append-only JSONL loss log."""

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not resume:
            path.write_text("")

    def write(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def _last_checkpoint(output_dir: Path) -> Path | None:
    found = sorted(output_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return found[-1] if found else None


def plot_losses(log_path: Path, png_path: Path) -> None:
    """Train (and eval) loss against step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    train_pts = [(r["step"], r["loss"]) for r in rows if "loss" in r]
    eval_pts = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
    fig, ax = plt.subplots(figsize=(7, 4))
    if train_pts:
        ax.plot(*zip(*train_pts), label="train loss", lw=1)
    if eval_pts:
        ax.plot(*zip(*eval_pts), "o-", label="eval loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (supervised tokens)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
