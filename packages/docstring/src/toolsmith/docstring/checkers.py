"""The docstring checkers, run for real and scoped to one symbol: pydoclint and ruff's pydocstyle rules.

- pydoclint (Google style), through its Python API (``pydoclint.visitor.Visitor``, ~2 ms a module
  against ~0.4 s for its command line): arguments, Returns, Yields and Raises against the code. Type
  hints are the signature's business, not the docstring's: the codes about them are not reported, and
  neither is DOC403 for a function that does yield (pydoclint also wants a Generator/Iterator
  annotation there, which is a change to the code).
- ruff ``D`` rules with the Google convention (D417 included), on the text through stdin; D206 (indent
  with spaces, not tabs) is the code's indentation, not the docstring's, and is not reported.

A problem belongs to the target when pydoclint reports it at the target's ``def``/``class`` line (a
class's ``__init__`` too, when the class docstring documents it) or ruff reports it between the ``def``
line and the end of the docstring; problems of nested functions and of methods are theirs.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydoclint.visitor import Visitor

from toolsmith.docstring.source import Def, Facts, facts_of, find, parse
from toolsmith.shared.proc import ruff_command

RUFF_VERSION = "0.17.5"
PYDOCLINT_OPTIONS: dict[str, object] = {
    "style": "google",
    "argTypeHintsInSignature": False,
    "argTypeHintsInDocstring": False,
    "checkArgOrder": True,
    "skipCheckingShortDocstrings": False,  # a one-line docstring must still describe the arguments
    "skipCheckingRaises": False,
    "allowInitDocstring": True,  # Args in the class docstring or in __init__'s, both conventions
    "checkReturnTypes": False,
    "checkYieldTypes": False,
    "checkClassAttributes": False,
    "shouldDocumentStarArguments": True,
}
# Codes about type hints (in the signature or the docstring): never the docstring writer's to fix.
IGNORED_PYDOCLINT = frozenset({"DOC105", "DOC106", "DOC107", "DOC108", "DOC109", "DOC110", "DOC111"})
# Not the docstring's to fix: the module's docstring (no symbol's, even one on line 1) and D206, which a file
# indented with tabs can never pass (the docstring statement has the code's indentation).
NOT_THE_SYMBOLS = frozenset({"D100", "D104", "D206"})
MESSAGE_CHARS = 120
_URL = re.compile(r"\s*\(Or could be other formatting issues: https?://\S+ \)\.?")
_SHORTER = (  # pydoclint's long phrases, shortened so the names fit in MESSAGE_CHARS
    ("Arguments in the function signature but not in the docstring", "Not documented"),
    ("Arguments in the docstring but not in the function signature", "Not in the signature"),
    ("Raised exceptions in the docstring", "Documented"),
    ("Raised exceptions in the body", "raised"),
)


@dataclass(frozen=True, order=True)
class Problem:
    """One checker finding.

    Attributes:
        line: 1-based line.
        code: Rule code (``DOC101``, ``D417``; ``invalid-syntax`` for a file that does not parse).
        message: What is wrong, at most :data:`MESSAGE_CHARS` characters.
    """

    line: int
    code: str
    message: str

    def compact(self) -> str:
        """What the model sees: ``"D417 Missing argument description ..."``."""
        return f"{self.code} {self.message}"


def _names_only(message: str) -> str:
    """pydoclint's argument lists without their types: ``[a: int, b: Dict[str, int]]`` -> ``[a, b]``."""
    out, depth, skipping = [], 0, False
    for ch in message:
        if ch == "[":
            depth += 1
            if depth == 1:
                skipping = False
                out.append(ch)
                continue
        elif ch == "]":
            depth -= 1
            if depth == 0:
                skipping = False
        if depth == 1 and ch == ":":
            skipping = True
            continue
        if depth == 1 and ch == ",":
            skipping = False
        if not skipping:
            out.append(ch)
    return "".join(out)


def _cut(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 3] + "..."


def pydoclint_problems(tree: ast.Module) -> list[Problem]:
    """pydoclint's problems for the whole module (the ignored codes left out).

    Args:
        tree: The module.

    Returns:
        The problems, sorted by line.
    """
    visitor = Visitor(**PYDOCLINT_OPTIONS)
    visitor.visit(tree)
    out = []
    for v in visitor.violations:
        code = v.fullErrorCode
        if code in IGNORED_PYDOCLINT:
            continue
        message = _URL.sub("", f"{v.violationMsg} {v.msgPostfix}")
        if code == "DOC103":  # the names are the message
            message = _names_only(v.msgPostfix)
        for long, short in _SHORTER:
            message = message.replace(long, short)
        out.append(Problem(v.line, code, _cut(message)))
    return sorted(set(out))


def ruff_argv(filename: str) -> list[str]:
    """``ruff check`` of the D rules (Google convention) on stdin, JSON output, no config files."""
    return [
        *ruff_command(),
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--output-format=json",
        "--select=D",
        "--config",
        'lint.pydocstyle.convention = "google"',
        "--stdin-filename",
        filename,
        "-",
    ]


