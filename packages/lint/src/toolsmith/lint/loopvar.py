"""B007 (loop variable not used in the loop body) where ruff has no fix: rename the loop's own binding to a dummy.

Ruff renames an unused loop variable (``i`` -> ``_i``) only when no binding of the name from the loop on is ever
read. That also refuses a loop whose name is bound again before anything reads it, e.g. a second ``for i in ...``
that uses its own ``i``: renaming the first loop's ``i`` changes nothing any code sees. :func:`rename_loop_variable`
renames the name in the loop's target (the body never reads it: that is what B007 says) after checking, on the
syntax tree, that every other read of the name in the function sees another binding, never this loop's:

- a read inside the body of another ``for`` loop, a ``with ... as`` or an ``except ... as`` that binds the name, with
  this loop not in that body up to the read's statement (the binding runs before the body, every time);
- a read after an assignment to the name earlier in the same block, with this loop not between the two (nor inside
  the statement that holds the read).

A comprehension's first iterable is read where the comprehension is written; the rest of it reads its own variable
when its first ``for`` binds the name. Anything else refuses: a read after the loop or in its ``else``, in a nested
function or class, in a generator expression (it runs later), a comprehension that binds the name in a later ``for``
than its first, ``global``/``nonlocal``/``del`` of the name, ``locals``, ``vars``, ``dir``, ``eval``, ``exec`` or a
frame's locals in the function, a loop outside a function (other modules may read a module's names, and a class's
names are its attributes).

Where a target holds several names the body never reads, the first that passes is offered, and
:func:`rename_loop_variable` renames the one its new name is made from (``_b`` renames ``b``).

:func:`suggest_dummy` is the name the tools offer: ``_`` and the name (``_i``, ruff's own choice), with a number added
when that name is taken.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from toolsmith.lint.rename import free_name, module_names, names_in

DYNAMIC = frozenset({"locals", "vars", "dir", "eval", "exec"})  # builtins that read a function's names by string
FRAMES = frozenset({"_getframe", "currentframe", "f_locals"})  # attributes that reach a function's names
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS = (ast.For, ast.AsyncFor)
_BLOCKS = ("body", "orelse", "finalbody")  # fields that hold statement lists


def _bound(target: ast.AST | None) -> set[str]:
    """The plain names a target binds (``a, (b, *c)`` -> a, b, c; attributes and subscripts bind none)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound(e) for e in target.elts))
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return set()


def _binds(statement: ast.AST, name: str) -> bool:
    """Whether a simple statement always binds ``name`` when it completes (an assignment or an import)."""
    if isinstance(statement, ast.Assign):
        return any(name in _bound(t) for t in statement.targets)
    if isinstance(statement, ast.AnnAssign):
        return statement.value is not None and name in _bound(statement.target)
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name).split(".")[0] == name for a in statement.names)
    return False


def _binding_block(node: ast.AST, name: str) -> list[ast.stmt] | None:
    """The body that runs only after ``node`` binds ``name``: a ``for``, ``with ... as`` or ``except ... as`` body."""
    if isinstance(node, _LOOPS) and name in _bound(node.target):
        return node.body
    if isinstance(node, (ast.With, ast.AsyncWith)) and any(name in _bound(i.optional_vars) for i in node.items):
        return node.body
    if isinstance(node, ast.ExceptHandler) and node.name == name:
        return node.body
    return None


def _reads(node: ast.AST, name: str, path: tuple[ast.AST, ...]) -> Iterator[tuple[ast.AST, ...]]:
    """Every read of ``name`` under ``node`` in the same function, as the path of nodes from the function down to it.

    Raises:
        ValueError: Something reads or removes the name in a way this module does not follow.
    """
    for child in ast.iter_child_nodes(node):
        here = (*path, child)
        if isinstance(child, _SCOPES):
            if name in names_in(child):
                raise ValueError(f"expected `{name}` used by its own function only, got it in a nested one or a class")
            continue
        if isinstance(child, _COMPREHENSIONS):
            first = child.generators[0]
            bound = [name in _bound(g.target) for g in child.generators]
            if any(bound) and not bound[0]:
                raise ValueError(f"expected `{name}` bound by a comprehension's first `for` if at all, got a later one")
            if bound[0] or isinstance(child, ast.GeneratorExp):
                # the first iterable is read where the comprehension is written; the rest reads the comprehension's
                # own name, or for a generator expression runs later, when anything may have bound the name
                if not bound[0] and _mentions([child.elt, first.target, *first.ifs, *child.generators[1:]], name):
                    raise ValueError(f"expected `{name}` read when its line runs, got it in a generator expression")
                if _mentions([first.iter], name):
                    yield here
                continue
        if isinstance(child, ast.Name) and child.id == name:
            if isinstance(child.ctx, ast.Del):
                raise ValueError(f"expected `{name}` never deleted, got `del {name}` at line {child.lineno}")
            if isinstance(child.ctx, ast.Load) or (isinstance(node, ast.AugAssign) and child is node.target):
                yield here
        yield from _reads(child, name, here)


def _mentions(nodes: list[ast.AST], name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for node in nodes for n in ast.walk(node))


def _statements(parent: ast.AST, child: ast.AST) -> list[ast.stmt] | None:
    """The statement list of ``parent`` that holds ``child``, if any."""
    for field in _BLOCKS:
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is child for s in block):
            return block
    return None


