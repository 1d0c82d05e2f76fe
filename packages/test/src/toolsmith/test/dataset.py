"""Training examples for the test agent: pure corpus functions, the expert's search, real tool runs.

Built on the shared example kit (:mod:`toolsmith.shared.examples`); what is the test agent's own:

1. Cases (:func:`make_case`): a top-level function of the kit's corpus (the standard library and the declared
   packages) cut into a one-file project with the constants and helpers it reads (:func:`corpus.cut`); functions
   without branches are kept only :data:`BRANCH_FREE_KEEP` of the time (they make one-test examples). The
   expert's search runs here, per candidate (:func:`corpus.probe`): a function where no call can be pinned is
   skipped; the kept calls and the coverage they reach go into the case's meta (``expert_calls``,
   ``expert_coverage``: the checks' threshold when it is below 80%).
2. The expert (:func:`expert`): inspect_function, then try_call and add_test for each kept call, run_tests,
   submit_result with the number of tests and run_tests' coverage. Every call after the first copies the last
   successful response: ``try`` (a try_call's arguments) or ``next`` (add_test with the call just tried,
   run_tests, or submit_result with its two counts; the tool writes the summary). With recovery on it sometimes makes a
   mistake a small model makes, gets the real error and makes the right call: parameter names instead of
   values, a call that does not fit the signature, re-adding the call it just pinned, a needless repeat of
   inspect_function / run_tests (the loop guard answers), or submitting while the tools still offer a call.
   The tools offer each of the expert's calls (``try``: the same search, run by the tools); an example where
   they offer another is dropped.
3. Verification: :func:`toolsmith.test.checks.check_episode` on the sandbox (three isolated pytest runs, asserts,
   coverage, the submitted numbers).

Train and eval come from disjoint modules (the kit's split), so eval functions and the helpers they bring
along are never seen in training.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import cache
from keyword import iskeyword
from pathlib import Path
from typing import Any

from toolsmith.shared.corpus import Corpus, Snippet
from toolsmith.shared.examples import Case, Failed, Recipe, Recorder, build_dataset
from toolsmith.test.analysis import FunctionInfo, analyze
from toolsmith.test.checks import EXPERT_COVERAGE, check_episode
from toolsmith.test.corpus import PACKAGES, cut, probe
from toolsmith.test.tools import add_test, inspect_function, run_tests, submit_result, try_call
from toolsmith.test.values import parse_arguments

BRANCH_FREE_KEEP = 0.3  # share of functions without branches kept (the corpus has about as many as with)
MAX_TESTS = 8  # kept calls per example (longer searches are skipped: long conversations)
# Recovery: how often the expert makes each mistake (per example; its own random stream, 0 when recovery is off).
UNSAFE_SHARE = 0.09  # try_call with the parameter names instead of values
SIGNATURE_SHARE = 0.09  # try_call with arguments that do not fit the signature
READD_SHARE = 0.08  # add_test again with the call just pinned
REPEAT_SHARE = 0.08  # inspect_function or run_tests again, nothing changed (the loop guard answers)
EARLY_SHARE = 0.1  # submit_result while the tools still offer a call that reaches more (refused)
CORPUS = Corpus(packages=tuple(PACKAGES), stdlib=True, min_lines=3, max_lines=60, methods=False)


@cache
def _paths() -> dict[str, Path]:
    return dict(CORPUS.modules())


def _skip_reason(reason: str) -> str:
    """A probe's failure as a countable skip reason (module-specific details left out)."""
    if reason.startswith("expected `import"):
        return "does not import in the child"
    if reason.startswith("expected the function to run in the child"):
        return "child failed"
    return reason


def make_case(snippet: Snippet, prepared: Any, rng: random.Random) -> Case | str:
    """A one-file project with the function and the expert's calls for it, or why the snippet is skipped."""
    fn = cut(snippet.package, snippet.module, _paths()[snippet.module], snippet.name)
    if isinstance(fn, str):
        return fn
    try:
        info = analyze(fn.text, fn.name, fn.filename)
    except ValueError as e:
        return f"analysis: {e}"
    if not info.branches and rng.random() >= BRANCH_FREE_KEEP:
        return "no branches (capped)"
    found = probe(fn)
    if not found.usable or found.result is None:
        return _skip_reason(found.reason)
    steps = found.result.steps
    if len(steps) > MAX_TESTS:
        return f"more than {MAX_TESTS} tests"
    meta = {
        "files": {fn.filename: fn.text},
        "target": fn.filename,
        "symbol": fn.name,
        "source": snippet.source,
        "package": snippet.package,
        "branches": len(info.branches),
        "expert_calls": [s.arguments for s in steps],
        EXPERT_COVERAGE: found.result.coverage,  # not rounded: the checks compare the agent's with it
    }
    return Case(files={fn.filename: fn.text}, target=fn.filename, symbol=fn.name, meta=meta)


def parameter_names(info: FunctionInfo) -> str | None:
    """The required parameters' names as "arguments" (what a model copies from the signature), or None when
    that would be a valid call (a parameter named like a safe builtin such as ``len``)."""
    names = [p.name for p in info.params if p.kind in ("positional", "plain") and p.default is None]
    if not names:
        return None
    text = ", ".join(names)
    try:
        parse_arguments(text)
    except ValueError:
        return text
    return None


