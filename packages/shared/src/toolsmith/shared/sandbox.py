"""The agent's sandbox: a temporary copy of the target's project that tools may read and write.

The project is the nearest folder up from the target holding ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or
``.git`` (else the target's own folder, without its subfolders), so the target imports as it does in the user's
project. Only Python files and package metadata are copied; hidden folders, virtual environments, caches, links
and files over the size limits are left out (and listed in :attr:`Sandbox.skipped`).

Tools may change only the target and the agent's declared outputs. Text keeps the file's own encoding (PEP 263
declarations, BOM) and newline style. The bytes of those files as copied are kept; :meth:`Sandbox.apply` writes
the changes back only where the user's file still has exactly those bytes (or, for a new file, does not exist),
all files or none.

Tools find the current sandbox through :func:`current` (a context variable), so they stay plain typed functions
whose parameters are only what the model fills in. A sandbox is rebuilt in another process (the tool host) from
:meth:`Sandbox.to_json`.
"""

from __future__ import annotations

import contextvars
import difflib
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import tokenize
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.shared.constants import (
    PROJECT_MARKERS,
    SANDBOX_MAX_BYTES,
    SANDBOX_MAX_FILE_BYTES,
    SANDBOX_MAX_FILES,
    SANDBOX_METADATA,
    SANDBOX_SKIP_DIRS,
    SANDBOX_SUFFIXES,
)
from toolsmith.shared.io import atomic_write_bytes
from toolsmith.shared.proc import run_bounded

log = logging.getLogger(__name__)

_current: contextvars.ContextVar[Sandbox] = contextvars.ContextVar("toolsmith_sandbox")
_LONE_LF = re.compile(r"(?<!\r)\n")


class SandboxError(ValueError):
    """A tool tried to leave the sandbox, or to write a file it may not."""


class ApplyError(OSError):
    """The changes could not be written to the user's files (nothing was written)."""


# ------------------------------------------------------------------------------------------- text files


def decode_source(data: bytes, where: str) -> str:
    """Bytes of a source file as text: PEP 263 / BOM encoding, newlines untouched.

    Raises:
        ValueError: Naming ``where`` when the bytes are not text in the declared encoding.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as e:
        raise ValueError(f"{where}: expected text in its declared encoding (UTF-8 by default), got {e}") from None


def encode_like(text: str, old: bytes | None, where: str) -> bytes:
    """Encode ``text`` as the file whose bytes were ``old`` (its encoding; CRLF kept if it used CRLF throughout).

    Raises:
        ValueError: Naming ``where`` when ``text`` cannot be written in that encoding.
    """
    encoding = "utf-8"
    if old is not None:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(old).readline)
        except SyntaxError:
            encoding = "utf-8"
        if b"\r\n" in old and not re.search(rb"(?<!\r)\n", old):
            text = _LONE_LF.sub("\r\n", text)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as e:
        raise ValueError(
            f"{where}: expected text that {encoding} (the file's encoding) can hold, got {e.reason}"
        ) from None


# ------------------------------------------------------------------------------------------ the project


def find_project(target: Path) -> tuple[Path, bool]:
    """The project folder of ``target`` and whether a marker found it (else it is the file's own folder)."""
    start = target.resolve().parent
    for folder in (start, *start.parents):
        if any((folder / m).exists() for m in PROJECT_MARKERS):
            return folder, True
    return start, False


def _venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def copy_project(project: Path, dest: Path, target: str, recursive: bool = True) -> list[str]:
    """Copy the project's Python files and metadata into ``dest``; returns what was left out and why.

    The target (relative path) is always copied. Links are never followed.
    """
    skipped: list[str] = []
    files = total = 0
    wanted = set(SANDBOX_METADATA)
    for here, dirs, names in os.walk(project, followlinks=False):
        rel_dir = Path(here).relative_to(project)
        keep = []
        for d in sorted(dirs):
            path = Path(here) / d
            if (
                d.startswith(".")
                or d in SANDBOX_SKIP_DIRS
                or d.endswith(".egg-info")
                or path.is_symlink()
                or _venv(path)
            ):
                if not d.startswith(".") and d != "__pycache__":
                    skipped.append(f"{(rel_dir / d).as_posix()}/ (not project source)")
                continue
            keep.append(d)
        dirs[:] = keep if recursive else []
        for name in sorted(names):
            rel = (rel_dir / name).as_posix()
            if rel == target or not (name.endswith(SANDBOX_SUFFIXES) or name in wanted):
                continue
            src = Path(here) / name
            if src.is_symlink():
                skipped.append(f"{rel} (a link)")
                continue
            try:
                size = src.stat().st_size
            except OSError as e:
                skipped.append(f"{rel} ({e.strerror})")
                continue
            if size > SANDBOX_MAX_FILE_BYTES:
                skipped.append(f"{rel} (over {SANDBOX_MAX_FILE_BYTES >> 10} KiB)")
                continue
            if files >= SANDBOX_MAX_FILES or total + size > SANDBOX_MAX_BYTES:
                skipped.append(f"{rel} (project over {SANDBOX_MAX_FILES} files or {SANDBOX_MAX_BYTES >> 20} MiB)")
                continue
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src, out)
            except OSError as e:
                skipped.append(f"{rel} ({e.strerror})")
                continue
            files += 1
            total += size
    return skipped


