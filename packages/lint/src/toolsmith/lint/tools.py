"""The lint agent's tools: real ruff on the sandbox file, every fix of one rule code at a time.

Tools are plain typed functions (schemas come from their signatures and docstrings) that work on
:func:`toolsmith.shared.sandbox.current`. They are coarse on purpose: a 270M model only chooses the
next step and copies values (the next call's tool, rule code and replacement, the counts) from the last tool
response.

Which rules: the project's own ruff configuration when the sandbox copy holds one (:func:`find_config`: the nearest
``.ruff.toml``, ``ruff.toml`` or ``pyproject.toml`` with ``[tool.ruff]`` from the target's folder up to the project
root, as ruff finds it) with all its settings (``select``, ``ignore``, ``per-file-ignores``, ``line-length``,
``target-version``, ...); else, or when the sandbox's ``project_config`` is off (``toolsmith run --isolated``),
``ruff --isolated`` with :data:`RULES` (the rules the model is trained on; training data never has a config). A rule
outside :data:`RULES` works the same way: ``fix_all`` applies ruff's edits when ruff has them (the model copies the
code), else the issue is listed as not fixable.

Definitions shared with the evaluator (:mod:`toolsmith.lint.checks`):

- An *issue* is a ruff violation of those rules (inside the sandbox's symbol, when it has one).
- An issue is *fixable* when ruff offers an edit for it that may be applied (safe or unsafe
  applicability; display-only edits do not count) and the file still parses after that edit alone.
- ``issues_fixed`` is the net number of issues gone since the start: issues in the user's file
  minus issues now (never below 0). ``issues_remaining`` is the number of issues now.
"""

from __future__ import annotations

import ast
import atexit
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import tomllib
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.lint.rewrite import PER_VARIABLE, REWRITTEN, replacement, rewrite_text
from toolsmith.shared.proc import ruff_command, run_bounded
from toolsmith.shared.sandbox import Sandbox, current

log = logging.getLogger(__name__)

# Checks the agent runs, split by whether ruff 0.17.5 offers a fix (--unsafe-fixes); tests check the split
# against ruff. Per issue, ruff's JSON decides.
FIXABLE_RULES: frozenset[str] = frozenset(
    "F401 F541 F841 E711 E712 E713 E714 E731 I001 W291 W293 UP004 UP008 UP015 UP032 B006 B007".split()
)
UNFIXABLE_RULES: frozenset[str] = frozenset("E721 E722 E741 B904".split())
RULES: tuple[str, ...] = tuple(sorted(FIXABLE_RULES | UNFIXABLE_RULES))
MESSAGE_CHARS = 80
MAX_LISTED = 12  # run_linter lists at most this many issues (``count`` is always the total)
MAX_FIX_ALL = 200  # fixes fix_all applies at most (one at a time)
_APPLICABLE = ("safe", "unsafe")
CONFIG_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")  # ruff's precedence inside one folder
_MAX_EXTENDS = 10
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Issue:
    """One ruff violation.

    Attributes:
        code: Rule code (``F401``); ruff reports a syntax error as ``invalid-syntax``.
        line: 1-based line.
        column: 1-based column (characters).
        message: Ruff's message, cut to :data:`MESSAGE_CHARS`.
        edits: Ruff's fix as ``(row, column, end_row, end_column, content)`` edits, 1-based; empty if none.
        fixable: Whether the fix may be applied and leaves a file that parses.
    """

    code: str
    line: int
    column: int
    message: str
    edits: tuple[tuple[int, int, int, int, str], ...]
    fixable: bool

    def compact(self) -> dict[str, Any]:
        """What the model sees of this issue."""
        return {"code": self.code, "line": self.line, "message": self.message, "fixable": self.fixable}


_EMPTY: dict[int, Path] = {}


def empty_dir() -> Path:
    """An empty folder of this process (removed at exit) for ruff to run in."""
    pid = os.getpid()
    if pid not in _EMPTY:  # per process: a forked worker must not remove its parent's folder
        path = Path(tempfile.mkdtemp(prefix="toolsmith-ruff-"))
        atexit.register(shutil.rmtree, path, True)
        _EMPTY[pid] = path
    return _EMPTY[pid]