def misfits(info: FunctionInfo, arguments: str) -> list[str]:
    """Arguments that cannot fit the signature: none when some are required, one too many positional, or an
    unknown keyword."""
    kinds = {p.kind for p in info.params}
    out = []
    if any(p.kind in ("positional", "plain") and p.default is None for p in info.params):
        out.append("")
    if "*args" not in kinds:
        positional = sum(p.kind in ("positional", "plain") for p in info.params)
        given = len(parse_arguments(arguments).positional) if arguments.strip() else 0
        extra = ", ".join(["0"] * (positional - given + 1))
        out.append(f"{arguments}, {extra}" if arguments.strip() else extra)
    if "**kwargs" not in kinds:
        taken = {p.name for p in info.params}
        first = next((p.name for p in info.params if p.kind in ("plain", "keyword")), "value")
        wrong = next(n for n in (first + "s", first + "_value", "value_") if n not in taken and not iskeyword(n))
        out.append(f"{arguments}, {wrong}=1" if arguments.strip() else f"{wrong}=1")
    return out


def expert(rec: Recorder, case: Case) -> None:
    """The scripted test expert (see the module docstring): replays the search's calls through the real tools."""
    calls: list[str] = case.meta["expert_calls"]
    info = analyze(case.files[case.target], case.symbol or "", case.target)
    offered = rec.call(inspect_function).get("try")
    repeat = rec.pick(["inspect_function", "run_tests"]) if rec.chance(REPEAT_SHARE) else None
    if repeat == "inspect_function":
        rec.mistake(inspect_function)
    unsafe = rec.pick(range(len(calls))) if rec.chance(UNSAFE_SHARE) else None
    misfit = rec.pick(range(len(calls))) if rec.chance(SIGNATURE_SHARE) else None
    readd = rec.pick(range(len(calls))) if rec.chance(READD_SHARE) else None
    early = rec.pick([k for k in range(len(calls) - 1) if k != readd]) if rec.chance(EARLY_SHARE) else None
    for i, arguments in enumerate(calls):
        if offered != arguments:  # the tools offer what the search found here; a different offer is dropped
            raise Failed(f"expected the tools to offer `{arguments}`, got {offered!r}")
        names = parameter_names(info) if i == unsafe else None
        if names is not None:
            rec.mistake(try_call, arguments=names)
        if i == misfit:
            rec.mistake(try_call, arguments=rec.pick(misfits(info, arguments)))
        tried = rec.call(try_call, arguments=arguments)
        named = tried.get("next") or {}
        if named.get("tool") != "add_test":
            raise Failed(f"expected the expert's call `{arguments}` to make progress, got {tried}")
        added = rec.call(add_test, arguments=named["arguments"])  # the call the response names, copied
        offered = added.get("try")
        if i == readd:
            rec.mistake(add_test, arguments=arguments)
        if i == early:  # submitting while the tools still offer a call: refused, the error names the call
            rec.mistake(submit_result, tests_added=i + 1, branch_coverage=added["branch_coverage"])
    if offered is not None:
        raise Failed(f"expected no offer after the expert's last call, got {offered!r}")
    ran = rec.call(run_tests)
    if repeat == "run_tests":
        rec.mistake(run_tests)
    named = ran.get("next") or {}
    if named.get("tool") != "submit_result" or named.get("tests_added") != len(calls):
        raise Failed(f"expected run_tests to name submit_result with tests_added={len(calls)}, got {ran}")
    rec.call(submit_result, tests_added=named["tests_added"], branch_coverage=named["branch_coverage"])


def _summarize(splits: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    tests: Counter = Counter()
    out: dict[str, Any] = {}
    for name, rows in splits.items():
        metas = [r["meta"] for r in rows]
        tests.update(len(m["expert_calls"]) for m in metas)
        out[f"{name}_with_branches"] = sum(m["branches"] > 0 for m in metas)
        out[f"{name}_expert_coverage_mean"] = round(sum(m[EXPERT_COVERAGE] for m in metas) / max(len(metas), 1), 4)
        out[f"{name}_expert_coverage_below_80"] = sum(m[EXPERT_COVERAGE] < 0.8 for m in metas)
    out["tests_per_example"] = dict(sorted(tests.items()))
    return out


RECIPE = Recipe(
    domain="test",
    tools=(inspect_function, try_call, add_test, run_tests, submit_result),
    corpus=CORPUS,
    make_case=make_case,
    expert=expert,
    check=check_episode,
    summarize=_summarize,
)


def generate(out_dir: Path, count: int, seed: int, *, recovery: bool = True) -> dict[str, Any]:
    """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir`` (see the module docstring).

    Args:
        out_dir: Output folder (created).
        count: Examples in all (10% go to eval, from modules train never sees).
        seed: Same seed, same bytes.
        recovery: Include recovery mistakes.
    """
    return build_dataset(RECIPE, out_dir, count, seed, recovery=recovery)
