"""Training examples for the lint agent: real stdlib code, injected lint problems, real tool runs.

Built on the shared example kit (:mod:`toolsmith.shared.examples`); what is lint's own:

1. Cases: a stdlib function/class (5-60 lines, with the module's imports it uses, sorted by ruff's isort) with
   1-4 realistic problems injected (:mod:`toolsmith.lint.inject`; in 35% of cases one rule 2-3 times); 15% of
   cases are limited to the symbol, 30% get only problems ruff has no fix for (B007, B904, E721, E722 and E741 are
   rewritten; most snippets offer them no place, so some training examples start with nothing to fix:
   run_linter, then submit_result). The first snippet of a
   module gives the whole module instead, as it is, with its own issues (1-60, nothing injected: ``kind`` module
   in the rows' meta, the others ``snippet``).
2. The expert: run_linter, then the ``next`` call of the last response, copied: fix_all with its code (every ruff fix
   of that code) or, for a rule ruff has no fix for, rewrite with its code and replacement (the rule's
   :data:`toolsmith.lint.rewrite.REPLACEMENTS`: ``err``, ``is``, ``Exception``; for E741 a new name, for B007 a
   dummy), until next is submit_result with the counts (the tool writes the summary). With recovery on, it
   sometimes makes the mistakes a small model makes — copies a wrong code into fix_all (another listed code without
   a fix, the code just fixed), calls fix_all for a code to rewrite or, before submitting, for one left without a
   fix, calls run_linter again for nothing, submits the first linter run's counts or the two counts swapped — gets
   the real error and makes the right call.
3. Verification: ruff on the final file agrees with the submitted counts and leaves nothing fixable
   (:func:`toolsmith.lint.checks.check_episode`).

Train and eval come from disjoint stdlib modules (about 10% of the examples are eval).
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from toolsmith.lint.checks import check_episode
from toolsmith.lint.inject import NO_FIX_CODES, inject
from toolsmith.lint.tools import fix_all, lint_text, read_file, rewrite, run_linter, scoped, submit_result
from toolsmith.shared.corpus import Corpus, Snippet
from toolsmith.shared.examples import Case, Failed, Recipe, Recorder, build_dataset
from toolsmith.shared.proc import ruff_command

MAX_ISSUES = 6  # issues per example after injection (keeps conversations short)
MAX_FILE_ISSUES = 60  # issues of a whole module taken as it is
MAX_PREEXISTING = 2  # issues a snippet may already have
MAX_FIXES = 20  # fix_all calls (rule codes) per example
SYMBOL_SHARE = 0.15  # examples that target one function/class (``path.py::name``)
NO_FIX_SHARE = 0.3  # cases injected only with rules ruff has no fix for
REPEAT_RULE_SHARE = 0.35  # cases whose first injected rule is injected 2-3 times (fix_all's data)
# Recovery: how often the expert makes each mistake (its own random stream; 0 when recovery is off).
WRONG_COPY_SHARE = 0.12  # per fix: fix_all with a listed code without a fix, the code just fixed, or one to rewrite
REPEAT_SHARE = 0.12  # per example: run_linter again right after run_linter
NO_FIX_MISTAKE_SHARE = 0.4  # per example that ends with issues left: fix_all on one of their codes before submitting
WRONG_COUNT_SHARE = 0.1  # per example: submit_result with stale (the first linter run's) or swapped counts first


def _ruff_fix_imports(texts: list[str]) -> list[str]:
    """Sort each text's imports with ruff (I001 only, one ruff run for all)."""
    with tempfile.TemporaryDirectory(prefix="toolsmith-lint-") as tmp:
        paths = [Path(tmp) / f"s{i:05d}.py" for i in range(len(texts))]
        for p, t in zip(paths, texts, strict=True):
            p.write_text(t, encoding="utf-8")
        argv = [*ruff_command(), "check", "--no-cache", "--isolated", "--select", "I001", "--fix", "--exit-zero"]
        subprocess.run([*argv, "--quiet", "."], cwd=tmp, capture_output=True, text=True, timeout=120)
        return [p.read_text(encoding="utf-8") for p in paths]


CORPUS = Corpus()
_BASE: dict[Snippet, str] = {}


def base_texts(snippets: list[Snippet]) -> list[str]:
    """The snippets as files (imports sorted by ruff, so no I001 unless injected); cached."""
    todo = [s for s in dict.fromkeys(snippets) if s not in _BASE]
    if todo:
        for s, t in zip(todo, _ruff_fix_imports([s.text for s in todo]), strict=True):
            _BASE[s] = t
    return [_BASE[s] for s in snippets]


def module_case(snippet: Snippet) -> Case | str:
    """The snippet's whole module as it is, with its own issues (nothing injected), or why it is skipped."""
    path = dict(CORPUS.modules())[snippet.module]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return f"module unreadable: {type(e).__name__}"
    issues = lint_text(text, snippet.filename)
    if any(i.code == "invalid-syntax" for i in issues):
        return "module does not parse"
    if not 1 <= len(issues) <= MAX_FILE_ISSUES:
        return "module issue count"
    return _case(snippet.module, "module", snippet.filename, None, text, issues, [])


def _case(
    source: str, kind: str, filename: str, symbol: str | None, text: str, issues: list, injected: list[str]
) -> Case:
    meta = {
        "source": source,
        "kind": kind,
        "filename": filename,
        "symbol": symbol,
        "original": text,
        "codes": [i.code for i in issues],
        "injected": sorted(injected),
    }
    return Case(files={filename: text}, target=filename, symbol=symbol, meta=meta)


