"""The expert's search: inputs that reach the function's branches, found by trying candidates in order.

Candidates (argument sources), deterministic and in this order:

1. the doctest examples' calls;
2. base calls (:func:`base_values`): the first doctest example's values, else each required parameter's
   first *seed*; every required parameter at one generic seed; one parameter through its seeds. The first
   that runs without a wrong-type error is *the base*;
3. for each branch, in line order, the base with one parameter changed (a parameter the condition
   reads, else every parameter) to each of: the condition's literals and their boundaries (``k-1, k,
   k+1``; strings and lists of length ``k``), doctest values, the seeds of the parameter's guessed type
   (from its annotation, default, or how the body uses it: ``len(p)``, ``p.lower()``, ``p + 1``, ``p()``...),
   empty and one-element collections and None; a parameter whose annotation or default states its type
   gets only values of that type (None only when it may be None);
4. if branches are still missing: every pair of two parameters' first seeds.

All candidates of a round run in one child; the expert keeps, in candidate order, a call only when it
reaches a branch outcome the kept calls did not (the first call that runs is always kept), its result
can be pinned (the child runs it twice: the results must agree), and it is not a TypeError/AttributeError
the function never raises itself (a wrong-type input, not behaviour). It stops when every branch outcome is
reached or the candidates run out.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from typing import Any

from toolsmith.test.actions import Project, arc_coverage, arcs_of, observe, shown
from toolsmith.test.analysis import FunctionInfo, Param, find_function
from toolsmith.test.values import parse_arguments

MAX_CANDIDATES = 240  # per round
MAX_PAIRS = 120
WRONG_TYPE = ("TypeError", "AttributeError")

SEEDS: dict[str, tuple[str, ...]] = {
    "int": ("0", "1", "-1", "2", "10", "100"),
    "float": ("0.0", "1.5", "-2.5", "1e+20"),
    "str": ("'abc'", "''", "'a'", "'Hello World'", "'0'", "' a-b_c '", "'a\\nb\\n'"),
    "bytes": ("b'abc'", "b''", "b'a'"),
    "bool": ("True", "False"),
    "list": ("[1, 2, 3]", "[]", "[1]", "[3, 1, 2]", "['a', 'b']", "[[1, 2], [3]]"),
    "tuple": ("(1, 2)", "()", "(1,)"),
    "dict": ("{'a': 1}", "{}", "{'a': 1, 'b': 2}"),
    "set": ("{1, 2}", "set()", "{1}"),
    "none": ("None",),
    "seq": ("'abc'", "[1, 2, 3]", "''", "[]", "'a'", "[1]", "[3, 1, 2]", "'Hello World'", "(1, 2)", "'a\\nb\\n'"),
    "callable": ("len", "str", "abs", "bool", "sorted", "sum"),
}
UNKNOWN = ("'abc'", "1", "[1, 2, 3]", "0", "''", "[]", "None", "-1", "2.5", "{'a': 1}")
_STR_METHODS = {
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith",
    "replace", "join", "encode", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "find",
    "rfind", "partition", "rpartition", "format", "title", "capitalize", "casefold", "expandtabs", "zfill",
    "center", "ljust", "rjust", "translate", "isidentifier", "isdecimal", "isnumeric", "swapcase",
}  # fmt: skip
_LIST_METHODS = {"append", "extend", "pop", "insert", "sort", "reverse", "remove", "copy"}
_DICT_METHODS = {"items", "keys", "values", "get", "setdefault", "update"}
_ANNOTATIONS = {
    "int": "int", "float": "float", "str": "str", "bytes": "bytes", "bool": "bool", "list": "list",
    "tuple": "tuple", "dict": "dict", "set": "set", "frozenset": "set", "Sequence": "list", "Iterable": "list",
    "Mapping": "dict", "None": "none", "bytearray": "bytes", "complex": "float", "List": "list", "Dict": "dict",
    "Tuple": "tuple", "Set": "set",
}  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One kept call.

    Attributes:
        arguments: Its argument source.
        shown: What the call returned (``result``) or raised (``raises``), as the tools show it.
        new: The branch outcomes it newly reached (descriptions).
        arcs: All the function's branch arcs it reaches.
    """

    arguments: str
    shown: dict[str, str]
    new: tuple[str, ...]
    arcs: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class SearchResult:
    """What the search found.

    Attributes:
        steps: The kept calls in order.
        coverage: Branch coverage of the kept calls (0-1).
        tried: Candidates run.
        missing: Branch outcomes no candidate reached.
    """

    steps: tuple[Step, ...]
    coverage: float
    tried: int
    missing: tuple[str, ...]


