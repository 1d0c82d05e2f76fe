"""Realistic lint problems injected into clean code, deterministically (``random.Random``).

Unused import and variable, ``== None``, ``== True``, ``not x in y``, ``not x is y``, bare ``except:``,
``type(x) == T``, an ambiguous loop variable ``l``, an unused loop index, an f-string without placeholders,
unsorted imports, trailing whitespace, a whitespace-only line. Each injector returns the new text, or None when
the code offers no place for it; an injection that breaks the code is skipped.
"""

from __future__ import annotations

import ast
import io
import random
import re
import tokenize
from collections.abc import Callable

from toolsmith.lint.loopvar import suggest_dummy
from toolsmith.lint.rename import AMBIGUOUS
from toolsmith.lint.rewrite import DUMMIED
from toolsmith.lint.tools import UNFIXABLE_RULES

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


class Source:
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


def _names(src: Source) -> set[str]:
    names = {n.id for n in ast.walk(src.tree) if isinstance(n, ast.Name)}
    names |= {n.arg for n in ast.walk(src.tree) if isinstance(n, ast.arg)}
    for n in ast.walk(src.tree):
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
    return names


def _import_index(src: Source) -> tuple[int, int]:
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


def inject_unused_import(src: Source, rng: random.Random) -> str | None:
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


def inject_unsorted_imports(src: Source, rng: random.Random) -> str | None:
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


def inject_unused_variable(src: Source, rng: random.Random) -> str | None:
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


def _compares(src: Source, ops: tuple[type, ...], right: Callable[[ast.expr], bool] | None = None) -> list[ast.Compare]:
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


def inject_none_comparison(src: Source, rng: random.Random) -> str | None:
    found = _compares(src, (ast.Is, ast.IsNot), lambda e: isinstance(e, ast.Constant) and e.value is None)
    if not found:
        return None
    n = rng.choice(found)
    left = src.segment(n.left)
    if left is None:
        return None
    return src.replace(n, f"{left} {'==' if isinstance(n.ops[0], ast.Is) else '!='} None")


def inject_bool_comparison(src: Source, rng: random.Random) -> str | None:
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


def _negate_compare(src: Source, rng: random.Random, op: type, word: str) -> str | None:
    found = _compares(src, (op,))
    if not found:
        return None
    n = rng.choice(found)
    left, right = src.segment(n.left), src.segment(n.comparators[0])
    if left is None or right is None:
        return None
    return src.replace(n, f"not {left} {word} {right}")


def inject_not_in(src: Source, rng: random.Random) -> str | None:
    return _negate_compare(src, rng, ast.NotIn, "in")


def inject_not_is(src: Source, rng: random.Random) -> str | None:
    return _negate_compare(src, rng, ast.IsNot, "is")


def inject_bare_except(src: Source, rng: random.Random) -> str | None:
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


def inject_type_comparison(src: Source, rng: random.Random) -> str | None:
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


def inject_raise_without_from(src: Source, rng: random.Random) -> str | None:
    """``raise X(...) from err`` (or ``from None``) on one line loses its ``from`` (B904 when inside ``except``)."""
    found = [
        n
        for n in ast.walk(src.tree)
        if isinstance(n, ast.Raise)
        and n.exc is not None
        and n.cause is not None
        and n.lineno == n.end_lineno == n.exc.end_lineno
    ]
    if not found:
        return None
    n = rng.choice(found)
    i = n.lineno - 1
    line = src.lines[i]
    lines = list(src.lines)
    lines[i] = line[: n.exc.end_col_offset] + line[n.end_col_offset :]  # type: ignore[index]
    return "".join(lines)


_RAISED = ("ValueError", "TypeError", "RuntimeError", "LookupError", "OSError")


def inject_raise_in_except(src: Source, rng: random.Random) -> str | None:
    """A ``raise X("...")`` as the first statement of a typed ``except`` clause (B904)."""
    found = [
        h
        for h in ast.walk(src.tree)
        if isinstance(h, ast.ExceptHandler)
        and h.type is not None
        and h.body[0].lineno > h.lineno
        and h.body[0].lineno not in src.string_lines
        and not any(isinstance(n, ast.Raise) for b in h.body for n in ast.walk(b))
    ]
    if not found:
        return None
    h = rng.choice(found)
    first = h.body[0]
    words = rng.choice(("invalid value", "cannot read", "unexpected input", "lookup failed", "bad argument"))
    return src.insert_line(first.lineno - 1, " " * first.col_offset + f"raise {rng.choice(_RAISED)}({words!r})\n")


def inject_ambiguous_name(src: Source, rng: random.Random) -> str | None:
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


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of a function's own body: not those of a function, lambda or class inside it."""
    out: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return sorted((n for n in out if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset))


