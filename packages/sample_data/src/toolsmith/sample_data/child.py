"""Phase 1 stand-in for the kit's ``run_isolated``: call a :mod:`toolsmith.sample_data.worker` function in a
plain child process (same interpreter, ``cwd`` = the project), JSON in and out.

Phase 2 replaces it with ``toolsmith.shared.isolate.run_isolated("toolsmith.sample_data.worker:NAME", ...)``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TIMEOUT_S = 60.0
_PROGRAM = (
    "import json, sys\n"
    "from toolsmith.sample_data import worker\n"
    "args = json.load(sys.stdin)\n"
    "try:\n"
    "    value = {'ok': True, 'value': getattr(worker, args['function'])(**args['payload'])}\n"
    "except Exception as e:\n"
    "    value = {'ok': False, 'error': f'{type(e).__name__}: {e}'}\n"
    "sys.stdout.write('\\0' + json.dumps(value))\n"
)


class ChildError(ValueError):
    """The user's code failed in the child (import error, exception, timeout)."""


def run_worker(function: str, payload: dict, cwd: Path, timeout_s: float = TIMEOUT_S) -> Any:
    """``worker.<function>(**payload)`` in a child process in ``cwd``; its return value.

    Raises:
        ChildError: The call raised, printed no result or ran past ``timeout_s``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    try:
        proc = subprocess.run([sys.executable, "-c", _PROGRAM], input=json.dumps({"function": function,
                              "payload": payload}), cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
                              env=env)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ChildError(f"expected {function} to finish within {timeout_s:.0f}s, got a timeout") from None
    _, sep, out = proc.stdout.rpartition("\0")
    if not sep:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ChildError(f"expected {function} to return, got exit {proc.returncode}: {tail[:300]}")
    result = json.loads(out)
    if not result["ok"]:
        raise ChildError(result["error"][:500])
    return result["value"]
