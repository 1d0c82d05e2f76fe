"""Static analysis of one top-level function: what ``inspect_function`` shows the model.

Nothing here runs the user's code: the source is parsed with :mod:`ast`, the branches come from
coverage.py's own parser (the arcs its branch measurement counts, so what we list is exactly what
``coverage --branch`` reports), doctest examples from the standard library's doctest parser.

A *branch* is one line with two possible next lines (``if``/``elif``/``while``/``for`` and ``case``;
coverage.py does not count ternaries, ``and``/``or`` or ``try``/``except`` as branches). Each of its two
arcs is an *outcome*: ``true`` (into the body: the condition held, the loop took an item, the case
matched) or ``false`` (past it).
"""

from __future__ import annotations

import ast
import doctest
from dataclasses import dataclass
from typing import Any

from coverage.parser import PythonParser

CONDITION_CHARS = 70
MAX_LITERALS = 12
MAX_EXAMPLES = 3
MAX_LISTED_BRANCHES = 16
_LITERAL_TYPES = (str, bytes, int, float, complex)


@dataclass(frozen=True)
class Param:
    """One parameter of the function.

    Attributes:
        name: Its name.
        kind: ``positional`` (positional-only), ``plain`` (positional or keyword), ``keyword`` (keyword-only),
            ``*args`` or ``**kwargs``.
        annotation: The annotation's source, or None.
        default: The default's source, or None when it has none.
    """

    name: str
    kind: str
    annotation: str | None
    default: str | None


@dataclass(frozen=True)
class Example:
    """A doctest example that calls the function.

    Attributes:
        arguments: The call's argument source (``"3, reverse=True"``).
        want: The expected output as written in the docstring (stripped), or "" when none.
    """

    arguments: str
    want: str


@dataclass(frozen=True)
class Branch:
    """One line where coverage.py counts two arcs.

    Attributes:
        line: The line (the statement's first line).
        kind: ``if``, ``elif``, ``while``, ``for`` or ``case``.
        condition: The condition's source (``x > 0``; ``item in items`` for a loop; the pattern for a case),
            whitespace collapsed, cut to :data:`CONDITION_CHARS`.
        true_arc: The arc into the body, ``(line, next line)``.
        false_arc: The other arc (the next line is negative when it leaves the function).
        names: The names the condition reads.
        literals: The literals in the condition (source), in order.
    """

    line: int
    kind: str
    condition: str
    true_arc: tuple[int, int]
    false_arc: tuple[int, int]
    names: tuple[str, ...]
    literals: tuple[str, ...] = ()

    def outcome(self, arc: tuple[int, int]) -> str:
        """``true`` or ``false`` for one of this branch's arcs."""
        return "true" if arc == self.true_arc else "false"

    def describe(self, outcome: str) -> str:
        """How a missing or reached outcome reads to the model: ``line 7 if x > 0: true``."""
        return f"line {self.line} {self.kind} {self.condition}: {outcome}"


