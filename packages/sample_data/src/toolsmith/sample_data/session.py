"""One agent run's state and the logic of its tools, with the short responses the model reads.

:class:`Session` holds the target's description, the plan and the last records; :meth:`Session.state`
/ :meth:`Session.from_state` make it plain JSON so the tools (phase 2) can keep it in a file between
calls. Python targets are described and validated in a child process (``runner``: the worker function
name, its payload and the project folder -> its value; phase 1 uses :func:`toolsmith.sample_data.child.run_worker`,
phase 2 the kit's ``run_isolated``); JSON Schema targets are read and validated here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.sample_data import plan as plans
from toolsmith.sample_data.schema import describe_schema, validate_records
from toolsmith.sample_data.spec import fields_by_path, short
from toolsmith.sample_data.writers import (
    builder_name,
    fixture_path,
    fixture_text,
    output_name,
    samples_path,
    samples_text,
)

Runner = Callable[[str, dict, Path], Any]
FORMATS = ("json", "pytest")
TOOL_NAMES = ("describe_target", "list_providers", "set_field", "add_edge_case", "generate", "write_samples",
              "submit_result")  # fmt: skip
TOOL_METHODS = ("describe", "list_providers", "set_field", "add_edge_case", "generate", "write_samples")
MAX_ERRORS_SHOWN = 2


def is_schema(target: str) -> bool:
    return target.endswith(".json")


def describe_target_file(root: Path, target: str, symbol: str | None, runner: Runner) -> dict:
    """The description of ``symbol`` in ``target`` (relative to ``root``): a schema read here, Python in the child."""
    if is_schema(target):
        return describe_schema(root / target, symbol)
    if not symbol:
        raise ValueError(f"expected a class or function name (path.py::Name), got only {target}")
    return runner("describe", {"target": target, "symbol": symbol}, root)


def validator(root: Path, target: str, symbol: str | None, runner: Runner) -> Callable[[list], dict]:
    """Records -> ``{"valid", "errors"}`` with the target's real validator."""
    if is_schema(target):
        return lambda records: validate_records(root / target, symbol, records)
    return lambda records: runner("validate", {"target": target, "symbol": symbol, "records": records}, root)


@dataclass
class Session:
    """One run: the target, its description, the plan and the last generated records.

    Attributes:
        root: The project folder (the sandbox's copy).
        target: The module or schema file, relative to ``root``.
        symbol: The class/function (or schema definition), if any.
        description: The target's description (see :mod:`toolsmith.sample_data.spec`).
        plan: Provider choices and edge cases (see :mod:`toolsmith.sample_data.plan`).
        records: The last generated records (JSON), None before ``generate``.
        errors: The validation errors of those records.
        runner: Runs a worker function in the child (not part of the state).
    """

    root: Path
    target: str
    symbol: str | None
    description: dict
    plan: dict
    runner: Runner
    records: list | None = None
    errors: list = field(default_factory=list)

    @classmethod
    def open(cls, root: Path, target: str, symbol: str | None, runner: Runner) -> Session:
        description = describe_target_file(root, target, symbol, runner)
        return cls(root, target, symbol, description, plans.new_plan(description), runner)

    def state(self) -> dict:
        """Everything but the runner, as JSON."""
        return {"target": self.target, "symbol": self.symbol, "description": self.description, "plan": self.plan,
                "records": self.records, "errors": self.errors}  # fmt: skip

    @classmethod
    def from_state(cls, root: Path, state: dict, runner: Runner) -> Session:
        return cls(root, state["target"], state["symbol"], state["description"], state["plan"], runner,
                   state["records"], state["errors"])  # fmt: skip

    @property
    def name(self) -> str:
        return output_name(self.target, self.symbol)

    def call(self, tool: str, arguments: dict) -> Any:
        """Run a tool's logic by the tool's name (what the expert calls in phase 1; the tools in phase 2)."""
        if tool == "submit_result":
            return submit_result(**arguments)
        method = {"describe_target": "describe"}.get(tool, tool)
        if method not in TOOL_METHODS:
            raise ValueError(f"expected a tool ({', '.join(TOOL_NAMES)}), got {tool!r}")
        return getattr(self, method)(**arguments)

    def judge(self, submitted: dict | None, judge_submission: bool = True) -> dict:
        """:func:`toolsmith.sample_data.checks.judge` on the files this run left in ``root``."""
        from toolsmith.sample_data.checks import judge

        return judge(self.root, self.description, samples_path(self.name), fixture_path(self.name),
                     validator(self.root, self.target, self.symbol, self.runner), self.fixture_records, submitted,
                     judge_submission)  # fmt: skip

    # ------------------------------------------------------------ the tools' logic

    def describe(self) -> dict:
        """The target's fields, one short line each, and the first field to choose a provider for."""
        d = self.description
        fields = {path: short(f) for path, f in fields_by_path(d).items()}
        return {"target": d["name"], "kind": d["kind"], "fields": fields, "next": plans.next_field(d)}

    def list_providers(self, field: str) -> dict:
        return {"field": field, "providers": plans.list_providers(self.description, field)}

    def set_field(self, field: str, provider: str, options: dict | None = None) -> dict:
        return plans.set_field(self.description, self.plan, field, provider, options)

    def add_edge_case(self, field: str, kind: str) -> dict:
        return plans.add_edge_case(self.description, self.plan, field, kind)

    def generate(self, count: int, seed: int) -> dict:
        try:
            built = plans.generate(self.description, self.plan, count, seed)
        except plans.GenerationError as e:
            self.records, self.errors = None, []
            raise ValueError(f"expected values for every field, got {e}; choose another provider") from None
        checked = validator(self.root, self.target, self.symbol, self.runner)(built["records"])
        self.records, self.errors = built["records"], checked["errors"]
        out: dict[str, Any] = {"records": len(built["records"]), "valid": checked["valid"],
                               "edge_records": len(built["edges"])}  # fmt: skip
        if checked["errors"]:
            out["errors"] = [f"record {i}: {m}" for i, m in checked["errors"][:MAX_ERRORS_SHOWN]]
        out["next"] = "write_samples" if not checked["errors"] else "set_field"
        return out

    def write_samples(self, formats: list[str]) -> dict:
        if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
            raise ValueError(f"expected formats from {list(FORMATS)}, got {formats!r}")
        if self.records is None:
            raise ValueError("expected records to write, got none: call generate first")
        if self.errors:
            raise ValueError(f"expected valid records, got {len(self.errors)} invalid: fix them and generate again")
        written = []
        if "json" in formats:
            written.append(self._write(samples_path(self.name), samples_text(self.records)))
        if "pytest" in formats:
            written.append(
                self._write(fixture_path(self.name), fixture_text(self.description, self.records, self.name))
            )
        return {"written": written, "records": len(self.records), "valid": len(self.records) - len(self.errors)}

    def _write(self, rel: str, text: str) -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return rel

    def fixture_records(self) -> dict:
        """What the written fixture module builds (run in the child; see the worker's ``fixture_records``)."""
        payload = {"fixture": fixture_path(self.name), "builder": builder_name(self.name)}
        if is_schema(self.target):
            return self.runner("fixture_data", payload, self.root)
        return self.runner("fixture_records", {**payload, "target": self.target, "symbol": self.symbol}, self.root)


def submit_result(summary: str, records: int, valid: int) -> dict:
    """The terminal tool's check of its arguments."""
    for name, value in (("records", records), ("valid", valid)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"expected {name} to be a whole number >= 0, got {value!r}")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError(f"expected a one-sentence summary, got {summary!r}")
    return {"accepted": True}
