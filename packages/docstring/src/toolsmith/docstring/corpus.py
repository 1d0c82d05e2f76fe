"""The corpus: functions, methods and classes of installed packages whose authors wrote good Google docstrings.

Snippets come from the shared kit's :class:`~toolsmith.shared.corpus.Corpus` (modules parsed on first use,
held-out packages refused, versions and licences recorded). A snippet is an entry when, in its case file:

- its docstring is Google style with at least one of Args/Returns/Yields/Raises (other sections, such as
  Examples, are kept verbatim by the tools);
- pydoclint reports nothing for it and ruff no missing description (D417, D419, D10x): the docstring's
  **content** agrees with the code;
- every parameter is described under its own name, no other name is, and the renderer accepts the author's
  parts as they are (:func:`toolsmith.docstring.render.checked`): no placeholder, sections that agree with
  the code; rendered by the template, the author's parts pass both checkers;
- it is short enough for the model's context: a docstring of at most :data:`MAX_DOC_CHARS` characters,
  ASCII, no tabs (the kit keeps snippets of 3-60 lines).

``strict`` entries also pass both checkers as the author formatted them (most others fail only ruff layout
rules such as D212, which the template fixes). The case file is the snippet's imports, then the symbol (a
method inside a bare ``class Name:`` header, so ``self`` stays a method's).
"""

from __future__ import annotations

import ast
import itertools
import random
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace

from toolsmith.docstring.checkers import Problem, ruff_many, scope, symbol_problems
from toolsmith.docstring.parts import WRITTEN_TITLES, Parts, layout, parts_of
from toolsmith.docstring.source import Facts, facts_of, parse
from toolsmith.docstring.write import write_parts
from toolsmith.shared.corpus import Corpus, Snippet

MAX_DOC_CHARS = 1200
CONTENT_RULES = frozenset({"D417", "D419", "D101", "D102", "D103", "D105", "D106", "D107"})


@dataclass(frozen=True)
class Entry:
    """One symbol with a good Google docstring.

    Attributes:
        package: Distribution name, or ``stdlib``.
        module: Dotted module name.
        symbol: ``name`` or ``Class.method`` inside ``text``.
        kind: ``function``, ``method`` or ``class``.
        text: The case file: the symbol with its author's docstring.
        filename: The case file's name (the module's, ``console.py``).
        truth: The author's docstring as parts.
        strict: Whether the author's docstring passes both checkers as formatted (not only rendered).
    """

    package: str
    module: str
    symbol: str
    kind: str
    text: str
    filename: str
    truth: Parts
    strict: bool = False

    @property
    def source(self) -> str:
        """``module:symbol``."""
        return f"{self.module}:{self.symbol}"


@dataclass(frozen=True)
class DocstringCorpus(Corpus):
    """The kit's corpus with a fixed package split and candidates taken from the packages in turn.

    Eval packages are never train: the eval split is code from authors the model has not seen. Candidates
    come a few at a time from each package in turn (each package's modules in the kit's seeded order), so
    big packages neither drown small ones nor need parsing whole before small ones are reached.

    Attributes:
        eval_packages: The packages whose snippets are eval only.
    """

    eval_packages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = [p for p in self.eval_packages if p not in self.packages]
        if unknown or not self.eval_packages:
            raise ValueError(f"DocstringCorpus: expected eval packages among {self.packages}, got {self.eval_packages}")

    def split(self, rng: random.Random, eval_share: float) -> tuple[list[str], list[str]]:
        """Train and eval modules: the eval packages' modules are eval, the rest train (``rng`` is not used)."""
        modules = [m for m, _ in self.modules()]
        held = set(self.eval_packages)
        return (
            [m for m in modules if self.package_of(m) not in held],
            [m for m in modules if self.package_of(m) in held],
        )

    def candidates(self, modules: list[str], rng: random.Random, per_round: int = 2) -> Iterator[Snippet]:
        """``per_round`` snippets from each package in turn, until all are used (a seeded order)."""
        by_package: dict[str, list[str]] = {}
        for m in modules:
            by_package.setdefault(self.package_of(m), []).append(m)
        streams = [super(DocstringCorpus, self).candidates(by_package[p], rng, per_round) for p in sorted(by_package)]
        while streams:
            alive = []
            for stream in streams:
                took = list(itertools.islice(stream, per_round))
                yield from took
                if len(took) == per_round:
                    alive.append(stream)
            streams = alive


