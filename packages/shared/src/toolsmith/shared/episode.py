"""What a run (or the no-model baseline) left behind, as a domain's checks see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.shared.sandbox import Sandbox, decode_source


@dataclass(frozen=True)
class Episode:
    """One finished run, judged by ``toolsmith.<domain>.check_episode``.

    Attributes:
        root: A folder holding the project's files as the run left them.
        target: The target file, relative to ``root``.
        symbol: The function/class the run was limited to, if any.
        before: Original text of every file the run changed or created (None: it did not exist); always holds
            the target.
        submitted: The terminal tool's arguments; None when it was never called.
        judge_submission: False when judging the no-model baseline, which submits nothing.
        meta: The case's ``meta`` (e.g. the author's text, to measure similarity against).
    """

    root: Path
    target: str
    symbol: str | None
    before: Mapping[str, str | None]
    submitted: dict[str, Any] | None
    judge_submission: bool = True
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.target not in self.before:
            raise ValueError(f"Episode: expected the target {self.target!r} in before, got {sorted(self.before)}")

    def text(self, rel: str | None = None) -> str | None:
        """Final text of a file of the project (the target by default); None when it does not exist."""
        rel = self.target if rel is None else rel
        path = self.root / rel
        return decode_source(path.read_bytes(), rel) if path.is_file() else None

    @property
    def original(self) -> str:
        """The target's text before the run."""
        text = self.before[self.target]
        if text is None:
            raise ValueError(f"Episode: expected the target {self.target!r} to exist before the run, got None")
        return text

    @property
    def final(self) -> str:
        """The target's text after the run ('' if it was removed)."""
        return self.text() or ""

    @property
    def created(self) -> list[str]:
        """Files the run created."""
        return [rel for rel, text in self.before.items() if text is None and self.text(rel) is not None]

    @classmethod
    def from_sandbox(
        cls, box: Sandbox, submitted: dict[str, Any] | None, meta: Mapping[str, Any] | None = None
    ) -> Episode:
        """The episode a sandbox holds now (its copy is the root)."""
        before: dict[str, str | None] = {box.rel_target: box.original()}
        for rel, (old, _) in box.changes().items():
            before[rel] = None if old is None else decode_source(old, rel)
        return cls(box.root, box.rel_target, box.symbol, before, submitted, meta=dict(meta or {}))


def materialize(root: Path, files: Mapping[str, str]) -> None:
    """Write a project's files (relative path -> text, UTF-8) under ``root``."""
    for rel, text in files.items():
        path = root / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"expected relative paths inside the project, got {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
