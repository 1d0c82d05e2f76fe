"""E741 (ambiguous variable name ``l``, ``O``, ``I``): a scope-aware rename with libcst, and the name to offer.

:func:`rename_local` renames one local variable of a function (or comprehension) everywhere it is bound or read in
its scope, nested functions and f-strings included (libcst's ``ScopeProvider`` resolves which names are the same
variable); it refuses what a rename could break: a parameter (callers may pass it by keyword), a module or class
name (others may import or read it), a name a ``global`` or ``nonlocal`` statement declares, and a new name that is
not a plain identifier, is ambiguous itself, or is already bound or read in the enclosing function, bound by the
module or a builtin.

:func:`suggest_name` is the name the tools offer (the model copies it, or writes its own): the singular of
what a ``for`` loop or comprehension iterates over (``lines`` -> ``line``), ``line`` for a file's lines, ``index``
for a ``range``, ``length`` for ``len(...)``, ``items`` for a list, ``file`` for ``open(...)``, else
:data:`FALLBACK`; with a number added when that name is taken.
"""

from __future__ import annotations

import ast
import builtins
import functools
import keyword
from dataclasses import dataclass

AMBIGUOUS = frozenset({"l", "O", "I"})  # the names E741 reports
FALLBACK = {"l": "value", "O": "obj", "I": "index"}  # when nothing in the binding says more
LINE_SOURCES = frozenset({"readlines", "splitlines", "open", "lines"})  # iterating these gives lines
ELEMENT_NAMES = {"range": "index", "keys": "key", "values": "value", "items": "item"}  # iterating what a call gives
RESULT_NAMES = {"len": "length", "list": "items", "sorted": "items", "open": "file"}  # what a call gives
WRAPPERS = frozenset({"sorted", "list", "reversed", "set", "tuple"})  # iterating these: the argument's elements


@dataclass(frozen=True)
class _Binding:
    """The ambiguous variable bound at a line.

    Attributes:
        name: Its name.
        spots: Where it is bound or read: (1-based line, 0-based character column), in order.
        function: The outermost function around it.
        taken: The names a new name must not be: those the function binds or reads and those the module binds.
    """

    name: str
    spots: tuple[tuple[int, int], ...]
    function: ast.AST
    taken: frozenset[str]


