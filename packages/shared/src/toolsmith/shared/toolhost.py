"""Run an agent's tools in a child process, so every call ends within its time limit.

The tool host is ``python -P -c "...toolhost import serve; serve()"`` in a session of its own, started in the
sandbox but without it on ``sys.path`` (``-P``: a project's ``json.py`` or ``_compression.py`` must not replace the
modules the host imports). It imports the tools by ``module:qualname`` once, is pointed at each run's sandbox in
turn (:meth:`ToolHost.open`), and answers one JSON line per call through :func:`toolsmith.shared.tools.run_tool`.
When a call outlives its timeout, the whole session is killed — the tool, its subprocesses and anything they started
(:func:`toolsmith.shared.proc.kill_session`) — and the next call starts a fresh host on the same sandbox. A Python
thread cannot be killed; a process can.

One host serves the runs of a folder or an evaluation one after another: starting Python and importing the tools
happens once, and is never counted in a call's time. Tool code's prints go to the host's stderr (a file); the
protocol has stdout to itself.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from toolsmith.shared.proc import kill_session
from toolsmith.shared.sandbox import Sandbox, use_sandbox
from toolsmith.shared.tools import check_arguments, jsonable, run_tool

log = logging.getLogger(__name__)

_BOOT = "from toolsmith.shared.toolhost import serve; serve()"
_STDERR_KEEP = 2000
HOST_START_S = 120.0  # starting the host and importing the tools (not part of any call's time limit)


def tool_path(fn: Callable[..., Any]) -> str:
    """``module:qualname`` of a tool function (it must be importable at module level)."""
    if "<locals>" in fn.__qualname__:
        raise ValueError(f"expected a module-level tool function, got {fn.__qualname__} (defined inside a function)")
    return f"{fn.__module__}:{fn.__qualname__}"


def import_tool(path: str) -> Callable[..., Any]:
    """The function at ``module:qualname``."""
    module, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class ToolHost:
    """The runner's side of one tool process (restarted when a call has to be stopped).

    Args:
        tools: The tool functions.
        schemas: Their JSON schemas, by name.
    """

    def __init__(self, tools: Sequence[Callable[..., Any]], schemas: dict[str, dict[str, Any]]) -> None:
        self.paths = {fn.__name__: tool_path(fn) for fn in tools}
        self.schemas = schemas
        self.box: Sandbox | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False
        self.restarts = 0
        self._err_dir = tempfile.TemporaryDirectory(prefix="toolsmith-host-")
        self.stderr_path = Path(self._err_dir.name) / "stderr.log"

    def open(self, box: Sandbox) -> None:
        """Point the host at a run's sandbox (it is started, or re-pointed, at the next call)."""
        self.box = box
        self.ready = False

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if p and os.path.isdir(p))
        env.pop("PYTHONSTARTUP", None)
        with open(self.stderr_path, "ab") as err:  # a file: a pipe nobody reads would block a chatty tool
            return subprocess.Popen(
                [sys.executable, "-P", "-c", _BOOT],  # -P: the sandbox (cwd) is not on sys.path
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                cwd=self.box.root if self.box else None,
                env=env,
                start_new_session=True,
            )

    def _send(self, message: dict[str, Any]) -> bool:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            return False
        return True

    def _read_line(self, timeout_s: float) -> bytes | None:
        """One protocol line from the host; None at the timeout; b"" when the host ended."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                return b""
            line += chunk
        return line

    def _prepare(self) -> str | None:
        """Start the host if needed and point it at the sandbox; the error if that fails."""
        if self.box is None:
            raise RuntimeError("ToolHost: expected open(box) before a call, got no sandbox")
        if self.proc is not None and self.proc.poll() is not None:
            self.restarts += 1
            self.proc = None
        if self.proc is None:
            self.proc = self._spawn()
            self.ready = False
        if self.ready:
            return None
        init = {"sandbox": self.box.to_json(), "tools": self.paths, "schemas": self.schemas}
        reply = self._read_line(HOST_START_S) if self._send(init) else b""
        if not reply:
            what = "did not start in time" if reply is None else "ended"
            self.close()
            return f"expected the tool process to start, got it {what}: {self._stderr_tail()}"
        error = json.loads(reply).get("error")
        if error:
            self.close()
            return error
        self.ready = True
        return None

    def call(self, name: str, arguments: dict[str, Any], timeout_s: float) -> tuple[Any, str | None]:
        """Run one call; returns (JSON result, None) or (None, error sentence). Never raises for tool failures."""
        failed = self._prepare()
        if failed:
            return None, failed
        if not self._send({"name": name, "arguments": arguments}):
            return None, self._crashed(name)
        line = self._read_line(timeout_s)
        if line is None:
            log.warning("tool %s still running after %.3gs: stopping it", name, timeout_s)
            self.close()
            return None, f"expected {name} to finish within {timeout_s:g}s, got no result (timed out; it was stopped)"
        if not line:
            return None, self._crashed(name)
        reply = json.loads(line)
        return reply.get("value"), reply.get("error")

    def _stderr_tail(self) -> str:
        try:
            return self.stderr_path.read_bytes()[-_STDERR_KEEP:].decode(errors="replace").strip()
        except OSError:
            return ""

    def _crashed(self, name: str) -> str:
        code = self.proc.poll() if self.proc is not None else None
        self.close()
        return f"expected {name} to return, got the tool process ended (exit {code}): {self._stderr_tail()}"

    def close(self) -> None:
        """Stop the host and everything it started (a later call starts a new one)."""
        if self.proc is None:
            return
        proc, self.proc, self.ready = self.proc, None, False
        kill_session(proc.pid)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("tool host %d did not stop", proc.pid)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def __enter__(self) -> ToolHost:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
        self._err_dir.cleanup()


def serve() -> None:
    """The host's side: an init line points it at a sandbox (tools imported once); then one call per line."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # tools' prints go to stderr
    sys.stdout = sys.stderr
    tools: dict[str, Callable[..., Any]] = {}
    schemas: dict[str, Any] = {}
    box: Sandbox | None = None

    def reply(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    for line in sys.stdin:
        request = json.loads(line)
        if "sandbox" in request:
            box = Sandbox.from_json(request["sandbox"])
            os.chdir(box.root)
            schemas = request["schemas"]
            try:
                tools = {name: import_tool(path) for name, path in request["tools"].items()}
                check_arguments({"function": {"parameters": {"type": "object"}}}, {})  # imports jsonschema now
            except Exception as e:  # noqa: BLE001 - reported to the runner, which reports it to the model
                reply({"error": f"expected the tools to import, got {type(e).__name__}: {e}"})
                return
            reply({"ready": True})
            continue
        assert box is not None
        name = request["name"]
        with use_sandbox(box):
            value, error = run_tool(tools[name], schemas[name], request["arguments"])
        reply({"value": jsonable(value), "error": error})
