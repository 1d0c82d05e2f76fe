"""toolsmith sample_data agent: tools that describe a data type and write valid, realistic sample records and a
pytest fixture for it, the example generator, fine-tune settings and evaluator checks.

The names the kit needs (:class:`toolsmith.shared.domain.Domain`) load on first use: the child processes that
import the user's code import :mod:`toolsmith.sample_data.worker` through this package, and should not pay for
Faker, jsonschema and the generator each time.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BASELINE": "polyfactory_baseline",
    "baseline": "polyfactory_baseline",
    "check_episode": "checks",
    "generate": "dataset",
    "TRAIN": "settings",
    "TOOLS": "tools",
    "TERMINAL_TOOL": "tools",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
