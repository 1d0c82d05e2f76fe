"""Run untrusted user code in a limited child process.

:func:`run_isolated` starts a fresh interpreter (``sys.executable``; never a fork of the caller, which may hold
llama.cpp threads) that calls one trusted entry function (``package.module:function``) with a JSON payload; the
entry function imports and calls the user's code and returns a JSON value. A user function that hangs, crashes,
floods its output, allocates without bound or calls ``sys.exit`` becomes a :class:`ChildResult` with ``ok=False``,
never an exception or a hang in the caller.

What is isolated:

- Time. After ``Limits.timeout_s`` of wall clock the child's process group (the child, and every process it started
  that stayed in the group) gets SIGKILL. The group is killed when the child ends too, so nothing the user code left
  running in it outlives the call. RLIMIT_CPU bounds CPU time (SIGXCPU at the limit, SIGKILL a second later).
- Memory. RLIMIT_AS bounds the address space of the child and of each process it starts (allocations past it fail,
  which Python reports as MemoryError).
- Files and output. RLIMIT_FSIZE bounds every file the child writes, its captured stdout and stderr included:
  writes past it fail with ``OSError: [Errno 27] File too large``. The caller gets the first
  ``Limits.output_chars`` characters of each stream and a note saying how much was dropped. No core files.
- The result comes back through a file in a private temporary folder, never through stdout.
- Parent death. PR_SET_PDEATHSIG=SIGKILL kills the child when the thread that started it dies.
- Environment. Only PATH is kept from the caller's; HOME and TMPDIR are private empty folders; PYTHONHASHSEED=0 (set
  order, and so the repr of a set of strings, is the same on every run), PYTHONDONTWRITEBYTECODE=1, PYTHONUTF8=1,
  TZ=UTC. No proxy variables, tokens or other secrets of the caller. stdin is empty.
- Network, when ``Limits.network`` is False. The child moves itself into a new network namespace (unshare
  CLONE_NEWNET as root, CLONE_NEWUSER|CLONE_NEWNET when unprivileged): it has no interface at all, not even
  loopback, and neither has any process it starts. Where the kernel refuses both, a Python audit hook
  (:func:`audit_network`) refuses name resolution and socket connect/bind/sendto/sendmsg for every family but
  AF_UNIX; that hook binds Python code in the child only: ctypes, C extensions and subprocesses get around it.
  ``ChildResult.network_isolation`` says which one applied (``constants.NETWORK_*``).

What is NOT isolated:

- The filesystem. The child runs as the caller's user and can read and write whatever that user can; only its
  working directory (which callers make a copy of the user's project) and HOME/TMPDIR are its own.
- A process that calls setsid or setpgid itself leaves the process group: the group kill misses it (it keeps the
  rlimits and the network namespace). PR_SET_PDEATHSIG covers the child itself, not what it starts.
- The number of processes and threads (RLIMIT_NPROC counts per user, so it is not set), and memory in all: each
  process the child starts gets its own RLIMIT_AS.
- The result file: the user code could overwrite it, so a result is only as trustworthy as the user code.
- Namespaces and PR_SET_PDEATHSIG are Linux-only; elsewhere only the rlimits, the group kill and the audit hook apply.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import logging
import math
import os
import reprlib
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.shared.constants import (
    ISOLATE_CPU_S,
    ISOLATE_FILE_MB,
    ISOLATE_MEMORY_MB,
    ISOLATE_MIN_MEMORY_MB,
    ISOLATE_OUTPUT_CHARS,
    ISOLATE_TIMEOUT_S,
    NETWORK_ALLOWED,
    NETWORK_AUDIT_HOOK,
    NETWORK_NAMESPACE,
    NETWORK_USER_NAMESPACE,
)

log = logging.getLogger(__name__)

# Linux constants that Python 3.11 does not expose (sched.h, prctl.h).
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_PR_SET_PDEATHSIG = 1
# Audit events that reach the network; connect/bind/sendto/sendmsg are allowed for AF_UNIX sockets.
_SOCKET_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"})
_RESOLVE_EVENTS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
)
# The private temporary folder of one run.
_SPEC, _RESULT, _STDOUT, _STDERR, _HOME, _TMP = "spec.json", "result.json", "stdout", "stderr", "home", "tmp"


@dataclass(frozen=True)
class Limits:
    """Limits of one child run.

    Attributes:
        timeout_s: Wall-clock seconds; then the child's whole process group is killed (SIGKILL).
        cpu_s: CPU seconds (RLIMIT_CPU): SIGXCPU at the limit, SIGKILL one second later.
        memory_mb: Address space of the child, in MiB (RLIMIT_AS); allocations past it fail (MemoryError).
        file_mb: Largest file the child may write, in MiB (RLIMIT_FSIZE); this bounds captured stdout/stderr too.
        output_chars: Characters of stdout and of stderr kept, each; the rest is dropped with a note saying so.
        network: Whether the child may use the network; False cuts it (the module docstring says how).
    """

    timeout_s: float = ISOLATE_TIMEOUT_S
    cpu_s: int = ISOLATE_CPU_S
    memory_mb: int = ISOLATE_MEMORY_MB
    file_mb: int = ISOLATE_FILE_MB
    output_chars: int = ISOLATE_OUTPUT_CHARS
    network: bool = False

    def __post_init__(self) -> None:
        def integer(value: Any, minimum: int) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value >= minimum

        timeout = self.timeout_s
        checks = [
            (
                isinstance(timeout, int | float) and not isinstance(timeout, bool) and math.isfinite(timeout),
                "timeout_s a finite number",
                timeout,
            ),
            (not isinstance(timeout, int | float) or timeout > 0, "timeout_s > 0", timeout),
            (integer(self.cpu_s, 1), "cpu_s an integer >= 1", self.cpu_s),
            (
                integer(self.memory_mb, ISOLATE_MIN_MEMORY_MB),
                f"memory_mb an integer >= {ISOLATE_MIN_MEMORY_MB}",
                self.memory_mb,
            ),
            (integer(self.file_mb, 1), "file_mb an integer >= 1", self.file_mb),
            (integer(self.output_chars, 0), "output_chars an integer >= 0", self.output_chars),
            (isinstance(self.network, bool), "network a bool", self.network),
        ]
        for ok, expected, got in checks:
            if not ok:
                raise ValueError(f"Limits: expected {expected}, got {got!r}")


@dataclass(frozen=True)
class ChildResult:
    """What one child run gave back.

    Attributes:
        ok: Whether the entry function returned a JSON value.
        value: That value (None unless ``ok``).
        error: One sentence on what went wrong (None when ``ok``): the exception's type and message, a timeout,
            the signal that killed the child and the limit behind it, a non-JSON result, or the exit code of a
            child that ended without a result.
        error_type: The exception's class name, or "Timeout", "Killed" (a signal), "Crashed" (exited without a
            result), "NotJSON" (a value that is not JSON); None when ``ok``.
        traceback: The traceback of the exception, toolsmith's own frames left out; None when none was raised.
        stdout: The child's stdout, cut to ``Limits.output_chars`` characters (with a note when cut).
        stderr: The child's stderr, cut the same way.
        seconds: Wall-clock seconds of the whole run, interpreter start included.
        network_isolation: How the child's network was cut (``constants.NETWORK_*``); None when the child died
            before it got that far.
    """

    ok: bool
    value: Any
    error: str | None
    error_type: str | None
    traceback: str | None
    stdout: str
    stderr: str
    seconds: float
    network_isolation: str | None


def run_isolated(
    entry: str,
    payload: dict[str, Any],
    *,
    cwd: Path,
    limits: Limits = Limits(),
    path: Sequence[Path] = (),
) -> ChildResult:
    """Call ``entry(**payload)`` in a limited child process and return what happened.

    Args:
        entry: Trusted toolsmith code as ``package.module:function``, importable in this environment; the function
            takes ``payload``'s keys as keyword arguments, imports the user's code and returns a JSON value.
        payload: JSON-serialisable keyword arguments of the entry function.
        cwd: The child's working directory (a copy of the user's project); first on its ``sys.path``.
        limits: The limits of this run.
        path: More folders for the child's ``sys.path``, right after ``cwd`` and before the environment's own.

    Returns:
        The result; a failing, hanging or crashing child is a result with ``ok=False``.

    Raises:
        ValueError: For caller bugs only: a malformed entry, a missing cwd, a payload that is not JSON.
    """
    module, _, function = entry.partition(":") if isinstance(entry, str) else ("", "", "")
    if not (all(part.isidentifier() for part in module.split(".")) and function.isidentifier()):
        raise ValueError(f"expected entry as 'package.module:function', got {entry!r}")
    if not isinstance(limits, Limits):
        raise ValueError(f"expected limits as Limits, got {type(limits).__name__}")
    cwd = Path(cwd).resolve()
    if not cwd.is_dir():
        raise ValueError(f"expected cwd to be an existing folder, got {cwd}")
    if not isinstance(payload, dict):
        raise ValueError(f"expected payload as a dict of keyword arguments, got {type(payload).__name__}")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected a JSON-serialisable payload, got {exc}") from None

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="toolsmith-isolate-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        (folder / _HOME).mkdir()
        (folder / _TMP).mkdir()
        spec = {
            "entry": entry,
            "payload": payload,
            "cwd": str(cwd),
            "path": [str(Path(p).resolve()) for p in path],
            "limits": {name: getattr(limits, name) for name in ("cpu_s", "memory_mb", "file_mb", "output_chars")},
            "network": limits.network,
            "result": str(folder / _RESULT),
            "parent_pid": os.getpid(),
        }
        (folder / _SPEC).write_text(json.dumps(spec), encoding="utf-8")
        argv = [sys.executable, "-P", "-s", "-B", "-m", __name__, str(folder / _SPEC)]
        with open(folder / _STDOUT, "wb") as out, open(folder / _STDERR, "wb") as err:
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                env=_child_env(folder),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                process_group=0,
            )
        try:
            exited = _wait_exited(child.pid, limits.timeout_s)
        finally:
            _kill_group(child.pid)  # the child is unreaped, so its group id cannot have been reused
            child.wait()
        seconds = time.monotonic() - start
        record = _read_record(folder / _RESULT)
        stdout = _read_output(folder / _STDOUT, limits.output_chars)
        stderr = _read_output(folder / _STDERR, limits.output_chars)
    result = _result(record, exited, child.returncode, limits, stdout, stderr, seconds)
    log.debug("%s in %s: %s in %.2fs", entry, cwd, result.error_type or "ok", seconds)
    return result


def audit_network(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook that refuses the network to Python code: name resolution, and sockets other than AF_UNIX.

    Args:
        event: The audit event's name.
        args: The event's arguments (the socket first, for socket events).

    Raises:
        PermissionError: For an event that would reach the network.
    """
    if event in _RESOLVE_EVENTS or (event in _SOCKET_EVENTS and args[0].family != socket.AF_UNIX):
        raise PermissionError(f"network access is disabled in this process ({event})")


