"""What a domain package (``toolsmith.<domain>``) provides: a small Protocol, met by the module itself."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from toolsmith.shared.constants import DOMAINS
from toolsmith.shared.episode import Episode


@runtime_checkable
class Domain(Protocol):
    """A domain module exposes these names.

    Attributes:
        TOOLS: The typed tool functions the agent may call (schemas come from them).
        TERMINAL_TOOL: Name of the tool that ends a run (its arguments are the result).
        TRAIN: Fine-tune overrides for this domain (field name -> value of ``TrainConfig``).
        BASELINE: Name of what a user runs without a model, for reports (e.g. ``ruff check --fix``).
    """

    TOOLS: tuple[Callable[..., Any], ...]
    TERMINAL_TOOL: str
    TRAIN: dict[str, Any]
    BASELINE: str

    def generate(self, out_dir: Path, count: int, seed: int, *, recovery: bool = True) -> dict[str, Any]:
        """Write ``train.jsonl``, ``eval.jsonl`` and ``summary.json`` to ``out_dir``; return the summary."""
        ...

    def check_episode(self, episode: Episode) -> dict[str, Any]:
        """Judge one finished run: ``success`` (bool), ``reason`` (str), and any bool/number metrics."""
        ...

    def baseline(self, root: Path, target: str, symbol: str | None) -> None:
        """Do what the user would do without a model, on the project copy in ``root``."""
        ...


_NAMES = ("TOOLS", "TERMINAL_TOOL", "TRAIN", "BASELINE", "generate", "check_episode", "baseline")


class DomainNotReady(RuntimeError):
    """The domain package exists but does not provide what the step needs yet."""


def load_domain(name: str) -> ModuleType:
    """Import ``toolsmith.<name>`` and check it meets :class:`Domain`."""
    if name not in DOMAINS:
        raise ValueError(f"expected a domain in {DOMAINS}, got {name!r}")
    module = importlib.import_module(f"toolsmith.{name}")
    missing = [a for a in _NAMES if not hasattr(module, a)]
    if missing:
        raise DomainNotReady(
            f"toolsmith.{name}: expected {missing} (the {name} agent has no tools/generator yet), got a stub package"
        )
    return module


def repo_root() -> Path:
    """The checkout root (where ``agents/`` and ``data/`` live).

    The current folder or its nearest parent holding ``agents/`` and ``packages/``; else the checkout this
    (editable) package was installed from, so ``toolsmith run lint ~/code/x.py`` works from anywhere.
    """
    here = Path.cwd().resolve()
    installed_from = Path(__file__).resolve().parents[5]
    for p in (here, *here.parents, installed_from):
        if (p / "agents").is_dir() and (p / "packages").is_dir():
            return p
    return here


def data_dir(domain: str) -> Path:
    """``data/<domain>`` under the checkout."""
    return repo_root() / "data" / domain


def agent_dir(domain: str) -> Path:
    """``agents/<domain>`` under the checkout."""
    return repo_root() / "agents" / domain