def _later_names(nodes: list[ast.AST], after: int) -> set[str]:
    """Names bound after line ``after`` (by a ``for`` or an assignment to one name) and read after that binding."""
    bound = {}
    for n in nodes:
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name) and n.lineno > after:
            bound.setdefault(n.target.id, n.lineno)
        elif (
            isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)
            and n.lineno > after
        ):
            bound.setdefault(n.targets[0].id, n.lineno)
    last_read: dict[str, int] = {}
    for n in nodes:
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            last_read[n.id] = max(last_read.get(n.id, 0), n.lineno)
    return {name for name, line in bound.items() if last_read.get(name, 0) >= line}


def inject_unused_index(src: Source, rng: random.Random) -> str | None:
    """``for x in xs:`` becomes ``for i, x in enumerate(xs):`` with an index the body never reads, named like a name the
    function binds later and reads (a later loop's variable, an assignment's name): B007 that ruff cannot fix, since
    a later binding of the name is read; the ``rewrite`` tool renames this one to ``_i`` when no read can see it,
    which is checked here."""
    found = []
    for f in src.funcs():
        nodes = _own_nodes(f)
        for first in (n for n in nodes if isinstance(n, ast.For) and isinstance(n.target, ast.Name)):
            iterated = src.segment(first.iter)
            if first.iter.lineno != first.lineno or iterated is None or iterated.startswith("enumerate("):
                continue
            seen = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
            later = _later_names(nodes, first.end_lineno or first.lineno) - seen - AMBIGUOUS
            found.extend((first, iterated, name) for name in sorted(later) if not name.startswith("_"))
    for first, iterated, index in rng.sample(found, len(found)):
        target, line = first.target, src.lines[first.lineno - 1]
        lines = list(src.lines)
        lines[first.lineno - 1] = (
            line[: target.col_offset]
            + f"{index}, {target.id} in enumerate({iterated})"
            + line[first.iter.end_col_offset :]  # type: ignore[attr-defined]
        )
        new = "".join(lines)
        if suggest_dummy(new, first.lineno) is not None:
            return new
    return None


def inject_fstring(src: Source, rng: random.Random) -> str | None:
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


def inject_trailing_whitespace(src: Source, rng: random.Random) -> str | None:
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


def inject_whitespace_line(src: Source, rng: random.Random) -> str | None:
    stmts = [s for s in src.body_statements() if s.lineno > 1]
    if not stmts:
        return None
    s = rng.choice(stmts)
    return src.insert_line(s.lineno - 1, " " * s.col_offset + "\n")


# name -> (injector, the rule it should trigger, weight)
INJECTORS: dict[str, tuple[Callable[[Source, random.Random], str | None], str, float]] = {
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
    "raise_without_from": (inject_raise_without_from, "B904", 4.0),
    "raise_in_except": (inject_raise_in_except, "B904", 2.0),
    "ambiguous_name": (inject_ambiguous_name, "E741", 3.0),
    "unused_index": (inject_unused_index, "B007", 10.0),  # applies to few snippets (two bindings of a name)
    "fstring": (inject_fstring, "F541", 1.5),
    "trailing_whitespace": (inject_trailing_whitespace, "W291", 1.0),
    "whitespace_line": (inject_whitespace_line, "W293", 0.8),
}
# The codes injected where ruff has no fix: the rules it never fixes, and B007 (see inject_unused_index)
NO_FIX_CODES = tuple(sorted({code for _, code, _ in INJECTORS.values()} & (UNFIXABLE_RULES | {DUMMIED})))


def inject(
    text: str, rng: random.Random, rules: tuple[str, ...] | None = None, repeat_share: float = 0.0
) -> tuple[str, list[str]]:
    """Inject 1-4 problems into ``text`` (only of ``rules`` when given); with probability ``repeat_share`` the
    first rule picked is injected 2-3 times (a file with several issues of one code, as real files have). Returns
    the new text and the rule codes expected."""
    want = rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
    names = [n for n, (_, code, _) in INJECTORS.items() if rules is None or code in rules]
    order: list[str] = []
    while names:  # weighted order without replacement
        pick = rng.choices(names, weights=[INJECTORS[n][2] for n in names])[0]
        order.append(pick)
        names.remove(pick)
    if order and repeat_share and rng.random() < repeat_share:
        times = rng.randint(2, 3)
        order = [order[0]] * times + order[1:]
        want = max(want, times)
    codes: list[str] = []
    src = Source(text)
    for name in order:
        if len(codes) >= want:
            break
        fn, code, _ = INJECTORS[name]
        try:
            new = fn(src, rng)
            if new is None:
                continue
            src = Source(new)  # parses: an injection that breaks the code is skipped
        except (SyntaxError, ValueError, tokenize.TokenError, IndexError):
            continue
        codes.append(code)
    return src.text, codes