def _annotation_type(annotation: str | None) -> str | None:
    if not annotation:
        return None
    head = annotation.replace("typing.", "").split("[", 1)[0].split("|", 1)[0].strip()
    if head == "Optional":
        inner = annotation.split("[", 1)[1].rstrip("]") if "[" in annotation else ""
        return _annotation_type(inner)
    return _ANNOTATIONS.get(head)


def _default_type(default: str | None) -> str | None:
    if default is None:
        return None
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        return None
    for t, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (bytes, "bytes")):
        if isinstance(value, t):
            return name
    for t, name in ((list, "list"), (tuple, "tuple"), (dict, "dict"), (set, "set")):
        if isinstance(value, t):
            return name
    return None


def _usage_type(func: ast.FunctionDef, name: str) -> str | None:
    """A type guessed from how the body uses ``name``."""
    votes: dict[str, int] = {}

    def vote(t: str) -> None:
        votes[t] = votes.get(t, 0) + 1

    for node in ast.walk(func):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name:
            if node.attr in _STR_METHODS:
                vote("str")
            elif node.attr in _LIST_METHODS:
                vote("list")
            elif node.attr in _DICT_METHODS:
                vote("dict")
            elif node.attr in ("decode", "hex"):
                vote("bytes")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id == name:
                if node.func.id in ("len", "sorted", "reversed", "enumerate", "max", "min", "list", "tuple", "iter"):
                    vote("seq")
                elif node.func.id == "sum":
                    vote("list")
                elif node.func.id in ("range", "chr", "bin", "hex", "oct"):
                    vote("int")
                elif node.func.id in ("ord",):
                    vote("str")
        elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Name):
            if node.iter.id == name:
                vote("seq")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            vote("callable")
        elif isinstance(node, (ast.BinOp, ast.Compare, ast.AugAssign)):
            parts = (
                [node.left, node.right]
                if isinstance(node, ast.BinOp)
                else [node.left, *node.comparators]
                if isinstance(node, ast.Compare)
                else [node.target, node.value]
            )
            if any(isinstance(p, ast.Name) and p.id == name for p in parts):
                for p in parts:
                    if isinstance(p, ast.Constant) and not isinstance(p.value, bool):
                        t = _default_type(repr(p.value))
                        if t:
                            vote(t)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            if len(node.args) == 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == name:
                t = _annotation_type(ast.unparse(node.args[1]).strip("()").split(",")[0])
                if t:
                    vote(t)
    return max(votes, key=lambda t: (votes[t], t)) if votes else None


def _fits(value: str, declared: str, p: Param) -> bool:
    """Whether a candidate value suits a parameter whose type its annotation or default states."""
    if value == "None":
        return p.default == "None" or "None" in (p.annotation or "") or "Optional" in (p.annotation or "")
    got = _default_type(value)
    return got is None or got == declared or (declared == "float" and got == "int")


def _guess(func: ast.FunctionDef, p: Param) -> str | None:
    return _annotation_type(p.annotation) or _default_type(p.default) or _usage_type(func, p.name)


def _seeds(kind: str | None) -> tuple[str, ...]:
    return SEEDS[kind] if kind else UNKNOWN


