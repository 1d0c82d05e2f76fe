"""Evaluator checks for one docstring run, with real pydoclint, ruff and ast.

- ``code_unchanged``: the module's AST with every docstring stripped is the same before and after.
- ``checker_clean``: neither checker reports a problem for the target (:func:`toolsmith.docstring.checkers.check`).
- ``names_exact``: Args describes every parameter under its own name and no other name.
- ``sections_agree``: Returns is there when the code needs it and only when allowed, Yields when and only
  when it yields, Raises lists exactly the exceptions the body raises (:mod:`toolsmith.docstring.source`).
- ``no_placeholder``: the summary and every description are real words (:func:`toolsmith.docstring.render.placeholder`).
- ``submitted_true``: ``submit_result`` was called with ``documented`` equal to the documented
  parameter names and ``remaining_problems`` equal to the checkers' count (ignored for the no-model
  baseline, ``judge_submission=False``).
- ``success``: all of them. Measured, not gated: ``docstring_written`` (the target's docstring is not the one
  the run started from) and, for a run that wrote one, ``similarity``: ROUGE-L F1 on words between the written
  parts and the author's (:func:`rouge_l`), when the author's docstring is given. A run that left the docstring
  as it was wrote no text, so it has no similarity (a damaged docstring left in place is close to the author's).
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import Any

from toolsmith.docstring.checkers import check
from toolsmith.docstring.parts import Parts, parts_of
from toolsmith.docstring.render import placeholder
from toolsmith.docstring.source import facts_of, strip_docstrings
from toolsmith.shared.episode import Episode

_WORD = re.compile(r"[a-z0-9]+")


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 of two texts on lowercased words (longest common subsequence).

    ``rouge-score`` is not used: it needs ``six``, a held-out package.

    Args:
        candidate: The written text.
        reference: The author's text.

    Returns:
        F1 in [0, 1]; 1.0 when both are empty, 0.0 when only one is.
    """
    a, b = _WORD.findall(candidate.lower()), _WORD.findall(reference.lower())
    if not a or not b:
        return float(not a and not b)
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if not lcs:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def _placeholder_in(parts: Parts) -> str:
    texts = {"summary": parts.summary, **{f"args[{k!r}]": v for k, v in parts.args.items()}}
    texts.update({f"raises[{k!r}]": v for k, v in parts.raises.items()})
    if parts.returns:
        texts["returns"] = parts.returns
    if parts.yields:
        texts["yields"] = parts.yields
    for where, text in texts.items():
        found = placeholder(text)
        if found:
            return f"expected real words in {where}, got {found!r}"
    return ""


def judge(
    original: str,
    final: str,
    symbol: str,
    submitted: dict[str, Any] | None,
    *,
    judge_submission: bool = True,
    reference: Parts | None = None,
    filename: str = "target.py",
) -> dict[str, Any]:
    """Judge a run from the file before, the file after and what the agent submitted.

    Args:
        original: The file the agent started from.
        final: The file when the agent stopped.
        symbol: The function, method or class the run documents.
        submitted: The submit_result arguments, or None when the agent never submitted.
        judge_submission: False for the no-model baseline (nothing is submitted).
        reference: The author's docstring parts, for ``similarity``.
        filename: The name ruff sees.

    Returns:
        ``success``, each check above as a bool, ``reason`` (the first failure as "expected X, got Y",
        "" on success), ``problems`` (the checkers' count, when both files parse and have the symbol) and
        ``docstring_written``, and ``similarity`` when ``reference`` is given and a docstring was written.
    """
    result: dict[str, Any] = dict.fromkeys(
        ("code_unchanged", "checker_clean", "names_exact", "sections_agree", "no_placeholder", "submitted_true"),
        False,
    )
    reasons: list[str] = []
    try:
        before, after = ast.parse(original), ast.parse(final)
    except (SyntaxError, ValueError) as e:
        return {**result, "success": False, "reason": f"expected both files to parse, got {e}"}
    result["code_unchanged"] = strip_docstrings(before) == strip_docstrings(after)
    if not result["code_unchanged"]:
        reasons.append("expected only docstrings to change, got a change to the code")
    try:
        facts = facts_of(after, symbol)
        problems = check(final, symbol, filename)
    except ValueError as e:
        return {**result, "success": False, "reason": str(e)}
    result["checker_clean"] = not problems
    if problems:
        reasons.append(f"expected no checker problems, got {len(problems)}: {problems[0].compact()}")
    parts = None
    if facts.docstring is None:
        reasons.append(f"expected a docstring on `{symbol}`, got none")
    else:
        try:
            parts = parts_of(facts.docstring)
        except ValueError as e:
            reasons.append(str(e))
    if parts is not None:
        documented = list(parts.args)
        result["names_exact"] = sorted(documented) == sorted(facts.names) and len(set(documented)) == len(documented)
        if not result["names_exact"]:
            reasons.append(f"expected Args for exactly {facts.names}, got {documented}")
        agree = [
            (facts.returns and not parts.returns, "a Returns section (the code returns a value), got none"),
            (bool(parts.returns) and not facts.returns_allowed, "no Returns section (nothing returned), got one"),
            (facts.yields != bool(parts.yields), f"a Yields section only for a generator, got yields={parts.yields!r}"),
            (
                sorted(parts.raises) != sorted(facts.raises),
                f"Raises for {list(facts.raises)}, got {list(parts.raises)}",
            ),
        ]
        wrong = [what for bad, what in agree if bad]
        result["sections_agree"] = not wrong
        if wrong:
            reasons.append("expected " + wrong[0])
        why = _placeholder_in(parts)
        result["no_placeholder"] = not why
        if why:
            reasons.append(why)
    if judge_submission:
        if submitted is None:
            reasons.append("expected a submit_result call, got none")
        else:
            names = sorted(parts.args) if parts is not None else []
            given = submitted.get("documented")
            remaining = submitted.get("remaining_problems")
            if not isinstance(given, list) or sorted(str(g) for g in given) != names:
                reasons.append(f"expected documented={names}, got {given!r}")
            elif isinstance(remaining, bool) or remaining != len(problems):
                reasons.append(f"expected remaining_problems={len(problems)} (the checkers' count), got {remaining!r}")
            else:
                result["submitted_true"] = True
    else:
        result["submitted_true"] = True
    result["success"] = not reasons
    result["reason"] = reasons[0] if reasons else ""
    result["problems"] = len(problems)
    try:
        started = facts_of(before, symbol).docstring
    except ValueError:
        started = None
    result["docstring_written"] = facts.docstring is not None and facts.docstring != started
    if reference is not None and result["docstring_written"]:
        result["similarity"] = round(rouge_l(parts.words() if parts else "", reference.words()), 4)
    return result


def check_episode(episode: Episode) -> dict[str, Any]:
    """Judge one finished run (the evaluator's and the generator's check; see the module docstring).

    Args:
        episode: The run: the target before and after, its symbol, the submission, and the case's ``meta``
            (``truth``: the author's docstring parts, for ``similarity``).

    Returns:
        As :func:`judge`.
    """
    truth = episode.meta.get("truth")
    reference = Parts(**truth) if isinstance(truth, dict) else None
    if not episode.symbol:
        return {"success": False, "reason": "expected a run on one function, method or class, got a whole file"}
    return judge(
        episode.original,
        episode.final,
        episode.symbol,
        episode.submitted,
        judge_submission=episode.judge_submission,
        reference=reference,
        filename=PurePosixPath(episode.target).name,
    )