# ------------------------------------------------------------------------------------------------ parent side


def _child_env(folder: Path) -> dict[str, str]:
    """A minimal, deterministic environment: PATH kept, private HOME and TMPDIR, nothing else of the caller's."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(folder / _HOME),
        "TMPDIR": str(folder / _TMP),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUTF8": "1",
        "TZ": "UTC",
    }


def _wait_exited(pid: int, timeout_s: float) -> bool:
    """Wait until ``pid`` exits, without reaping it; False when ``timeout_s`` passed first."""
    deadline = time.monotonic() + timeout_s
    pause = 0.001
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.02)
    return True


def _kill_group(pgid: int) -> None:
    """SIGKILL every process still in the group."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read_record(path: Path) -> dict[str, Any] | None:
    """The child's last record, or None when it wrote none (or the user code garbled it)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _read_output(path: Path, limit: int) -> str:
    """The first ``limit`` characters of a captured stream, with a note when more was written."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4 * limit + 4)  # at least limit + 1 whole characters, if there are that many
    text = head.decode("utf-8", errors="replace")
    if len(text) <= limit and size <= len(head):
        return text
    return f"{text[:limit]}\n[toolsmith: output cut to its first {limit} characters; {size} bytes were written]"


def _result(
    record: dict[str, Any] | None,
    exited: bool,
    returncode: int,
    limits: Limits,
    stdout: str,
    stderr: str,
    seconds: float,
) -> ChildResult:
    """Turn the child's record and exit status into a :class:`ChildResult`."""
    record = record or {}
    stage = record.get("stage")
    isolation = record.get("network_isolation")
    common = {"stdout": stdout, "stderr": stderr, "seconds": seconds, "network_isolation": isolation}
    if stage == "returned":
        return ChildResult(ok=True, value=record.get("value"), error=None, error_type=None, traceback=None, **common)
    if stage == "raised":
        error_type, error = str(record.get("error_type")), str(record.get("error"))
        return ChildResult(False, None, error, error_type, record.get("traceback"), **common)
    where = "while running the user code" if stage == "started" else "before it reached the user code"
    if not exited:
        error_type, error = "Timeout", f"timed out after {limits.timeout_s:g}s {where}"
    elif returncode < 0:
        error_type, error = "Killed", f"killed by {_signal_reason(-returncode, limits)} {where}"
    else:
        error_type, error = "Crashed", f"the child process exited with code {returncode} {where}, with no result"
    return ChildResult(False, None, error, error_type, None, **common)


