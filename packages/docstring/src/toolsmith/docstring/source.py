"""What the code says about one function, method or class: its parameters and the sections it needs.

The rules are pydoclint's own (its helpers decide whether a function returns, yields or raises), so the
facts the tools show, the renderer's refusals and the checkers always agree:

- ``params``: the signature's parameters (``*args`` and ``**kwargs`` with their stars), without the
  ``self``/``cls`` of a method and without underscore-only names (``_``). A class's parameters are its
  ``__init__``'s when ``__init__`` has no docstring of its own (the class docstring documents them).
- ``returns``: a ``Returns`` section is required (pydoclint DOC201); ``returns_allowed``: one may be
  written (no DOC202).
- ``yields``: the body has ``yield`` statements (a ``Yields`` section is required, DOC402).
- ``raises``: the exceptions raised explicitly in the body, nested functions excluded (DOC501/503).

A *symbol* is ``name`` or ``Class.method`` (``Outer.Inner.method`` works too): a function or class defined
at the top level of the module, or in a class body along the path. When a name is defined twice at one
level (``@overload``, redefinitions), the last definition is the one meant: it is the one that binds.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from pydoclint.utils.return_yield_raise import (
    getRaisedExceptions,
    hasGeneratorAsReturnAnnotation,
    hasIteratorOrIterableAsReturnAnnotation,
    hasReturnAnnotation,
    hasReturnStatements,
    hasYieldStatements,
    isReturnAnnotationNone,
    isReturnAnnotationNoReturn,
)
from pydoclint.utils.special_methods import checkIsAbstractMethod, checkIsPropertyMethod

from toolsmith.docstring.parts import ARGS_TITLES, layout

Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
Func = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Param:
    """One documented parameter.

    Attributes:
        name: Its name as the docstring writes it (``*args``, ``**kwargs`` with their stars).
        annotation: Its annotation as source text, or None.
        default: Its default value as source text, or None.
    """

    name: str
    annotation: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the code of one symbol says its docstring must hold.

    Attributes:
        symbol: The symbol path (``name`` or ``Class.method``).
        kind: ``function``, ``method`` or ``class``.
        signature: The signature without ``self``/``cls`` (``def f(a: int, b=2) -> str``).
        params: The parameters the docstring must describe, in signature order.
        returns: Whether a Returns section is required.
        returns_allowed: Whether a Returns section may be written.
        yields: Whether a Yields section is required.
        raises: The exception names the Raises section must list, sorted.
        docstring: The current docstring (cleaned, as ``ast.get_docstring``), or None.
        lineno: Line of the ``def``/``class`` keyword.
        first_line: First line of the symbol, decorators included.
        end_lineno: Last line of the symbol.
        header_end: Last line of the signature and the docstring (the lines the docstring rules look at).
        checked_lines: The lines pydoclint reports the symbol's docstring problems at.
        documented_by_class: An ``__init__`` without a docstring whose class docstring has the Args section
            (pydoclint's ``allowInitDocstring``): it needs no docstring of its own (ruff's D107 is the class's).
    """

    symbol: str
    kind: str
    signature: str
    params: tuple[Param, ...]
    returns: bool
    returns_allowed: bool
    yields: bool
    raises: tuple[str, ...]
    docstring: str | None
    lineno: int
    first_line: int
    end_lineno: int
    header_end: int
    checked_lines: frozenset[int]
    documented_by_class: bool = False

    @property
    def names(self) -> list[str]:
        """The parameter names, in order."""
        return [p.name for p in self.params]


def parse(text: str, what: str = "the file") -> ast.Module:
    """Parse Python source, failing with "expected X, got Y".

    Args:
        text: Python source.
        what: How the error names the source.

    Returns:
        The module's tree.

    Raises:
        ValueError: The text does not parse.
    """
    try:
        return ast.parse(text)
    except SyntaxError as e:
        raise ValueError(
            f"expected {what} to be valid Python, got a syntax error at line {e.lineno}: {e.msg}"
        ) from None
    except ValueError as e:  # null bytes
        raise ValueError(f"expected {what} to be valid Python, got {e}") from None


def find(tree: ast.Module, symbol: str) -> tuple[Def, ast.ClassDef | None]:
    """The definition of ``symbol`` and the class it is defined in (None at the top level).

    Args:
        tree: The module.
        symbol: ``name`` or ``Class.method``.

    Returns:
        The node and its enclosing class.

    Raises:
        ValueError: No function or class has that path.
    """
    if not isinstance(symbol, str) or not symbol or not all(p.isidentifier() for p in symbol.split(".")):
        raise ValueError(f"expected a symbol such as `name` or `Class.method`, got {symbol!r}")
    body: list[ast.stmt] = tree.body
    node: Def | None = None
    parent: ast.ClassDef | None = None
    parts = symbol.split(".")
    for i, part in enumerate(parts):
        if i:
            if not isinstance(node, ast.ClassDef):
                raise ValueError(f"expected `{'.'.join(parts[:i])}` to be a class in `{symbol}`, got a function")
            parent = node
        matches = [n for n in body if isinstance(n, Def) and n.name == part]
        if not matches:
            raise ValueError(f"expected a function or class `{symbol}` in the file, got none named `{part}`")
        node = matches[-1]
        body = node.body
    assert node is not None
    return node, parent


def definitions(tree: ast.Module) -> list[str]:
    """Every symbol path of the module (top-level functions and classes, and what their classes define)."""
    out: list[str] = []

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for n in body:
            if isinstance(n, Def):
                out.append(prefix + n.name)
                if isinstance(n, ast.ClassDef):
                    walk(n.body, f"{prefix}{n.name}.")

    walk(tree.body, "")
    return list(dict.fromkeys(out))


