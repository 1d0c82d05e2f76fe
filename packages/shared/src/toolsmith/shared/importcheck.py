"""Whether an edited module still imports: the original and the final text run as modules, each in a limited child.

An edit can leave a file that parses and compiles but no longer imports (an import removed that module-level code
uses, a name renamed that a decorator or a class body reads at import time). :func:`import_regression` runs both
texts with ``runpy.run_path`` (as a module named :data:`RUN_NAME`, so ``if __name__ == "__main__":`` blocks do
not run), each in a child of :func:`toolsmith.shared.isolate.run_isolated`, from the project's folder so its
sibling modules import; only a final text that fails where the original imported is a regression.
"""

from __future__ import annotations

import runpy
import tempfile
from pathlib import Path

from toolsmith.shared.isolate import Limits, run_isolated

RUN_NAME = "toolsmith_import_check"
IMPORT_TIMEOUT_S = 20.0  # one import; a child that takes longer is not judged
ERROR_CHARS = 200


def import_error(path: str) -> str | None:
    """Run a file as a module (the child's entry function).

    Returns:
        Its exception as ``Type: message`` (cut to :data:`ERROR_CHARS`), or None when it imported.
    """
    try:
        runpy.run_path(path, run_name=RUN_NAME)
    except BaseException as e:  # SystemExit and KeyboardInterrupt at import count too
        return f"{type(e).__name__}: {e}"[:ERROR_CHARS]
    return None


def import_regression(root: Path, target: str, original: str) -> str | None:
    """Why the final file ``root/target`` no longer imports when ``original`` (its text before the run) did.

    Each text runs in a child of its own (one interpreter would carry the first run's state into the second: a
    registry that refuses a second ``register("x")`` would fail the final text for nothing).

    Returns:
        The final file's import error, or None: it imports, the original did not either, or a child could not tell
        (a hang or a crash: not judged).
    """
    with tempfile.TemporaryDirectory(prefix="toolsmith-import-") as tmp:
        before = Path(tmp) / Path(target).name
        before.write_text(original, encoding="utf-8")
        error_before = _import_error(Path(root), before)
        if error_before is None:
            return _import_error(Path(root), Path(root, target).resolve()) or None
    return None


def _import_error(root: Path, path: Path) -> str | None:
    """The error of running ``path`` as a module in a limited child from ``root`` ("" when the child could not
    tell), or None when it imported."""
    result = run_isolated(
        f"{__name__}:import_error", {"path": str(path)}, cwd=root, limits=Limits(timeout_s=IMPORT_TIMEOUT_S)
    )
    if not result.ok or not isinstance(result.value, str | None):
        return ""
    return result.value
