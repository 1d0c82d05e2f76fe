"""Evaluator checks for one end-to-end lint run, with real ruff.

Definitions (the same as the tools', see :mod:`toolsmith.lint.tools`); *issues* are ruff's violations
of :data:`~toolsmith.lint.tools.RULES` in the file (inside ``symbol`` when given), or of the project's own ruff
configuration when the episode's project holds one (:func:`~toolsmith.lint.tools.find_config`):

- ``all_fixable_fixed``: no issue in the final file is fixable (ruff offers an applicable edit
  that keeps the file parsing).
- ``parses``: the final file is valid Python.
- ``counts_true``: ``submitted`` (the submit_result arguments) has
  ``issues_remaining == len(issues(final))`` and
  ``issues_fixed == max(0, len(issues(original)) - len(issues(final)))`` (the net number gone).
- ``success``: all three (for the no-model baseline, which submits nothing: the first two).
"""

from __future__ import annotations

import ast
from typing import Any

from toolsmith.lint.tools import find_config, lint_text, scoped
from toolsmith.shared.episode import Episode


def _count_arg(submitted: dict[str, Any], name: str) -> int | None:
    value = submitted.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def check_episode(episode: Episode) -> dict[str, Any]:
    """Judge a run from the target before and after, and what the agent submitted.

    Args:
        episode: The finished run (the target, its symbol, the submit_result arguments).

    Returns:
        ``success``, ``all_fixable_fixed``, ``parses``, ``counts_true`` and ``reason`` (empty on
        success, else the first failure as "expected X, got Y"), and the issue counts before and after.
    """
    original_code, final_code, submitted = episode.original, episode.final, episode.submitted
    symbol, filename = episode.symbol, episode.target.rsplit("/", 1)[-1]
    reasons: list[str] = []
    try:
        ast.parse(final_code)
        parses = True
    except (SyntaxError, ValueError) as e:
        parses = False
        reasons.append(f"expected the final file to parse, got {type(e).__name__}: {e}")

    config = find_config(episode.root, episode.target)

    def issues_of(text: str) -> list:
        if config is None:
            found = lint_text(text, filename)
        else:
            found = lint_text(text, episode.target, cwd=episode.root, config=config)
        try:
            return scoped(found, text, symbol)
        except ValueError:  # the symbol is gone or the file does not parse: judge the whole file
            return found

    before = issues_of(original_code)
    after = issues_of(final_code)
    left = [i for i in after if i.fixable]
    all_fixable_fixed = parses and not left
    if left:
        listed = ", ".join(f"{i.code} at line {i.line}" for i in left)
        reasons.append(f"expected no fixable issues left, got {len(left)}: {listed}")

    expected_fixed = max(0, len(before) - len(after))
    counts_true = False
    if submitted is None:
        if episode.judge_submission:
            reasons.append("expected a submit_result call, got none")
    else:
        fixed, remaining = _count_arg(submitted, "issues_fixed"), _count_arg(submitted, "issues_remaining")
        if remaining != len(after):
            got = submitted.get("issues_remaining")
            reasons.append(f"expected issues_remaining={len(after)} (ruff's count), got {got!r}")
        elif fixed != expected_fixed:
            reasons.append(
                f"expected issues_fixed={expected_fixed} ({len(before)} before - {len(after)} after), "
                f"got {submitted.get('issues_fixed')!r}"
            )
        else:
            counts_true = True
    success = parses and all_fixable_fixed and (counts_true or not episode.judge_submission)
    return {
        "success": success,
        "all_fixable_fixed": all_fixable_fixed,
        "parses": parses,
        "counts_true": counts_true,
        "reason": "" if success else reasons[0],
        "issues_before": len(before),
        "issues_after": len(after),
    }
