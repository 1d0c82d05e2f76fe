"""Training examples for the sample_data agent: real and composed data types, real tool runs, verified.

Built on the shared example kit (:mod:`toolsmith.shared.examples`); what is sample_data's own:

1. Targets (:class:`TypeCorpus`): data classes cut from the modules of :data:`REAL_PACKAGES` (declared
   dependencies: versions and licences go to ``summary.json``), and composed types
   (:mod:`toolsmith.sample_data.corpus`), :data:`COMPOSED_SHARE` of the candidates; composed train types draw the
   names :func:`hard_names` holds :data:`HARD_NAME_WEIGHT` times as often as the others of their meaning. Real
   types are split by package (no package is in both splits; an eval package never holds more than a quarter of all real
   candidates); composed types by field names: eval types take their field names from eval vocabularies, and a
   train real type holding one of those names is skipped, so no eval field name of a composed type occurs in
   train (real eval types may share names with train ones: ``summary.json`` counts them).
2. Cases: real types are described in a chunk per child process first (:func:`prepare`); those with too few or
   too many fields, or no record from type defaults, are skipped (:func:`make_case`).
3. The expert (:mod:`toolsmith.sample_data.expert`) calls the real tools; :func:`toolsmith.sample_data.checks.
   check_episode` verifies every example (valid records, realism, edge coverage, the fixture, the counts).
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from toolsmith.sample_data.checks import check_episode
from toolsmith.sample_data.corpus import (
    KINDS,
    VOCABULARY,
    TypeRef,
    composed_target,
    data_classes,
    eval_names,
    field_spec,
    real_target,
)
from toolsmith.sample_data.expert import candidates, expert
from toolsmith.sample_data.plan import GenerationError, applicable_edges, choice_fields, list_providers, new_plan
from toolsmith.sample_data.plan import generate as build
from toolsmith.sample_data.session import ChildError, run_worker
from toolsmith.sample_data.spec import fields_by_path
from toolsmith.sample_data.tools import TOOLS
from toolsmith.shared.corpus import Corpus, Snippet
from toolsmith.shared.examples import Case, Recipe, build_dataset
from toolsmith.shared.isolate import Limits

# Distributions real types come from: those whose modules import in well under a second (torch, transformers,
# datasets and trl hold many data classes but take 2-10 s to import, three times per example).
REAL_PACKAGES = (
    "huggingface_hub",
    "pytest",
    "fonttools",
    "packaging",
    "rich",
    "filelock",
    "pydantic",
    "anyio",
    "attrs",
    "dnspython",
    "httpx2",
    "markdown-it-py",
    "pillow",
    "urllib3",
)
COMPOSED = "composed"
HARD_NAME_WEIGHT = 3.0  # how much more often a composed train type draws a name of hard_names() than another
COMPOSED_SHARE = 0.6  # of the candidates (real ones are skipped more often, so a little more of the examples)
EVAL_SHARE = 0.125  # 50 eval targets of the default 400 examples
MAX_EVAL_PACKAGE = 0.25  # no eval package holds more than this share of all real candidates
SKIP_MODULE_PARTS = frozenset({"_vendor", "vendor", "examples"})
MIN_FIELDS = 2
MAX_PATHS = 16  # fields (nested ones included) describe_target lists
MAX_CHOICES = 10  # set_field calls
MAX_EDGES = 10  # edge cases a target calls for (each adds records; kept as when each was a call)
PREPARE_LIMITS = Limits(timeout_s=180.0, cpu_s=180, memory_mb=4096)


@dataclass(frozen=True)
class TypeSnippet(Snippet):
    """A candidate target as the kit's snippet: a real class (``module``/``name``) or a composed type.

    Attributes:
        files: The one-file project, as (relative path, text) pairs.
        target: The target file in it.
        split: ``train`` or ``eval``.
        kind: The composed type's kind (empty for a real class: known once described).
    """

    files: tuple[tuple[str, str], ...] = ()
    target: str = ""
    split: str = "train"
    kind: str = ""


def _snippet(ref: TypeRef, split: str) -> TypeSnippet | None:
    made = real_target(ref)
    if made is None:
        return None
    text = made.files[made.target]
    return TypeSnippet(ref.module, ref.name, ref.name, (), text, ref.package, tuple(made.files.items()), made.target,
                       split)  # fmt: skip


@cache
def hard_names() -> frozenset[str]:
    """Train field names of the composed vocabulary whose first expert candidate
    (:func:`~toolsmith.sample_data.expert.candidates`) ``list_providers`` does not rank first (``given`` ->
    ``first_name``, ``cellphone`` -> ``phone_number``), each judged with its meaning's
    :func:`~toolsmith.sample_data.corpus.field_spec`: copying the list's first entry is wrong, the model must read
    the name, as it must for the eval names it has never seen."""
    hard = set()
    for train, _, kind in VOCABULARY.values():
        for name in train:
            field = {"name": name, "spec": field_spec(kind), "optional": False, "required": True}
            if list_providers({"name": "T", "fields": [field]}, name)[:1] != [candidates(name, field)[0][0]]:
                hard.add(name)
    return frozenset(hard)


@cache
def train_weights() -> dict[str, float]:
    """How composed train types weigh field names (:func:`~toolsmith.sample_data.corpus.compose_fields`)."""
    return dict.fromkeys(hard_names(), HARD_NAME_WEIGHT)


def _composed(seed: int, split: str, i: int) -> TypeSnippet:
    weights = train_weights() if split == "train" else None
    made = composed_target(seed, split, i, weights)
    name = f"{i}:{made.symbol or made.target.split('.')[0]}"
    return TypeSnippet(f"{COMPOSED}.{split}", name, made.symbol or "", (), made.files[made.target], COMPOSED,
                       tuple(made.files.items()), made.target, split, made.meta["kind"])  # fmt: skip


@dataclass(frozen=True)
class TypeCorpus(Corpus):
    """The kit's corpus over real data classes of :data:`REAL_PACKAGES` and composed types.

    Split units are the distributions, plus one composed unit per split (``composed.train``, ``composed.eval``).

    Attributes:
        composed_share: Share of composed types among the candidates (while real ones last).
    """

    composed_share: float = COMPOSED_SHARE

    def modules(self) -> tuple[tuple[str, Path], ...]:
        """The real modules (vendored copies and examples left out)."""
        return tuple((m, p) for m, p in super().modules() if not SKIP_MODULE_PARTS & set(m.split(".")))

    def package_of(self, module: str) -> str:
        """The package of a module (``composed`` for composed types)."""
        return COMPOSED if module.startswith(f"{COMPOSED}.") else super().package_of(module)

    def refs(self, module: str) -> tuple[TypeRef, ...]:
        """The candidate data classes of a module."""
        return data_classes(self.package_of(module), module, dict(self.modules())[module])

    def split(self, rng: random.Random, eval_share: float) -> tuple[list[str], list[str]]:
        """Train and eval modules: whole distributions go to eval (in a seeded order, none bigger than
        :data:`MAX_EVAL_PACKAGE` of the candidates) until they hold ``eval_share`` of the candidates."""
        sizes: Counter[str] = Counter()
        for module, _ in self.modules():
            sizes[self.package_of(module)] += len(self.refs(module))
        total = sum(sizes.values())
        order = sorted(sizes)
        rng.shuffle(order)
        held: set[str] = set()
        for package in order:
            if sum(sizes[p] for p in held) >= eval_share * total:
                break
            if sizes[package] and sizes[package] <= MAX_EVAL_PACKAGE * total:
                held.add(package)
        train = [m for m, _ in self.modules() if self.package_of(m) not in held]
        evals = [m for m, _ in self.modules() if self.package_of(m) in held]
        return [*train, f"{COMPOSED}.train"], [*evals, f"{COMPOSED}.eval"]

    def _real(self, modules: list[str], rng: random.Random, split: str) -> Iterator[TypeSnippet]:
        """Real candidates in rounds over the shuffled modules, two random classes per module per round."""
        order = [m for m in modules if self.refs(m)]
        rng.shuffle(order)
        left = {m: list(self.refs(m)) for m in order}
        for refs in left.values():
            rng.shuffle(refs)
        while order:
            again = []
            for m in order:
                take, left[m] = left[m][:2], left[m][2:]
                for ref in take:
                    made = _snippet(ref, split)
                    if made is not None:
                        yield made
                if left[m]:
                    again.append(m)
            order = again

    def candidates(self, modules: list[str], rng: random.Random, per_round: int = 2) -> Iterator[Snippet]:
        """Composed and real candidates, mixed by :attr:`composed_share` (composed only once real ones run out)."""
        split = "eval" if f"{COMPOSED}.eval" in modules else "train"
        real = self._real([m for m in modules if not m.startswith(f"{COMPOSED}.")], rng, split)
        seed = rng.randrange(2**31)
        i = 0
        while True:
            if rng.random() >= self.composed_share:
                found = next(real, None)
                if found is not None:
                    yield found
                    continue
            yield _composed(seed, split, i)
            i += 1


def prepare(chunk: list[Snippet]) -> list[Any]:
    """Describe the chunk's real classes in one child process: a description or an error text each (None for
    composed types)."""
    real = [i for i, s in enumerate(chunk) if isinstance(s, TypeSnippet) and s.package != COMPOSED]
    out: list[Any] = [None] * len(chunk)
    if not real:
        return out
    with tempfile.TemporaryDirectory(prefix="toolsmith-sample-describe-") as tmp:
        pairs = []
        for n, i in enumerate(real):
            snippet = chunk[i]
            assert isinstance(snippet, TypeSnippet)
            for rel, text in snippet.files:
                path = Path(tmp) / f"p{n:03d}" / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            pairs.append([f"p{n:03d}/{snippet.target}", snippet.symbol])
        try:
            found = run_worker("describe_many", {"targets": pairs}, Path(tmp), limits=PREPARE_LIMITS)
        except ChildError as e:
            found = [f"ChildError: {e}"] * len(real)
    for i, description in zip(real, found):
        out[i] = description
    return out


def unusable(description: dict) -> str:
    """Why a described real type makes no task ("" when it does)."""
    if len(description["fields"]) < MIN_FIELDS:
        return f"fewer than {MIN_FIELDS} fields"
    paths = fields_by_path(description)
    if any(f["spec"]["type"] == "unsupported" and f["required"] and not f["optional"] for f in paths.values()):
        return "a required field of an unsupported type"
    if len(paths) > MAX_PATHS or len(choice_fields(description)) > MAX_CHOICES:
        return "too many fields"
    if len(applicable_edges(description)) > MAX_EDGES:
        return "too many edge cases"
    try:
        build(description, new_plan(description), 1, 0)
    except (GenerationError, ValueError):
        return "no record from type defaults"
    return ""


def make_case(snippet: Snippet, described: Any, rng: random.Random) -> Case | str:
    """The task of a candidate, or why it is skipped (``described``: from :func:`prepare`)."""
    if not isinstance(snippet, TypeSnippet):
        return "not a type snippet"
    files = dict(snippet.files)
    symbol = snippet.symbol or None
    meta: dict[str, Any] = {"files": files, "target": snippet.target, "symbol": symbol, "source": snippet.source}
    if snippet.package == COMPOSED:
        return Case(files, snippet.target, symbol, {**meta, "package": COMPOSED, "kind": snippet.kind})
    if isinstance(described, str) or described is None:
        return f"does not describe: {str(described).split(':')[0]}"
    why = unusable(described)
    if why:
        return why
    if snippet.split == "train" and {p.rsplit(".", 1)[-1] for p in fields_by_path(described)} & eval_names():
        return "holds an eval field name"
    return Case(files, snippet.target, symbol, {**meta, "package": snippet.package, "kind": described["kind"]})


def _field_names(row: dict[str, Any]) -> set[str]:
    """The field names (last path parts) of a row's target, from its describe_target response."""
    for m in row["messages"]:
        if m.get("role") == "tool" and m.get("name") == "describe_target" and "fields" in m["content"]:
            return {p.rsplit(".", 1)[-1] for p in m["content"]["fields"]}
    return set()


