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
- Regressions (each one fails the run): ``compiles`` (``compile()`` accepts the final file: also catches what
  ``ast.parse`` lets through, e.g. ``nonlocal`` without a binding); ``imports``, the final file still runs as a
  module where the original did (:mod:`toolsmith.shared.importcheck`, in a limited child); ``new_violations``, the rule
  codes the final file has more of than the original, in the whole file; ``changed_outside``, the original code lines
  (not blank) changed that belong to no statement with an issue before (the statement's own lines, or a compound
  statement's header, and the ``except`` line above an issue in its clause; ruff's fix ranges count too, and a
  renamed variable's lines).
- ``success``: all of them (for the no-model baseline, which submits nothing: all but ``counts_true``).
"""

from __future__ import annotations

import ast
import difflib
from collections import Counter
from typing import Any

from toolsmith.lint.rename import reach
from toolsmith.lint.rewrite import RENAMED
from toolsmith.lint.tools import find_config, lint_text, scoped_or_whole
from toolsmith.shared.episode import Episode
from toolsmith.shared.importcheck import import_regression


def _count_arg(submitted: dict[str, Any], name: str) -> int | None:
    value = submitted.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _spans(tree: ast.Module) -> list[tuple[int, int]]:
    """Line ranges of every simple statement and of every compound statement's (or ``except`` clause's) header."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.stmt, ast.ExceptHandler)):
            body = getattr(node, "body", None)
            end = body[0].lineno - 1 if isinstance(body, list) and body else node.end_lineno
            spans.append((node.lineno, max(node.lineno, end or node.lineno)))
    return spans


def allowed_lines(text: str, issues: list) -> set[int]:
    """The lines a fix of ``issues`` may change in ``text``: each issue's innermost statement (or header), the
    header of the ``except`` clause it is in, the rows of ruff's own fix, and for an E741 every line that binds or
    reads the variable."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set(range(1, text.count("\n") + 2))  # a file that does not parse: nothing to hold a fix to
    spans = _spans(tree)
    handlers = [(h.lineno, h.end_lineno or h.lineno) for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)]
    lines: set[int] = set()
    for issue in issues:
        inner = min((s for s in spans if s[0] <= issue.line <= s[1]), key=lambda s: s[1] - s[0], default=None)
        lines.update(range(inner[0], inner[1] + 1) if inner else {issue.line})
        lines.update(max((h for h in handlers if h[0] <= issue.line <= h[1]), default=(issue.line,))[:1])
        for row, _, end_row, _, _ in issue.edits:
            lines.update(range(row, end_row + 1))
        if issue.code == RENAMED:  # a rename reaches every line that binds or reads the variable
            lines.update(reach(text, issue.line))
    return lines


def changed_outside(before: str, after: str, allowed: set[int]) -> list[int]:
    """Code lines of ``before`` that ``after`` changes or removes outside ``allowed``; code inserted between two lines
    counts when neither of them is allowed (the first of them is listed). Blank lines are not code."""
    old, new = before.splitlines(), after.splitlines()
    outside: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "insert":
            if any(line.strip() for line in new[j1:j2]) and not {i1, i1 + 1} & allowed:
                outside.add(max(i1, 1))
        elif tag != "equal":
            outside.update(n for n in range(i1 + 1, i2 + 1) if n not in allowed and old[n - 1].strip())
    return sorted(outside)


def check_episode(episode: Episode) -> dict[str, Any]:
    """Judge a run from the target before and after, and what the agent submitted.

    Args:
        episode: The finished run (the target, its symbol, the submit_result arguments).

    Returns:
        ``success``, ``all_fixable_fixed``, ``parses``, ``counts_true``, ``compiles``, ``imports``, ``new_violations``,
        ``changed_outside`` and ``reason`` (empty on success, else the first failure as "expected X, got Y"), and
        the issue counts before and after.
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

    def whole_issues(text: str) -> list:
        if config is None:
            return lint_text(text, filename)
        return lint_text(text, episode.target, cwd=episode.root, config=config)

    def issues_of(text: str) -> list:
        return scoped_or_whole(whole_issues(text), text, symbol)

    whole_before = whole_issues(original_code)
    before = issues_of(original_code)
    after = issues_of(final_code)
    compiles = parses
    if parses:
        try:
            compile(final_code, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            compiles = False
            reasons.append(f"expected the final file to compile, got {type(e).__name__}: {e}")
    imports = True
    if compiles and final_code != original_code:
        error = import_regression(episode.root, episode.target, original_code)
        if error is not None:
            imports = False
            reasons.append(f"expected the module to import as it did before, got {error}")
    whole = Counter(i.code for i in whole_issues(final_code)) - Counter(i.code for i in whole_before)
    if whole:
        reasons.append(f"expected no new violations, got more {', '.join(sorted(whole))} than before")
    outside = changed_outside(original_code, final_code, allowed_lines(original_code, whole_before))
    if outside:
        reasons.append(f"expected changes only in statements with an issue, got line(s) {outside[:5]} changed")
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
    regression_free = compiles and imports and not whole and not outside
    success = parses and all_fixable_fixed and regression_free and (counts_true or not episode.judge_submission)
    return {
        "success": success,
        "all_fixable_fixed": all_fixable_fixed,
        "parses": parses,
        "counts_true": counts_true,
        "compiles": compiles,
        "imports": imports,
        "new_violations": len(whole),
        "changed_outside": len(outside),
        "reason": "" if success else reasons[0],
        "issues_before": len(before),
        "issues_after": len(after),
    }
