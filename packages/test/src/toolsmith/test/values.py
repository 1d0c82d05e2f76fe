"""Safe Python values: call arguments the model writes and results the tests pin, checked with ``ast``.

A *safe value* is a literal (numbers, strings, bytes, ``True``/``False``/``None``, tuples, lists, sets,
dicts of safe values, ``1+2j``), a call of one of :data:`CONSTRUCTORS` on safe values, or one of the
builtin functions in :data:`CALLABLES` by name (``len``). Nothing is evaluated: :func:`build` makes the
value from the checked tree by calling the constructor itself, so no name lookup, attribute or operator
other than these ever runs.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

MAX_SOURCE_CHARS = 2000
MAX_NODES = 1000

# name -> (constructor, most positional arguments, whether keyword arguments are allowed)
CONSTRUCTORS: dict[str, tuple[Callable[..., Any], int, bool]] = {
    "set": (set, 1, False),
    "frozenset": (frozenset, 1, False),
    "tuple": (tuple, 1, False),
    "list": (list, 1, False),
    "dict": (dict, 1, True),
    "bytes": (bytes, 1, False),
    "bytearray": (bytearray, 1, False),
    "range": (range, 3, False),
    "float": (float, 1, False),
    "complex": (complex, 2, False),
    "Decimal": (Decimal, 1, False),
    "Fraction": (Fraction, 2, False),
}
# Builtin functions that may be passed by name (``sorted_by(words, len)``): pure, no I/O.
CALLABLES = frozenset(
    "abs all any bool bytes chr dict float frozenset int len list max min ord repr reversed round set sorted str "
    "sum tuple".split()
)
# The import a test file needs for a constructor that is not a builtin.
IMPORTS: dict[str, str] = {"Decimal": "from decimal import Decimal", "Fraction": "from fractions import Fraction"}
_ALLOWED = (
    "literals, tuples, lists, sets, dicts, " + ", ".join(f"{n}()" for n in CONSTRUCTORS) + " or a builtin like len"
)
_CONSTANTS = (str, bytes, int, float, complex, bool, type(None))


@dataclass(frozen=True)
class Arguments:
    """Checked call arguments.

    Attributes:
        positional: The positional argument trees.
        keywords: ``(name, tree)`` of each keyword argument, in order.
        source: The arguments as normalised source (``[3, 1], reverse=True``).
    """

    positional: tuple[ast.expr, ...]
    keywords: tuple[tuple[str, ast.expr], ...]
    source: str

    def build(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Fresh values for one call: ``(args, kwargs)``."""
        return tuple(build(a) for a in self.positional), {k: build(v) for k, v in self.keywords}

    def constructors(self) -> set[str]:
        """Names of the constructors the arguments use."""
        return {n for t in (*self.positional, *(v for _, v in self.keywords)) for n in constructors_in(t)}


def _describe(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def check(node: ast.expr) -> None:
    """Raise ValueError unless ``node`` is a safe value."""
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, _CONSTANTS):
            raise ValueError(f"expected {_ALLOWED}, got `{_describe(node)}`")
        return
    if isinstance(node, ast.Name) and node.id in CALLABLES:
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if not _number(node):
            raise ValueError(f"expected a sign only before a number, got `{_describe(node)}`")
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right = node.right
        if not (_number(node.left) and isinstance(right, ast.Constant) and type(right.value) is complex):
            raise ValueError(f"expected + or - only in a complex number like 1+2j, got `{_describe(node)}`")
        return
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for e in node.elts:
            if isinstance(e, ast.Starred):
                raise ValueError(f"expected plain items, got `*{_describe(e.value)}`")
            check(e)
        return
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if k is None:
                raise ValueError(f"expected plain dict items, got `**{_describe(v)}`")
            check(k)
            check(v)
        return
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in CONSTRUCTORS:
            raise ValueError(f"expected {_ALLOWED}, got a call of `{_describe(node.func)}`")
        _, most, keywords = CONSTRUCTORS[name]
        if len(node.args) > most or any(isinstance(a, ast.Starred) for a in node.args):
            raise ValueError(f"expected at most {most} plain argument(s) to {name}(), got `{_describe(node)}`")
        if node.keywords and not (keywords and all(k.arg for k in node.keywords)):
            raise ValueError(f"expected no keyword arguments to {name}(), got `{_describe(node)}`")
        for a in (*node.args, *(k.value for k in node.keywords)):
            check(a)
        return
    raise ValueError(f"expected {_ALLOWED}, got `{_describe(node)}`")


def build(node: ast.expr) -> Any:
    """The value of a tree that passed :func:`check`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in CALLABLES:
        return getattr(builtins, node.id)
    if isinstance(node, ast.UnaryOp):
        value = build(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = build(node.left), build(node.right)
        return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Tuple):
        return tuple(build(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [build(e) for e in node.elts]
    if isinstance(node, ast.Set):
        return {build(e) for e in node.elts}
    if isinstance(node, ast.Dict):
        return {build(k): build(v) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        constructor = CONSTRUCTORS[node.func.id][0]
        return constructor(*(build(a) for a in node.args), **{k.arg: build(k.value) for k in node.keywords})  # type: ignore[misc]
    raise ValueError(f"expected a checked value, got `{_describe(node)}`")


def constructors_in(node: ast.expr) -> set[str]:
    """Names of the constructors a checked tree calls."""
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _size_ok(source: str, tree: ast.AST, what: str) -> None:
    if len(source) > MAX_SOURCE_CHARS:
        raise ValueError(f"expected {what} of at most {MAX_SOURCE_CHARS} characters, got {len(source)}")
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ValueError(f"expected {what} with at most {MAX_NODES} parts, got more")


def parse_arguments(source: str) -> Arguments:
    """Check call arguments written as source (``"[3, 1], reverse=True"``; ``""`` for none).

    Raises:
        ValueError: Not arguments, or a value that is not safe ("expected X, got Y").
    """
    if not isinstance(source, str):
        raise ValueError(f"expected the arguments as a string of Python source, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        raise ValueError(f"expected arguments of at most {MAX_SOURCE_CHARS} characters, got {len(source)}")
    try:
        tree = ast.parse(f"_({source}\n)", mode="eval")
    except SyntaxError as e:
        raise ValueError(
            f"expected call arguments such as `[3, 1], reverse=True`, got a syntax error in `{source}`: {e.msg}"
        ) from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_"):
        raise ValueError(f"expected call arguments such as `[3, 1], reverse=True`, got `{source}`")
    _size_ok(source, tree, "arguments")
    for a in call.args:
        if isinstance(a, ast.Starred):
            raise ValueError(f"expected plain arguments, got `*{_describe(a.value)}`")
        check(a)
    for k in call.keywords:
        if k.arg is None:
            raise ValueError(f"expected plain arguments, got `**{_describe(k.value)}`")
        check(k.value)
    parts = [ast.unparse(a) for a in call.args] + [f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords]
    return Arguments(tuple(call.args), tuple((k.arg, k.value) for k in call.keywords if k.arg), ", ".join(parts))


def parse_value(source: str) -> ast.expr:
    """Check one value written as source (a result's ``repr``).

    Raises:
        ValueError: Not one safe value.
    """
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"expected a Python literal, got `{_short(source)}`") from None
    _size_ok(source, tree, "a value")
    check(tree.body)
    return tree.body


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
