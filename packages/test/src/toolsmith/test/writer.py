"""The test file: pytest tests that pin observed behaviour, appended one at a time, always valid Python.

A pinned call becomes ``assert f(ARGS) == REPR`` (``is`` for None/True/False, ``list(f(ARGS))`` for a
generator) or ``with pytest.raises(Type): f(ARGS)``. The function is imported the way the project imports
it (:mod:`toolsmith.test.layout`); imports the test needs (pytest, Decimal, the exception) are added when
missing. The calls already pinned in a file are read back with :func:`pinned_calls`: the file is the state.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from toolsmith.test.values import IMPORTS, constructors_in, parse_arguments, parse_value


@dataclass(frozen=True)
class Pinned:
    """One observed call to pin.

    Attributes:
        arguments: The call's argument source (checked by :func:`toolsmith.test.values.parse_arguments`).
        outcome: ``return`` or ``raise``.
        result: The result's repr (``return``).
        wrap: ``list`` when the function returned a generator (the test consumes it), else "".
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
    if p.outcome == "raise":
        return f"    with pytest.raises({p.exception}):\n        {call}\n"
    if p.wrap == "list":
        call = f"list({call})"
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
        text = f'"""Tests for `{module}.{func}`: each pins one observed behaviour."""\n'
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise ValueError(f"expected {filename} to be valid Python, got a syntax error at line {e.lineno}") from None
    missing = [line for line in _imports_needed(pinned, module, func) if not _has_import(tree, line)]
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if missing:
        heads = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
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
