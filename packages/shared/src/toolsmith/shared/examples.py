"""The example kit: real code, a scripted expert calling the REAL tools, verified trajectories.

A domain describes its examples with a :class:`Recipe`: where its code comes from (a
:class:`~toolsmith.shared.corpus.Corpus`), how a snippet becomes a task (``make_case``), its expert policy and its
check. The kit does the rest, the same way for every domain:

1. split the corpus into train and eval modules (or packages), so eval code is never seen in training;
2. walk the snippets in a seeded order; for each, ``make_case`` builds a :class:`Case` or says why not (skipped);
3. write the case's files into a fresh project, open a real sandbox on it, and let the expert call the real
   tools through a :class:`Recorder`: the real responses become the trajectory;
4. judge the result with the domain's ``check_episode`` (:class:`~toolsmith.shared.episode.Episode`); failures are
   dropped and counted with their reason;
5. write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` (counts per tool, per package and per skip/drop
   reason, and each package's version and licence).

Recovery: with ``recovery`` on, the expert may make realistic mistakes (:meth:`Recorder.mistake`): the wrong
call is recorded unsupervised (``"weight": 0``) with the real error the runner would send (argument checks, tool
errors and the loop guard are the runner's own), and the expert then makes the right call. Mistakes draw from
their own random stream, so with recovery off the data is exactly what it is without this feature.

Same seed, same bytes: the candidates' order, the chunking and the recorded outputs do not depend on timing or
on the process pool.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from toolsmith.shared.agent import AgentSpec, AgentSpecError, load_agent
from toolsmith.shared.constants import EVAL_FILE, SUMMARY_FILE, TRAIN_FILE
from toolsmith.shared.corpus import Corpus, Snippet
from toolsmith.shared.data import write_examples
from toolsmith.shared.episode import Episode, materialize
from toolsmith.shared.io import atomic_write_text
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.runner import symbol_source
from toolsmith.shared.sandbox import Sandbox, open_sandbox
from toolsmith.shared.tools import response, run_tool

log = logging.getLogger(__name__)

PARALLEL_MIN = 40  # examples from which candidates run in a process pool
MAX_WORKERS = 4
REASON_CHARS = 60  # skip/drop reasons are counted by their first characters


@dataclass(frozen=True)
class Case:
    """One task made from a snippet.

    Attributes:
        files: The project: relative path -> text.
        target: The file the agent works on (a key of ``files``).
        symbol: The function/class the task is limited to, if any.
        meta: What the domain keeps in the row (at least what its evaluator needs to rebuild the task).
    """

    files: dict[str, str]
    target: str
    symbol: str | None
    meta: dict[str, Any]

    def __post_init__(self) -> None:
        if self.target not in self.files:
            raise ValueError(f"Case: expected the target {self.target!r} among the files, got {sorted(self.files)}")


class Failed(Exception):
    """A call the expert meant to succeed failed, or the expert gave up: the example is dropped."""


class Recorder:
    """What the scripted expert calls the real tools through, in a real sandbox.

    Args:
        agent: The domain's agent (tools, schemas, terminal tool).
        box: The sandbox the tools work in (the expert may look, never edit).
        mistakes: Random stream for recovery mistakes; None turns them off.
    """

    def __init__(self, agent: AgentSpec, box: Sandbox, mistakes: random.Random | None = None) -> None:
        self.agent = agent
        self.box = box
        self.messages: list[dict[str, Any]] = []
        self.submitted: dict[str, Any] | None = None
        self.mistakes_made: Counter[str] = Counter()
        self._rng = mistakes
        self._guard = LoopGuard(agent.terminal_tool)
        self._schemas = {s["function"]["name"]: s for s in agent.schemas}

    def _invoke(self, name: str, arguments: dict[str, Any]) -> tuple[Any, str | None]:
        return run_tool(self.agent.tool_by_name[name], self._schemas[name], arguments)

    def _record(self, name: str, arguments: dict[str, Any], supervised: bool) -> tuple[Any, str | None]:
        if name not in self.agent.tool_by_name:
            raise ValueError(f"expected one of the agent's tools {sorted(self.agent.tool_by_name)}, got {name!r}")
        value, error = self._guard.call(name, arguments, self._invoke)
        call: dict[str, Any] = {
            "role": "assistant",
            "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}],
        }
        if not supervised:
            call["weight"] = 0
        self.messages += [call, {"role": "tool", "name": name, "content": response(value, error)}]
        return value, error

    def call(self, fn: Callable[..., Any], **arguments: Any) -> Any:
        """Call a tool as the model should; returns its result.

        Raises:
            Failed: The tool answered with an error.
        """
        value, error = self._record(fn.__name__, arguments, supervised=True)
        if error is not None:
            raise Failed(f"{fn.__name__}: {error}")
        if fn.__name__ == self.agent.terminal_tool:
            self.submitted = dict(arguments)
        return value

    def mistake(self, fn: Callable[..., Any], **arguments: Any) -> str:
        """Make a realistic wrong call (unsupervised); returns the real error it got.

        Raises:
            Failed: The call succeeded (it was no mistake, and it may have changed the sandbox).
        """
        value, error = self._record(fn.__name__, arguments, supervised=False)
        if error is None:
            raise Failed(f"expected the mistaken {fn.__name__} call {arguments} to fail, got {value!r:.80}")
        self.mistakes_made[fn.__name__] += 1
        return error

    def chance(self, p: float) -> bool:
        """True with probability ``p`` when recovery mistakes are on (never otherwise)."""
        return self._rng is not None and self._rng.random() < p

    def pick(self, options: list[Any]) -> Any:
        """A random element of ``options`` from the mistakes' stream (None when empty or mistakes are off)."""
        return self._rng.choice(options) if self._rng is not None and options else None


