"""The agent's sandbox: a temporary copy of the target that tools may read and write, nothing else.

Tools find the current sandbox through :func:`current` (a context variable), so they stay plain
typed functions whose parameters are only what the model fills in.
"""

from __future__ import annotations

import contextvars
import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from toolsmith.shared.io import atomic_write_text

_current: contextvars.ContextVar[Sandbox] = contextvars.ContextVar("toolsmith_sandbox")


class SandboxError(ValueError):
    """A tool tried to leave the sandbox."""


@dataclass
class Sandbox:
    """A temporary copy of one file (and the folder tools may touch).

    Attributes:
        root: The temporary folder.
        target: The file under ``root`` the agent works on.
        original: The user's file this sandbox copies.
        symbol: Optional function/class name inside the file (``path.py::name``).
        timeout_s: Time limit for subprocesses run inside the sandbox.
    """

    root: Path
    target: Path
    original: Path
    symbol: str | None = None
    timeout_s: float = 30.0

    def resolve(self, relative: str) -> Path:
        """Resolve a path given by the model; absolute paths and ``..`` are rejected."""
        if not relative or Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise SandboxError(f"expected a relative path inside the sandbox, got {relative!r}")
        p = (self.root / relative).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise SandboxError(f"expected a path inside the sandbox, got {relative!r}")
        return p

    @property
    def rel_target(self) -> str:
        """The target's path relative to the sandbox root."""
        return self.target.relative_to(self.root).as_posix()

    def read(self) -> str:
        """The target's current text."""
        return self.target.read_text(encoding="utf-8")

    def write(self, text: str) -> None:
        """Replace the target's text (atomic)."""
        atomic_write_text(self.target, text)

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Run a subprocess in the sandbox with its timeout (raises ``subprocess.TimeoutExpired``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        return subprocess.run(argv, cwd=self.root, capture_output=True, text=True, timeout=self.timeout_s, env=env)

    def diff(self) -> str:
        """Unified diff from the user's file to the sandbox copy."""
        before = self.original.read_text(encoding="utf-8").splitlines(keepends=True)
        after = self.read().splitlines(keepends=True)
        name = self.original.name
        return "".join(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))

    def apply(self) -> bool:
        """Write the sandbox copy over the user's file atomically; returns whether it changed."""
        text = self.read()
        if text == self.original.read_text(encoding="utf-8"):
            return False
        atomic_write_text(self.original, text)
        return True


@contextmanager
def open_sandbox(original: Path, symbol: str | None = None, timeout_s: float = 30.0) -> Iterator[Sandbox]:
    """Copy ``original`` into a fresh temporary folder and make it the current sandbox."""
    original = Path(original).resolve()
    if not original.is_file():
        raise FileNotFoundError(f"expected a file to work on, got {original}")
    with tempfile.TemporaryDirectory(prefix="toolsmith-") as tmp:
        root = Path(tmp)
        target = root / original.name
        shutil.copy2(original, target)
        box = Sandbox(root=root, target=target, original=original, symbol=symbol, timeout_s=timeout_s)
        token = _current.set(box)
        try:
            yield box
        finally:
            _current.reset(token)


def current() -> Sandbox:
    """The sandbox of the running agent (tools call this)."""
    try:
        return _current.get()
    except LookupError:
        raise SandboxError("expected a current sandbox (tools run inside open_sandbox), got none") from None
