"""Real code available offline: the standard library and PyPI packages installed as declared dependencies.

A :class:`Corpus` lists the modules of its sources and cuts them into :class:`Snippet` s with ``ast``: top-level
functions and classes (and methods, dedented) within a size range, each with the module's plain imports it uses.
Held-out packages (:data:`~toolsmith.shared.constants.HELD_OUT_PACKAGES`) are refused. Modules are split into
train and eval by module or by package, so eval code is never seen in training.
"""

from __future__ import annotations

import ast
import os
import random
import sysconfig
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Literal

from toolsmith.shared.constants import HELD_OUT_PACKAGES, STDLIB

_STDLIB_SKIP = {
    "test",
    "tests",
    "idlelib",
    "lib2to3",
    "turtledemo",
    "site-packages",
    "ensurepip",
    "__pycache__",
    "__phello__",
    "pydoc_data",
    "venv",
    "encodings",
}  # encodings: 100 copies of one codec template


@dataclass(frozen=True)
class Snippet:
    """A function, class or method cut from real code.

    Attributes:
        module: Dotted module name it came from.
        name: Function/class name (``Class.method`` for methods).
        symbol: Its top-level name inside ``body``.
        imports: The module's plain import lines it uses.
        body: The dedented source.
        package: ``stdlib`` or the PyPI distribution it came from.
    """

    module: str
    name: str
    symbol: str
    imports: tuple[str, ...]
    body: str
    package: str = STDLIB

    @property
    def source(self) -> str:
        """``module:name``."""
        return f"{self.module}:{self.name}"

    @property
    def filename(self) -> str:
        """The module's file name (``decoder.py``)."""
        return self.module.rsplit(".", 1)[-1] + ".py"

    @property
    def text(self) -> str:
        """The snippet as a file: its imports, then its body."""
        return ("\n".join(self.imports) + "\n\n\n" + self.body) if self.imports else self.body


@dataclass(frozen=True)
class Package:
    """A source of code and its terms.

    Attributes:
        name: ``stdlib`` or the distribution name.
        version: Its version.
        licence: Its licence as its metadata states it.
    """

    name: str
    version: str
    licence: str


@cache
def stdlib_modules() -> tuple[tuple[str, Path], ...]:
    """(dotted module name, path) of the standard library's usable ``.py`` files, sorted."""
    std = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for root, dirs, files in os.walk(std):
        rel_dir = Path(root).relative_to(std)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _STDLIB_SKIP
            and not d.startswith("test")
            and len(rel_dir.parts) < 2
            and (Path(root) / d / "__init__.py").is_file()
        )
        for name in sorted(files):
            stem = name[:-3]
            if not name.endswith(".py") or stem.startswith("test") or not stem.replace("_", "a").isalnum():
                continue
            parts = [*rel_dir.parts] + ([] if stem == "__init__" else [stem])
            if parts:
                out.append((".".join(parts), Path(root) / name))
    return tuple(sorted(out))


def _licence(meta: metadata.PackageMetadata) -> str:
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return "; ".join(classifiers)
    text = (meta.get("License") or "").strip().splitlines()
    return text[0][:80] if text else "unknown"


def package_info(name: str) -> Package:
    """Name, version and licence of ``stdlib`` or an installed distribution.

    Raises:
        ValueError: For a held-out package or one that is not installed.
    """
    if name == STDLIB:
        import platform

        return Package(STDLIB, platform.python_version(), "PSF-2.0")
    if name.lower().replace("_", "-") in HELD_OUT_PACKAGES:
        raise ValueError(f"expected a package that is not held out, got {name!r} (never train or evaluate on it)")
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise ValueError(f"expected {name!r} installed (declare it as a dependency), got no such package") from None
    return Package(dist.metadata["Name"], dist.version, _licence(dist.metadata))


@cache
def package_modules(name: str) -> tuple[tuple[str, Path], ...]:
    """(dotted module name, path) of an installed distribution's ``.py`` files (tests left out), sorted."""
    package_info(name)
    dist = metadata.distribution(name)
    out = []
    for f in dist.files or []:
        parts = f.parts
        if not f.name.endswith(".py") or any(
            p in ("tests", "test", "testing") or p.endswith(".dist-info") for p in parts
        ):
            continue
        if any(not p.replace("_", "a").isalnum() for p in (*parts[:-1], f.name[:-3])):
            continue
        mod = [*parts[:-1]] + ([] if f.name == "__init__.py" else [f.name[:-3]])
        path = Path(dist.locate_file(f))
        if mod and path.is_file():
            out.append((".".join(mod), path))
    return tuple(sorted(out))


def import_lines(tree: ast.Module) -> dict[str, str]:
    """Bound name -> one plain import line, for the module's top-level absolute imports."""
    bound: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                bound[name] = f"import {a.name}" + (f" as {a.asname}" if a.asname else "")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module != "__future__":
            for a in node.names:
                if a.name != "*":
                    bound[a.asname or a.name] = f"from {node.module} import {a.name}" + (
                        f" as {a.asname}" if a.asname else ""
                    )
    return bound