@dataclass(frozen=True)
class Recipe:
    """How a domain makes examples; :func:`build_dataset` does the rest.

    Attributes:
        domain: The domain name (its ``agents/<domain>/agent.yaml`` is used).
        tools: The domain's tool functions.
        corpus: Where snippets come from.
        make_case: ``(snippet, prepared, rng) -> Case`` or a skip reason (str). ``rng`` is seeded by the seed and
            the snippet, so a case does not depend on the order of work.
        expert: ``(recorder, case) -> None``: calls the tools, ending with the terminal tool.
        check: The domain's ``check_episode``.
        prepare: Optional batch step over a chunk of snippets, giving ``prepared`` per snippet (default: the
            snippet's text).
        summarize: Optional domain counts for ``summary.json``, from the split rows.
        eval_share: Share of the split units that are eval only.
    """

    domain: str
    tools: tuple[Callable[..., Any], ...]
    corpus: Corpus
    make_case: Callable[[Snippet, Any, random.Random], Case | str]
    expert: Callable[[Recorder, Case], None]
    check: Callable[[Episode], dict[str, Any]]
    prepare: Callable[[list[Snippet]], list[Any]] | None = None
    summarize: Callable[[dict[str, list[dict[str, Any]]]], dict[str, Any]] | None = None
    eval_share: float = 0.1

    def agent(self) -> AgentSpec:
        """The domain's agent definition."""
        return _agent(self.domain, self.tools)


@cache
def _agent(domain: str, tools: tuple[Callable[..., Any], ...]) -> AgentSpec:
    try:
        return load_agent(domain, tools=tools)
    except AgentSpecError:  # run from elsewhere: the checkout this package was installed from
        here = Path(__file__).resolve().parents[5] / "agents" / domain / "agent.yaml"
        if not here.is_file():
            raise
        return load_agent(domain, path=here, tools=tools)


def record_case(recipe: Recipe, case: Case, mistakes: random.Random | None = None) -> tuple[dict[str, Any] | None, str]:
    """Run the expert on ``case`` in a fresh sandbox and verify it.

    Returns:
        The row (``messages`` and ``meta``; ``tools`` is added when the data set is written) and ``"ok"``, or
        None and ``"drop:<why>"``.
    """
    agent = recipe.agent()
    with tempfile.TemporaryDirectory(prefix=f"toolsmith-{recipe.domain}-") as tmp:
        project = Path(tmp) / "project"
        materialize(project, case.files)
        with open_sandbox(
            project / case.target,
            symbol=case.symbol,
            outputs=agent.outputs,
            edits_target=agent.edits_target,
            project=project,
        ) as box:
            rec = Recorder(agent, box, mistakes)
            try:
                recipe.expert(rec, case)
            except (Failed, subprocess.TimeoutExpired, RuntimeError) as e:
                return None, f"drop:{e}"
            if rec.submitted is None:
                return None, f"drop:expected the expert to end with {agent.terminal_tool}, got no submission"
            verdict = recipe.check(Episode.from_sandbox(box, rec.submitted, case.meta))
    if not verdict["success"]:
        return None, f"drop:{verdict['reason']}"
    code = case.files[case.target]
    if case.symbol:  # what the runner shows for path.py::name: the symbol's source only
        code = symbol_source(code, case.symbol, case.target)
    first = agent.first_messages(path=case.target, code=code, symbol=case.symbol)
    return {"messages": first + rec.messages, "meta": case.meta}, "ok"


def _make_one(job: tuple[Recipe, Snippet, Any, int, bool]) -> tuple[dict[str, Any] | None, str]:
    recipe, snippet, prepared, seed, recovery = job
    case = recipe.make_case(snippet, prepared, random.Random(f"{seed}:{snippet.source}"))
    if isinstance(case, str):
        return None, f"skip:{case}"
    mistakes = random.Random(f"{seed}:{snippet.source}:recovery") if recovery else None
    return record_case(recipe, case, mistakes)


