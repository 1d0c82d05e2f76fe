"""The settings of a fine-tune run (:class:`TrainConfig`) and what it produced (:class:`TrainResult`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

Backend = Literal["auto", "fast", "peft", "unsloth"]
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# Settings that do not change the weights a run ends with: where it writes, what it shows, how often it
# saves or evaluates, and the thread count. A resumed run may change these; it must keep all the others.
NOT_LEARNED = ("output_dir", "resume", "progress", "threads", "save_every", "eval_every")


@dataclass
class TrainConfig:
    """Everything a fine-tune run can change. Domain defaults come from ``toolsmith.<domain>.TRAIN``."""

    output_dir: Path = Path("runs/train")
    """Checkpoints, adapter, loss log and plot go here."""
    backend: Backend = "auto"
    """Training backend (see :mod:`toolsmith.shared.train`)."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA input."""
    target_modules: tuple[str, ...] = ALL_LINEAR
    """Linear layers that get a LoRA adapter."""
    lora_layers: int = 0
    """Put LoRA only on the top N transformer layers (0 = all layers). The layers below get no backward pass
    (``fast`` backend); the top 9 of 18 made sample_data and lint less accurate (sample_data's steps ~10% faster;
    docs/performance.md, stop 31)."""
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
    """Share of the training examples held out for validation (loss, span match) when no held-out rows are given."""
    eval_every: int = 0
    """Evaluate (validation loss and span match) every N optimizer steps (0 = only at the end)."""
    stop_after_plateau: int = 0
    """Stop once the validation span match has not improved for this many evaluations in a row (0 = never;
    needs ``eval_every``)."""
    save_every: int = 50
    """Save a resumable checkpoint every N optimizer steps."""
    resume: bool = False
    """Continue from the last checkpoint in ``output_dir`` (refused unless this run wrote it: same
    :meth:`learning_settings` and tokenized training data). Without it, old checkpoints are removed."""
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
                self.stop_after_plateau >= 0 and (self.eval_every > 0 or not self.stop_after_plateau),
                "stop_after_plateau >= 0, with eval_every > 0",
                (self.stop_after_plateau, self.eval_every),
            ),
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

    def learning_settings(self) -> dict[str, Any]:
        """The JSON-safe settings that change what is learned (all but :data:`NOT_LEARNED`)."""
        return {k: v for k, v in self.to_json().items() if k not in NOT_LEARNED}


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
