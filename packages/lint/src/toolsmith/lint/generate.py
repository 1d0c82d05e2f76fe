"""Training examples for the lint agent: real stdlib code, injected lint problems, real tool runs.

1. Snippets: top-level functions/classes (and methods, dedented) of 5-60 lines from the standard
   library's ``.py`` files, with the module's plain imports they use, sorted by ruff's isort.
2. Problems: 1-4 realistic lint problems injected deterministically (``random.Random``): unused
   import and variable, ``== None``, ``== True``, ``not x in y``, ``not x is y``, bare ``except:``,
   f-string without placeholders, unsorted imports, trailing whitespace, whitespace-only line.
3. Trajectory: a scripted expert calls the real tools in a sandbox and records their outputs:
   run_linter, apply_fix for each fixable issue (the ``next`` one of the last response), run_linter
   again (after fixes), submit_result, then a one-line summary.
4. Verification: ruff on the final file must agree with the submitted counts and leave nothing
   fixable (:func:`toolsmith.lint.checks.check_episode`); failures are dropped and counted.

Train and eval come from disjoint stdlib modules (about 10% of the examples are eval).
"""

from __future__ import annotations

import ast
import atexit
import io
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
import tokenize
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from toolsmith.shared.constants import EVAL_FILE, TRAIN_FILE
from toolsmith.shared.data import write_examples
from toolsmith.shared.io import atomic_write_text
from toolsmith.shared.sandbox import open_sandbox

EVAL_SHARE = 0.1
MIN_LINES, MAX_LINES = 5, 60
MAX_ISSUES = 6  # issues per example after injection (keeps conversations short)
MAX_PREEXISTING = 2  # issues a snippet may already have
MAX_FIXES = 10
SYMBOL_SHARE = 0.15  # examples that target one function/class (``path.py::name``)
PARALLEL_MIN = 40  # examples from which candidates run in a process pool
SUMMARY_FILE = "summary.json"
_SKIP_DIRS = {
    "test",
    "tests",
    "idlelib",
    "lib2to3",
    "turtledemo",
    "site-packages",
    "ensurepip",
    "__pycache__",
    "__phello__",
    "pydoc_data",
    "venv",
    "encodings",
}  # encodings: 100 copies of one codec template
_UNUSED_MODULES = (
    "os",
    "sys",
    "re",
    "json",
    "math",
    "time",
    "shutil",
    "random",
    "logging",
    "itertools",
    "functools",
    "collections",
    "subprocess",
    "tempfile",
    "typing",
    "string",
    "struct",
    "copy",
)
_UNUSED_FROM = (
    ("typing", "Any"),
    ("typing", "Optional"),
    ("pathlib", "Path"),
    ("collections", "OrderedDict"),
    ("dataclasses", "field"),
    ("functools", "partial"),
    ("os.path", "join"),
    ("itertools", "chain"),
)
_VAR_NAMES = ("result", "value", "tmp", "count", "data", "items", "total", "flag", "res", "unused", "old", "state")


@dataclass(frozen=True)
class Snippet:
    """A piece of stdlib code to lint.

    Attributes:
        module: Dotted module name it came from (the split unit).
        name: Function/class name (``Class.method`` for methods).
        symbol: Its top-level name inside ``code``.
        imports: The module's plain import lines it uses.
        body: The dedented function/class source.
    """

    module: str
    name: str
    symbol: str
    imports: tuple[str, ...]
    body: str

    @property
    def source(self) -> str:
        return f"{self.module}:{self.name}"

    @property
    def filename(self) -> str:
        return self.module.rsplit(".", 1)[-1] + ".py"


# ---------------------------------------------------------------- snippets