def _literal_values(literal: str, kind: str | None) -> list[str]:
    """Values a condition's literal suggests for a parameter of type ``kind``."""
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return []
    out = [literal]
    if isinstance(value, bool):
        return out
    if isinstance(value, int):
        out = [repr(value - 1), literal, repr(value + 1)]
        if kind in ("str", "list", "tuple", "bytes", None) and 0 <= value <= 20:
            for k in (value - 1, value, value + 1):
                if k >= 0:
                    out += [repr("a" * k), repr(list(range(k)))]
    elif isinstance(value, float):
        out = [repr(value - 1), literal, repr(value + 1)]
    elif isinstance(value, str):
        out += [repr(value + "x"), repr("x" + value), repr(value.upper())]
        if len(value) == 1:
            out.append(repr(value * 2))
    return out


def _example_values(info: FunctionInfo) -> dict[str, list[str]]:
    """Parameter name -> values the doctest examples pass for it."""
    out: dict[str, list[str]] = {}
    positional = [p for p in info.params if p.kind in ("positional", "plain")]
    for ex in info.examples:
        try:
            args = parse_arguments(ex.arguments)
        except ValueError:
            continue
        for p, a in zip(positional, args.positional):
            out.setdefault(p.name, []).append(ast.unparse(a))
        for k, v in args.keywords:
            out.setdefault(k, []).append(ast.unparse(v))
    return out


def _render(info: FunctionInfo, values: dict[str, str]) -> str:
    """Argument source for a call with ``values`` (parameters left out take their defaults)."""
    parts: list[str] = []
    positional_ok = True
    for p in info.params:
        if p.name not in values or p.kind in ("*args", "**kwargs"):
            if p.kind in ("positional", "plain"):
                positional_ok = False
            continue
        if p.kind == "positional" or (p.kind == "plain" and positional_ok):
            parts.append(values[p.name])
        else:
            parts.append(f"{p.name}={values[p.name]}")
    return ", ".join(parts)


def base_values(info: FunctionInfo, func: ast.FunctionDef) -> list[dict[str, str]]:
    """Values for the required parameters to build calls around, best guess first.

    The first doctest example's, else each parameter's first seed; then every required parameter at the
    same generic seed (``1, 1``; ``'abc', 'abc'``...); then one parameter at a time through its seeds.
    """
    params = [p for p in info.params if p.kind not in ("*args", "**kwargs") and p.default is None]
    kinds = {p.name: _guess(func, p) for p in params}
    examples = _example_values(info)
    first = {p.name: examples.get(p.name, [_seeds(kinds[p.name])[0]])[0] for p in params}
    out = [first]
    for seed in UNKNOWN:
        out.append({p.name: seed for p in params})
    for p in params:
        for seed in _seeds(kinds[p.name]):
            out.append({**first, p.name: seed})
    unique: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for values in out:
        unique.setdefault(tuple(sorted(values.items())), values)
    return list(unique.values())


def candidates(info: FunctionInfo, func: ast.FunctionDef, base: dict[str, str] | None = None) -> list[str]:
    """The candidate calls around ``base`` (default: the first of :func:`base_values`), in order; no repeats."""
    params = [p for p in info.params if p.kind not in ("*args", "**kwargs")]
    kinds = {p.name: _guess(func, p) for p in params}
    examples = _example_values(info)
    if base is None:
        base = base_values(info, func)[0]
    declared_types = {p.name: _annotation_type(p.annotation) or _default_type(p.default) for p in params}
    by_name = {p.name: p for p in params}
    out: dict[str, None] = {}

    def add(source: str) -> None:
        if len(out) < MAX_CANDIDATES:
            out.setdefault(source)

    for ex in info.examples:
        add(ex.arguments)
    add(_render(info, base))
    names = {p.name for p in params}
    for branch in info.branches or [None]:  # a function without branches: every parameter's values
        read = [n for n in (branch.names if branch else ()) if n in names] or [p.name for p in params]
        for name in read:
            kind = kinds[name]
            values = [v for lit in (branch.literals if branch else ()) for v in _literal_values(lit, kind)]
            values += examples.get(name, [])
            values += list(_seeds(kind))
            values += ["None", "''", "[]", "[0]", "0"]
            declared = declared_types[name]
            for v in dict.fromkeys(values):
                if declared is None or _fits(v, declared, by_name[name]):
                    add(_render(info, {**base, name: v}))
    return list(out)


