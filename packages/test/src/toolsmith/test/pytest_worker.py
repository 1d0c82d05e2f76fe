"""The child side of a test run and of the ghostwriter: both import the user's code, so both run only inside
``run_isolated`` (a fresh, limited interpreter whose working folder is the project copy).

:func:`run_pytest` measures the target file with coverage.py (``branch=True``, in memory) around
``pytest.main`` and hands back the JUnit XML, the target's part of the JSON coverage report and the exit code.
:func:`ghostwrite` returns what ``hypothesis write module.func`` prints (the same ``ghostwriter.magic`` call).
The child's environment holds only PATH: the import root goes on ``sys.path`` here, and plugin autoload is
turned off here (the interpreter's plugins cost about a second a run and are not the user's).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import coverage

from toolsmith.test.layout import module_path

OUTPUT_CHARS = 2000


def _enter(root: str, target: str) -> tuple[Path, str]:
    """Put the target's import root first on ``sys.path``, work in ``root``; the dotted module."""
    root_path = Path(root).resolve()
    where = module_path(root_path, target)
    sys.path.insert(0, str(root_path / where.import_root))
    os.chdir(root_path)
    return root_path, where.module


def run_pytest(root: str, target: str, test_rel: str, plugins: list[str], measure: bool = True) -> dict[str, Any]:
    """Run pytest on ``test_rel`` in the project ``root`` (under coverage when ``measure``).

    Args:
        root: The project folder.
        target: The target file, posix and relative to ``root`` (the only file measured).
        test_rel: The test file, relative to ``root``.
        plugins: Extra pytest plugins to load by module name (e.g. the reverse-order one).
        measure: Measure the target's branch coverage.

    Returns:
        ``exit_code``, ``junit`` (the JUnit XML text, "" when pytest wrote none) and ``report`` (the JSON report's
        ``files`` entry of the target, {} when not measured or never imported).
    """
    import pytest

    root_path, _ = _enter(root, target)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    target_path = str(root_path / target)
    with tempfile.TemporaryDirectory(prefix="toolsmith-pytest-") as tmp:
        junit = Path(tmp) / "junit.xml"
        args = ["-q", "-p", "no:cacheprovider", "-o", "addopts=", "--import-mode=importlib", f"--rootdir={root_path}"]
        args += [f"--junitxml={junit}", *(a for p in plugins for a in ("-p", p)), test_rel]
        cov = None
        if measure:
            cov = coverage.Coverage(data_file=None, branch=True, include=[target_path], config_file=False)
            cov.set_option("run:disable_warnings", ["no-data-collected", "module-not-measured"])
            # every line and branch counts, as in the static analysis and the calls' own measurement
            cov.set_option("report:exclude_lines", [])
            cov.set_option("report:partial_branches", [])
            cov.start()
        try:
            code = int(pytest.main(args))
        finally:
            if cov is not None:
                cov.stop()
        report: dict[str, Any] = {}
        if cov is not None:
            out = Path(tmp) / "coverage.json"
            try:
                cov.json_report(outfile=str(out))
                files = json.loads(out.read_text(encoding="utf-8")).get("files", {})
                report = next((v for k, v in files.items() if (root_path / k).resolve() == Path(target_path)), {})
            except coverage.CoverageException:  # nothing measured: the target was never imported
                report = {}
        text = junit.read_text(encoding="utf-8") if junit.is_file() else ""
    return {"exit_code": code, "junit": text, "report": report}


def ghostwrite(root: str, target: str, symbol: str) -> str:
    """The test module ``hypothesis write <module>.<symbol>`` prints (pytest style, no ``--except``)."""
    from hypothesis.extra import ghostwriter

    _, module = _enter(root, target)
    func = getattr(importlib.import_module(module), symbol)
    return ghostwriter.magic(func, except_=(), style="pytest", annotate=None)