@cache
def module_files() -> tuple[tuple[str, Path], ...]:
    """(dotted module name, path) of the standard library's usable ``.py`` files, sorted."""
    std = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for root, dirs, files in os.walk(std):
        rel_dir = Path(root).relative_to(std)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.startswith("test")
            and len(rel_dir.parts) < 2
            and (Path(root) / d / "__init__.py").is_file()
        )
        for name in sorted(files):
            stem = name[:-3]
            if not name.endswith(".py") or stem.startswith("test") or not stem.replace("_", "a").isalnum():
                continue
            parts = [*rel_dir.parts] + ([] if stem == "__init__" else [stem])
            if parts:
                out.append((".".join(parts), Path(root) / name))
    return tuple(sorted(out))


def _import_lines(tree: ast.Module) -> dict[str, str]:
    """Bound name -> one plain import line, for the module's top-level absolute imports."""
    bound: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                bound[name] = f"import {a.name}" + (f" as {a.asname}" if a.asname else "")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module != "__future__":
            for a in node.names:
                if a.name != "*":
                    bound[a.asname or a.name] = f"from {node.module} import {a.name}" + (
                        f" as {a.asname}" if a.asname else ""
                    )
    return bound


def _clean(code: str) -> bool:
    return (
        code.isascii()
        and "\t" not in code
        and "\f" not in code
        and "\r" not in code
        and all(len(line) <= 100 for line in code.splitlines())
    )