def case_text(snippet: Snippet) -> str:
    """The case file of a snippet: its imports, then the symbol (a method inside a bare class header)."""
    body = snippet.body
    if "." in snippet.name:
        body = f"class {snippet.name.split('.')[0]}:\n" + textwrap.indent(body, "    ")
    return ("\n".join(snippet.imports) + "\n\n\n" + body) if snippet.imports else body


def _content_problem(problems: list[Problem]) -> str:
    bad = [p.code for p in problems if p.code.startswith("DOC") or p.code in CONTENT_RULES]
    return min(bad) if bad else ""


@dataclass(frozen=True)
class _Pending:
    """A snippet that passed every filter but ruff's (run once for many)."""

    entry: Entry
    tree: ast.Module
    rendered: str


def _prefilter(snippet: Snippet) -> _Pending | str:
    """Everything but ruff: the entry and its rendered file, or why the snippet is not one."""
    symbol = snippet.name
    text = case_text(snippet)
    try:
        tree = parse(text)
        facts: Facts = facts_of(tree, symbol)
    except ValueError:
        return "does not parse"
    doc = facts.docstring
    if doc is None:
        return "no docstring"
    if not {title for title, _ in layout(doc).sections} & WRITTEN_TITLES:
        return "no Args/Returns/Yields/Raises"
    if len(doc) > MAX_DOC_CHARS:
        return "docstring too long"
    if not text.isascii() or "\t" in text or "\f" in text:
        return "not ascii or tabs"
    bad = _content_problem(symbol_problems(tree, symbol, ()))
    if bad:
        return f"checkers: {bad}"
    try:
        truth = parts_of(doc)
    except ValueError:
        return "does not parse as Google style"
    if sorted(truth.args) != sorted(facts.names):
        return "args differ from the parser's"
    try:
        rendered = write_parts(text, symbol, truth)
    except ValueError as e:
        return "renderer refuses: " + str(e).split(", got ")[0][:60]
    left = symbol_problems(parse(rendered), symbol, ())
    if left:
        return "rendered: " + left[0].code
    entry = Entry(snippet.package, snippet.module, symbol, facts.kind, text, snippet.filename, truth)
    return _Pending(entry, tree, rendered)


def entries(snippets: list[Snippet]) -> list[Entry | str]:
    """The entry of each snippet, or why it is not one (see the module docstring); ruff runs once for all.

    Args:
        snippets: Candidates from the corpus.

    Returns:
        One :class:`Entry` or reason per snippet, in order.
    """
    out: list[Entry | str | _Pending] = [_prefilter(s) for s in snippets]
    pending = [p for p in out if isinstance(p, _Pending)]
    texts = [(p.entry.filename, t) for p in pending for t in (p.entry.text, p.rendered)]
    found = iter(ruff_many(texts))
    verdicts: dict[int, Entry | str] = {}
    for p in pending:
        ruff_original, ruff_rendered = next(found), next(found)
        symbol = p.entry.symbol
        original = symbol_problems(p.tree, symbol, ruff_original)
        bad = _content_problem(original)
        rendered = scope(facts_of(parse(p.rendered), symbol), [], ruff_rendered)
        if bad:
            verdicts[id(p)] = f"checkers: {bad}"
        elif rendered:
            verdicts[id(p)] = "rendered: " + rendered[0].code
        else:
            verdicts[id(p)] = replace(p.entry, strict=not original)
    return [verdicts[id(x)] if isinstance(x, _Pending) else x for x in out]
