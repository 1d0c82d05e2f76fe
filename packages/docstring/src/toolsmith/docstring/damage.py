"""Case making: an author's good docstring removed or damaged the way docstrings drift from their code.

Damages (each deterministic given a ``random.Random``):

- ``remove``: the docstring is gone.
- ``drop_arg``: one argument's entry is gone from Args.
- ``rename_param``: a parameter is renamed in the code (signature and every use in the body, so the
  code still works) but not in the docstring.
- ``drop_returns`` / ``drop_raises``: the Returns / Raises section is gone.
- ``stale_arg``: Args describes an argument the signature does not have.

The damaged docstring is written back through :func:`toolsmith.docstring.edit.set_docstring`, so its
words stay the author's while its quotes and indentation are the template's.
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass, field

import libcst as cst

from toolsmith.docstring.edit import remove_docstring, set_docstring
from toolsmith.docstring.parts import ARGS_TITLES, RAISES_TITLES, RETURNS_TITLES, layout
from toolsmith.docstring.source import Func, facts_of, find, parse

DAMAGES = ("remove", "drop_arg", "rename_param", "drop_returns", "drop_raises", "stale_arg")
# Renames seen when code is tidied: short names spelled out, long ones shortened, synonyms.
RENAMES = {
    "s": "text",
    "text": "content",
    "string": "text",
    "n": "count",
    "num": "number",
    "idx": "index",
    "index": "position",
    "fn": "func",
    "func": "callback",
    "cb": "callback",
    "obj": "instance",
    "path": "file_path",
    "filename": "file_name",
    "name": "key",
    "key": "name",
    "value": "val",
    "val": "value",
    "data": "payload",
    "size": "length",
    "length": "size",
    "width": "max_width",
    "timeout": "timeout_s",
    "kwargs": "options",
    "args": "values",
    "options": "settings",
    "config": "cfg",
    "model": "net",
    "repo_id": "repository_id",
    "token": "auth_token",
    "style": "text_style",
    "console": "target_console",
    "default": "fallback",
    "start": "begin",
    "end": "stop",
}
SUFFIXES = ("value", "name", "obj", "arg", "data")
# Arguments that drift out of signatures, with a description an author would have written.
STALE = (
    ("verbose", "If True, print progress messages."),
    ("timeout", "Seconds to wait before giving up."),
    ("encoding", "Text encoding used to read the file."),
    ("strict", "Whether to raise an error instead of skipping invalid entries."),
    ("callback", "Function called with each result."),
    ("cache_dir", "Folder where downloaded files are cached."),
    ("dtype", "Data type of the returned values."),
    ("max_retries", "How many times to retry a failed request."),
    ("inplace", "Whether to modify the object in place."),
    ("sep", "Separator placed between items."),
)


@dataclass(frozen=True)
class Damaged:
    """A damaged case.

    Attributes:
        text: The file with the damage.
        damage: Which damage (one of :data:`DAMAGES`).
        renamed: New parameter name -> the name the author's docstring uses.
        detail: What was dropped or added (an argument or section name), "" for ``remove``.
    """

    text: str
    damage: str
    renamed: dict[str, str] = field(default_factory=dict)
    detail: str = ""


def _item_span(block: list[str], name: str) -> tuple[int, int] | None:
    """Lines ``[start, end)`` of ``name``'s entry in an Args block (header first, items indented)."""
    head = re.compile(rf"\s+\**{re.escape(name.lstrip('*'))}\s*(\(.*\))?\s*:")
    start = next((i for i, line in enumerate(block) if i and head.match(line)), None)
    if start is None:
        return None
    item = len(block[start]) - len(block[start].lstrip())
    end = start + 1
    while end < len(block) and (not block[end].strip() or len(block[end]) - len(block[end].lstrip()) > item):
        end += 1
    while end > start + 1 and not block[end - 1].strip():
        end -= 1
    return start, end


def _docstring_lines(preamble: list[str], sections: list[tuple[str, list[str]]]) -> list[str]:
    lines = list(preamble)
    for _, block in sections:
        if len(block) > 1:  # a section left without items is dropped with its header
            lines += ["", *block]
    return lines