def summarize(splits: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Domain counts for ``summary.json``: kinds and sources per split, field-name overlap, conversation sizes."""
    out: dict[str, Any] = {}
    train = [(r["meta"]["package"], _field_names(r)) for r in splits.get("train", [])]
    train_names = set().union(*(names for _, names in train))
    for name, rows in splits.items():
        kinds = Counter(r["meta"]["kind"] for r in rows)
        out[f"{name}_kinds"] = dict(sorted(kinds.items()))
        out[f"{name}_composed"] = sum(r["meta"]["package"] == COMPOSED for r in rows)
        out[f"{name}_real"] = sum(r["meta"]["package"] != COMPOSED for r in rows)
        calls = [sum(len(m.get("tool_calls") or []) for m in r["messages"]) for r in rows]
        if calls:
            out[f"{name}_calls"] = {"min": min(calls), "median": statistics.median(calls), "max": max(calls)}
    evals = splits.get("eval", [])
    composed_eval = set().union(*(_field_names(r) for r in evals if r["meta"]["package"] == COMPOSED))
    real_eval = set().union(*(_field_names(r) for r in evals if r["meta"]["package"] != COMPOSED))
    out["composed_eval_names_in_train"] = sorted(composed_eval & train_names)
    out["real_eval_names"] = len(real_eval)
    out["real_eval_names_in_train"] = len(real_eval & train_names)
    composed_train = [names for package, names in train if package == COMPOSED]
    out["composed_train_fields"] = sum(map(len, composed_train))
    out["composed_train_hard_fields"] = sum(len(names & hard_names()) for names in composed_train)
    out["kinds"] = list(KINDS)
    return out


RECIPE = Recipe(
    domain="sample_data",
    tools=TOOLS,
    corpus=TypeCorpus(packages=REAL_PACKAGES, stdlib=False, split_by="package"),
    make_case=make_case,
    expert=expert,
    check=check_episode,
    prepare=prepare,
    summarize=summarize,
    eval_share=EVAL_SHARE,
)


def generate(out_dir: Path, count: int, seed: int, *, recovery: bool = True) -> dict[str, Any]:
    """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir`` (see the module docstring).

    Args:
        out_dir: Output folder (created).
        count: Examples in all (:data:`EVAL_SHARE` of them eval).
        seed: Same seed, same bytes.
        recovery: Include recovery mistakes.
    """
    return build_dataset(RECIPE, out_dir, count, seed, recovery=recovery)