# -------------------------------------------------------------------------------------------- sandbox


@dataclass
class Sandbox:
    """A temporary copy of one target's project.

    Attributes:
        home: The temporary folder: ``project/`` (the copy tools work in) and ``original/`` (the bytes copied in).
        project: The user's project folder this sandbox copies.
        rel_target: The target file, posix path relative to the project.
        symbol: Optional function/class name inside the target (``name`` or ``Class.method``).
        outputs: Files (relative paths) tools may create besides editing the target.
        timeout_s: Time limit for subprocesses run inside the sandbox.
        edits_target: Whether tools may change the target itself.
        project_config: Whether tools use the project's own tool configuration copied with it (such as a
            linter's config file); False: their built-in settings (as ``ruff --isolated``).
        skipped: What the copy left out, and why.
    """

    home: Path
    project: Path
    rel_target: str
    symbol: str | None = None
    outputs: tuple[str, ...] = ()
    timeout_s: float = 30.0
    edits_target: bool = True
    project_config: bool = True
    skipped: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        """The project copy (tools' working folder)."""
        return self.home / "project"

    @property
    def target(self) -> Path:
        """The target file inside the copy."""
        return self.root / self.rel_target

    def writable(self) -> tuple[str, ...]:
        """Files tools may write: the target (when the agent edits it) and the declared outputs."""
        return ((self.rel_target,) if self.edits_target else ()) + self.outputs

    def path(self, relative: str) -> Path:
        """Resolve a path given by the model inside the copy; absolute paths, ``..`` and links out are refused."""
        if (
            not isinstance(relative, str)
            or not relative
            or Path(relative).is_absolute()
            or ".." in Path(relative).parts
        ):
            raise SandboxError(f"expected a relative path inside the sandbox, got {relative!r}")
        p = (self.root / relative).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise SandboxError(f"expected a path inside the sandbox, got {relative!r} (it leads outside)")
        return p

    def _rel(self, rel: str | None) -> str:
        return self.rel_target if rel is None else Path(rel).as_posix()

    def read_bytes(self, rel: str | None = None) -> bytes:
        """Current bytes of a file of the copy."""
        return self.path(self._rel(rel)).read_bytes()

    def read(self, rel: str | None = None) -> str:
        """Current text of a file of the copy (the target by default), in its own encoding and newlines."""
        rel = self._rel(rel)
        return decode_source(self.path(rel).read_bytes(), rel)

    def write(self, text: str, rel: str | None = None) -> None:
        """Replace or create a file of the copy (atomic): only the target or a declared output."""
        rel = self._rel(rel)
        path = self.path(rel)
        if rel not in self.writable():
            raise SandboxError(f"expected one of the files this agent may write {list(self.writable())}, got {rel!r}")
        old = self.original_bytes(rel)
        atomic_write_bytes(path, encode_like(text, old, rel))

    def original_bytes(self, rel: str | None = None) -> bytes | None:
        """A file's bytes as copied in at the start (None: it was not copied, e.g. an output still to create)."""
        p = self.home / "original" / self._rel(rel)
        return p.read_bytes() if p.is_file() else None

    def original(self, rel: str | None = None) -> str | None:
        """A file's text as copied in at the start (None when it was not there)."""
        data = self.original_bytes(rel)
        return None if data is None else decode_source(data, self._rel(rel))

    def run(
        self, argv: Sequence[str], *, timeout_s: float | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a subprocess in the copy; its process group is killed at the timeout (``TimeoutExpired``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        return run_bounded(argv, cwd=self.root, timeout_s=timeout_s or self.timeout_s, input=input, env=env)

    # ---------------------------------------------------------------------------------- results

    def changes(self) -> dict[str, tuple[bytes | None, bytes]]:
        """Files the run changed or created: relative path -> (bytes before or None, bytes now)."""
        out: dict[str, tuple[bytes | None, bytes]] = {}
        for rel in dict.fromkeys(self.writable()):
            p = self.root / rel
            if not p.is_file() or p.is_symlink():
                continue
            now, before = p.read_bytes(), self.original_bytes(rel)
            if now != before:
                out[rel] = (before, now)
        return out

    def changed_text(self) -> dict[str, str]:
        """Final text of each changed or created file."""
        return {rel: decode_source(now, rel) for rel, (_, now) in self.changes().items()}

    def diff(self) -> str:
        """Unified diff of every changed or created file (``/dev/null`` for new ones)."""
        parts = []
        for rel, (before, now) in self.changes().items():
            old = decode_source(before, rel).splitlines(keepends=True) if before is not None else []
            new = decode_source(now, rel).splitlines(keepends=True)
            parts.append(
                "".join(difflib.unified_diff(old, new, "/dev/null" if before is None else f"a/{rel}", f"b/{rel}"))
            )
        return "".join(parts)

    def apply(self, overwrite: bool = False) -> list[str]:
        """Write the changed and created files into the user's project, all or none.

        A changed file is written only if the user's file still has the bytes copied at the start; an output
        only if no such file exists (``overwrite`` allows replacing one, if it was not edited during the run).
        Each file is replaced atomically; if one write fails, the ones already written are put back.

        Returns:
            The files written (relative paths).

        Raises:
            ApplyError: Naming the file, with nothing written.
        """
        changes = self.changes()
        for rel, (before, _) in changes.items():
            dest = self.project / rel
            if dest.is_symlink():
                raise ApplyError(f"{dest}: expected a regular file to write, got a link; nothing was written")
            current = dest.read_bytes() if dest.is_file() else None
            if rel in self.outputs and rel != self.rel_target and current is not None and not overwrite:
                raise ApplyError(
                    f"{dest}: expected a new file, got an existing one (use --overwrite to replace it); "
                    "nothing was written"
                )
            if before is not None and current != before:
                raise ApplyError(
                    f"{dest}: expected it unchanged since the run started, got it edited; nothing was written"
                )
        done: list[tuple[Path, bytes | None]] = []
        try:
            for rel, (_, now) in changes.items():
                dest = self.project / rel
                previous = dest.read_bytes() if dest.is_file() else None
                atomic_write_bytes(dest, now)
                done.append((dest, previous))
        except OSError as e:
            for dest, previous in reversed(done):
                try:
                    if previous is None:
                        dest.unlink(missing_ok=True)
                    else:
                        atomic_write_bytes(dest, previous)
                except OSError:
                    log.error("could not restore %s after a failed apply", dest)
            raise ApplyError(
                f"expected to write {len(changes)} file(s), got {e}; the written ones were put back"
            ) from e
        return list(changes)

    # ----------------------------------------------------------------------------- other process

    def to_json(self) -> dict[str, Any]:
        """What another process needs to rebuild this sandbox (:meth:`from_json`)."""
        return {
            "home": str(self.home),
            "project": str(self.project),
            "rel_target": self.rel_target,
            "symbol": self.symbol,
            "outputs": list(self.outputs),
            "timeout_s": self.timeout_s,
            "edits_target": self.edits_target,
            "project_config": self.project_config,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sandbox:
        """The sandbox :meth:`to_json` described."""
        return cls(
            home=Path(data["home"]),
            project=Path(data["project"]),
            rel_target=data["rel_target"],
            symbol=data["symbol"],
            outputs=tuple(data["outputs"]),
            timeout_s=float(data["timeout_s"]),
            edits_target=bool(data["edits_target"]),
            project_config=bool(data.get("project_config", True)),
        )


def fill_outputs(patterns: Sequence[str], rel_target: str, symbol: str | None) -> tuple[str, ...]:
    """Output paths from patterns: ``{module}`` is the target file's name up to its first dot, ``{symbol}`` the symbol
    (or that name); characters that cannot be in a Python name become ``_`` (so outputs stay importable)."""
    stem = re.sub(r"\W", "_", Path(rel_target).name.split(".")[0])
    name = re.sub(r"\W", "_", symbol) if symbol else stem
    return tuple(p.format(module=stem, symbol=name) for p in patterns)


def check_target(original: Path) -> Path:
    """The user's target file, checked: it exists, is a regular file and no link.

    Raises:
        FileNotFoundError / ValueError: Naming the file.
    """
    original = Path(original).absolute()
    if original.is_symlink():
        raise ValueError(f"{original}: expected a regular file, got a link to {original.resolve()} (run on that file)")
    if not original.is_file():
        raise FileNotFoundError(f"expected a file to work on, got {original} (no such file)")
    return original


@contextmanager
def open_sandbox(
    original: Path,
    symbol: str | None = None,
    timeout_s: float = 30.0,
    *,
    outputs: Sequence[str] = (),
    edits_target: bool = True,
    project: Path | None = None,
    project_config: bool = True,
) -> Iterator[Sandbox]:
    """Copy the project of ``original`` into a fresh temporary folder and make it the current sandbox.

    Args:
        original: The user's target file.
        symbol: Optional function/class the run is limited to.
        timeout_s: Time limit for subprocesses in the sandbox.
        outputs: Output path patterns (see :func:`fill_outputs`), relative to the project.
        edits_target: Whether tools may change the target.
        project: The project folder (default: found with :func:`find_project`).
        project_config: Whether tools use the project's own tool configuration (see :class:`Sandbox`).
    """
    original = check_target(original)
    found = project is not None
    if project is None:
        project, found = find_project(original)
    project = Path(project).absolute()
    if not original.resolve().is_relative_to(project.resolve()):
        raise ValueError(f"{original}: expected a file inside the project {project}, got one outside it")
    rel_target = original.resolve().relative_to(project.resolve()).as_posix()
    outs = fill_outputs(outputs, rel_target, symbol)
    for rel in outs:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"expected output paths inside the project, got {rel!r}")
    with tempfile.TemporaryDirectory(prefix="toolsmith-") as tmp:
        home = Path(tmp)
        root, kept = home / "project", home / "original"
        root.mkdir()
        skipped = copy_project(project.resolve(), root, rel_target, recursive=found)
        for rel in dict.fromkeys((rel_target, *outs)):
            src = project / rel
            if src.is_file() and not src.is_symlink():
                data = src.read_bytes()
                for dest in (root / rel, kept / rel):
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(data)
        if skipped:
            log.info("sandbox of %s left out %d path(s): %s", project, len(skipped), "; ".join(skipped[:5]))
        box = Sandbox(
            home=home,
            project=project,
            rel_target=rel_target,
            symbol=symbol,
            outputs=outs,
            timeout_s=timeout_s,
            edits_target=edits_target,
            project_config=project_config,
            skipped=skipped,
        )
        token = _current.set(box)
        try:
            yield box
        finally:
            _current.reset(token)


@contextmanager
def use_sandbox(box: Sandbox) -> Iterator[Sandbox]:
    """Make ``box`` the current sandbox (in a process that did not open it)."""
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