def _signal_reason(signum: int, limits: Limits) -> str:
    """The signal's name and the limit that most likely sent it."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
    reasons = {
        signal.SIGXCPU: f"it used its {limits.cpu_s}s of CPU time",
        signal.SIGKILL: f"the CPU hard limit ({limits.cpu_s + 1}s), the out-of-memory killer or another process",
        signal.SIGSEGV: f"a crash in native code, possibly at the {limits.memory_mb} MB memory limit",
        signal.SIGXFSZ: f"a file past the {limits.file_mb} MB file size limit",
    }
    reason = reasons.get(signum)
    return f"{name} ({reason})" if reason else name


# ------------------------------------------------------------------------------------------------ child side


def _child_main(spec_path: str) -> None:
    """The child's bootstrap: isolate, limit, then import and call the entry; never returns."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    result_path = Path(spec["result"])
    isolation = NETWORK_ALLOWED if spec["network"] else _cut_network()
    _die_with_parent(spec["parent_pid"])
    limits = spec["limits"]
    _apply_limits(limits)
    _write_record(result_path, {"stage": "started", "network_isolation": isolation})
    sys.path[:0] = [spec["cwd"], *spec["path"]]
    record = _call(spec["entry"], spec["payload"], limits)
    record["network_isolation"] = isolation
    try:
        _write_record(result_path, record)
    except OSError as exc:  # most likely a value past the file size limit
        error = f"the result could not be written back ({exc}); the file size limit is {limits['file_mb']} MB"
        small = {"stage": "raised", "error_type": "ResultTooLarge", "error": error, "network_isolation": isolation}
        _write_record(result_path, small)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # the user code may have replaced or broken the streams
            pass
    os._exit(0)  # no atexit handlers, no waiting on threads the user code left running


