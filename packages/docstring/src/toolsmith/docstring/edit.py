"""Insert or replace one docstring with a concrete-syntax-tree edit (libcst): nothing else changes.

The docstring is written as a triple-double-quoted string at the body's own indentation (spaces or tabs,
as the file has them) with the file's newlines; raw (``r`` prefix) when its text has a backslash (or the
old one was raw). Comments, blank lines, decorators, nested functions and every other byte of the file are
libcst's round trip of the original. A one-line body (``def f(x): return x``) becomes an indented
block: the docstring needs its own line.
"""

from __future__ import annotations

import ast
import inspect

import libcst as cst

from toolsmith.docstring.source import Def, find, parse

_DEFS = (cst.FunctionDef, cst.ClassDef)


def literal(lines: list[str], indent: str, newline: str, raw: bool) -> str:
    """The string literal of a docstring.

    Args:
        lines: The docstring's lines, unindented ("" for blank lines).
        indent: The body's indentation.
        newline: The file's newline.
        raw: Whether to write a raw string (it is raw anyway when the text has a backslash).

    Returns:
        The literal: one line for one line of text, else closing quotes on their own line.

    Raises:
        ValueError: The text cannot be written as a docstring literal.
    """
    text = "\n".join(lines)
    if '"""' in text or text.endswith(('"', "\\")) or text.startswith((" ", '"')):
        raise ValueError(f"expected docstring text that fits in triple quotes, got {text[:60]!r}")
    prefix = "r" if raw or "\\" in text else ""
    if len(lines) == 1:
        return f'{prefix}"""{lines[0]}"""'
    body = newline.join(indent + line if line else "" for line in lines[1:])
    return f'{prefix}"""{lines[0]}{newline}{body}{newline}{indent}"""'


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    if not (isinstance(stmt, cst.SimpleStatementLine) and stmt.body and isinstance(stmt.body[0], cst.Expr)):
        return False
    value = stmt.body[0].value
    if isinstance(value, cst.SimpleString):
        return "b" not in value.prefix.lower()
    if isinstance(value, cst.ConcatenatedString):
        return all(isinstance(s, cst.SimpleString) and "b" not in s.prefix.lower() for s in (value.left, value.right))
    return False


def _raw(stmt: cst.SimpleStatementLine) -> bool:
    value = stmt.body[0].value  # type: ignore[union-attr]
    return isinstance(value, cst.SimpleString) and "r" in value.prefix.lower()


class _Setter(cst.CSTTransformer):
    """Sets the docstring of the definition at ``path``, leaving the first ``skip`` definitions there alone."""

    def __init__(self, path: list[str], lines: list[str] | None, module: cst.Module, skip: int):
        self.path = path
        self.lines = lines
        self.module = module
        self.skip = skip
        self.stack: list[cst.FunctionDef | cst.ClassDef] = []
        self.indents: list[str] = [""]  # absolute indentation of each open body
        self.done = False

    def _matches(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        names = [n.name.value for n in self.stack] + [node.name.value]
        if names != self.path or not all(isinstance(n, cst.ClassDef) for n in self.stack):
            return False
        if self.skip:
            self.skip -= 1
            return False
        return True

    def _enter(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        self.stack.append(node)
        body = node.body
        step = body.indent if isinstance(body, cst.IndentedBlock) else None
        self.indents.append(self.indents[-1] + (step if step is not None else self.module.default_indent))
        return isinstance(node, cst.ClassDef) and len(self.stack) < len(self.path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self._enter(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return self._enter(node)

    def _leave(self, original: cst.FunctionDef | cst.ClassDef, updated: cst.FunctionDef | cst.ClassDef):
        indent = self.indents.pop()
        self.stack.pop()
        if self.done or not self._matches(original):
            return updated
        self.done = True
        body = updated.body
        newline = self.module.default_newline
        if self.lines is None:  # remove
            if isinstance(body, cst.IndentedBlock) and body.body and _is_docstring(body.body[0]):
                rest = list(body.body[1:]) or [cst.SimpleStatementLine(body=[cst.Expr(cst.Ellipsis())])]
                return updated.with_changes(body=body.with_changes(body=rest))
            return updated
        if isinstance(body, cst.SimpleStatementSuite):  # def f(x): return x
            doc = cst.SimpleStatementLine(
                body=[cst.Expr(cst.SimpleString(literal(self.lines, indent, newline, False)))]
            )
            block = cst.IndentedBlock(
                body=[doc, cst.SimpleStatementLine(body=body.body)], header=body.trailing_whitespace
            )
            return updated.with_changes(body=block)
        first = body.body[0] if body.body else None
        if first is not None and _is_docstring(first):
            text = literal(self.lines, indent, newline, _raw(first))
            expr = first.body[0].with_changes(value=cst.SimpleString(text))
            new_first = first.with_changes(body=[expr, *first.body[1:]])
            return updated.with_changes(body=body.with_changes(body=[new_first, *body.body[1:]]))
        doc = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(literal(self.lines, indent, newline, False)))])
        return updated.with_changes(body=body.with_changes(body=[doc, *body.body]))

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        return self._leave(original, updated)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        return self._leave(original, updated)


def _same_path(tree: ast.Module, path: list[str]) -> int:
    """How many definitions share ``path`` (``find`` takes the last one: it is the one that binds)."""
    body: list[ast.stmt] = tree.body
    for part in path[:-1]:
        body = [n for n in body if isinstance(n, ast.ClassDef) and n.name == part][-1].body
    return sum(isinstance(n, Def) and n.name == path[-1] for n in body)


def set_docstring(text: str, symbol: str, lines: list[str]) -> str:
    """``text`` with the docstring of ``symbol`` set to ``lines``.

    Args:
        text: The module's source (any newlines, spaces or tabs).
        symbol: ``name`` or ``Class.method``.
        lines: The docstring's lines, unindented (from :func:`toolsmith.docstring.render.render`).

    Returns:
        The new source: identical but for that one docstring.

    Raises:
        ValueError: The file does not parse, has no such symbol, or the text cannot be a docstring.
        RuntimeError: The edit did not set that docstring (a bug).
    """
    tree = parse(text)
    find(tree, symbol)
    path = symbol.split(".")
    module = cst.parse_module(text)
    new = module.visit(_Setter(path, lines, module, skip=_same_path(tree, path) - 1)).code
    node, _ = find(parse(new, "the edited file"), symbol)
    if ast.get_docstring(node) != inspect.cleandoc("\n".join(lines)):
        raise RuntimeError(f"expected the docstring of `{symbol}` to be set, got {ast.get_docstring(node)!r}")
    return new


def remove_docstring(text: str, symbol: str) -> str:
    """``text`` without the docstring of ``symbol`` (a body left empty gets ``...``); used to make cases.

    Args:
        text: The module's source.
        symbol: ``name`` or ``Class.method``.

    Returns:
        The new source (the same when the symbol has no docstring).
    """
    tree = parse(text)
    find(tree, symbol)
    path = symbol.split(".")
    module = cst.parse_module(text)
    return module.visit(_Setter(path, None, module, skip=_same_path(tree, path) - 1)).code
