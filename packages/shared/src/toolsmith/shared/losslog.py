"""The append-only JSONL loss log of a run and its plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolsmith.shared.io import atomic_write_text


class LossLog:
    """Append-only JSONL loss log.

    Args:
        path: The JSONL file.
        keep_until: Resuming from this step: keep the rows logged up to it (later ones were lost with the
            interrupted run and will be logged again). None starts an empty log.
    """

    def __init__(self, path: Path, keep_until: int | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = []
        if keep_until is not None and path.is_file():
            lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            kept = [line + "\n" for line in lines if json.loads(line).get("step", 0) <= keep_until]
        atomic_write_text(path, "".join(kept))

    def write(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


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
