"""Evaluator checks for one end-to-end lint run, with real ruff.

Definitions (the same as the tools', see :mod:`toolsmith.lint.tools`); *issues* are ruff's violations
of :data:`~toolsmith.lint.tools.RULES` in the file (inside ``symbol`` when given):

- ``all_fixable_fixed``: no issue in the final file is fixable (ruff offers an applicable edit
  that keeps the file parsing).
- ``parses``: the final file is valid Python.
- ``counts_true``: ``submitted`` (the submit_result arguments) has
  ``issues_remaining == len(issues(final))`` and
  ``issues_fixed == max(0, len(issues(original)) - len(issues(final)))`` (the net number gone).
- ``success``: all three.
"""

from __future__ import annotations

import ast
from typing import Any

from toolsmith.lint.tools import lint_text, scoped


def _count_arg(submitted: dict[str, Any], name: str) -> int | None:
    value = submitted.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def check_episode(
    original_code: str,
    final_code: str,
    submitted: dict[str, Any] | None,
    *,
    symbol: str | None = None,
    filename: str = "target.py",
) -> dict[str, Any]:
    """Judge a run from the file before, the file after and what the agent submitted.

    Args:
        original_code: The file the agent started from.
        final_code: The file when the agent stopped.
        submitted: The submit_result arguments (``issues_fixed``, ``issues_remaining``), or None
            when the agent never submitted.
        symbol: The function/class the run was limited to, if any.
        filename: The name ruff sees for the file (import sorting may depend on it).

    Returns:
        ``success``, ``all_fixable_fixed``, ``parses``, ``counts_true`` and ``reason`` (empty on
        success, else the first failure as "expected X, got Y").
    """
    reasons: list[str] = []
    try:
        ast.parse(final_code)
        parses = True
    except (SyntaxError, ValueError) as e:
        parses = False
        reasons.append(f"expected the final file to parse, got {type(e).__name__}: {e}")

    def issues_of(text: str) -> list:
        found = lint_text(text, filename)
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
    success = parses and all_fixable_fixed and counts_true
    return {
        "success": success,
        "all_fixable_fixed": all_fixable_fixed,
        "parses": parses,
        "counts_true": counts_true,
        "reason": "" if success else reasons[0],
        "issues_before": len(before),
        "issues_after": len(after),
    }
