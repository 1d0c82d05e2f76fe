"""Resumable checkpoints in a run's output folder: which run wrote them, finding the one to resume, saving.

Every checkpoint records its run (:class:`RunIdentity`: a hash of the settings that change what is
learned and a hash of the tokenized training examples). ``--resume`` continues only from a checkpoint of
the same run, and a fresh run clears the checkpoints an earlier run left, so that they can never be
taken for its own.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from toolsmith.shared.batching import TokenizedExample
from toolsmith.shared.io import atomic_write_text
from toolsmith.shared.trainconfig import TrainConfig

log = logging.getLogger(__name__)

PREFIX = "checkpoint-"
STATE = "state.pt"
RUN_FILE = "run.json"


def checkpoint_step(checkpoint: Path) -> int:
    """The optimizer step of ``checkpoint-N``."""
    return int(Path(checkpoint).name.removeprefix(PREFIX))


def list_checkpoints(output_dir: Path) -> list[Path]:
    """``checkpoint-N`` folders in ``output_dir``, oldest step first."""
    found = [p for p in Path(output_dir).glob(PREFIX + "*") if p.name.removeprefix(PREFIX).isdigit()]
    return sorted(found, key=checkpoint_step)


def last_checkpoint(output_dir: Path) -> Path | None:
    """The checkpoint with the highest step, or None."""
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def clear_checkpoints(output_dir: Path) -> int:
    """Remove every checkpoint (and half-written one) in ``output_dir``; returns how many there were."""
    found = list_checkpoints(output_dir) + list(Path(output_dir).glob(f".{PREFIX}*.partial"))
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    return len(found)


@dataclass(frozen=True)
class RunIdentity:
    """What a checkpoint must share with a run to be resumed by it.

    Attributes:
        config: sha256 of :attr:`settings`.
        data: sha256 of the tokenized training examples (ids and labels, in order): it changes with the
            rows, the split, the template, the weights on messages and the tokenizer.
        settings: The settings that change what is learned, and the resolved backend.
        examples: Number of training examples.
    """

    config: str
    data: str
    settings: dict[str, Any]
    examples: int

    @classmethod
    def of(cls, cfg: TrainConfig, backend: str, examples: list[TokenizedExample]) -> RunIdentity:
        """The identity of a run of ``cfg`` with ``backend`` on ``examples``."""
        settings = {**cfg.learning_settings(), "backend": backend}
        data = sha256()
        for ex in examples:
            data.update(json.dumps([ex.input_ids, ex.labels]).encode() + b"\n")
        config = sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
        return cls(config, data.hexdigest(), settings, len(examples))

    def describe(self) -> str:
        """Short form for messages: ``config 1a2b3c4d5e6f, data 9f8e7d6c5b4a``."""
        return f"config {self.config[:12]}, data {self.data[:12]}"

    def write(self, checkpoint: Path) -> None:
        """Record this identity in ``checkpoint``."""
        atomic_write_text(Path(checkpoint) / RUN_FILE, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    def differences(self, other: RunIdentity) -> list[str]:
        """Why ``other`` (a checkpoint's identity) is not this run, in words; empty when it is."""
        why = []
        if other.config != self.config:
            keys = sorted(self.settings.keys() | other.settings.keys())
            changed = [
                f"{k} {other.settings.get(k)!r} -> {self.settings.get(k)!r}"
                for k in keys
                if other.settings.get(k) != self.settings.get(k)
            ]
            why.append("settings differ: " + (", ".join(changed) or "same values, other hash"))
        if other.data != self.data:
            if other.examples != self.examples:
                why.append(f"training data differs: {other.examples} examples then, {self.examples} now")
            else:
                why.append(
                    f"training data differs: {self.examples} examples both times but other tokens "
                    "(other rows, split, template, message weights or tokenizer)"
                )
        return why


def resume_point(output_dir: Path, run: RunIdentity) -> Path | None:
    """The last checkpoint in ``output_dir``, checked to belong to ``run``; None when there is none.

    Raises:
        ValueError: "expected a checkpoint of this run (...), got ..." when the last checkpoint has no
            readable record or was written by a run with other settings or data, and why.
    """
    last = last_checkpoint(output_dir)
    if last is None:
        return None
    expected = f"expected a checkpoint of this run ({run.describe()}) to resume, got {last}"
    advice = "train without --resume to start over (this removes the old checkpoints)"
    try:
        saved = RunIdentity(**json.loads((last / RUN_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ValueError(f"{expected} with no {RUN_FILE} (not written by this version, or cut off); {advice}") from None
    except (ValueError, TypeError) as e:
        raise ValueError(f"{expected} with an unreadable {RUN_FILE} ({e}); {advice}") from None
    why = run.differences(saved)
    if why:
        raise ValueError(
            f"{expected} of another run ({saved.describe()}): {'; '.join(why)}. "
            f"Resume with that run's settings and data, or {advice}"
        )
    return last


def save_checkpoint(
    model: Any, optimizer: Any, scheduler: Any, step: int, micro: int, output_dir: Path, run: RunIdentity
) -> Path:
    """Write ``checkpoint-<step>`` atomically (adapter, optimizer, scheduler, RNG, run); keep the newest two."""
    import torch

    final = output_dir / f"{PREFIX}{step}"
    tmp = output_dir / f".{PREFIX}{step}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "step": step,
            "micro": micro,
            "torch_rng": torch.get_rng_state(),
        },
        tmp / STATE,
    )
    (tmp / "trainer_state.json").write_text(json.dumps({"step": step, "micro": micro}))
    run.write(tmp)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in list_checkpoints(output_dir)[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_state(checkpoint: Path) -> dict[str, Any]:
    """The optimizer, scheduler, step and RNG state saved by :func:`save_checkpoint`."""
    import torch

    return torch.load(checkpoint / STATE, weights_only=False)