def _holds(nodes: list[ast.AST], target: ast.AST) -> bool:
    return any(n is target for node in nodes for n in ast.walk(node))


def _rebound(path: tuple[ast.AST, ...], loop: ast.AST, name: str) -> bool:
    """Whether the read at the end of ``path`` sees another binding of ``name`` on every path from ``loop``."""
    for depth in range(len(path) - 2, -1, -1):
        parent, child = path[depth], path[depth + 1]
        body = _binding_block(parent, name)
        at = next((k for k, s in enumerate(body or ()) if s is child), None)
        if at is not None and parent is not loop and not _holds(body[: at + 1], loop):
            return True  # this loop, if in the body at all, comes after the read: the next pass binds again first
        block = _statements(parent, child)
        if block is None:
            continue
        at = next(k for k, s in enumerate(block) if s is child)
        last = max((k for k in range(at) if _binds(block[k], name)), default=None)
        if last is not None and not _holds(block[last : at + 1], loop):
            return True
    return False


def _loops_at(tree: ast.Module, line: int) -> list[tuple[ast.AST, ast.AST, ast.Name]]:
    """The function, the loop and a name in its target at ``line`` that the loop's body never reads, for each such name.

    Raises:
        ValueError: No such loop, or it is not inside a function.
    """

    def visit(node: ast.AST, function: ast.AST | None) -> Iterator[tuple[ast.AST | None, ast.AST, ast.Name]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            inner = None if isinstance(child, ast.ClassDef) else inner
            if isinstance(child, _LOOPS):
                for target in ast.walk(child.target):
                    named = isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store)
                    if named and target.lineno == line and not target.id.startswith("_"):
                        yield inner, child, target
            yield from visit(child, inner)

    found = []
    for function, loop, target in visit(tree, None):
        read = {n.id for s in loop.body for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if target.id in read:
            continue
        if function is None:
            raise ValueError(f"expected a loop inside a function, got `{target.id}` bound at module or class level")
        found.append((function, loop, target))
    if not found:
        raise ValueError(f"expected a `for` loop at line {line} whose body never reads a name of its target, got none")
    return found


def _check(function: ast.AST, loop: ast.AST, name: str) -> None:
    """Raise ValueError unless every read of ``name`` in ``function`` other than ``loop``'s sees another binding."""
    for node in ast.walk(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            raise ValueError(f"expected `{name}` local to its function, got a global or nonlocal declaration of it")
        found = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if found in DYNAMIC or found in FRAMES:
            raise ValueError(f"expected a function that reads no names by string or frame, got {found}")
    for path in _reads(function, name, (function,)):
        if not _rebound(path, loop, name):
            at = path[-1].lineno
            raise ValueError(f"expected every read of `{name}` to see another binding than this loop's, got line {at}")


def _checked(text: str, line: int, prefer: str = "") -> tuple[ast.Name, frozenset[str]]:
    """The loop target's name to rename at ``line`` (``prefer`` first, then the others in order: the first that is
    safe) and the names a new name must not be.

    Raises:
        ValueError: See the module docstring (for the first name, when none is safe).
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as e:
        raise ValueError(f"expected Python that parses, got {type(e).__name__}: {e}") from None
    found = sorted(_loops_at(tree, line), key=lambda f: f[2].id != prefer)
    errors = []
    for function, loop, target in found:
        try:
            _check(function, loop, target.id)
        except ValueError as e:
            errors.append(e)
            continue
        return target, frozenset(names_in(function) | module_names(tree))
    raise errors[0]


def suggest_dummy(text: str, line: int) -> str | None:
    """The dummy name to offer for the unused loop variable bound at ``line`` (None: it cannot be renamed)."""
    try:
        target, taken = _checked(text, line)
    except ValueError:
        return None
    base = f"_{target.id}"
    return next((c for c in (base, *(f"{base}{n}" for n in range(2, 10))) if free_name(c, taken) is None), None)


def rename_loop_variable(text: str, line: int, new: str) -> tuple[str, frozenset[int]]:
    """``text`` with the unused loop variable bound at ``line`` renamed to ``new`` in the loop's target only.

    Returns:
        The new text and the line it changed.

    Raises:
        ValueError: See the module docstring ("expected X, got Y"), or ``new`` is not a free name starting with ``_``.
    """
    new = new.strip() if isinstance(new, str) else new
    if not isinstance(new, str) or not new.startswith("_"):
        raise ValueError(f"expected a name starting with _ (a dummy the linter ignores), got {new!r}")
    target, taken = _checked(text, line, prefer=new.lstrip("_").rstrip("0123456789"))  # `_b` renames b
    why = free_name(new, taken)
    if why:
        raise ValueError(why)
    lines = text.splitlines(keepends=True)
    old = lines[line - 1]
    start = len(old.encode("utf-8")[: target.col_offset].decode("utf-8", errors="replace"))
    if old[start : start + len(target.id)] != target.id:  # never for ast's positions; kept as a guard
        raise ValueError(f"expected `{target.id}` at line {line} column {start + 1}, got {old[start : start + 3]!r}")
    lines[line - 1] = old[:start] + new + old[start + len(target.id) :]
    return "".join(lines), frozenset({line})