@dataclass(frozen=True)
class Corpus:
    """Where snippets come from, and which ones are kept.

    Attributes:
        packages: PyPI distributions (declared dependencies of the domain) besides the standard library.
        stdlib: Include the standard library.
        min_lines: Fewest lines of a snippet (decorators included).
        max_lines: Most lines of a snippet.
        methods: Also cut methods out of classes (dedented, named ``Class.method``).
        ascii_only: Keep only snippets of ASCII text without tabs, form feeds or carriage returns.
        max_line_length: Longest line kept (0 = any).
        split_by: Train/eval split unit: ``module``, or ``package`` (the distribution; the top-level package
            for the standard library).
    """

    packages: tuple[str, ...] = ()
    stdlib: bool = True
    min_lines: int = 5
    max_lines: int = 60
    methods: bool = True
    ascii_only: bool = True
    max_line_length: int = 100
    split_by: Literal["module", "package"] = "module"

    def __post_init__(self) -> None:
        for name in self.packages:
            package_info(name)
        if not (self.stdlib or self.packages):
            raise ValueError("Corpus: expected the standard library or at least one package, got neither")
        if not 1 <= self.min_lines <= self.max_lines:
            raise ValueError(f"Corpus: expected 1 <= min_lines <= max_lines, got {self.min_lines}, {self.max_lines}")
        if self.split_by not in ("module", "package"):
            raise ValueError(f"Corpus: expected split_by module|package, got {self.split_by!r}")

    def sources(self) -> list[Package]:
        """The packages read, with version and licence."""
        return [package_info(n) for n in ((STDLIB,) if self.stdlib else ()) + self.packages]

    def modules(self) -> tuple[tuple[str, Path], ...]:
        """(module, path) of every source, sorted by module name."""
        return _modules(self.stdlib, self.packages)

    def package_of(self, module: str) -> str:
        """The package a module comes from."""
        return _package_index(self.stdlib, self.packages)[module]

    def unit_of(self, module: str) -> str:
        """The train/eval split unit of a module."""
        if self.split_by == "module":
            return module
        package = self.package_of(module)
        return module.split(".")[0] if package == STDLIB else package

    def snippets(self, module: str) -> tuple[Snippet, ...]:
        """The usable snippets of one module, in file order."""
        return _snippets(self, module, dict(self.modules())[module])

    def keep(self, body: str) -> bool:
        """Whether a snippet's text passes the text filters."""
        if self.ascii_only and not (body.isascii() and not any(c in body for c in "\t\f\r")):
            return False
        return not self.max_line_length or all(len(line) <= self.max_line_length for line in body.splitlines())

    def split(self, rng: random.Random, eval_share: float) -> tuple[list[str], list[str]]:
        """Train and eval modules: a shuffled ``eval_share`` of the split units is eval only."""
        units = list(dict.fromkeys(self.unit_of(m) for m, _ in self.modules()))
        rng.shuffle(units)
        n_eval = max(1, round(len(units) * eval_share))
        held = set(units[:n_eval])
        modules = [m for m, _ in self.modules()]
        train = sorted(m for m in modules if self.unit_of(m) not in held)
        return train, sorted(m for m in modules if self.unit_of(m) in held)

    def candidates(self, modules: list[str], rng: random.Random, per_round: int = 2) -> Iterator[Snippet]:
        """Snippets of ``modules`` in a seeded order: rounds over shuffled modules, a few random snippets each.

        Modules are parsed on first use, so small data sets touch few files.
        """
        order = list(modules)
        rng.shuffle(order)
        left: dict[str, list[Snippet]] = {}
        while order:
            again = []
            for m in order:
                if m not in left:
                    left[m] = list(self.snippets(m))
                    rng.shuffle(left[m])
                take, left[m] = left[m][:per_round], left[m][per_round:]
                yield from take
                if left[m]:
                    again.append(m)
            order = again


@cache
def _modules(stdlib: bool, packages: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    found = list(stdlib_modules()) if stdlib else []
    for name in packages:
        found += package_modules(name)
    return tuple(sorted(found))


@cache
def _package_index(stdlib: bool, packages: tuple[str, ...]) -> dict[str, str]:
    index = {m: STDLIB for m, _ in stdlib_modules()} if stdlib else {}
    for name in packages:
        index.update((m, name) for m, _ in package_modules(name))
    return index


@cache
def _snippets(corpus: Corpus, module: str, path: Path) -> tuple[Snippet, ...]:
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return ()
    lines = text.splitlines()
    imports = import_lines(tree)
    found: list[tuple[str, ast.stmt]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, node))
            if isinstance(node, ast.ClassDef) and corpus.methods:
                found += [
                    (f"{node.name}.{m.name}", m)
                    for m in node.body
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                ]
    package = corpus.package_of(module)
    out = []
    for name, node in found:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        if not corpus.min_lines <= end - start + 1 <= corpus.max_lines:
            continue
        body = textwrap.dedent("\n".join(lines[start - 1 : end])) + "\n"
        if not corpus.keep(body) or body[0].isspace():
            continue
        try:
            sub = ast.parse(body)
        except SyntaxError:
            continue
        used = sorted({n.id for n in ast.walk(sub) if isinstance(n, ast.Name)})
        needed = tuple(dict.fromkeys(imports[u] for u in used if u in imports))
        symbol = name.rsplit(".", 1)[-1]
        out.append(Snippet(module=module, name=name, symbol=symbol, imports=needed, body=body, package=package))
    return tuple(out)
