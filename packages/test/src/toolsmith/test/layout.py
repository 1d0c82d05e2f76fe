"""Where the user's module imports from, and where its test file goes.

The import root of ``root/rel`` is the nearest folder up from the file that is not a package (has no
``__init__.py``); the dotted module is the path from there. So ``mod.py`` is ``mod`` (root on the path),
``src/pkg/mod.py`` with ``src/pkg/__init__.py`` is ``pkg.mod`` (``src`` on the path: the src layout), and
``scripts/tool.py`` is ``tool`` (``scripts`` on the path).
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

OUTPUT = "tests/test_{module}_{symbol}.py"  # the agent's one output (agents/test/agent.yaml says the same)


@dataclass(frozen=True)
class ModulePath:
    """How a file of the project is imported.

    Attributes:
        import_root: The folder (relative to the project root, posix, "" for the root) that goes on sys.path.
        module: The dotted module name.
    """

    import_root: str
    module: str


def module_path(root: Path, rel: str) -> ModulePath:
    """The import root and dotted module of the file ``rel`` (posix, relative to ``root``).

    Raises:
        ValueError: Not a ``.py`` file, or a part of its path is not an identifier.
    """
    path = PurePosixPath(rel)
    if path.suffix != ".py" or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"expected a .py file inside the project, got {rel!r}")
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    while folder.parts and (root / folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:
        raise ValueError(f"expected a module file, got the top-level {rel!r}")
    for p in parts:
        if not p.isidentifier() or keyword.iskeyword(p):
            raise ValueError(f"expected an importable module path, got {rel!r} (`{p}` is not an identifier)")
    return ModulePath("" if not folder.parts else folder.as_posix(), ".".join(parts))


def output_file(rel: str, symbol: str) -> str:
    """The test file the agent writes: :data:`OUTPUT` filled as the sandbox fills the agent's ``outputs``."""
    from toolsmith.shared.sandbox import fill_outputs  # here: the child processes import this module, not it

    (out,) = fill_outputs((OUTPUT,), rel, symbol)
    return out