@dataclass(frozen=True)
class FunctionInfo:
    """Everything ``inspect_function`` knows about one function.

    Attributes:
        name: The function's name.
        start: Its first line (decorators included).
        end: Its last line.
        signature: ``name(a: int, b=2) -> str`` as written.
        params: The parameters in order.
        doc: The docstring's first line, or "".
        examples: Doctest examples that call the function (at most :data:`MAX_EXAMPLES`).
        branches: The branches in line order.
        literals: Values compared against in conditions (source, deduplicated, in order).
        types: Types checked with ``isinstance`` in conditions.
        raises: Exceptions raised by ``raise`` statements (names, deduplicated).
        is_generator: Whether calling it returns a generator.
        statements: The lines of its own statements (coverage.py's, without nested functions' and the ``def``).
    """

    name: str
    start: int
    end: int
    signature: str
    params: tuple[Param, ...]
    doc: str
    examples: tuple[Example, ...]
    branches: tuple[Branch, ...]
    literals: tuple[str, ...]
    types: tuple[str, ...]
    raises: tuple[str, ...]
    is_generator: bool
    statements: frozenset[int] = frozenset()

    @property
    def arcs(self) -> frozenset[tuple[int, int]]:
        """Every branch arc of the function (what branch coverage counts)."""
        return frozenset(a for b in self.branches for a in (b.true_arc, b.false_arc))

    def branch_at(self, line: int) -> Branch | None:
        return next((b for b in self.branches if b.line == line), None)

    def describe_arcs(self, arcs: set[tuple[int, int]] | frozenset[tuple[int, int]]) -> list[str]:
        """The given branch arcs as outcome descriptions, in line order (arcs that are not branches skipped)."""
        out = []
        for a in sorted(arcs & self.arcs, key=lambda a: (a[0], a != self.branch_at(a[0]).true_arc)):  # type: ignore[union-attr]
            branch = self.branch_at(a[0])
            assert branch is not None
            out.append(branch.describe(branch.outcome(a)))
        return out

    def compact(self) -> dict[str, Any]:
        """What the model sees (``inspect_function``'s response): short, only what it can use."""
        out: dict[str, Any] = {"signature": self.signature}
        if self.doc:
            out["doc"] = self.doc
        if self.examples:
            out["examples"] = [
                f"{self.name}({e.arguments})" + (f" -> {e.want}" if e.want else "") for e in self.examples
            ]
        out["branches"] = [f"line {b.line} {b.kind} {b.condition}" for b in self.branches[:MAX_LISTED_BRANCHES]]
        if len(self.branches) > MAX_LISTED_BRANCHES:
            out["branches"].append(f"... {len(self.branches) - MAX_LISTED_BRANCHES} more")
        if self.literals:
            out["literals"] = list(self.literals)
        if self.types:
            out["types"] = list(self.types)
        if self.raises:
            out["raises"] = list(self.raises)
        return out


def find_function(tree: ast.Module, name: str) -> ast.FunctionDef:
    """The top-level function ``name`` of a parsed module.

    Raises:
        ValueError: There is none (methods, classes and async functions are not supported).
    """
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
        if isinstance(node, (ast.ClassDef, ast.AsyncFunctionDef)) and node.name == name:
            kind = "a class" if isinstance(node, ast.ClassDef) else "an async function"
            raise ValueError(f"expected a plain top-level function `{name}`, got {kind}")
    if "." in name:
        raise ValueError(f"expected a top-level function name, got `{name}` (methods are not supported)")
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    raise ValueError(f"expected a top-level function `{name}` in the file, got only {names or 'no functions'}")


def parse_source(text: str, filename: str) -> ast.Module:
    """Parse a file, failing with the file and line."""
    try:
        return ast.parse(text, filename=filename)
    except SyntaxError as e:
        raise ValueError(
            f"expected {filename} to be valid Python, got a syntax error at line {e.lineno}: {e.msg}"
        ) from None


def _params(args: ast.arguments) -> tuple[Param, ...]:
    out: list[Param] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for i, (a, d) in enumerate(zip(positional, defaults)):
        kind = "positional" if i < len(args.posonlyargs) else "plain"
        out.append(Param(a.arg, kind, _src(a.annotation), _src(d)))
    if args.vararg:
        out.append(Param(args.vararg.arg, "*args", _src(args.vararg.annotation), None))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(Param(a.arg, "keyword", _src(a.annotation), _src(d)))
    if args.kwarg:
        out.append(Param(args.kwarg.arg, "**kwargs", _src(args.kwarg.annotation), None))
    return tuple(out)


