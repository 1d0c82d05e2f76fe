"""Subprocesses that never outlive their time limit: each runs in its own process group, killed whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path


def kill_group(pgid: int) -> None:
    """SIGKILL every process of process group ``pgid`` (gone already is fine)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_session(sid: int) -> None:
    """SIGKILL every process of session ``sid`` (Linux: found in /proc), and its process group elsewhere.

    Catches what a session's processes started in process groups of their own; a process that started a
    new session itself (``setsid``) is out of reach.
    """
    kill_group(sid)
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # fields after the command (which may hold spaces and parentheses): state ppid pgrp session ...
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 3 and int(fields[3]) == sid:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def run_bounded(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` with output captured as text, in a new process group killed whole at the timeout.

    Raises:
        subprocess.TimeoutExpired: After killing the group.
    """
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
        process_group=0,
    ) as p:
        try:
            out, err = p.communicate(input, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(p.pid)
            p.communicate()
            raise
        finally:
            kill_group(p.pid)  # whatever it left running in its group
    return subprocess.CompletedProcess(list(argv), p.returncode, out, err)


@cache
def ruff_command() -> tuple[str, ...]:
    """The ruff executable installed in this environment, as an argv prefix (``python -m ruff`` without it)."""
    try:
        from ruff.__main__ import find_ruff_bin

        return (str(find_ruff_bin()),)
    except (ImportError, FileNotFoundError):
        return (sys.executable, "-m", "ruff")
