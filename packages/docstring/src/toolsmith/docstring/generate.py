"""Training examples for the docstring agent: real authors' Google docstrings, removed or damaged, written back.

Built on the shared example kit (:mod:`toolsmith.shared.examples`); what is the docstring domain's own:

1. Entries (:mod:`toolsmith.docstring.corpus`): functions, methods and classes whose authors wrote good
   Google docstrings (checker-clean, every parameter described), from the declared corpus packages. The same
   docstring (same words) is used once; no package gives more than :data:`PACKAGE_SHARE` of the examples.
2. Cases: the docstring removed, or damaged as docstrings drift from their code (an argument dropped, a
   parameter renamed in the code only, Returns or Raises dropped, a stale argument added:
   :mod:`toolsmith.docstring.damage`); :data:`CLEAN_SHARE` of the entries whose docstring passes the
   checkers as written are left as they are (the agent must see there is nothing to do). A damage the
   checkers cannot see on a docstring that is there is skipped (the agent would rightly leave it).
3. The expert (:mod:`toolsmith.docstring.expert`) inspects, writes the author's own words back through the
   tools, checks and submits; with recovery on, ~30% of the examples hold one realistic mistake first.
4. Verification: :func:`toolsmith.docstring.checks.check_episode` (code unchanged, checkers clean, names and
   sections agree, no placeholder, true submission).

Train and eval come from different packages (:data:`EVAL_PACKAGES` are eval only): the eval split is code
by authors the model never saw.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.docstring.checkers import check
from toolsmith.docstring.checks import check_episode
from toolsmith.docstring.corpus import DocstringCorpus, Entry, entries
from toolsmith.docstring.damage import damage_any
from toolsmith.docstring.expert import expert
from toolsmith.docstring.parts import Parts
from toolsmith.docstring.source import facts_of, parse
from toolsmith.docstring.tools import TOOLS
from toolsmith.shared.corpus import Snippet
from toolsmith.shared.examples import Case, Recipe, Recorder, build_dataset

# Corpus packages (declared dependencies of this package, or of toolsmith-shared, with their versions).
# Entries per package (measured on this machine; see the design note): torch and transformers have the most,
# hence the cap; pydantic and huggingface_hub, two codebases unlike the train ones, are the eval packages.
PACKAGES = ("rich", "torch", "transformers", "datasets", "peft", "trl", "accelerate", "pydantic", "huggingface_hub")
EVAL_PACKAGES = ("pydantic", "huggingface_hub")
EVAL_SHARE = 0.1  # of the examples (400 -> 40 eval targets)
PACKAGE_SHARE = 0.25  # most examples one package may give, as a share of the count
CLEAN_SHARE = 0.2  # of the checker-clean entries: left as they are (nothing to do)
# The standard library is left out: few of its docstrings are Google style (2 examples in 900 candidates, seed 0).
CORPUS = DocstringCorpus(
    packages=PACKAGES, stdlib=False, min_lines=3, max_lines=60, max_line_length=120, eval_packages=EVAL_PACKAGES
)


def words_key(parts: Parts) -> str:
    """A docstring's words, normalized: two entries with the same key are the same docstring."""
    return " ".join(parts.words().lower().split())


@dataclass
class Selector:
    """The ``prepare`` step: entries from a chunk of snippets, each docstring once, each package capped.

    It runs in the generating process over the candidates in their seeded order, so what it keeps does not
    depend on the process pool. A fresh one per data set (it remembers what was taken).

    Attributes:
        cap: Most entries taken from one package.
        seen: Word keys of the docstrings taken.
        taken: Entries taken per package.
    """

    cap: int
    seen: set[str] = field(default_factory=set)
    taken: Counter[str] = field(default_factory=Counter)

    def __call__(self, snippets: list[Snippet]) -> list[Entry | str]:
        todo = [s for s in snippets if self.taken[s.package] < self.cap]
        found = dict(zip(todo, entries(todo), strict=True))
        out: list[Entry | str] = []
        for s in snippets:
            got = found.get(s, "package cap reached")
            if isinstance(got, Entry):
                if self.taken[s.package] >= self.cap:
                    got = "package cap reached"
                elif words_key(got.truth) in self.seen:
                    got = "same docstring as another entry"
                else:
                    self.seen.add(words_key(got.truth))
                    self.taken[s.package] += 1
            out.append(got)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (Selector, (self.cap,))  # pool workers never prepare: they get the settings, not the memory


def make_case(snippet: Snippet, prepared: Entry | str, rng: random.Random) -> Case | str:
    """A case from an entry (``prepared``), or why the snippet is skipped."""
    if isinstance(prepared, str):
        return prepared
    entry = prepared
    if entry.strict and rng.random() < CLEAN_SHARE:
        text, kind, renamed, detail = entry.text, "none", {}, ""
    else:
        damaged = damage_any(entry.text, entry.symbol, rng)
        text, kind, renamed, detail = damaged.text, damaged.damage, damaged.renamed, damaged.detail
        if facts_of(parse(text), entry.symbol).docstring is not None and not check(text, entry.symbol, entry.filename):
            return f"{kind}: the checkers cannot see it"
    meta = {
        "files": {entry.filename: text},
        "target": entry.filename,
        "symbol": entry.symbol,
        "source": snippet.source,
        "kind": entry.kind,
        "damage": kind,
        "detail": detail,
        "renamed": renamed,
        "strict": entry.strict,
        "truth": asdict(entry.truth),
    }
    return Case(files={entry.filename: text}, target=entry.filename, symbol=entry.symbol, meta=meta)


def expert_for(rec: Recorder, case: Case) -> None:
    """The scripted expert on one case (the author's words are in ``case.meta``)."""
    expert(rec, Parts(**case.meta["truth"]), case.meta["renamed"])


def _summarize(splits: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    damages: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    strict = 0
    for rows in splits.values():
        for row in rows:
            damages[row["meta"]["damage"]] += 1
            kinds[row["meta"]["kind"]] += 1
            strict += row["meta"]["strict"]
    return {
        "damages": dict(sorted(damages.items())),
        "symbol_kinds": dict(sorted(kinds.items())),
        "strict_entries": strict,
        "eval_packages": list(EVAL_PACKAGES),
    }


def recipe(count: int) -> Recipe:
    """The docstring recipe for a data set of ``count`` examples (the package cap depends on it)."""
    return Recipe(
        domain="docstring",
        tools=TOOLS,
        corpus=CORPUS,
        make_case=make_case,
        expert=expert_for,
        check=check_episode,
        prepare=Selector(cap=max(1, math.ceil(PACKAGE_SHARE * count))),
        summarize=_summarize,
        eval_share=EVAL_SHARE,
    )


def generate(out_dir: Path, count: int, seed: int, *, recovery: bool = True) -> dict[str, Any]:
    """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir`` (see the module docstring).

    Args:
        out_dir: Output folder (created).
        count: Examples in all (:data:`EVAL_SHARE` of them eval, from :data:`EVAL_PACKAGES`).
        seed: Same seed, same bytes.
        recovery: Include recovery mistakes.

    Returns:
        The summary (also in ``summary.json``).
    """
    return build_dataset(recipe(count), out_dir, count, seed, recovery=recovery)