@lru_cache(maxsize=256)
def ruff_problems(text: str, filename: str = "target.py", timeout_s: float = 30.0) -> tuple[Problem, ...]:
    """ruff's D problems for the whole text (cached).

    Args:
        text: Python source.
        filename: The name ruff sees.
        timeout_s: Time limit for ruff.

    Returns:
        The problems, sorted by line.

    Raises:
        RuntimeError: ruff did not run.
    """
    proc = subprocess.run(ruff_argv(filename), input=text, capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError(f"expected ruff to run (exit 0), got exit {proc.returncode}: {proc.stderr.strip()[:300]}")
    found = [
        Problem(v["location"]["row"], v.get("code") or "invalid-syntax", _cut(str(v.get("message", ""))))
        for v in json.loads(proc.stdout or "[]")
    ]
    return tuple(sorted(set(found)))


def ruff_many(texts: list[tuple[str, str]], timeout_s: float = 300.0) -> list[tuple[Problem, ...]]:
    """ruff's D problems for many texts in one run (a corpus filter checks hundreds at once).

    Args:
        texts: (file name ruff sees, text) pairs.
        timeout_s: Time limit for ruff.

    Returns:
        Each text's problems, sorted by line, in the order given.

    Raises:
        RuntimeError: ruff did not run.
    """
    if not texts:
        return []
    with tempfile.TemporaryDirectory(prefix="toolsmith-docstring-") as tmp:
        paths = []
        for i, (name, text) in enumerate(texts):
            path = Path(tmp) / f"{i:05d}" / name
            path.parent.mkdir()
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        argv = [a for a in ruff_argv("x.py") if a not in ("--stdin-filename", "x.py", "-")]
        proc = subprocess.run([*argv, tmp], capture_output=True, text=True, timeout=timeout_s)
        if proc.returncode != 0:
            raise RuntimeError(f"expected ruff to run (exit 0), got exit {proc.returncode}: {proc.stderr[:300]}")
        found: dict[Path, list[Problem]] = {p.resolve(): [] for p in paths}
        for v in json.loads(proc.stdout or "[]"):
            problem = Problem(v["location"]["row"], v.get("code") or "invalid-syntax", _cut(str(v.get("message", ""))))
            found.setdefault(Path(v["filename"]).resolve(), []).append(problem)
        return [tuple(sorted(set(found[p.resolve()]))) for p in paths]


def scope(facts: Facts, doclint: list[Problem], ruff: tuple[Problem, ...] | list[Problem]) -> list[Problem]:
    """The problems that belong to the symbol of ``facts`` (see the module docstring)."""
    mine = [p for p in doclint if p.line in facts.checked_lines]
    if facts.yields:  # the Generator-annotation half of DOC403: a change to the code, not the docstring
        mine = [p for p in mine if p.code != "DOC403"]
    skip = NOT_THE_SYMBOLS | ({"D107"} if facts.documented_by_class else set())
    mine += [p for p in ruff if facts.lineno <= p.line <= facts.header_end and p.code not in skip]
    return sorted(mine)


def check(text: str, symbol: str, filename: str = "target.py") -> list[Problem]:
    """Both checkers' problems for ``symbol`` in ``text``.

    Args:
        text: The module's source.
        symbol: ``name`` or ``Class.method``.
        filename: The name ruff sees.

    Returns:
        The symbol's problems, sorted by line and code.
    """
    tree = parse(text)
    find(tree, symbol)  # a clear error before running anything
    return symbol_problems(tree, symbol, ruff_problems(text, filename))


def symbol_problems(tree: ast.Module, symbol: str, ruff: tuple[Problem, ...] | list[Problem]) -> list[Problem]:
    """Both checkers' problems for ``symbol``, given ruff's problems for the whole file (one ruff run for many).

    Args:
        tree: The module.
        symbol: ``name`` or ``Class.method``.
        ruff: ruff's D problems for the module's text (:func:`ruff_problems`).

    Returns:
        The symbol's problems, sorted by line and code.
    """
    doclint = pydoclint_problems(ast.Module(body=[_subject(tree, symbol)], type_ignores=[]))
    return scope(facts_of(tree, symbol), doclint, ruff)


def _subject(tree: ast.Module, symbol: str) -> ast.stmt:
    """What pydoclint needs to judge ``symbol`` (line numbers kept): the symbol inside shallow copies of its
    classes, each holding only the next step of the path; a class keeps its docstring and ``__init__``."""
    node, _ = find(tree, symbol)
    if isinstance(node, ast.ClassDef):
        keep = [s for s in node.body[:1] if isinstance(s, ast.Expr)]
        keep += [s for s in node.body if isinstance(s, Def) and s.name == "__init__"][-1:]
        node = copy.copy(node)
        node.body = keep or [ast.Pass(lineno=node.lineno, col_offset=0)]
    parts = symbol.split(".")
    for i in range(len(parts) - 1, 0, -1):
        cls, _ = find(tree, ".".join(parts[:i]))
        cls = copy.copy(cls)
        cls.body = [node]
        node = cls
    return node