def _fill(
    recipe: Recipe, pool: Iterator[Snippet], want: int, seed: int, recovery: bool, stats: Counter, executor: Any
) -> list[dict[str, Any]]:
    """Examples from ``pool`` in order until ``want``; candidates run in chunks (in parallel with ``executor``)."""
    from tqdm.auto import tqdm

    rows: list[dict[str, Any]] = []
    bar = tqdm(total=want, desc=f"{recipe.domain} examples", unit="ex", leave=False, disable=want < PARALLEL_MIN)
    while len(rows) < want:
        part = list(itertools.islice(pool, min(48, 4 + 2 * (want - len(rows)))))
        if not part:
            break
        prepared = recipe.prepare(part) if recipe.prepare else [s.text for s in part]
        jobs = [(recipe, s, p, seed, recovery) for s, p in zip(part, prepared, strict=True)]
        for row, status in executor.map(_make_one, jobs, chunksize=4) if executor else map(_make_one, jobs):
            kind, _, why = status.partition(":")
            stats[kind] += 1
            if kind != "ok":
                stats[f"{kind}_reason:{why[:REASON_CHARS]}"] += 1
            if row is not None:
                rows.append(row)
                bar.update(1)
                if len(rows) >= want:
                    break
    bar.close()
    return rows


def _executor(recipe: Recipe, count: int) -> Any:
    """A process pool for big runs (results keep candidate order, so output does not depend on it)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    if count < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    recipe.agent()  # loaded once, inherited by the workers
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def build_dataset(recipe: Recipe, out_dir: Path, count: int, seed: int, *, recovery: bool = True) -> dict[str, Any]:
    """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir``.

    Args:
        recipe: The domain's recipe.
        out_dir: Output folder (created).
        count: Examples in all (``recipe.eval_share`` of them are eval, from modules train never sees).
        seed: Same seed, same bytes.
        recovery: Let the expert make recovery mistakes.

    Returns:
        The summary (also written to ``summary.json``), plus ``seconds``.
    """
    if count < 1:
        raise ValueError(f"expected count >= 1, got {count}")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    train_mods, eval_mods = recipe.corpus.split(rng, recipe.eval_share)
    n_eval = max(round(count * recipe.eval_share), 1) if count >= 2 else 0
    stats: Counter = Counter()
    splits: dict[str, list[dict[str, Any]]] = {}
    executor = _executor(recipe, count)
    try:
        for name, mods, want in (("train", train_mods, count - n_eval), ("eval", eval_mods, n_eval)):
            pool = recipe.corpus.candidates(mods, rng)
            splits[name] = _fill(recipe, pool, want, seed, recovery, stats, executor) if want else []
    finally:
        if executor:
            executor.shutdown(cancel_futures=True)
    schemas = recipe.agent().schemas
    for rows in splits.values():
        for row in rows:
            row["tools"] = schemas
    write_examples(out_dir / TRAIN_FILE, splits["train"])
    write_examples(out_dir / EVAL_FILE, splits["eval"])
    summary = summarize(recipe, splits, stats, seed, count, recovery)
    atomic_write_text(out_dir / SUMMARY_FILE, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    if len(splits["train"]) < count - n_eval or len(splits["eval"]) < n_eval:
        log.warning("the corpus gave %s examples, not %d", {k: len(v) for k, v in splits.items()}, count)
    return {**summary, "seconds": round(time.perf_counter() - t0, 2)}


@dataclass
class _Counts:
    supervised: Counter[str] = field(default_factory=Counter)
    mistakes: Counter[str] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)
    with_mistakes: int = 0


def summarize(
    recipe: Recipe, splits: dict[str, list[dict[str, Any]]], stats: Counter, seed: int, count: int, recovery: bool
) -> dict[str, Any]:
    """``summary.json``: what was made, from what, and what was skipped or dropped (and why)."""
    counts = _Counts()
    for rows in splits.values():
        for row in rows:
            mistakes = 0
            for m in row["messages"]:
                for c in m.get("tool_calls") or []:
                    name = c["function"]["name"]
                    if m.get("weight", 1) == 0:
                        counts.mistakes[name] += 1
                        mistakes += 1
                    else:
                        counts.supervised[name] += 1
            counts.with_mistakes += mistakes > 0
            source = str(row["meta"].get("source", ""))
            counts.packages[recipe.corpus.package_of(source.split(":")[0]) if source else "?"] += 1

    def reasons(kind: str) -> dict[str, int]:
        return {k.split(":", 1)[1]: v for k, v in sorted(stats.items()) if k.startswith(f"{kind}_reason:")}

    summary = {
        "domain": recipe.domain,
        "seed": seed,
        "requested": count,
        "recovery": recovery,
        "examples": {name: len(rows) for name, rows in splits.items()},
        "examples_with_mistakes": counts.with_mistakes,
        "tool_calls": dict(sorted(counts.supervised.items())),
        "mistake_calls": dict(sorted(counts.mistakes.items())),
        "examples_per_package": dict(sorted(counts.packages.items())),
        "packages": [vars(p) for p in recipe.corpus.sources()],
        "candidates": stats["ok"] + stats["skip"] + stats["drop"],
        "skipped": stats["skip"],
        "skip_reasons": reasons("skip"),
        "dropped": stats["drop"],
        "drop_reasons": reasons("drop"),
        "source_modules": {
            name: sorted({str(r["meta"].get("source", "")).split(":")[0] for r in rows})
            for name, rows in splits.items()
        },
        "python": sys.version.split()[0],
    }
    if recipe.summarize:
        summary.update(recipe.summarize(splits))
    return summary