def _cut_network() -> str:
    """Move this process into a new network namespace, or install :func:`audit_network`; say which."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWNET) == 0:
            return NETWORK_NAMESPACE
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
            # Map our own ids, so files keep their owner (git refuses a repository owned by "nobody").
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                try:
                    Path("/proc/self", name).write_text(text, encoding="ascii")
                except OSError:
                    pass
            return NETWORK_USER_NAMESPACE
    sys.addaudithook(audit_network)
    return NETWORK_AUDIT_HOOK


def _die_with_parent(parent_pid: int) -> None:
    """Ask for SIGKILL when the parent dies; exit at once if it is already gone."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)


def _apply_limits(limits: dict[str, int]) -> None:
    """Lower the rlimits (never above the hard limits this process inherited)."""

    def lower(which: int, soft: int, hard: int) -> None:
        _, current = resource.getrlimit(which)
        if current != resource.RLIM_INFINITY:
            hard = min(hard, current)
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, hard))

    lower(resource.RLIMIT_CPU, limits["cpu_s"], limits["cpu_s"] + 1)
    memory = limits["memory_mb"] << 20
    lower(resource.RLIMIT_AS, memory, memory)
    size = limits["file_mb"] << 20
    lower(resource.RLIMIT_FSIZE, size, size)
    lower(resource.RLIMIT_CORE, 0, 0)


