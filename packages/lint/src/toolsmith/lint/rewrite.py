"""Rewrites for issues ruff has no fix for: the model chooses what to write, these functions change the text.

Each rewrite changes one statement and says which lines it may touch;
:func:`toolsmith.lint.tools.rewrite` then checks the result with ruff (the issue gone, no new one) before keeping it.

- ``E722`` bare ``except:``: ``replacement`` is the exception class to catch (``except Exception:``): a builtin
  exception or a name the module imports or defines (ruff's rules here do not see an undefined name).
- ``E721`` ``type(x) == T``: ``replacement`` is ``is`` (``==`` becomes ``is``, ``!=`` becomes ``is not``, and
  ``not type(x) == T`` becomes ``type(x) is not T``: the same test, exactly; ``isinstance`` would also accept
  subclasses).
- ``B904`` ``raise X`` inside ``except``: ``replacement`` is ``err`` (chain the caught exception: ``raise X from err``,
  with the name the ``except`` clause binds, or ``as err`` added when it binds none) or ``None`` (``from None``).
- ``E741`` ambiguous variable name (``l``, ``O``, ``I``): ``replacement`` is the variable's new name, renamed
  everywhere in its scope (:mod:`toolsmith.lint.rename`); the tools offer one per variable (:func:`replacement`).
- ``B007`` unused loop variable where ruff has no fix: ``replacement`` is a dummy name (``_i``) for the loop's own
  binding, renamed only when no other read can see this loop's value (:mod:`toolsmith.lint.loopvar`); the tools
  offer one per variable.

Every function here raises ``ValueError`` ("expected X, got Y") when the issue is not one it can rewrite.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

from toolsmith.lint.loopvar import rename_loop_variable, suggest_dummy
from toolsmith.lint.rename import rename_local, suggest_name

CHAIN = "err"  # B904: the replacement that chains the caught exception
# The rules rewritten with one replacement each: what the tools offer in ``next`` (after a dry run) to copy.
REPLACEMENTS: dict[str, str] = {"B904": CHAIN, "E721": "is", "E722": "Exception"}
RENAMED = "E741"  # rewritten with a name per variable, which the tools offer in ``next``
DUMMIED = "B007"  # rewritten with a dummy name per loop variable, which the tools offer in ``next``
PER_VARIABLE = frozenset({RENAMED, DUMMIED})  # a replacement is one variable's: one issue a ``rewrite`` call
REWRITTEN = frozenset({*REPLACEMENTS, *PER_VARIABLE})  # every rule ``rewrite`` fixes
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Rewrite:
    """A rewritten file.

    Attributes:
        text: The new text.
        lines: The lines (1-based) the rewrite may change; every other line must stay as it was.
    """

    text: str
    lines: frozenset[int]


class _Text:
    """Edits on a text by ``ast`` positions (1-based lines, UTF-8 byte columns)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for x in self.lines:
            self.starts.append(self.starts[-1] + len(x))

    def offset(self, line: int, col: int) -> int:
        """Character offset in the text of ``ast``'s (line, byte column)."""
        return self.starts[line - 1] + len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8", errors="replace"))

    def apply(self, edits: list[tuple[int, int, str]]) -> str:
        """The text with each ``(start, end, new)`` character span replaced, last first."""
        text = self.text
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        return text


def _nodes_at(tree: ast.AST, line: int, kind: type | tuple[type, ...]) -> list:
    return [n for n in ast.walk(tree) if isinstance(n, kind) and n.lineno == line]


def _known_class(tree: ast.Module, name: str) -> bool:
    """Whether ``name`` is a builtin exception class or a name the module imports, defines or assigns."""
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, BaseException):
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name).split(".")[0] == name for a in node.names):
                return True
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return True
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            return True
    return False


def _bare_except(text: str, tree: ast.Module, line: int, replacement: str) -> Rewrite:
    name = replacement.strip() if isinstance(replacement, str) else replacement
    if not isinstance(name, str) or not _DOTTED.fullmatch(name):
        raise ValueError(f"expected an exception class to catch, e.g. Exception, got {replacement!r}")
    if not _known_class(tree, name.split(".")[0]):
        raise ValueError(
            "expected an exception class the module knows (a builtin such as Exception, or a name it imports or "
            f"defines), got {name!r}"
        )
    handlers = [h for h in _nodes_at(tree, line, ast.ExceptHandler) if h.type is None]
    if not handlers:
        raise ValueError(f"expected a bare `except:` at line {line}, got none")
    t = _Text(text)
    start = t.offset(line, handlers[0].col_offset)
    m = re.compile(r"except\s*:").match(text, start)
    if m is None:
        raise ValueError(f"expected `except:` at line {line}, got {text[start : start + 20]!r}")
    return Rewrite(t.apply([(m.start(), m.end(), f"except {name}:")]), frozenset({line}))


def _is_type_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "type"
        and len(node.args) == 1
        and not node.keywords
    )