@dataclass(frozen=True)
class RuffConfig:
    """The project's ruff configuration file, inside the sandbox copy.

    Attributes:
        path: The file ruff reads (``--config``). Ruff runs in its folder, so the relative paths in it
            (``per-file-ignores``, ``src``) mean what they mean in the user's project.
        key: What ruff's results depend on besides the code: the file's place and the text of it and of the
            files it extends (part of the cache key).
    """

    path: Path
    key: str


def _ruff_table(path: Path, root: Path) -> dict[str, Any] | None:
    """The ruff settings in ``path`` (None for a ``pyproject.toml`` without ``[tool.ruff]``, which ruff skips).

    Raises:
        ValueError: The file is not valid TOML.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        rel = path.relative_to(root).as_posix()
        raise ValueError(f"{rel}: expected a valid TOML ruff configuration, got {e} (or run with --isolated)") from None
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    ruff = tool.get("ruff") if isinstance(tool, dict) else None
    return ruff if isinstance(ruff, dict) else None


def _config_key(path: Path, table: dict[str, Any], root: Path) -> str:
    """:attr:`RuffConfig.key` of ``path``, following its ``extend`` chain.

    Raises:
        ValueError: An ``extend`` names a file the project copy does not hold (one outside the project, or a file
            the sandbox does not copy: only Python files and package metadata are copied).
    """
    parts = [path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")]
    seen = {path}
    for _ in range(_MAX_EXTENDS):
        extend = table.get("extend")
        if not isinstance(extend, str):
            break
        base = (path.parent / os.path.expandvars(os.path.expanduser(extend))).resolve()
        if not base.is_relative_to(root) or not base.is_file():
            rel = path.relative_to(root).as_posix()
            raise ValueError(
                f"{rel}: expected `extend` to name a config file inside the project (the agent's copy holds its "
                f"{', '.join(CONFIG_FILES)} files), got {extend!r}; run with --isolated to ignore the config"
            )
        if base in seen:
            break  # ruff reports the cycle itself
        seen.add(base)
        path, table = base, _ruff_table(base, root) or {}
        parts += [path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")]
    return "\n".join(parts)


def find_config(root: Path, rel_target: str) -> RuffConfig | None:
    """The ruff configuration ruff would use for ``rel_target``, looking only inside ``root`` (the project copy).

    From the target's folder up to ``root``, the first folder with a ``.ruff.toml``, ``ruff.toml`` or a
    ``pyproject.toml`` holding ``[tool.ruff]`` (in that order) has it. A configuration above the project, or the
    user's own ``~/.config/ruff``, is not used.

    Args:
        root: The project copy.
        rel_target: The target file, relative to ``root``.

    Returns:
        The configuration, or None when the project has none.

    Raises:
        ValueError: A configuration file is not valid TOML (ruff fails on it too), or its ``extend`` names a file
            not inside ``root``.
    """
    root = root.resolve()
    folder = (root / rel_target).parent.resolve()
    if not folder.is_relative_to(root):
        raise ValueError(f"expected a target inside {root}, got {rel_target!r}")
    while True:
        for name in CONFIG_FILES:
            path = folder / name
            if path.is_file():
                table = _ruff_table(path, root)
                if table is not None:
                    log.debug("ruff config for %s: %s", rel_target, path)
                    return RuffConfig(path, _config_key(path, table, root))
        if folder == root:
            return None
        folder = folder.parent


def ruff_argv(*targets: str, config: RuffConfig | None = None) -> list[str]:
    """``ruff check`` with JSON output and no cache on ``targets``.

    Args:
        *targets: Paths or ruff's stdin arguments.
        config: The project's configuration (``--config``, with ``--no-fix`` so a ``fix = true`` in it does not
            turn the JSON into fixed code); None: no configuration (``--isolated``) and :data:`RULES`.
    """
    settings = ["--isolated"] if config is None else ["--config", str(config.path), "--no-fix"]
    select = ["--select", ",".join(RULES)] if config is None else []
    return [
        *ruff_command(),
        "check",
        "--output-format=json",
        "--no-cache",
        *settings,
        "--exit-zero",
        *select,
        "--unsafe-fixes",
        *targets,
    ]


def apply_edits(text: str, edits: tuple[tuple[int, int, int, int, str], ...] | list) -> str:
    """Apply ruff edits (1-based rows/columns in characters), last first."""
    starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def offset(row: int, col: int) -> int:
        if row > len(starts):  # one past the last line
            return len(text)
        return min(starts[row - 1] + col - 1, len(text))

    spans = sorted(((offset(r, c), offset(er, ec), content) for r, c, er, ec, content in edits), reverse=True)
    for start, end, content in spans:
        text = text[:start] + content + text[end:]
    return text


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _issues_from_json(stdout: str, text: str) -> list[Issue]:
    import json

    issues = []
    for v in json.loads(stdout or "[]"):
        fix = v.get("fix") or {}  # display-only fixes are never applied
        edits: tuple[tuple[int, int, int, int, str], ...] = ()
        if fix.get("applicability") in _APPLICABLE and fix.get("edits"):
            edits = tuple(
                (
                    e["location"]["row"],
                    e["location"]["column"],
                    e["end_location"]["row"],
                    e["end_location"]["column"],
                    e["content"],
                )
                for e in fix["edits"]
            )
        message = " ".join(str(v.get("message", "")).split())
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 3] + "..."
        fixable = bool(edits) and _parses(apply_edits(text, edits))
        issues.append(
            Issue(
                code=v.get("code") or "invalid-syntax",
                line=v["location"]["row"],
                column=v["location"]["column"],
                message=message,
                edits=edits,
                fixable=fixable,
            )
        )
    issues.sort(key=lambda i: (i.line, i.code, i.column))
    return issues


_CACHE: OrderedDict[tuple[str, str, str], list[Issue]] = OrderedDict()  # (file name, text, config key)
_CACHE_SIZE = 256


_LOCK = threading.Lock()  # the runner calls tools in threads


def _get(key: tuple[str, str, str]) -> list[Issue] | None:
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
        return hit


def _put(key: tuple[str, str, str], issues: list[Issue]) -> list[Issue]:
    with _LOCK:
        _CACHE[key] = issues
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return issues


def _check_ruff(proc: subprocess.CompletedProcess[str]) -> str:
    if proc.returncode != 0:
        raise RuntimeError(f"expected ruff to run (exit 0), got exit {proc.returncode}: {proc.stderr.strip()[:300]}")
    return proc.stdout


def _lint_configured(text: str, path: Path, config: RuffConfig, timeout_s: float) -> list[Issue]:
    """Ruff's issues for ``text`` as the file ``path`` under ``config`` (ruff runs in the config's folder)."""
    argv = ruff_argv("--stdin-filename", str(path), "-", config=config)
    proc = run_bounded(argv, cwd=config.path.parent, timeout_s=timeout_s, input=text)
    return _issues_from_json(_check_ruff(proc), text)


def lint_text(
    text: str,
    filename: str = "target.py",
    cwd: Path | None = None,
    timeout_s: float = 30.0,
    config: RuffConfig | None = None,
) -> list[Issue]:
    """Ruff's issues for ``text`` as if it were the file ``filename`` (read from stdin; results cached).

    Args:
        text: Python source.
        filename: The name ruff sees (it matters for import sorting and per-file ignores), relative to ``cwd``.
        cwd: Folder ruff runs in (default: a fresh empty folder); with ``config``, the project folder
            ``filename`` is in (ruff then runs in the config's folder).
        timeout_s: Time limit for ruff.
        config: The project's ruff configuration (:func:`find_config`); None: :data:`RULES`, no configuration.

    Returns:
        Every issue in the file, sorted by line and code.
    """
    key = (filename, text, "" if config is None else config.key)
    hit = _get(key)
    if hit is not None:
        return hit
    if config is not None:
        path = (cwd or config.path.parent) / filename
        return _put(key, _lint_configured(text, path, config, timeout_s))
    argv = ruff_argv("--stdin-filename", filename, "-")
    proc = subprocess.run(argv, input=text, cwd=cwd or empty_dir(), capture_output=True, text=True, timeout=timeout_s)
    return _put(key, _issues_from_json(_check_ruff(proc), text))


def sandbox_config(box: Sandbox) -> RuffConfig | None:
    """The project's ruff configuration in the sandbox copy (None when it has none or ``project_config`` is off)."""
    return find_config(box.root, box.rel_target) if box.project_config else None


def _lint_sandbox(box: Sandbox, text: str) -> list[Issue]:
    """Issues of the sandbox's target, whose current text is ``text``.

    Ruff reads the decoded text on stdin (as the file, by name): it only reads UTF-8 files, and this way a file in
    another declared encoding (PEP 263) is linted too; the sandbox writes it back in its own encoding.
    """
    config = sandbox_config(box)
    key = (box.rel_target, text, "" if config is None else config.key)
    hit = _get(key)
    if hit is not None:
        return hit
    if config is not None:
        return _put(key, _lint_configured(text, box.root / box.rel_target, config, box.timeout_s))
    proc = box.run(ruff_argv("--stdin-filename", box.rel_target, "-"), input=text)
    return _put(key, _issues_from_json(_check_ruff(proc), text))


def symbol_lines(text: str, symbol: str) -> tuple[int, int]:
    """First and last line (1-based, decorators included) of ``symbol`` (``name`` or ``Class.method``).

    Raises:
        ValueError: The file does not parse or has no such function/class.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise ValueError(
            f"expected a file that parses to find `{symbol}`, got a syntax error at line {e.lineno}"
        ) from None
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for part in symbol.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part
            ),
            None,
        )
        if node is None:
            raise ValueError(f"expected a function or class `{symbol}` in the file, got none named `{part}`")
        body = node.body if isinstance(node, ast.ClassDef) else []
    assert node is not None
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return start, node.end_lineno or node.lineno


def scoped(issues: list[Issue], text: str, symbol: str | None) -> list[Issue]:
    """The issues inside ``symbol``'s lines (all of them when ``symbol`` is None)."""
    if not symbol:
        return issues
    start, end = symbol_lines(text, symbol)
    return [i for i in issues if start <= i.line <= end]


def scoped_or_whole(issues: list[Issue], text: str, symbol: str | None) -> list[Issue]:
    """:func:`scoped`, or all the issues when ``symbol`` cannot be found (it is gone or the file does not parse): how
    the counts and the judge count a file the run broke."""
    try:
        return scoped(issues, text, symbol)
    except ValueError:
        return issues


def _state(box: Sandbox) -> tuple[str, list[Issue]]:
    text = box.read()
    return text, scoped(_lint_sandbox(box, text), text, box.symbol)


def _issues_fixed(box: Sandbox, now: int) -> int:
    """Net issues gone since the start (the user's file is the start)."""
    original = box.original()
    if original is None:
        return 0
    issues = lint_text(original, box.rel_target, cwd=box.root, timeout_s=box.timeout_s, config=sandbox_config(box))
    return max(0, len(scoped_or_whole(issues, original, box.symbol)) - now)


def _checked_rewrite(box: Sandbox, text: str, issue: Issue, replacement: str) -> str:
    """The text with ``issue`` rewritten (:func:`toolsmith.lint.rewrite.rewrite_text`), after checking that it still
    compiles, changed no line but the rewritten statement's, and that ruff finds that issue gone and no new one.

    Raises:
        ValueError: The rewrite is not possible or fails a check ("expected X, got Y").
    """
    new = rewrite_text(text, issue.code, issue.line, replacement)
    try:
        compile(new.text, box.rel_target, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        raise ValueError(f"expected the rewrite to keep the file valid Python, got {type(e).__name__}: {e}") from None
    old_lines, new_lines = text.splitlines(), new.text.splitlines()
    changed = [n for n, (a, b) in enumerate(zip(old_lines, new_lines), 1) if a != b and n not in new.lines]
    if len(old_lines) != len(new_lines) or changed:
        raise ValueError(f"expected only line {issue.line}'s statement to change, got other lines changed")
    before, after = _lint_sandbox(box, text), _lint_sandbox(box, new.text)

    def here(issues: list[Issue]) -> int:  # a count: a line may hold two (two unused names of one loop's target)
        return sum(i.code == issue.code and i.line == issue.line for i in issues)

    if here(after) >= here(before):
        raise ValueError(f"expected the rewrite to remove {issue.code} at line {issue.line}, got it still there")
    added = Counter(i.code for i in after) - Counter(i.code for i in before)
    if added:
        raise ValueError(f"expected no new issue, got {', '.join(sorted(added))} after rewriting line {issue.line}")
    return new.text


def _offer(box: Sandbox, text: str, issue: Issue) -> str | None:
    """The replacement the tools offer for ``issue`` when ``rewrite`` with it fixes the issue (a dry run; the file is
    not changed), else None."""
    if issue.fixable or issue.code not in REWRITTEN:
        return None
    offered = replacement(text, issue.code, issue.line)
    if offered is None:
        return None
    try:
        _checked_rewrite(box, text, issue, offered)
    except ValueError:
        return None
    return offered


def _next(box: Sandbox, text: str, issues: list[Issue], fixed: int | None = None) -> dict[str, Any]:
    """The next call, named so the model copies it: ``fix_all`` with the code of the first fixable issue (it fixes
    every fixable issue of that code); when none is fixable, ``rewrite`` with the code of the first issue it can fix
    and the replacement that fixes it (the rule's, or for an E741 a new name and for a B007 a dummy per variable);
    when the tools can fix nothing more, ``submit_result`` with the counts (issues fixed since the start, issues
    left; ``fixed`` when the caller has counted it already). run_linter, fix_all and rewrite always name one, so the
    model's every call after the first is a copy."""
    first = next((i for i in issues if i.fixable), None)
    if first is not None:
        return {"call": "fix_all", "code": first.code}
    for issue in issues:
        offered = _offer(box, text, issue)
        if offered is not None:
            return {"call": "rewrite", "code": issue.code, "replacement": offered}
    if fixed is None:
        fixed = _issues_fixed(box, len(issues))
    return {"call": "submit_result", "issues_fixed": fixed, "issues_remaining": len(issues)}


def run_linter() -> dict:
    """Run the linter (ruff) on the file and list its issues.

    Returns:
        The issues sorted by line (code, line, message, whether it has an automatic fix), their count, how many
        are fixable, how many issues were fixed so far, and the next call (the tool, and the code and
        replacement or the counts to submit).
    """
    # The first MAX_LISTED issues are listed (keeps the context small); the counts cover all of them.
    box = current()
    text, issues = _state(box)
    result: dict[str, Any] = {
        "issues": [i.compact() for i in issues[:MAX_LISTED]],
        "count": len(issues),
        "fixable": sum(i.fixable for i in issues),
        "issues_fixed": _issues_fixed(box, len(issues)),
    }
    result["next"] = _next(box, text, issues, result["issues_fixed"])
    return result


def _fixed(box: Sandbox, text: str, issues: list[Issue], **what: Any) -> dict[str, Any]:
    """A fix tool's response: ``what`` it fixed (the code, how many), the issues left and the next call."""
    result: dict[str, Any] = {**what, "remaining": len(issues), "fixable": sum(i.fixable for i in issues)}
    result["next"] = _next(box, text, issues)
    return result


def fix_all(issue_code: str) -> dict:
    """Apply the linter's automatic fix to every fixable issue with one rule code.

    Args:
        issue_code: The rule code the last response names as next, e.g. "F401".

    Returns:
        The code fixed, how many of its issues were fixed, how many issues remain, how many of them are fixable,
        and the next call (the tool, and the code and replacement or the counts to submit).
    """
    if not isinstance(issue_code, str):
        raise ValueError(f"expected a code string, got {issue_code!r}")
    code = issue_code.strip().upper()
    box = current()
    text, issues = _state(box)
    if not any(i.code == code and i.fixable for i in issues):
        fixable = ", ".join(dict.fromkeys(i.code for i in issues if i.fixable)) or "none"
        got = f"{code} without an automatic fix" if any(i.code == code for i in issues) else f"no {code} issue"
        if any(i.code == code and _offer(box, text, i) is not None for i in issues):
            got += f" (rewrite fixes {code})"
        raise ValueError(f"expected a code with fixable issues, got {got}; codes with fixable issues: {fixable}")
    fixed = 0
    # one fix at a time, linted again after each (a fix moves the lines after it and may merge with the next:
    # ruff's fix loop does the same); bounded in case a fix brings its own issue back
    for _ in range(MAX_FIX_ALL):
        target = next((i for i in issues if i.code == code and i.fixable), None)
        if target is None:
            break
        new = apply_edits(text, target.edits)
        if not _parses(new):  # fixable issues were checked to parse when listed; kept as a guard
            break
        box.write(new)
        text, issues = _state(box)
        fixed += 1
    return _fixed(box, text, issues, fixed=code, count=fixed)


def rewrite(issue_code: str, replacement: str) -> dict:
    """Fix every issue of one rule code that has no automatic fix by rewriting its statement, checked by the linter.

    Args:
        issue_code: The rule code the last response names as next: B007, B904, E721, E722 or E741.
        replacement: What to write: for B007 the unused loop variable's new name, e.g. "_i"; for B904 "err" (raise
            from the caught exception) or "None"; for E721 "is"; for E722 the exception class to catch, e.g.
            "Exception"; for E741 the variable's new name, renamed in its whole scope. B007 and E741: one variable a
            call. The last response's next call names the replacement to write.

    Returns:
        The code rewritten, how many of its issues were rewritten, how many issues remain, how many of them are
        fixable, and the next call (the tool, and the code and replacement or the counts to submit).
    """
    if not isinstance(issue_code, str) or not isinstance(replacement, str):
        raise ValueError(f"expected a code string and a replacement string, got {issue_code!r} and {replacement!r}")
    code = issue_code.strip().upper()
    if code not in REWRITTEN:
        raise ValueError(f"expected one of the codes {', '.join(sorted(REWRITTEN))} to rewrite, got {code!r}")
    box = current()
    text, issues = _state(box)
    if not any(i.code == code and not i.fixable for i in issues):
        raise ValueError(f"expected a code with issues to rewrite, got no {code} issue")
    count, tried, refused = 0, set(), []
    # one issue at a time, each checked by ruff; the lines do not move (a rewrite changes no line count)
    while target := next((i for i in issues if i.code == code and not i.fixable and i.line not in tried), None):
        tried.add(target.line)
        try:
            new = _checked_rewrite(box, text, target, replacement)
        except ValueError as e:
            refused.append(str(e))
            continue
        box.write(new)
        text, issues = _state(box)
        count += 1
        if code in PER_VARIABLE:  # a name is one variable's: the next one gets its own
            break
    if not count:
        raise ValueError(f"{refused[0]}; the file is unchanged")
    return _fixed(box, text, issues, rewritten=code, count=count)


def read_file() -> str:
    """Read the file being linted, with line numbers.

    Returns:
        The file's text, each line prefixed by its number (only the requested function or class, if any).
    """
    box = current()
    text = box.read()
    lines = text.splitlines()
    start, end = symbol_lines(text, box.symbol) if box.symbol else (1, len(lines))
    return "\n".join(f"{n:>3}| {lines[n - 1]}" for n in range(start, end + 1))


def summary_sentence(fixed: int, issues: list[Issue]) -> str:
    """One line: how many issues were fixed and which remain (the first :data:`MAX_LISTED`, code and line)."""
    head = f"Fixed {fixed} lint issue{'s' if fixed != 1 else ''}"
    if not issues:
        return head + "; none remaining."
    rest = ", ".join(f"{i.code} at line {i.line}" for i in issues[:MAX_LISTED])
    return f"{head}; {len(issues)} remaining: {rest}."


def submit_result(issues_fixed: int, issues_remaining: int, summary: str = "") -> dict:
    """Submit the result and end the task.

    Args:
        issues_fixed: The number of issues fixed (as the last response's next call names it).
        issues_remaining: The number of issues left (as the last response's next call names it).
        summary: One sentence on what was fixed and what remains; left out, the tool writes it.

    Returns:
        Whether the result was accepted, and the summary.
    """
    for name, value in (("issues_fixed", issues_fixed), ("issues_remaining", issues_remaining)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"expected {name} to be a whole number >= 0, got {value!r}")
    if not isinstance(summary, str):
        raise ValueError(f"expected a one-sentence summary, got {summary!r}")
    box = current()
    text = box.read()
    issues = scoped_or_whole(_lint_sandbox(box, text), text, box.symbol)  # as run_linter's issues_fixed and the judge
    fixed = _issues_fixed(box, len(issues))
    if (issues_fixed, issues_remaining) != (fixed, len(issues)):  # the tools, not the model, count
        raise ValueError(
            f"expected the linter's counts now (issues_fixed {fixed}, issues_remaining {len(issues)}), "
            f"got {issues_fixed} and {issues_remaining}"
        )
    return {"accepted": True, "summary": summary.strip() or summary_sentence(fixed, issues)}