def _function_at(tree: ast.Module, line: int) -> ast.AST | None:
    """The outermost function (or lambda) whose lines hold ``line``."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                return node
    return None


@functools.lru_cache(maxsize=32)  # one text is asked for its name, its dry run and its rename in turn
def _binding(text: str, line: int) -> _Binding:
    """The ambiguous local variable bound at ``line``, with every place that binds or reads it.

    Raises:
        ValueError: No ambiguous name is bound there, or renaming it could change what other code sees.
    """
    import libcst as cst  # here, not at the top: ~0.2 s to import, paid only where an E741 is
    from libcst.metadata import ComprehensionScope, FunctionScope, MetadataWrapper, PositionProvider, ScopeProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
    except cst.ParserSyntaxError as e:
        raise ValueError(f"expected Python that libcst parses, got {str(e).splitlines()[0]}") from None
    scopes, positions = wrapper.resolve(ScopeProvider), wrapper.resolve(PositionProvider)
    found = [
        (positions[a.node].start.column, scope, a.name)
        for scope in {s for s in scopes.values() if s is not None}
        for name in AMBIGUOUS
        for a in scope.assignments[name]
        if positions[a.node].start.line == line
    ]
    if not found:
        raise ValueError(f"expected an ambiguous name (l, O or I) bound at line {line}, got none")
    _, scope, name = min(found, key=lambda f: f[0])
    if not isinstance(scope, (FunctionScope, ComprehensionScope)):
        raise ValueError(f"expected a local variable, got `{name}` at line {line} in a module or class (others see it)")
    assignments = list(scope.assignments[name])
    if any(isinstance(a.node, cst.Param) for a in assignments):
        raise ValueError(f"expected a local variable, got the parameter `{name}` (callers may pass it by keyword)")
    tree = ast.parse(text)
    function = _function_at(tree, line)
    if function is None:  # a comprehension at module level
        raise ValueError(f"expected `{name}` at line {line} inside a function, got none around it")
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in ast.walk(function)):
        raise ValueError(f"expected `{name}` local to its function, got a global or nonlocal declaration of it")
    if any(isinstance(n, ast.NamedExpr) and n.target.id == name for n in ast.walk(function)):
        # libcst scopes a := inside a comprehension to the comprehension; Python binds it in the function
        raise ValueError(f"expected `{name}` bound without :=, got an assignment expression")
    nodes = [a.node for a in assignments] + [r.node for a in assignments for r in a.references]
    if not all(isinstance(n, cst.Name) and n.value == name for n in nodes):
        raise ValueError(f"expected `{name}` bound and read by its plain name only, got another form (an import)")
    spots = tuple(sorted({(positions[n].start.line, positions[n].start.column) for n in nodes}))
    return _Binding(name, spots, function, frozenset(names_in(function) | module_names(tree)))


def reach(text: str, line: int) -> frozenset[int]:
    """The lines where the ambiguous variable bound at ``line`` is bound or read (what renaming it changes); empty
    when it cannot be renamed."""
    try:
        return frozenset(row for row, _ in _binding(text, line).spots)
    except ValueError:
        return frozenset()


def names_in(function: ast.AST) -> set[str]:
    """Every identifier a function binds or reads (names, parameters, attributes' bases, imports)."""
    out: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def module_names(tree: ast.Module) -> set[str]:
    """Names the module binds at its top level (a local of that name would hide it inside the function)."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                out.add(sub.id)
            elif isinstance(sub, ast.alias):
                out.add((sub.asname or sub.name).split(".")[0])
    return out


def free_name(name: str, taken: frozenset[str]) -> str | None:
    """Why ``name`` cannot replace a local variable (None: it can); ``taken``: :attr:`_Binding.taken`."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return f"expected a plain identifier as the new name, got {name!r}"
    if name in AMBIGUOUS:
        return f"expected a name that is not ambiguous itself, got {name!r}"
    if name in taken or hasattr(builtins, name):
        return f"expected a name not already used in the function, the module or the builtins, got {name!r}"
    return None


def rename_local(text: str, line: int, new: str) -> tuple[str, frozenset[int]]:
    """``text`` with the ambiguous local variable bound at ``line`` renamed to ``new`` in its whole scope.

    Returns:
        The new text and the lines it changed.

    Raises:
        ValueError: See the module docstring ("expected X, got Y").
    """
    binding = _binding(text, line)
    new = new.strip() if isinstance(new, str) else new
    why = free_name(new, binding.taken)
    if why:
        raise ValueError(why)
    lines = text.splitlines(keepends=True)
    for row, col in reversed(binding.spots):
        old = lines[row - 1]
        if old[col : col + len(binding.name)] != binding.name:  # never for libcst's positions; kept as a guard
            raise ValueError(f"expected `{binding.name}` at line {row} column {col + 1}, got {old[col : col + 3]!r}")
        lines[row - 1] = old[:col] + new + old[col + len(binding.name) :]
    return "".join(lines), frozenset(row for row, _ in binding.spots)


def _singular(word: str) -> str | None:
    """``rows`` -> ``row``, ``entries`` -> ``entry``, ``boxes`` -> ``box``; None for a word that is no plural."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _last_word(node: ast.expr) -> str | None:
    """The name an expression ends with: ``self.lines`` -> ``lines``, ``get_rows()`` -> ``get_rows``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _named(value: ast.expr | None, iterated: bool) -> str | None:
    """A name for what ``value`` gives (``iterated``: for one element of it)."""
    word = _last_word(value) if value is not None else None
    if word is None:
        return "items" if isinstance(value, (ast.List, ast.ListComp)) and not iterated else None
    call = isinstance(value, ast.Call)
    if call and iterated and word in WRAPPERS and value.args:
        return _named(value.args[0], True)
    if call and word in (ELEMENT_NAMES if iterated else RESULT_NAMES):
        return (ELEMENT_NAMES if iterated else RESULT_NAMES)[word]
    if not iterated:
        return None
    if word in LINE_SOURCES or word.endswith("lines"):
        return "line"
    singular = _singular(word.rsplit("_", 1)[-1])
    return singular if singular and singular.isidentifier() else None


def suggest_name(text: str, line: int) -> str | None:
    """The name to offer for the ambiguous variable bound at ``line`` (None: it cannot be renamed)."""
    try:
        binding = _binding(text, line)
    except ValueError:  # not renamable, or no Python libcst reads
        return None
    guess = None
    for node in ast.walk(binding.function):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            target, value, iterated = node.target, node.iter, True
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            target, value, iterated = (targets[0] if len(targets) == 1 else None), node.value, False
        elif isinstance(node, ast.withitem):
            target, value, iterated = node.optional_vars, node.context_expr, False
        else:
            continue
        if isinstance(target, ast.Name) and target.id == binding.name and getattr(target, "lineno", 0) == line:
            guess = _named(value, iterated)
            break
    base = guess or FALLBACK[binding.name]
    for candidate in (base, *(f"{base}{n}" for n in range(2, 10))):
        if free_name(candidate, binding.taken) is None:
            return candidate
    return None