def _with_docstring(text: str, symbol: str, edit) -> str | None:
    """``text`` with the docstring's layout changed by ``edit`` (returns None when it does not apply)."""
    node, _ = find(parse(text), symbol)
    doc = ast.get_docstring(node)
    if doc is None:
        return None
    lay = layout(doc)
    sections = [(t, list(b)) for t, b in lay.sections]
    if not edit(sections):
        return None
    return set_docstring(text, symbol, _docstring_lines(lay.preamble, sections))


def drop_arg(text: str, symbol: str, rng: random.Random) -> tuple[str, str] | None:
    """Remove one argument's entry from Args; returns (text, argument) or None."""
    names = facts_of(parse(text), symbol).names
    chosen: list[str] = []

    def edit(sections: list[tuple[str, list[str]]]) -> bool:
        for title, block in sections:
            if title in ARGS_TITLES:
                spans = [(n, _item_span(block, n)) for n in names]
                spans = [(n, s) for n, s in spans if s]
                if spans:
                    name, (start, end) = rng.choice(spans)
                    del block[start:end]
                    chosen.append(name)
                    return True
        return False

    new = _with_docstring(text, symbol, edit)
    return (new, chosen[0]) if new else None


def drop_section(text: str, symbol: str, titles: frozenset[str]) -> str | None:
    """Remove the section with one of ``titles`` (Returns or Raises)."""

    def edit(sections: list[tuple[str, list[str]]]) -> bool:
        before = len(sections)
        sections[:] = [(t, b) for t, b in sections if t not in titles]
        return len(sections) < before

    return _with_docstring(text, symbol, edit)


def stale_arg(text: str, symbol: str, rng: random.Random) -> tuple[str, str] | None:
    """Add an argument that the signature does not have to Args; returns (text, argument) or None."""
    facts = facts_of(parse(text), symbol)
    taken = set(facts.names) | {n.lstrip("*") for n in facts.names}
    choices = [(n, d) for n, d in STALE if n not in taken]
    if not choices:
        return None
    name, description = rng.choice(choices)

    def edit(sections: list[tuple[str, list[str]]]) -> bool:
        for title, block in sections:
            if title in ARGS_TITLES:
                indent = next((ln[: len(ln) - len(ln.lstrip())] for ln in block[1:] if ln.strip()), "    ")
                block.insert(rng.randint(1, len(block)) if len(block) > 1 else 1, f"{indent}{name}: {description}")
                return True
        sections.insert(0, ("Args", ["Args:", f"    {name}: {description}"]))
        return True

    new = _with_docstring(text, symbol, edit)
    return (new, name) if new else None


def _new_name(old: str, used: set[str], rng: random.Random) -> str | None:
    star = old[: len(old) - len(old.lstrip("*"))]
    bare = old.lstrip("*")
    candidates = [RENAMES[bare]] if bare in RENAMES else []
    candidates += [f"{bare}_{s}" for s in rng.sample(SUFFIXES, len(SUFFIXES))]
    for c in candidates:
        if c not in used and c.isidentifier():
            return star + c
    return None


def _names_bound_inside(func: Func) -> set[str]:
    """Names that nested scopes of ``func`` bind (a rename must not touch their uses)."""
    out: set[str] = set()
    for node in ast.walk(func):
        if node is func:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            out |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x}
        elif isinstance(node, ast.comprehension):
            out |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out |= set(node.names)
    return out