def make_case(snippet: Snippet, base: str, rng: random.Random) -> Case | str:
    """A file with injected problems (``base`` is the snippet's file text), or why the snippet is skipped; the
    first snippet of a module gives the whole module instead (:func:`module_case`)."""
    if snippet == CORPUS.snippets(snippet.module)[0]:
        return module_case(snippet)
    symbol = snippet.symbol if rng.random() < SYMBOL_SHARE else None
    text, injected = inject(base, rng, NO_FIX_CODES if rng.random() < NO_FIX_SHARE else None, REPEAT_RULE_SHARE)
    if not injected:
        return "nothing injected"
    issues = lint_text(text, snippet.filename)
    if not set(injected) <= {i.code for i in issues}:
        return "injection not reported"
    if len(issues) - len(injected) > MAX_PREEXISTING:  # about the issues the code had already
        return "preexisting"
    issues = scoped(issues, text, symbol)
    if not 1 <= len(issues) <= MAX_ISSUES:
        return "issue count"
    return _case(snippet.source, "snippet", snippet.filename, symbol, text, issues, injected)


def wrong_copies(last: dict[str, Any]) -> list[dict[str, Any]]:
    """Arguments that a careless copy from the last response gives ``fix_all`` instead of its ``next`` code: another
    listed code without a fixable issue, or the code just fixed (codes with a fixable issue are left out)."""
    listed = last.get("issues", [])
    fixable = {i["code"] for i in listed if i["fixable"]} | {last["next"]["code"]}
    codes = [i["code"] for i in listed] + ([last["fixed"]] if "fixed" in last else [])
    return [{"issue_code": c} for c in dict.fromkeys(codes) if c not in fixable]


def expert(rec: Recorder, case: Case) -> None:
    """The scripted lint expert (see the module docstring)."""
    first = last = rec.call(run_linter)
    if rec.chance(REPEAT_SHARE):
        rec.mistake(run_linter)
    fixes = 0
    rewritten: set[str] = set()
    while last["next"]["call"] != "submit_result":
        if fixes >= MAX_FIXES:
            raise Failed(f"expected at most {MAX_FIXES} fixes, got more")
        nxt = last["next"]
        code = nxt["code"]
        if nxt["call"] == "rewrite":  # no ruff fix: the statement is rewritten with the replacement next names
            if rec.chance(WRONG_COPY_SHARE):
                rec.mistake(fix_all, issue_code=code)  # "without an automatic fix"
            last = rec.call(rewrite, issue_code=code, replacement=nxt["replacement"])
            rewritten.add(code)
        else:
            wrong = rec.pick(wrong_copies(last)) if rec.chance(WRONG_COPY_SHARE) else None
            if wrong:
                rec.mistake(fix_all, **wrong)
            last = rec.call(fix_all, issue_code=code)
        fixes += 1
    nxt = last["next"]
    counts = (nxt["issues_fixed"], nxt["issues_remaining"])
    # a code the first listing showed without a fix and no rewrite took: nothing is fixable now (next is
    # submit_result), so fix_all on it fails, with "without an automatic fix" or, if a fix took it away, "no ... issue"
    left = [i["code"] for i in first["issues"] if not i["fixable"] and i["code"] not in rewritten]
    if counts[1] and left and rec.chance(NO_FIX_MISTAKE_SHARE):
        rec.mistake(fix_all, issue_code=left[0])  # "without an automatic fix"
    if rec.chance(WRONG_COUNT_SHARE):  # the tool refuses and answers with the linter's counts
        wrong = rec.pick([c for c in ((first["issues_fixed"], first["count"]), counts[::-1]) if c != counts])
        if wrong:
            rec.mistake(submit_result, issues_fixed=wrong[0], issues_remaining=wrong[1])
    # the counts copied from the last response's next call; the summary left to the tool (terminal: no text follows)
    rec.call(submit_result, issues_fixed=counts[0], issues_remaining=counts[1])


def _summarize(splits: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    codes: Counter = Counter()
    injected: Counter = Counter()
    remaining = 0
    for rows in splits.values():
        for row in rows:
            codes.update(row["meta"]["codes"])
            injected.update(row["meta"]["injected"])
            submitted = row["messages"][-2]["tool_calls"][0]["function"]["arguments"]
            remaining += submitted["issues_remaining"] > 0
    return {
        "with_remaining_issues": remaining,
        "symbol_examples": sum(r["meta"]["symbol"] is not None for rows in splits.values() for r in rows),
        "whole_module_examples": {k: sum(r["meta"]["kind"] == "module" for r in rows) for k, rows in splits.items()},
        "violation_codes": dict(sorted(codes.items())),
        "injected_codes": dict(sorted(injected.items())),
    }


RECIPE = Recipe(
    domain="lint",
    tools=(run_linter, fix_all, rewrite, read_file, submit_result),
    corpus=CORPUS,
    make_case=make_case,
    expert=expert,
    check=check_episode,
    prepare=base_texts,
    summarize=_summarize,
)


def generate(out_dir: Path, count: int, seed: int, *, recovery: bool = True) -> dict[str, Any]:
    """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir`` (see the module docstring).

    Args:
        out_dir: Output folder (created).
        count: Examples in all (about 10% go to eval, from stdlib modules train never sees).
        seed: Same seed, same bytes.
        recovery: Include recovery mistakes.
    """
    return build_dataset(RECIPE, out_dir, count, seed, recovery=recovery)