@cache
def snippets_of(module: str, path: Path) -> tuple[Snippet, ...]:
    """The usable snippets of one module, in file order."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return ()
    lines = text.splitlines()
    imports = _import_lines(tree)
    found: list[tuple[str, ast.stmt]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, node))
            if isinstance(node, ast.ClassDef):
                found += [
                    (f"{node.name}.{m.name}", m)
                    for m in node.body
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                ]
    out = []
    for name, node in found:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        if not MIN_LINES <= end - start + 1 <= MAX_LINES:
            continue
        body = textwrap.dedent("\n".join(lines[start - 1 : end])) + "\n"
        if not _clean(body) or body[0].isspace():
            continue
        try:
            sub = ast.parse(body)
        except SyntaxError:
            continue
        used = sorted({n.id for n in ast.walk(sub) if isinstance(n, ast.Name)})
        needed = tuple(dict.fromkeys(imports[u] for u in used if u in imports))
        out.append(Snippet(module=module, name=name, symbol=name.rsplit(".", 1)[-1], imports=needed, body=body))
    return tuple(out)


def _compose(imports: tuple[str, ...], body: str) -> str:
    return ("\n".join(imports) + "\n\n\n" + body) if imports else body


def _ruff_fix_imports(texts: list[str]) -> list[str]:
    """Sort each text's imports with ruff (I001 only, one ruff run for all)."""
    from toolsmith.lint.tools import ruff_command

    with tempfile.TemporaryDirectory(prefix="toolsmith-lint-") as tmp:
        paths = [Path(tmp) / f"s{i:05d}.py" for i in range(len(texts))]
        for p, t in zip(paths, texts, strict=True):
            p.write_text(t, encoding="utf-8")
        subprocess.run(
            [
                *ruff_command(),
                "check",
                "--no-cache",
                "--isolated",
                "--select",
                "I001",
                "--fix",
                "--exit-zero",
                "--quiet",
                ".",
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return [p.read_text(encoding="utf-8") for p in paths]


_BASE: dict[Snippet, str] = {}


def base_texts(snippets: list[Snippet]) -> list[str]:
    """The snippets as files (imports sorted by ruff, so no I001 unless injected); cached."""
    todo = [s for s in dict.fromkeys(snippets) if s not in _BASE]
    if todo:
        for s, t in zip(todo, _ruff_fix_imports([_compose(s.imports, s.body) for s in todo]), strict=True):
            _BASE[s] = t
    return [_BASE[s] for s in snippets]


# ---------------------------------------------------------------- injected problems


class _Src:
    """Source lines with the parsed tree; injectors return new text or None."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.tree = ast.parse(text)
        self.string_lines = _string_lines(text)
        self.docstrings = {
            (n.value.lineno, n.value.col_offset)
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
        }

    def funcs(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        return [n for n in ast.walk(self.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

    def segment(self, node: ast.AST) -> str | None:
        if node.lineno != node.end_lineno:  # type: ignore[attr-defined]
            return None
        return self.lines[node.lineno - 1][node.col_offset : node.end_col_offset]  # type: ignore[attr-defined]

    def replace(self, node: ast.AST, new: str) -> str:
        i = node.lineno - 1  # type: ignore[attr-defined]
        line = self.lines[i]
        lines = list(self.lines)
        lines[i] = line[: node.col_offset] + new + line[node.end_col_offset :]  # type: ignore[attr-defined]
        return "".join(lines)

    def insert_line(self, index: int, line: str) -> str:
        lines = list(self.lines)
        lines.insert(index, line)
        return "".join(lines)

    def body_statements(self) -> list[ast.stmt]:
        """Statements inside functions that start their own line (not in strings)."""
        out = []
        for f in self.funcs():
            for n in ast.walk(f):
                for field in ("body", "orelse", "finalbody"):
                    block = getattr(n, field, None)
                    for s in block if isinstance(block, list) else []:
                        if isinstance(s, ast.stmt) and not self.lines[s.lineno - 1][: s.col_offset].strip():
                            out.append(s)
        return sorted(set(out), key=lambda s: (s.lineno, s.col_offset))


def _string_lines(text: str) -> set[int]:
    """Lines inside multi-line string tokens (where whitespace edits would change a value)."""
    out: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            out.update(range(tok.start[0], tok.end[0] + 1))
    return out


def _names(src: _Src) -> set[str]:
    names = {n.id for n in ast.walk(src.tree) if isinstance(n, ast.Name)}
    names |= {n.arg for n in ast.walk(src.tree) if isinstance(n, ast.arg)}
    for n in ast.walk(src.tree):
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
    return names


def _import_index(src: _Src) -> tuple[int, int]:
    """Line indexes (0-based, end exclusive) of the leading import block."""
    imports = [n for n in src.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if not imports or imports[0] is not src.tree.body[0]:
        return 0, 0
    end = 0
    for n in src.tree.body:
        if not isinstance(n, (ast.Import, ast.ImportFrom)):
            break
        end = n.end_lineno or n.lineno
    return imports[0].lineno - 1, end


def inject_unused_import(src: _Src, rng: random.Random) -> str | None:
    names = _names(src)
    if rng.random() < 0.6:
        mod = rng.choice([m for m in _UNUSED_MODULES if m not in names] or [None])
        line = f"import {mod}\n" if mod else None
    else:
        pick = rng.choice([p for p in _UNUSED_FROM if p[1] not in names] or [None])
        line = f"from {pick[0]} import {pick[1]}\n" if pick else None
    if line is None:
        return None
    start, end = _import_index(src)
    if end == 0:
        return line + ("\n\n" if src.tree.body and not isinstance(src.tree.body[0], ast.Import) else "") + src.text
    return src.insert_line(rng.randint(start, end), line)


def inject_unsorted_imports(src: _Src, rng: random.Random) -> str | None:
    start, end = _import_index(src)
    singles = [
        i
        for i in range(start, end - 1)
        if src.lines[i].startswith(("import ", "from ")) and src.lines[i + 1].startswith(("import ", "from "))
    ]
    if not singles:
        return None
    i = rng.choice(singles)
    lines = list(src.lines)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return "".join(lines)


def inject_unused_variable(src: _Src, rng: random.Random) -> str | None:
    funcs = [f for f in src.funcs() if not any(isinstance(n, ast.Name) and n.id == "locals" for n in ast.walk(f))]
    if not funcs:
        return None
    f = rng.choice(funcs)
    used = _names(src)
    name = rng.choice([n for n in _VAR_NAMES if n not in used] or [None])
    if name is None:
        return None
    stmts = list(f.body)
    if stmts and (s0 := stmts[0]) and isinstance(s0, ast.Expr) and isinstance(s0.value, ast.Constant):
        stmts = stmts[1:]  # keep the docstring first
    if not stmts:
        return None
    stmt = rng.choice(stmts[:3])
    if src.lines[stmt.lineno - 1][: stmt.col_offset].strip():
        return None
    params = [a.arg for a in f.args.args if a.arg not in ("self", "cls")]
    values = ["None", "0", "[]", "{}", "''", "False"] + [f"len({p})" for p in params[:1]] + params[:2]
    indent = " " * stmt.col_offset
    return src.insert_line(stmt.lineno - 1, f"{indent}{name} = {rng.choice(values)}\n")


def _compares(src: _Src, ops: tuple[type, ...], right: Callable[[ast.expr], bool] | None = None) -> list[ast.Compare]:
    """Single-line comparisons with one operator of ``ops`` (and a right side ``right`` accepts)."""
    return [
        n
        for n in ast.walk(src.tree)
        if isinstance(n, ast.Compare)
        and len(n.ops) == 1
        and isinstance(n.ops[0], ops)
        and (right is None or right(n.comparators[0]))
        and src.segment(n) is not None
    ]


def inject_none_comparison(src: _Src, rng: random.Random) -> str | None:
    found = _compares(src, (ast.Is, ast.IsNot), lambda e: isinstance(e, ast.Constant) and e.value is None)
    if not found:
        return None
    n = rng.choice(found)
    left = src.segment(n.left)
    if left is None:
        return None
    return src.replace(n, f"{left} {'==' if isinstance(n.ops[0], ast.Is) else '!='} None")


def inject_bool_comparison(src: _Src, rng: random.Random) -> str | None:
    tests = [n.test for n in ast.walk(src.tree) if isinstance(n, (ast.If, ast.While))]
    simple = [t for t in tests if isinstance(t, (ast.Name, ast.Attribute)) and src.segment(t) is not None]
    negated = [
        t
        for t in tests
        if isinstance(t, ast.UnaryOp)
        and isinstance(t.op, ast.Not)
        and isinstance(t.operand, (ast.Name, ast.Attribute))
        and src.segment(t) is not None
    ]
    choices = [(t, f"{src.segment(t)} == True") for t in simple]
    choices += [(t, f"{src.segment(t.operand)} == False") for t in negated]  # type: ignore[attr-defined]
    if not choices:
        return None
    node, new = rng.choice(choices)
    return src.replace(node, new)


def _negate_compare(src: _Src, rng: random.Random, op: type, word: str) -> str | None:
    found = _compares(src, (op,))
    if not found:
        return None
    n = rng.choice(found)
    left, right = src.segment(n.left), src.segment(n.comparators[0])
    if left is None or right is None:
        return None
    return src.replace(n, f"not {left} {word} {right}")


def inject_not_in(src: _Src, rng: random.Random) -> str | None:
    return _negate_compare(src, rng, ast.NotIn, "in")


def inject_not_is(src: _Src, rng: random.Random) -> str | None:
    return _negate_compare(src, rng, ast.IsNot, "is")


def inject_bare_except(src: _Src, rng: random.Random) -> str | None:
    found = []
    last_handlers = [t.handlers[-1] for t in ast.walk(src.tree) if isinstance(t, ast.Try) and t.handlers]
    for h in last_handlers:  # a bare except must come last; ruff allows one that re-raises
        if h.type is None or h.type.end_lineno != h.lineno or any(isinstance(b, ast.Raise) for b in h.body):
            continue
        if h.name and any(isinstance(n, ast.Name) and n.id == h.name for b in h.body for n in ast.walk(b)):
            continue
        line = src.lines[h.lineno - 1]
        rest = line[h.type.end_col_offset :]
        if h.name:
            match = re.match(rf"\s*as\s+{h.name}\s*:", rest)
            if not match:
                continue
            rest = rest[match.end() - 1 :]
        if line[h.col_offset :].startswith("except ") and rest.lstrip().startswith(":"):
            found.append((h, line[: h.col_offset] + "except" + rest.lstrip()))
    if not found:
        return None
    h, new = rng.choice(found)
    lines = list(src.lines)
    lines[h.lineno - 1] = new
    return "".join(lines)


def inject_type_comparison(src: _Src, rng: random.Random) -> str | None:
    found = [
        n
        for n in ast.walk(src.tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "isinstance"
        and len(n.args) == 2
        and not n.keywords
        and isinstance(n.args[1], (ast.Name, ast.Attribute))
        and src.segment(n) is not None
    ]
    if not found:
        return None
    n = rng.choice(found)
    obj, cls = src.segment(n.args[0]), src.segment(n.args[1])
    if obj is None or cls is None:
        return None
    return src.replace(n, f"type({obj}) == {cls}")


def inject_ambiguous_name(src: _Src, rng: random.Random) -> str | None:
    if "l" in _names(src):
        return None
    found = []
    for f in src.funcs():
        nodes = list(ast.walk(f))
        if any(isinstance(n, (ast.JoinedStr, ast.Global, ast.Nonlocal)) for n in nodes):
            continue
        params = {a.arg for a in ast.walk(f.args) if isinstance(a, ast.arg)}
        for n in nodes:
            if isinstance(n, ast.For) and isinstance(n.target, ast.Name) and n.target.id not in params:
                found.append((f, n.target.id))
    if not found:
        return None
    f, old = rng.choice(found)
    names = [n for n in ast.walk(f) if isinstance(n, ast.Name) and n.id == old]
    lines = list(src.lines)
    for n in sorted(names, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        line = lines[n.lineno - 1]
        if line[n.col_offset : n.end_col_offset] != old:
            return None
        lines[n.lineno - 1] = line[: n.col_offset] + "l" + line[n.end_col_offset :]
    return "".join(lines)


def inject_fstring(src: _Src, rng: random.Random) -> str | None:
    found = []
    toks = list(tokenize.generate_tokens(io.StringIO(src.text).readline))
    for k, tok in enumerate(toks):
        s = tok.string
        if tok.type != tokenize.STRING or tok.start[0] != tok.end[0] or s[0] not in "'\"" or s[:3] in ("'''", '"""'):
            continue
        if "{" in s or "}" in s or "\\N" in s or (tok.start[0], tok.start[1]) in src.docstrings:
            continue
        if toks[k - 1].type == tokenize.STRING or toks[k + 1].type == tokenize.STRING:
            continue
        found.append(tok)
    if not found:
        return None
    tok = rng.choice(found)
    lines = list(src.lines)
    row, col = tok.start
    lines[row - 1] = lines[row - 1][:col] + "f" + lines[row - 1][col:]
    return "".join(lines)


def inject_trailing_whitespace(src: _Src, rng: random.Random) -> str | None:
    rows = sorted(
        {
            s.lineno
            for s in ast.walk(src.tree)
            if isinstance(s, ast.stmt) and s.lineno == s.end_lineno and s.lineno not in src.string_lines
        }
    )
    if not rows:
        return None
    row = rng.choice(rows)
    lines = list(src.lines)
    body = lines[row - 1].rstrip("\n")
    if "#" in body or body != body.rstrip():
        return None
    lines[row - 1] = body + " " * rng.randint(1, 3) + "\n"
    return "".join(lines)


def inject_whitespace_line(src: _Src, rng: random.Random) -> str | None:
    stmts = [s for s in src.body_statements() if s.lineno > 1]
    if not stmts:
        return None
    s = rng.choice(stmts)
    return src.insert_line(s.lineno - 1, " " * s.col_offset + "\n")


# name -> (injector, the rule it should trigger, weight)
INJECTORS: dict[str, tuple[Callable[[_Src, random.Random], str | None], str, float]] = {
    # Weights favour the injectors that rarely apply, so every rule shows up in the data.
    "unused_import": (inject_unused_import, "F401", 2.0),
    "unsorted_imports": (inject_unsorted_imports, "I001", 2.5),
    "unused_variable": (inject_unused_variable, "F841", 2.0),
    "none_comparison": (inject_none_comparison, "E711", 3.0),
    "bool_comparison": (inject_bool_comparison, "E712", 2.5),
    "not_in": (inject_not_in, "E713", 4.0),
    "not_is": (inject_not_is, "E714", 3.0),
    "bare_except": (inject_bare_except, "E722", 4.0),
    "type_comparison": (inject_type_comparison, "E721", 4.0),
    "ambiguous_name": (inject_ambiguous_name, "E741", 3.0),
    "fstring": (inject_fstring, "F541", 1.5),
    "trailing_whitespace": (inject_trailing_whitespace, "W291", 1.0),
    "whitespace_line": (inject_whitespace_line, "W293", 0.8),
}


def inject(text: str, rng: random.Random) -> tuple[str, list[str]]:
    """Inject 1-4 problems into ``text``; returns the new text and the rule codes expected."""
    want = rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
    names = list(INJECTORS)
    order: list[str] = []
    while names:  # weighted order without replacement
        pick = rng.choices(names, weights=[INJECTORS[n][2] for n in names])[0]
        order.append(pick)
        names.remove(pick)
    codes: list[str] = []
    src = _Src(text)
    for name in order:
        if len(codes) >= want:
            break
        fn, code, _ = INJECTORS[name]
        try:
            new = fn(src, rng)
            if new is None:
                continue
            src = _Src(new)  # parses: an injection that breaks the code is skipped
        except (SyntaxError, ValueError, tokenize.TokenError, IndexError):
            continue
        codes.append(code)
    return src.text, codes


# ---------------------------------------------------------------- trajectories


_WORK: dict[int, Path] = {}


def _work_dir() -> Path:
    """A scratch folder of this process (removed at exit)."""
    pid = os.getpid()
    if pid not in _WORK:
        path = Path(tempfile.mkdtemp(prefix="toolsmith-lint-"))
        atexit.register(shutil.rmtree, path, True)
        _WORK[pid] = path
    return _WORK[pid]


class Dropped(Exception):
    """An example that failed while recording or verifying."""


def summary_sentence(last: dict[str, Any]) -> str:
    """One line from the last run_linter response: what was fixed, what remains."""
    fixed = last["issues_fixed"]
    head = f"Fixed {fixed} lint issue{'s' if fixed != 1 else ''}"
    if not last["issues"]:
        return head + "; none remaining."
    rest = ", ".join(f"{i['code']} at line {i['line']}" for i in last["issues"])
    return f"{head}; {last['count']} remaining: {rest}."


def record(text: str, filename: str, symbol: str | None) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    """Run the scripted expert with the real tools on ``text``.

    Returns:
        The assistant/tool messages, the final file text and the submit_result arguments.
    """
    from toolsmith.lint.tools import apply_fix, run_linter, submit_result

    messages: list[dict[str, Any]] = []

    def call(fn: Callable[..., Any], **arguments: Any) -> Any:
        result = fn(**arguments)
        messages.append(
            {
                "role": "assistant",
                "tool_calls": [{"type": "function", "function": {"name": fn.__name__, "arguments": arguments}}],
            }
        )
        messages.append({"role": "tool", "name": fn.__name__, "content": result})
        return result

    path = _work_dir() / filename  # the sandbox copies it; one file at a time per process
    path.write_text(text, encoding="utf-8")
    try:
        with open_sandbox(path, symbol=symbol) as box:
            last = call(run_linter)
            fixes = 0
            while last.get("next"):
                if fixes >= MAX_FIXES:
                    raise Dropped(f"expected at most {MAX_FIXES} fixes, got more")
                try:
                    last = call(apply_fix, issue_code=last["next"]["code"], line_number=last["next"]["line"])
                except ValueError as e:
                    raise Dropped(str(e)) from None
                fixes += 1
            if fixes:
                last = call(run_linter)
            sentence = summary_sentence(last)
            submitted = {"summary": sentence, "issues_fixed": last["issues_fixed"], "issues_remaining": last["count"]}
            call(submit_result, **submitted)  # terminal: the runner stops here, so no text follows
            final = box.read()
    finally:
        path.unlink(missing_ok=True)
    return messages, final, submitted


@cache
def _agent() -> Any:
    from toolsmith.lint import TOOLS
    from toolsmith.shared.agent import AgentSpecError, load_agent

    try:
        return load_agent("lint", tools=TOOLS)
    except AgentSpecError:
        here = Path(__file__).resolve().parents[5] / "agents" / "lint" / "agent.yaml"
        if not here.is_file():
            raise
        return load_agent("lint", path=here, tools=TOOLS)


def make_example(snippet: Snippet, base: str, seed: int) -> tuple[dict[str, Any] | None, str]:
    """One example (without ``tools``) from ``snippet`` (``base`` is its file text), or None and why not.

    The second value is ``"ok"``, ``"skip:<why>"`` (not usable; not counted as a failure) or
    ``"drop:<why>"`` (recording or verification failed).
    """
    from toolsmith.lint.checks import check_episode
    from toolsmith.lint.tools import lint_text, scoped

    rng = random.Random(f"{seed}:{snippet.source}")
    symbol = snippet.symbol if rng.random() < SYMBOL_SHARE else None
    text, injected = inject(base, rng)
    if not injected:
        return None, "skip:nothing injected"
    issues = lint_text(text, snippet.filename)
    if not set(injected) <= {i.code for i in issues}:
        return None, "skip:injection not reported"
    if len(issues) - len(injected) > MAX_PREEXISTING:  # about the issues the code had already
        return None, "skip:preexisting"
    issues = scoped(issues, text, symbol)
    if not 1 <= len(issues) <= MAX_ISSUES:
        return None, "skip:issue count"
    try:
        tail, final, submitted = record(text, snippet.filename, symbol)
    except (Dropped, subprocess.TimeoutExpired, RuntimeError) as e:
        return None, f"drop:{e}"
    verdict = check_episode(text, final, submitted, symbol=symbol, filename=snippet.filename)
    if not verdict["success"]:
        return None, f"drop:{verdict['reason']}"
    agent = _agent()
    row = {
        "messages": agent.first_messages(path=snippet.filename, code=text, symbol=symbol) + tail,
        "meta": {
            "source": snippet.source,
            "filename": snippet.filename,
            "symbol": symbol,
            "original": text,
            "codes": [i.code for i in issues],
            "injected": sorted(injected),
        },
    }
    return row, "ok"


# ---------------------------------------------------------------- the data set


def split_modules(rng: random.Random) -> tuple[list[str], list[str]]:
    """Train and eval modules: a shuffled :data:`EVAL_SHARE` of the stdlib modules is eval only."""
    modules = [m for m, _ in module_files()]
    rng.shuffle(modules)
    n_eval = max(1, round(len(modules) * EVAL_SHARE))
    return sorted(modules[n_eval:]), sorted(modules[:n_eval])


def candidates(modules: list[str], rng: random.Random, per_round: int = 2) -> Iterator[Snippet]:
    """Snippets of ``modules`` in a seeded order: rounds over shuffled modules, a few random snippets each.

    Modules are parsed on first use, so small data sets touch few files.
    """
    paths = dict(module_files())
    order = list(modules)
    rng.shuffle(order)
    left: dict[str, list[Snippet]] = {}
    while order:
        again = []
        for m in order:
            if m not in left:
                left[m] = list(snippets_of(m, paths[m]))
                rng.shuffle(left[m])
            take, left[m] = left[m][:per_round], left[m][per_round:]
            yield from take
            if left[m]:
                again.append(m)
        order = again


def _make(job: tuple[Snippet, str, int]) -> tuple[dict[str, Any] | None, str]:
    return make_example(*job)


def _fill(pool: Iterator[Snippet], want: int, seed: int, stats: Counter, executor: Any) -> list[dict[str, Any]]:
    """Examples from ``pool`` in order until ``want``; candidates run in chunks (in parallel with ``executor``)."""
    rows: list[dict[str, Any]] = []
    while len(rows) < want:
        part = list(itertools.islice(pool, min(48, 4 + 2 * (want - len(rows)))))
        if not part:
            break
        jobs = [(s, b, seed) for s, b in zip(part, base_texts(part), strict=True)]
        for row, status in executor.map(_make, jobs, chunksize=4) if executor else map(_make, jobs):
            kind, _, why = status.partition(":")
            stats[kind] += 1
            if kind != "ok":
                stats[f"{kind}_reason:{why[:60]}"] += 1
            if row is not None:
                rows.append(row)
                if len(rows) >= want:
                    break
    return rows


def _executor(count: int) -> Any:
    """A process pool for big runs (results keep candidate order, so output does not depend on it)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(4, os.cpu_count() or 1)
    if count < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    _agent()  # loaded once, inherited by the workers
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def generate(out_dir: Path, count: int, seed: int) -> dict[str, Any]:
    """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir``.

    Args:
        out_dir: Output folder (created).
        count: Examples in all (about 10% go to eval, from stdlib modules train never sees).
        seed: Same seed, same bytes.

    Returns:
        The summary (also written to ``summary.json``), plus ``seconds``.
    """
    if count < 1:
        raise ValueError(f"expected count >= 1, got {count}")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    train_mods, eval_mods = split_modules(rng)
    n_eval = round(count * EVAL_SHARE) if count >= 2 else 0
    n_eval = max(n_eval, 1) if count >= 2 else 0
    stats: Counter = Counter()
    splits: dict[str, list[dict[str, Any]]] = {}
    executor = _executor(count)
    try:
        for name, mods, want in (("train", train_mods, count - n_eval), ("eval", eval_mods, n_eval)):
            splits[name] = _fill(candidates(mods, rng), want, seed, stats, executor) if want else []
    finally:
        if executor:
            executor.shutdown(cancel_futures=True)
    schemas = _agent().schemas
    for rows in splits.values():
        for row in rows:
            row["tools"] = schemas
    write_examples(out_dir / TRAIN_FILE, splits["train"])
    write_examples(out_dir / EVAL_FILE, splits["eval"])
    summary = _summary(splits, stats, seed, count)
    atomic_write_text(out_dir / SUMMARY_FILE, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return {**summary, "seconds": round(time.perf_counter() - t0, 2)}


def _summary(splits: dict[str, list[dict[str, Any]]], stats: Counter, seed: int, count: int) -> dict[str, Any]:
    tools: Counter = Counter()
    codes: Counter = Counter()
    injected: Counter = Counter()
    remaining = 0
    for rows in splits.values():
        for row in rows:
            for m in row["messages"]:
                for c in m.get("tool_calls") or []:
                    tools[c["function"]["name"]] += 1
            codes.update(row["meta"]["codes"])
            injected.update(row["meta"]["injected"])
            submitted = row["messages"][-2]["tool_calls"][0]["function"]["arguments"]
            remaining += submitted["issues_remaining"] > 0

    def reasons(kind: str) -> dict[str, int]:
        return {k.split(":", 1)[1]: v for k, v in sorted(stats.items()) if k.startswith(f"{kind}_reason:")}

    return {
        "domain": "lint",
        "seed": seed,
        "requested": count,
        "examples": {"train": len(splits["train"]), "eval": len(splits["eval"])},
        "with_remaining_issues": remaining,
        "symbol_examples": sum(r["meta"]["symbol"] is not None for rows in splits.values() for r in rows),
        "tool_calls": dict(sorted(tools.items())),
        "violation_codes": dict(sorted(codes.items())),
        "injected_codes": dict(sorted(injected.items())),
        "candidates": stats["ok"] + stats["skip"] + stats["drop"],
        "skipped": stats["skip"],
        "skip_reasons": reasons("skip"),
        "dropped": stats["drop"],
        "drop_reasons": reasons("drop"),
        "source_modules": {
            name: sorted({r["meta"]["source"].split(":")[0] for r in rows}) for name, rows in splits.items()
        },
        "python": sys.version.split()[0],
    }