def _type_compare(text: str, tree: ast.Module, line: int, replacement: str) -> Rewrite:
    if not isinstance(replacement, str) or replacement.strip() != "is":
        raise ValueError(f"expected 'is' (type(x) == T becomes type(x) is T), got {replacement!r}")
    t = _Text(text)
    negated = {  # `not type(x) == T` becomes `type(x) is not T` (`not ... is` would be E714)
        id(n.operand): n for n in ast.walk(tree) if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not)
    }
    edits: list[tuple[int, int, str]] = []
    lines: set[int] = set()
    for cmp in _nodes_at(tree, line, ast.Compare):
        operands = [cmp.left, *cmp.comparators]
        flip = id(cmp) in negated and len(cmp.ops) == 1
        for op, left, right in zip(cmp.ops, operands[:-1], operands[1:], strict=True):
            if not isinstance(op, (ast.Eq, ast.NotEq)) or not (_is_type_call(left) or _is_type_call(right)):
                continue
            start = t.offset(left.end_lineno, left.end_col_offset)
            end = t.offset(right.lineno, right.col_offset)
            between = text[start:end]
            symbol = "==" if isinstance(op, ast.Eq) else "!="
            at = between.find(symbol)
            if at < 0:  # never for code that parses; kept as a guard
                raise ValueError(f"expected {symbol} between the operands at line {line}, got {between!r}")
            word = "is" if (symbol == "==") != flip else "is not"
            before, after = between[:at][-1:], between[at + 2 :][:1]
            word = ("" if before.isspace() else " ") + word + ("" if after.isspace() else " ")
            edits.append((start + at, start + at + 2, word))
            lines.update(range(left.end_lineno, right.lineno + 1))
            if flip:
                unary = negated[id(cmp)]
                edits.append((t.offset(unary.lineno, unary.col_offset), t.offset(cmp.lineno, cmp.col_offset), ""))
                lines.update(range(unary.lineno, cmp.lineno + 1))
    if not edits:
        raise ValueError(f"expected a comparison with type(...) by == or != at line {line}, got none")
    return Rewrite(t.apply(edits), frozenset(lines))


def _raise_in_except(text: str, tree: ast.Module, line: int, replacement: str) -> Rewrite:
    cause = replacement.strip() if isinstance(replacement, str) else replacement
    if cause not in (CHAIN, "None"):
        raise ValueError(
            f"expected {CHAIN!r} (raise ... from the caught exception) or 'None' (raise ... from None), "
            f"got {replacement!r}"
        )
    found: list[tuple[ast.ExceptHandler, ast.Raise]] = []

    def visit(node: ast.AST, handler: ast.ExceptHandler | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                visit(child, None)  # a raise in a function defined in the handler is not the handler's
            elif isinstance(child, ast.ExceptHandler):
                visit(child, child)
            else:
                if isinstance(child, ast.Raise) and child.lineno == line and handler is not None:
                    found.append((handler, child))
                visit(child, handler)

    visit(tree, None)
    todo = [(h, r) for h, r in found if r.exc is not None and r.cause is None]
    if not todo:
        raise ValueError(f"expected a `raise X` without `from` inside an `except` clause at line {line}, got none")
    handler, node = todo[0]
    t = _Text(text)
    end = t.offset(node.end_lineno, node.end_col_offset)
    lines = set(range(node.lineno, node.end_lineno + 1))
    edits: list[tuple[int, int, str]] = []
    name = "None" if cause == "None" else handler.name
    if name is None:
        if handler.type is None:
            raise ValueError(f"expected an `except` clause naming its exception at line {line}, got a bare except")
        name = CHAIN
        used = {n.id for n in ast.walk(handler) if isinstance(n, ast.Name)}
        if name in used:
            raise ValueError(f"expected the name {name!r} free inside the except clause, got it in use")
        bind = t.offset(handler.type.end_lineno, handler.type.end_col_offset)
        edits.append((bind, bind, f" as {name}"))
        lines.add(handler.type.end_lineno)
    edits.append((end, end, f" from {name}"))
    return Rewrite(t.apply(edits), frozenset(lines))


def replacement(text: str, code: str, line: int) -> str | None:
    """What the tools offer to rewrite the issue ``code`` at ``line`` with: the rule's replacement, or for E741 a new
    name for the variable and for B007 a dummy name (None: nothing to offer)."""
    if code == RENAMED:
        return suggest_name(text, line)
    if code == DUMMIED:
        return suggest_dummy(text, line)
    return REPLACEMENTS.get(code)


def rewrite_text(text: str, code: str, line: int, replacement: str) -> Rewrite:
    """Rewrite the issue ``code`` at ``line`` of ``text`` with ``replacement`` (see the module docstring).

    Raises:
        ValueError: ``code`` is not one of :data:`REWRITTEN`, the text has no such issue at ``line`` that can
            be rewritten, or ``replacement`` does not fit the rule.
    """
    if code == RENAMED:
        renamed, lines = rename_local(text, line, replacement)
        return Rewrite(renamed, lines)
    if code == DUMMIED:
        renamed, lines = rename_loop_variable(text, line, replacement)
        return Rewrite(renamed, lines)
    tree = ast.parse(text)
    if code == "E722":
        return _bare_except(text, tree, line, replacement)
    if code == "E721":
        return _type_compare(text, tree, line, replacement)
    if code == "B904":
        return _raise_in_except(text, tree, line, replacement)
    raise ValueError(f"expected one of the codes {', '.join(sorted(REWRITTEN))}, got {code!r}")
