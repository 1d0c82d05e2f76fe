"""The no-model baseline: polyfactory's valid, type-driven records, written like the agent's outputs.

What a user would run without a model: a polyfactory factory for the type (its constraints respected,
values random for their type: strings of random letters, numbers anywhere in their bounds, None for
optional fields by chance), ``count`` records, written as ``samples/<name>.json`` and the fixture module.
JSON Schema targets have no polyfactory factory: the baseline does not apply to them.
"""

from __future__ import annotations

from pathlib import Path

from toolsmith.sample_data.session import Runner, describe_target_file, is_schema
from toolsmith.sample_data.writers import fixture_path, fixture_text, output_name, samples_path, samples_text

NAME = "polyfactory (type-driven factories)"


def baseline(root: Path, target: str, symbol: str | None, runner: Runner, count: int = 10, seed: int = 0) -> dict:
    """Write polyfactory's records for ``symbol`` in ``target`` (relative to ``root``) as the agent would.

    Raises:
        ValueError: A JSON Schema target (polyfactory builds Python types only).
    """
    if is_schema(target):
        raise ValueError(f"expected a Python type for polyfactory, got the schema {target}")
    description = describe_target_file(root, target, symbol, runner)
    payload = {"target": target, "symbol": symbol, "count": count, "seed": seed}
    records = runner("polyfactory_records", payload, root)
    name = output_name(target, symbol)
    for rel, text in ((samples_path(name), samples_text(records)),
                      (fixture_path(name), fixture_text(description, records, name))):  # fmt: skip
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return {"records": len(records), "description": description}
