"""The no-model baseline: polyfactory's valid, type-driven records, written like the agent's outputs.

What a user would run without a model: a polyfactory factory for the type (its constraints respected where
polyfactory reads them, values random for their type: strings of random letters, numbers anywhere in their bounds,
None for optional fields by chance), as many records as the agent writes, saved as the samples file and the fixture
module so the same checks judge them. JSON Schema targets have no polyfactory factory: the baseline fails on them.
"""

from __future__ import annotations

from pathlib import Path

from toolsmith.sample_data.expert import COUNT
from toolsmith.sample_data.session import is_schema, run_worker, write_file
from toolsmith.sample_data.writers import fixture_text, output_name, output_paths, samples_text

BASELINE = "polyfactory"
SEED = 0


def baseline(root: Path, target: str, symbol: str | None) -> None:
    """Write polyfactory's records for ``symbol`` in ``target`` (relative to ``root``) as the agent's outputs.

    Raises:
        ValueError: A JSON Schema target (polyfactory builds Python types only), or the type failed in the child.
    """
    if is_schema(target):
        raise ValueError(f"expected a Python type for polyfactory, got the JSON Schema {target}")
    if not symbol:
        raise ValueError(f"expected a class or function name (path.py::Name), got only {target}")
    made = run_worker("polyfactory_records", {"target": target, "symbol": symbol, "regular": COUNT, "seed": SEED}, root)
    samples, fixture = output_paths(target, symbol)
    write = write_file(root)
    write(samples, samples_text(made["records"]))
    write(fixture, fixture_text(made["description"], made["records"], output_name(target, symbol)))
