"""The agent's outputs: ``samples/<symbol>.json`` and ``tests/fixtures_<symbol>.py``.

The fixture module imports the user's type and builds every record with its constructor (a pydantic
model, dataclass, attrs class, NamedTuple or TypedDict call; keyword-argument dicts for a function;
plain dicts for a JSON Schema), in a plain function ``build_<name>_records()`` and a pytest fixture
``<name>_records`` that returns it (``<name>``: :func:`output_name`). The records are the samples' (same order,
same values).
"""

from __future__ import annotations

import re

from toolsmith.sample_data.codec import dumps, import_line, record_source
from toolsmith.shared.sandbox import fill_outputs

# The agent's declared outputs (agents/sample_data/agent.yaml says the same; a test checks it). The kit fills
# ``{symbol}`` with the class/function (dots as ``_``) or, for a schema file, its name up to the first dot.
OUTPUTS = ("samples/{symbol}.json", "tests/fixtures_{symbol}.py")


def output_name(target: str, symbol: str | None) -> str:
    """The ``<name>`` of the builder and the fixture: the symbol (``Class.method`` -> ``class_method``) or the target
    file's stem up to its first dot, as a Python identifier in lower snake case."""
    raw = symbol.replace(".", "_") if symbol else target.rsplit("/", 1)[-1].split(".")[0]
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", raw).lower()
    snake = re.sub(r"\W", "_", snake).strip("_") or "target"
    return snake if not snake[0].isdigit() else f"t_{snake}"


def output_paths(target: str, symbol: str | None) -> tuple[str, str]:
    """The samples file and the fixture module of a target (relative to the project), as the kit fills them."""
    samples, fixture = fill_outputs(OUTPUTS, target, symbol)
    return samples, fixture


def builder_name(name: str) -> str:
    """The fixture module's plain function that builds the records."""
    return f"build_{name}_records"


def samples_text(records: list) -> str:
    """The samples file: the records as a JSON array."""
    return dumps(records)


def fixture_text(description: dict, records: list, name: str) -> str:
    """The pytest fixture module that builds ``records`` (JSON) as instances of the described target."""
    imports: set[str] = set()
    calls = [record_source(description, r, imports, indent="        ") for r in records]
    kind = description["kind"]
    if kind in ("jsonschema", "function"):
        returns = "list[dict]"
    else:
        line, type_name = import_line(description["ref"])
        imports.add(line)
        returns = f"list[{type_name}]"
    std = sorted(i for i in imports if i.startswith(("import datetime", "from decimal", "from uuid")))
    std.sort(key=lambda line: not line.startswith("import "))
    user = _merged(i for i in imports if i not in std)
    what = {"function": f"Keyword arguments for {description['name']}", "jsonschema": f"{description['name']} records"}
    title = what.get(kind, f"{description['name']} records")
    lines = [
        f'"""{title} for tests (the samples file as Python; written by toolsmith sample_data)."""',
        "",
        *std,
        *([""] if std else []),
        "import pytest",
        "",
        *user,
        *([""] if user else []),
        "",
        f"def {builder_name(name)}() -> {returns}:",
        '    """Build the sample records."""',
        "    return [",
        *(f"        {call}," for call in calls),
        "    ]",
        "",
        "",
        "@pytest.fixture",
        f"def {name}_records() -> {returns}:",
        f'    """The sample {description["name"]} records."""',
        f"    return {builder_name(name)}()",
        "",
    ]
    return "\n".join(lines)


def _merged(lines) -> list[str]:
    """``from m import a`` lines merged per module, sorted."""
    names: dict[str, set[str]] = {}
    for line in lines:
        module, _, name = line.removeprefix("from ").partition(" import ")
        names.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items())]
