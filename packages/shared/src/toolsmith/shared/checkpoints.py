"""Resumable checkpoints in a run's output folder: finding the last one, and the fast backend's save."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

PREFIX = "checkpoint-"
STATE = "state.pt"


def list_checkpoints(output_dir: Path) -> list[Path]:
    """``checkpoint-N`` folders in ``output_dir``, oldest step first."""
    return sorted(Path(output_dir).glob(PREFIX + "*"), key=lambda p: int(p.name.split("-")[-1]))


def last_checkpoint(output_dir: Path) -> Path | None:
    """The checkpoint with the highest step, or None."""
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def save_checkpoint(model: Any, optimizer: Any, scheduler: Any, step: int, micro: int, output_dir: Path) -> Path:
    """Write ``checkpoint-<step>`` atomically (adapter, optimizer, scheduler, RNG); keep the newest two."""
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
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in list_checkpoints(output_dir)[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_state(checkpoint: Path) -> dict[str, Any]:
    """The optimizer, scheduler, step and RNG state saved by :func:`save_checkpoint`."""
    import torch

    return torch.load(checkpoint / STATE, weights_only=False)
