"""Stand-in for the kit's ``run_isolated`` (phase 1): call a worker function in a fresh child process.

Same contract as ``toolsmith.shared.isolate.run_isolated(entry, payload, cwd=..., limits=...)``: the entry
``"module:function"`` is called as ``function(**payload)`` in a new Python process (its own process
group, killed at the timeout) and the JSON result comes back; it never raises for the user's failures.
Phase 2 replaces every use with ``run_isolated`` and deletes this file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_BOOT = """
import importlib, json, sys
module, name = sys.argv[1].split(":")
value = getattr(importlib.import_module(module), name)(**json.load(sys.stdin))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(value, f)
"""


@dataclass(frozen=True)
class ChildResult:
    """What came back from the child.

    Attributes:
        ok: Whether the entry returned.
        value: Its JSON result (None unless ok).
        error: Why not ("" when ok): the timeout or the child's last error line.
        error_type: ``timeout``, ``exit`` or "".
        stderr: The child's standard error (the end of it).
    """

    ok: bool
    value: Any
    error: str
    error_type: str
    stderr: str


def run_child(entry: str, payload: dict[str, Any], *, cwd: Path, timeout_s: float = 30.0) -> ChildResult:
    """Run ``entry(**payload)`` in a fresh Python process in ``cwd``; kill its process group at the timeout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_", "COVERAGE_"))}
    with tempfile.TemporaryDirectory(prefix="toolsmith-child-") as tmp:
        out = Path(tmp) / "result.json"
        proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, entry, str(out)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, stderr = proc.communicate(json.dumps(payload), timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return ChildResult(
                False, None, f"expected the child to finish in {timeout_s:g} s, got a timeout", "timeout", ""
            )
        if proc.returncode != 0 or not out.is_file():
            last = (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            return ChildResult(False, None, last, "exit", stderr[-2000:])
        return ChildResult(True, json.loads(out.read_text(encoding="utf-8")), "", "", stderr[-2000:])
