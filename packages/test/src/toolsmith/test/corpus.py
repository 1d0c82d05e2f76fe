"""Pure functions to write tests for, cut from the kit's corpus (the standard library and declared packages).

A function qualifies statically when it is a plain top-level ``def`` (no decorator, not async, not a
dunder, not named like a test) of 3-60 lines with at least one ordinary parameter, reads no global state (no
``global``/``nonlocal``) and does no I/O: it uses none of :data:`IMPURE_NAMES` and no module of
:data:`IMPURE_MODULES`, and every name it reads is a builtin, a parameter or local, one of the module's plain
imports, a module-level constant or a pure module function (at most :data:`MAX_HELPERS`; all copied along).
It becomes a one-file project (:func:`cut`): the imports it uses, the constants and helpers, the function.

It is *usable* when it also passes dynamically (:func:`probe`): the module imports in the child, the
expert's search (:mod:`toolsmith.test.search`) keeps at least one call, and every kept call is fast and
gives the same pinnable result in two processes.
"""

from __future__ import annotations

import ast
import builtins
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from toolsmith.test.actions import Project
from toolsmith.test.layout import output_file
from toolsmith.test.search import SearchResult, search

MIN_LINES, MAX_LINES = 3, 60
MAX_CONSTANT_LINES = 6
MAX_HELPERS = 4  # module functions a target may bring along
MAX_FILE_LINES = 150
# The PyPI distributions read (each a declared dependency of toolsmith-test) -> their top-level package.
PACKAGES: dict[str, str] = {
    "boltons": "boltons",
    "inflection": "inflection",
    "more-itertools": "more_itertools",
    "pydash": "pydash",
    "toolz": "toolz",
}
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
    if func.name.startswith("__"):
        return "dunder"
    if func.name.startswith("test"):
        return "named like a test"
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


@dataclass(frozen=True)
class _Module:
    """One parsed module and what its functions may bring along."""

    text: str
    lines: dict[str, str]
    roots: dict[str, tuple[str, ast.stmt]]
    constants: dict[str, ast.Assign]
    defs: dict[str, ast.FunctionDef]


@cache
def _module(path: Path) -> _Module | None:
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return None
    lines, roots = _module_names(tree)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    return _Module(text, lines, roots, _constants(tree, lines), defs)


def _cut(package: str, module: str, mod: _Module, node: ast.FunctionDef) -> Function | str:
    """The one-file project of ``node``, or why it does not qualify."""
    reason = qualifies(node, mod.roots)
    if reason:
        return reason
    # the closure of what it reads: helper functions and constants, each with what they read
    helpers: list[str] = []
    const_names: list[str] = []
    needed: set[str] = set()
    todo: list[ast.AST] = [node]
    while todo:
        item = todo.pop()
        reads = _loaded(item) - (_bound_inside(item) if isinstance(item, ast.FunctionDef) else set())
        needed |= reads
        for name in sorted(reads):
            if name in mod.lines or name in _BUILTINS or name in helpers or name in const_names or name == node.name:
                continue
            if name in mod.constants:
                const_names.append(name)
                todo.append(mod.constants[name].value)
            elif name in mod.defs and _pure(mod.defs[name], mod.roots) and len(helpers) < MAX_HELPERS:
                helpers.append(name)
                todo.append(mod.defs[name])
            else:
                return "reads module names"
    impure = {n for n in needed if n in mod.roots and mod.roots[n][0] in IMPURE_MODULES}
    if impure:
        return f"uses {mod.roots[sorted(impure)[0]][0]}"
    pieces = sorted(
        [*(mod.constants[c] for c in const_names), *(mod.defs[h] for h in helpers), node], key=lambda n: n.lineno
    )
    if sum((n.end_lineno or n.lineno) - n.lineno + 1 for n in pieces) > MAX_FILE_LINES:
        return "size"
    segments = [textwrap.dedent(ast.get_source_segment(mod.text, n) or "") for n in pieces]
    if not all(seg.isascii() and "\t" not in seg for seg in segments):
        return "not ascii"
    import_lines = sorted({mod.lines[n] for n in needed if n in mod.lines})
    parts = ["\n".join(import_lines)] if import_lines else []
    parts.append("\n\n\n".join(segments))
    return Function(package, module, node.name, _filename(module), "\n\n\n".join(parts) + "\n")


def cut(package: str, module: str, path: Path, name: str) -> Function | str:
    """The top-level function ``name`` of a module as a one-file project, or why it does not qualify.

    The function may call the module's other pure functions: those come along (at most :data:`MAX_HELPERS`),
    with the constants and imports they read. Modules are parsed once per process.
    """
    mod = _module(Path(path))
    if mod is None:
        return "unreadable module"
    node = mod.defs.get(name)
    if node is None:
        return "not a plain top-level function"
    return _cut(package, module, mod, node)


def functions_of(package: str, module: str, path: Path) -> tuple[list[Function], dict[str, int]]:
    """The qualifying functions of one module, and the count of each reason the others were skipped."""
    mod = _module(Path(path))
    if mod is None:
        return [], {"unreadable module": 1}
    found: list[Function] = []
    skipped: dict[str, int] = {}
    for node in mod.defs.values():
        fn = _cut(package, module, mod, node)
        if isinstance(fn, str):
            skipped[fn] = skipped.get(fn, 0) + 1
        else:
            found.append(fn)
    return found, skipped


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