def _call(entry: str, payload: dict[str, Any], limits: dict[str, int]) -> dict[str, Any]:
    """Import and call the entry; the record of what happened."""
    module, _, function = entry.partition(":")
    try:
        value = getattr(importlib.import_module(module), function)(**payload)
    except BaseException as exc:  # the user code may raise anything, SystemExit included
        return {
            "stage": "raised",
            "error_type": type(exc).__name__,
            "error": _describe(exc, limits)[: max(limits["output_chars"], 200)],
            "traceback": _user_traceback(exc)[-max(limits["output_chars"], 200) :],
        }
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        error = f"expected a JSON value from {entry}, got {type(value).__name__} {_short_repr(value)} ({exc})"
        return {"stage": "raised", "error_type": "NotJSON", "error": error}
    return {"stage": "returned", "value": value}


def _describe(exc: BaseException, limits: dict[str, int]) -> str:
    """``Type: message``, with the limit behind it for the errors a limit raises."""
    try:
        message = str(exc)
    except BaseException:  # a user exception's __str__ may fail
        message = "<unprintable message>"
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if isinstance(exc, MemoryError):
        text += f" (the memory limit is {limits['memory_mb']} MB)"
    elif isinstance(exc, OSError) and exc.errno == 27:  # EFBIG
        text += f" (a file or the captured output reached the {limits['file_mb']} MB file size limit)"
    return text


def _user_traceback(exc: BaseException) -> str:
    """The formatted traceback without toolsmith's own frames (all of them, if only toolsmith's are there)."""
    try:
        roots = tuple(os.path.join(p, "") for p in importlib.import_module("toolsmith").__path__)
        whole = traceback.TracebackException.from_exception(exc)
        seen: set[int] = set()
        todo = [whole]
        while todo:
            part = todo.pop()
            if id(part) in seen:
                continue
            seen.add(id(part))
            user = [frame for frame in part.stack if not frame.filename.startswith(roots)]
            if user:
                part.stack = traceback.StackSummary.from_list(user)
            todo += [p for p in (part.__cause__, part.__context__, *(part.exceptions or ())) if p is not None]
        return "".join(whole.format())
    except BaseException:  # a broken user exception must not lose the record
        return "".join(traceback.format_exception_only(type(exc), None))


def _short_repr(value: Any) -> str:
    """A short repr that survives a failing user ``__repr__``."""
    try:
        return reprlib.repr(value)
    except BaseException:
        return "<unprintable value>"


def _write_record(path: Path, record: dict[str, Any]) -> None:
    """Replace the record file atomically (the parent reads whichever record is last)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    _child_main(sys.argv[1])