def _src(node: ast.AST | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _short(text: str, limit: int = CONDITION_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _own_nodes(func: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of the function's body, not those of nested functions, classes or lambdas."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(reversed(func.body))
    while todo:  # depth first, in source order
        node = todo.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _nested_lines(func: ast.FunctionDef) -> set[int]:
    """Lines of the bodies of nested functions and classes (their ``def``/``class`` line is the function's)."""
    lines: set[int] = set()
    for node in ast.walk(func):
        if node is not func and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0].lineno
            if first > node.lineno:
                lines.update(range(first, (node.end_lineno or node.lineno) + 1))
    return lines


def _condition(node: ast.AST, text: str, lines: list[str]) -> tuple[str, str, ast.AST] | None:
    """(kind, condition source as written, condition node) of a branching statement."""

    def src(n: ast.AST) -> str:
        return ast.get_source_segment(text, n) or ast.unparse(n)

    if isinstance(node, ast.If):
        kind = "elif" if lines[node.lineno - 1].lstrip().startswith("elif") else "if"
        return kind, src(node.test), node.test
    if isinstance(node, ast.While):
        return "while", src(node.test), node.test
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return "for", f"{src(node.target)} in {src(node.iter)}", node.iter
    if isinstance(node, ast.match_case):
        cond = src(node.pattern) + (f" if {src(node.guard)}" if node.guard else "")
        return "case", cond, node.pattern
    return None


def _first_body_line(node: ast.AST) -> int:
    body = node.body  # type: ignore[attr-defined]
    return body[0].lineno


def _parser(text: str, filename: str) -> PythonParser:
    parser = PythonParser(text=text, filename=filename)
    parser.parse_source()
    return parser


def _statements(func: ast.FunctionDef, parser: PythonParser) -> frozenset[int]:
    nested = _nested_lines(func)
    body_start = func.body[0].lineno
    end = func.end_lineno or func.lineno
    return frozenset(n for n in parser.statements if body_start <= n <= end and n not in nested)


def _branches(func: ast.FunctionDef, text: str, parser: PythonParser) -> tuple[Branch, ...]:
    counts = parser.exit_counts()
    arcs = parser.arcs()
    nested = _nested_lines(func)
    end = func.end_lineno or func.lineno
    lines = text.splitlines()
    statements: dict[int, ast.AST] = {}
    for node in _own_nodes(func):
        if isinstance(node, (ast.If, ast.While, ast.For, ast.AsyncFor)):
            statements.setdefault(node.lineno, node)
        elif isinstance(node, ast.match_case):
            statements.setdefault(node.pattern.lineno, node)
    out = []
    for line in sorted(counts):
        if counts[line] < 2 or not func.lineno <= line <= end or line in nested:
            continue
        outs = sorted(a for a in arcs if a[0] == line)
        node = statements.get(line)
        found = _condition(node, text, lines) if node is not None else None
        if found is None or len(outs) != 2:  # not a statement we can name: listed as its source line
            kind, cond, cond_node = "branch", lines[line - 1].strip().rstrip(":"), None
            true_arc, false_arc = outs[0], outs[-1]
        else:
            kind, cond, cond_node = found
            body = _first_body_line(node)
            true_arc = next((a for a in outs if a[1] == body), outs[0])
            false_arc = next(a for a in outs if a != true_arc)
        names = tuple(
            dict.fromkeys(n.id for n in ast.walk(cond_node) if isinstance(n, ast.Name)) if cond_node is not None else ()
        )
        literals = tuple(dict.fromkeys(_literals_of(cond_node))) if cond_node is not None else ()
        out.append(Branch(line, kind, _short(cond), true_arc, false_arc, names, literals))
    return tuple(out)


def _literal_source(node: ast.expr) -> str | None:
    """The source of a plain literal (a constant, or minus a number), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, _LITERAL_TYPES) and not isinstance(node.value, bool):
        if isinstance(node.value, (str, bytes)) and len(node.value) > 40:
            return None
        return repr(node.value)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
        and not isinstance(node.operand.value, bool)
    ):
        return repr(-node.operand.value)
    return None


def _literals_of(node: ast.AST) -> list[str]:
    """The literals in an expression, in source order (``-1`` once, not also ``1``)."""
    signed = {id(n.operand) for n in ast.walk(node) if isinstance(n, ast.UnaryOp)}
    found = [
        (n.lineno, n.col_offset, src)
        for n in ast.walk(node)
        if isinstance(n, ast.expr) and id(n) not in signed and (src := _literal_source(n)) is not None
    ]
    return [src for _, _, src in sorted(found)]


def _condition_nodes(func: ast.FunctionDef) -> list[ast.expr]:
    out: list[ast.expr] = []
    for node in _own_nodes(func):
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            out.append(node.test)
        elif isinstance(node, ast.Assert):
            out.append(node.test)
        elif isinstance(node, ast.comprehension):
            out.extend(node.ifs)
        elif isinstance(node, ast.match_case):
            out.extend(p for p in ast.walk(node.pattern) if isinstance(p, ast.expr))
    return out


def _literals_and_types(func: ast.FunctionDef) -> tuple[tuple[str, ...], tuple[str, ...]]:
    literals: dict[str, None] = {}
    types: dict[str, None] = {}
    for cond in _condition_nodes(func):
        for src in _literals_of(cond):
            literals.setdefault(src)
        for node in ast.walk(cond):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
                if len(node.args) == 2:
                    checked = node.args[1]
                    for t in checked.elts if isinstance(checked, ast.Tuple) else [checked]:
                        types.setdefault(ast.unparse(t))
    return tuple(literals)[:MAX_LITERALS], tuple(types)


def _raises(func: ast.FunctionDef) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for node in _own_nodes(func):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, (ast.Name, ast.Attribute)):
                out.setdefault(ast.unparse(exc))
    return tuple(out)


def _examples(doc: str | None, name: str) -> tuple[Example, ...]:
    if not doc:
        return ()
    try:
        found = doctest.DocTestParser().get_examples(doc)
    except ValueError:  # a malformed doctest: the docstring is still shown
        return ()
    out = []
    for ex in found:
        try:
            tree = ast.parse(ex.source, mode="eval")
        except SyntaxError:
            continue
        call = tree.body
        if (  # print(f(...)): the call inside
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "print"
            and len(call.args) == 1
            and not call.keywords
        ):
            call = call.args[0]
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == name):
            continue
        parts = [ast.unparse(a) for a in call.args] + [
            f"{k.arg}={ast.unparse(k.value)}" if k.arg else f"**{ast.unparse(k.value)}" for k in call.keywords
        ]
        out.append(Example(", ".join(parts), " ".join(ex.want.split())))
        if len(out) == MAX_EXAMPLES:
            break
    return tuple(out)


def analyze(text: str, name: str, filename: str = "target.py") -> FunctionInfo:
    """Analyse the top-level function ``name`` of a file's text.

    Args:
        text: The file's source.
        name: The function's name.
        filename: The file's name, for error messages.

    Returns:
        The function's signature, docstring line, doctest examples, branches, literals and raised exceptions.

    Raises:
        ValueError: The file does not parse or has no such top-level function.
    """
    tree = parse_source(text, filename)
    func = find_function(tree, name)
    doc = ast.get_docstring(func)
    returns = f" -> {ast.unparse(func.returns)}" if func.returns else ""
    literals, types = _literals_and_types(func)
    own = _own_nodes(func)
    parser = _parser(text, filename)
    return FunctionInfo(
        name=name,
        start=min([func.lineno, *(d.lineno for d in func.decorator_list)]),
        end=func.end_lineno or func.lineno,
        signature=f"{name}({ast.unparse(func.args)}){returns}",
        params=_params(func.args),
        doc=_short(doc.strip().splitlines()[0], 120) if doc and doc.strip() else "",
        examples=_examples(doc, name),
        branches=_branches(func, text, parser),
        literals=literals,
        types=types,
        raises=_raises(func),
        is_generator=any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own),
        statements=_statements(func, parser),
    )