def _is_static(func: Func) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)


def params_of(func: Func, in_class: bool) -> tuple[Param, ...]:
    """The parameters a docstring of ``func`` documents (see the module docstring)."""
    a = func.args
    positional = [*a.posonlyargs, *a.args]
    defaults: dict[int, ast.expr] = dict(zip(range(len(positional) - len(a.defaults), len(positional)), a.defaults))
    out: list[Param] = []

    def add(arg: ast.arg, name: str, default: ast.expr | None) -> None:
        if name.strip("*").strip("_"):
            annotation = ast.unparse(arg.annotation) if arg.annotation else None
            out.append(Param(name, annotation, ast.unparse(default) if default is not None else None))

    skip_first = in_class and not _is_static(func) and bool(positional)
    for i, arg in enumerate(positional):
        if not (skip_first and i == 0):
            add(arg, arg.arg, defaults.get(i))
    if a.vararg:
        add(a.vararg, "*" + a.vararg.arg, None)
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        add(arg, arg.arg, default)
    if a.kwarg:
        add(a.kwarg, "**" + a.kwarg.arg, None)
    return tuple(out)


def _arguments(func: Func, in_class: bool) -> str:
    """The signature's arguments as source (``/`` and ``*`` markers kept), without a method's self/cls."""
    args = copy.deepcopy(func.args)
    if in_class and not _is_static(func):
        if args.posonlyargs:
            args.posonlyargs.pop(0)
        elif args.args:
            args.args.pop(0)
            if len(args.defaults) > len(args.args):
                args.defaults.pop(0)
    return ast.unparse(args)


def _has_args_section(cls: ast.ClassDef) -> bool:
    doc = ast.get_docstring(cls)
    return doc is not None and any(title in ARGS_TITLES for title, _ in layout(doc).sections)


def _init_of(cls: ast.ClassDef) -> Func | None:
    inits = [n for n in cls.body if isinstance(n, Func) and n.name == "__init__"]
    return inits[-1] if inits else None


def _own_lines(func: Func) -> Func:
    """``func`` parsed again from its unparsed source: every statement on its own line."""
    return ast.parse(ast.unparse(func)).body[0]  # type: ignore[return-value]


def _header_end(node: Def) -> int:
    first = node.body[0]
    doc = ast.get_docstring(node, clean=False) is not None
    if doc:
        return first.end_lineno or first.lineno
    return max(node.lineno, first.lineno - 1)


def facts_of(tree: ast.Module, symbol: str) -> Facts:
    """The facts of ``symbol`` in ``tree`` (see the module docstring).

    Args:
        tree: The module.
        symbol: ``name`` or ``Class.method``.

    Returns:
        The symbol's facts.
    """
    node, parent = find(tree, symbol)
    first_line = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    common = {
        "symbol": symbol,
        "docstring": ast.get_docstring(node),
        "lineno": node.lineno,
        "first_line": first_line,
        "end_lineno": node.end_lineno or node.lineno,
        "header_end": _header_end(node),
    }
    if isinstance(node, ast.ClassDef):
        init = _init_of(node)
        bases = ", ".join(ast.unparse(b) for b in [*node.bases, *node.keywords])
        own_init_doc = init is not None and ast.get_docstring(init) is not None
        params = () if init is None or own_init_doc else params_of(init, True)
        raises = () if init is None or own_init_doc else tuple(getRaisedExceptions(_own_lines(init)))
        signature = f"class {node.name}" + (f"({bases})" if bases else "")
        if params and init is not None:
            signature += f": __init__({_arguments(init, True)})"
        lines = {node.lineno} | ({init.lineno} if init is not None and not own_init_doc else set())
        return Facts(
            kind="class",
            signature=signature,
            params=params,
            returns=False,
            returns_allowed=False,
            yields=False,
            raises=raises,
            checked_lines=frozenset(lines),
            **common,
        )
    # pydoclint's helpers miss a statement on the def's own line (``def f(x): return x``); on the unparsed
    # function every statement has its own line, as it will once a docstring is inserted.
    code = _own_lines(node)
    returns_stmt, yields = hasReturnStatements(code), hasYieldStatements(code)
    annotated = hasReturnAnnotation(code)
    generator_anno = hasGeneratorAsReturnAnnotation(code)
    iterator_anno = hasIteratorOrIterableAsReturnAnnotation(code)
    placeholder = checkIsAbstractMethod(code)
    returns = (
        not checkIsPropertyMethod(code)
        and not (yields and not returns_stmt and iterator_anno)
        and (returns_stmt or (annotated and not generator_anno))
        and not isReturnAnnotationNone(code)
        and not isReturnAnnotationNoReturn(code)
    )
    arrow = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    params = params_of(node, parent is not None)
    keyword = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    return Facts(
        kind="method" if parent is not None else "function",
        signature=f"{keyword} {node.name}({_arguments(node, parent is not None)}){arrow}",
        params=params,
        returns=returns,
        returns_allowed=returns or returns_stmt or annotated or placeholder,
        yields=yields,
        raises=tuple(getRaisedExceptions(code)),
        checked_lines=frozenset({node.lineno}),
        documented_by_class=node.name == "__init__"
        and parent is not None
        and ast.get_docstring(node) is None
        and _has_args_section(parent),
        **common,
    )


def strip_docstrings(tree: ast.Module) -> str:
    """The module's AST dump with every docstring removed (module, classes, functions, nested ones too)."""
    tree = copy.deepcopy(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, *Def.__args__)) and ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:]
    return ast.dump(tree, include_attributes=False)
