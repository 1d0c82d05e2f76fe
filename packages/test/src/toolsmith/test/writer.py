"""The test file: pytest tests that pin observed behaviour, appended one at a time, always valid Python.

A pinned call becomes ``assert f(ARGS) == REPR`` (``is`` for None/True/False, ``list(f(ARGS))`` for a
generator) or ``with pytest.raises(Type): f(ARGS)``. The function is imported the way the project imports
it (:mod:`toolsmith.test.layout`); imports the test needs (pytest, Decimal, the exception) are added when
missing. The calls already pinned in a file are read back with :func:`pinned_calls`: the file is the state.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass

from toolsmith.test.values import IMPORTS, constructors_in, parse_arguments, parse_value


@dataclass(frozen=True)
class Pinned:
    """One observed call to pin.

    Attributes:
        arguments: The call's argument source (checked by :func:`toolsmith.test.values.parse_arguments`).
        outcome: ``return`` or ``raise``.
        result: The result's repr (``return``).
        wrap: ``list`` when the function returned a generator (the test consumes it, also when consuming it
            raises), else "".
        identity: Compare with ``is`` (the result is None, True or False).
        exception: The exception's name (``raise``), as imported from ``exception_module`` ("" for builtins).
        exception_module: The module to import it from, "" for a builtin.
    """

    arguments: str
    outcome: str
    result: str = ""
    wrap: str = ""
    identity: bool = False
    exception: str = ""
    exception_module: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in ("return", "raise"):
            raise ValueError(f"expected outcome 'return' or 'raise', got {self.outcome!r}")
        parse_arguments(self.arguments)
        if self.outcome == "return":
            parse_value(self.result)
        elif not self.exception.isidentifier():
            raise ValueError(f"expected an exception name, got {self.exception!r}")


def _imports_needed(p: Pinned, module: str, func: str) -> list[str]:
    lines = [f"from {module} import {func}"]
    names = parse_arguments(p.arguments).constructors()
    if p.outcome == "return":
        names |= constructors_in(parse_value(p.result))
    else:
        lines.insert(0, "import pytest")
        if p.exception_module:
            lines.append(f"from {p.exception_module} import {p.exception}")
    lines += [IMPORTS[n] for n in sorted(names) if n in IMPORTS]
    return lines


_HEADER = '"""Tests for `{module}.{func}`: each pins one observed behaviour."""\n'


def _imports_only(tree: ast.Module, heads: list[ast.stmt], text: str) -> bool:
    """The imports come right after the docstring with only blank lines between them, none renamed."""
    body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) else tree.body
    taken = {n for h in heads for n in range(h.lineno, (h.end_lineno or h.lineno) + 1)}
    lines = text.splitlines()
    span = range(heads[0].lineno, max(taken) + 1)
    return (
        body[: len(heads)] == heads
        and all(n in taken or not lines[n - 1].strip() for n in span)
        and all(not a.asname for n in heads for a in n.names)  # type: ignore[attr-defined]
        and all(getattr(n, "level", 0) == 0 for n in heads)
    )


def _one_line(node: ast.stmt, name: str) -> str:
    if isinstance(node, ast.ImportFrom):
        return f"from {node.module} import {name}"
    return f"import {name}"


def _sorted_imports(lines: list[str], own: str) -> str:
    """Import lines merged and ordered as ruff's isort does: stdlib, third party, the project; blank lines between."""
    plain: dict[int, set[str]] = {}
    froms: dict[int, dict[str, set[str]]] = {}
    for line in lines:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.Import):
            name = node.names[0].name
            plain.setdefault(_section(name, own), set()).add(name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            froms.setdefault(_section(node.module, own), {}).setdefault(node.module, set()).add(node.names[0].name)
    blocks = []
    for section in sorted(set(plain) | set(froms)):
        out = [f"import {m}" for m in sorted(plain.get(section, ()))]
        for m, names in sorted(froms.get(section, {}).items()):
            out.append(f"from {m} import " + ", ".join(sorted(names, key=_by_type)))
        blocks.append("\n".join(out) + "\n")
    return "\n".join(blocks)


def _section(module: str, own: str) -> int:
    top = module.split(".")[0]
    if top == own.split(".")[0]:
        return 2
    return 0 if top in sys.stdlib_module_names else 1


def _by_type(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, Classes, functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name


def _has_import(tree: ast.Module, line: str) -> bool:
    want = ast.parse(line).body[0]
    if isinstance(want, ast.Import):
        name = want.names[0].name
        return any(
            isinstance(n, ast.Import) and any(a.name == name and not a.asname for a in n.names) for n in tree.body
        )
    assert isinstance(want, ast.ImportFrom)
    name = want.names[0].name
    return any(
        isinstance(n, ast.ImportFrom)
        and n.module == want.module
        and n.level == 0
        and any(a.name == name and not a.asname for a in n.names)
        for n in tree.body
    )


def _body(p: Pinned, func: str) -> str:
    call = f"{func}({p.arguments})"
    if p.wrap == "list":
        call = f"list({call})"
    if p.outcome == "raise":
        return f"    with pytest.raises({p.exception}):\n        {call}\n"
    op = "is" if p.identity else "=="
    return f"    assert {call} {op} {p.result}\n"


def _test_name(tree: ast.Module, func: str) -> str:
    taken = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    pattern = re.compile(rf"test_{re.escape(func)}_(\d+)$")
    numbers = [int(m.group(1)) for t in taken if (m := pattern.match(t))]
    k = max(numbers, default=0) + 1
    while f"test_{func}_{k}" in taken:
        k += 1
    return f"test_{func}_{k}"


def add_test(text: str | None, module: str, func: str, pinned: Pinned, filename: str = "test file") -> tuple[str, str]:
    """Append one test pinning ``pinned`` to a test file's text (None: a new file).

    Args:
        text: The test file's current text, or None when it does not exist yet.
        module: The dotted module the function is imported from.
        func: The function's name.
        pinned: The observed call.
        filename: The file's name, for error messages.

    Returns:
        ``(new text, test name)``.

    Raises:
        ValueError: The existing file is not valid Python.
    """
    if text is None or not text.strip():
        text = _HEADER.format(module=module, func=func)
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise ValueError(f"expected {filename} to be valid Python, got a syntax error at line {e.lineno}") from None
    missing = [line for line in _imports_needed(pinned, module, func) if not _has_import(tree, line)]
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    own = text.startswith(_HEADER.format(module=module, func=func))
    heads = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if missing and own and heads and _imports_only(tree, heads, text):
        # a file this writer made: its import block is re-sorted (ruff's isort order) with the new lines
        start, end = heads[0].lineno, max(n.end_lineno or n.lineno for n in heads)
        block = [_one_line(n, a.name) for n in heads for a in n.names] + missing  # type: ignore[attr-defined]
        lines[start - 1 : end] = [_sorted_imports(block, module)]
    elif missing and own and not heads:
        at = tree.body[0].end_lineno or 1
        lines[at:at] = ["\n", _sorted_imports(missing, module)]
    elif missing:
        docstring = (
            tree.body[0]
            if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
            else None
        )
        if heads:
            at = max(n.end_lineno or n.lineno for n in heads)
            block = [f"{m}\n" for m in missing]
        elif docstring is not None:
            at = docstring.end_lineno or docstring.lineno
            block = ["\n", *(f"{m}\n" for m in missing)]
        else:
            at = 0
            block = [*(f"{m}\n" for m in missing), "\n"]
        lines[at:at] = block
    name = _test_name(tree, func)
    while lines and not lines[-1].strip():
        lines.pop()
    new = "".join(lines) + f"\n\ndef {name}():\n" + _body(pinned, func)
    ast.parse(new)  # never hand back a file that does not parse
    return new, name


def pinned_calls(text: str | None, func: str) -> list[str]:
    """The argument sources of the calls of ``func`` in a test file (file order, repeats dropped).

    Calls whose arguments are not safe values are skipped (they are not the agent's).
    """
    if not text:
        return []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    out: dict[str, None] = {}
    calls = [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func
    ]
    for call in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        parts = [ast.unparse(a) for a in call.args] + [
            f"{k.arg}={ast.unparse(k.value)}" if k.arg else f"**{ast.unparse(k.value)}" for k in call.keywords
        ]
        try:
            out.setdefault(parse_arguments(", ".join(parts)).source)
        except ValueError:
            continue
    return list(out)