class _Renamer(cst.CSTTransformer):
    """Renames one parameter of the function at ``path`` and every use of it in its body."""

    def __init__(self, path: list[str], old: str, new: str):
        self.path, self.old, self.new = path, old, new
        self.stack: list[str] = []
        self.depth_in_target = 0  # > 0 while inside the target function

    def _inside(self) -> bool:
        return self.depth_in_target > 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.stack.append(node.name.value)
        if self._inside():
            self.depth_in_target += 1
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.stack.pop()
        if self._inside():
            self.depth_in_target -= 1
            updated = updated.with_changes(name=original.name)
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.stack.append(node.name.value)
        if self._inside() or self.stack == self.path:
            self.depth_in_target += 1
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        target = self.stack == self.path
        self.stack.pop()
        if self._inside():
            self.depth_in_target -= 1
            updated = updated.with_changes(name=original.name)  # a function named like the parameter stays
        if target:  # decorators run in the enclosing scope
            updated = updated.with_changes(decorators=original.decorators)
        return updated

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        if self.depth_in_target == 1 and original.name.value == self.old:
            return updated.with_changes(name=cst.Name(self.new))
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if self._inside() and original.value == self.old:
            return updated.with_changes(value=self.new)
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        if self._inside() and original.attr.value == self.old:  # obj.old is not the parameter
            return updated.with_changes(attr=original.attr)
        return updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if self._inside() and original.keyword is not None and original.keyword.value == self.old:
            return updated.with_changes(keyword=original.keyword)  # f(old=...) names the callee's parameter
        return updated


def rename_param(text: str, symbol: str, rng: random.Random) -> tuple[str, dict[str, str]] | None:
    """Rename one parameter in the code only; returns (text, {new: old}) or None when none can be."""
    tree = parse(text)
    node, _ = find(tree, symbol)
    facts = facts_of(tree, symbol)
    func = node
    path = symbol.split(".")
    if isinstance(node, ast.ClassDef):
        inits = [n for n in node.body if isinstance(n, Func) and n.name == "__init__"]
        if not inits or not facts.params:
            return None
        func, path = inits[-1], [*path, "__init__"]
    if not isinstance(func, Func) or not facts.params:
        return None
    if sum(isinstance(n, Func) and n.name == path[-1] for n in (ast.walk(tree))) > 1:
        return None  # a name defined twice: the renamer could not tell them apart
    blocked = _names_bound_inside(func)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)
    }
    options = [p.name for p in facts.params if p.name.lstrip("*") not in blocked]
    if not options:
        return None
    old = rng.choice(options)
    new = _new_name(old, used | blocked, rng)
    if new is None:
        return None
    bare_old, bare_new = old.lstrip("*"), new.lstrip("*")
    result = cst.parse_module(text).visit(_Renamer(path, bare_old, bare_new)).code
    after = facts_of(parse(result, "the renamed file"), symbol)
    if new not in after.names or old in after.names:
        return None
    return result, {new: old}


def damage(text: str, symbol: str, kind: str, rng: random.Random) -> Damaged | None:
    """Apply one damage to the symbol's docstring (or code, for ``rename_param``).

    Args:
        text: The case file with the author's docstring.
        symbol: ``name`` or ``Class.method``.
        kind: One of :data:`DAMAGES`.
        rng: The random source (the only one used).

    Returns:
        The damaged case, or None when this damage does not apply (e.g. no Returns to drop).

    Raises:
        ValueError: ``kind`` is not a damage.
    """
    if kind == "remove":
        return Damaged(remove_docstring(text, symbol), kind)
    if kind == "drop_arg":
        got = drop_arg(text, symbol, rng)
        return Damaged(got[0], kind, detail=got[1]) if got else None
    if kind == "rename_param":
        renamed = rename_param(text, symbol, rng)
        return Damaged(renamed[0], kind, renamed=renamed[1]) if renamed else None
    if kind == "drop_returns":
        new = drop_section(text, symbol, RETURNS_TITLES)
        return Damaged(new, kind, detail="Returns") if new else None
    if kind == "drop_raises":
        new = drop_section(text, symbol, RAISES_TITLES)
        return Damaged(new, kind, detail="Raises") if new else None
    if kind == "stale_arg":
        got = stale_arg(text, symbol, rng)
        return Damaged(got[0], kind, detail=got[1]) if got else None
    raise ValueError(f"expected a damage in {DAMAGES}, got {kind!r}")


def damage_any(text: str, symbol: str, rng: random.Random, kinds: tuple[str, ...] = DAMAGES) -> Damaged:
    """One damage that applies, chosen at random among ``kinds`` (``remove`` always applies)."""
    order = rng.sample(list(kinds), len(kinds))
    for kind in order:
        got = damage(text, symbol, kind, rng)
        if got is not None:
            return got
    return damage(text, symbol, "remove", rng)  # type: ignore[return-value]