def pair_candidates(info: FunctionInfo, func: ast.FunctionDef) -> list[str]:
    """Every pair of two parameters' first seeds (the second round)."""
    params = [p for p in info.params if p.kind not in ("*args", "**kwargs")]
    kinds = {p.name: _guess(func, p) for p in params}
    base = {p.name: _seeds(kinds[p.name])[0] for p in params if p.default is None}
    out: dict[str, None] = {}
    for a, b in itertools.combinations(params, 2):
        for va, vb in itertools.product(_seeds(kinds[a.name])[:4], _seeds(kinds[b.name])[:4]):
            out.setdefault(_render(info, {**base, a.name: va, b.name: vb}))
            if len(out) >= MAX_PAIRS:
                return list(out)
    return list(out)


def _keep(outcome: dict[str, Any], info: FunctionInfo) -> bool:
    if outcome["outcome"] == "return":
        return not outcome["problem"]
    if outcome["outcome"] == "raise":
        exc = outcome["exception"]
        return not outcome["problem"] and (exc["type"] not in WRONG_TYPE or exc["type"] in info.raises)
    return False


def search(project: Project) -> SearchResult:
    """Find calls that together reach the function's branches (see the module docstring).

    Raises:
        ValueError: The module or function cannot be loaded.
    """
    text = project.source()
    info = project.info()
    func = find_function(ast.parse(text), project.symbol)
    goal = info.arcs
    seen: dict[str, dict[str, Any]] = {}  # candidate source -> its outcome

    def run_all(sources: list[str]) -> None:
        todo = [c for c in dict.fromkeys(sources) if c not in seen]
        for c, outcome in zip(todo, observe(project, todo) if todo else []):
            seen[c] = outcome

    bases = base_values(info, func)
    first = list(dict.fromkeys([*(e.arguments for e in info.examples), *(_render(info, b) for b in bases)]))
    first = first[:MAX_CANDIDATES]
    run_all(first)
    base = next((b for b in bases if _keep(seen[_render(info, b)], info)), bases[0])
    order = list(dict.fromkeys([*first, *candidates(info, func, base)]))
    paired = False
    while True:
        run_all(order)
        kept: list[tuple[str, dict[str, Any], set[tuple[int, int]]]] = []
        reached: set[tuple[int, int]] = set()
        for source in order:
            outcome = seen[source]
            if not _keep(outcome, info):
                continue
            arcs = arcs_of(outcome)
            new = (arcs & goal) - reached
            if new or not kept:
                kept.append((source, outcome, new))
                reached |= arcs & goal
            if kept and reached >= goal:
                break
        if goal - reached and not paired:
            paired = True
            order = list(dict.fromkeys([*order, *pair_candidates(info, func)]))
            continue
        break
    all_arcs: set[tuple[int, int]] = set()
    for _, o, _ in kept:
        all_arcs |= arcs_of(o)
    cov = arc_coverage(info, all_arcs)
    steps = tuple(
        Step(source, shown(o), tuple(info.describe_arcs(new)), frozenset(arcs_of(o) & goal)) for source, o, new in kept
    )
    return SearchResult(steps, cov.fraction if kept else 0.0, len(seen), tuple(info.describe_arcs(cov.missing)))


def next_call(
    steps: tuple[Step, ...] | list[Step], reached: set[tuple[int, int]] | frozenset[tuple[int, int]]
) -> str | None:
    """The first of the search's calls that reaches a branch arc not in ``reached`` (what the tools offer as
    ``try``), or None when the search's calls reach nothing more."""
    return next((s.arguments for s in steps if s.arcs - reached), None)
