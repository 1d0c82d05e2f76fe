"""One agent run's state and the logic of its tools, with the short responses the model reads.

:class:`Session` holds the target's description, the plan and the last records; :meth:`Session.state` /
:meth:`Session.from_state` make it plain JSON, which the tools keep in a file of the sandbox's private folder
between calls (:mod:`toolsmith.sample_data.tools`). Python targets are described and validated in a limited child
process (:func:`run_worker`: the kit's ``run_isolated`` on a :mod:`toolsmith.sample_data.worker` entry); JSON Schema
targets are data, read and validated here.

Every response that leads somewhere says where in ``next``:
``{"tool": "set_field", "field": ..., "providers": [...]}`` for the first field still without a provider (with
the providers that fit it), then ``{"tool": "generate"}``, which adds the edge cases the field types call for (see
:func:`toolsmith.sample_data.plan.next_step`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.sample_data import plan as plans
from toolsmith.sample_data.schema import describe_schema, validate_records
from toolsmith.sample_data.spec import fields_by_path, short
from toolsmith.sample_data.writers import fixture_text, output_name, samples_text
from toolsmith.shared.isolate import Limits, run_isolated

Runner = Callable[[str, dict, Path], Any]
Writer = Callable[[str, str], None]
FORMATS = ("json", "pytest")
MAX_ERRORS_SHOWN = 2
# User code (and the packages it imports, torch included) gets more room than the kit's defaults.
LIMITS = Limits(timeout_s=45.0, cpu_s=45, memory_mb=4096)
WORKER = "toolsmith.sample_data.worker"


class ChildError(ValueError):
    """The user's code failed in the child process (import error, exception, timeout, crash)."""


def run_worker(function: str, payload: dict, cwd: Path, limits: Limits = LIMITS) -> Any:
    """``worker.<function>(**payload)`` in a limited child process whose working folder is ``cwd``; its value.

    Raises:
        ChildError: The call raised, timed out, crashed or returned no JSON (the child's own sentence).
    """
    result = run_isolated(f"{WORKER}:{function}", payload, cwd=cwd, limits=limits)
    if not result.ok:
        raise ChildError(result.error or str(result.error_type))
    return result.value


def is_schema(target: str) -> bool:
    """Whether the target is a JSON Schema file (else a Python module)."""
    return target.endswith(".json")


def describe_target_file(root: Path, target: str, symbol: str | None, runner: Runner = run_worker) -> dict:
    """The description of ``symbol`` in ``target`` (relative to ``root``): a schema read here, Python in the child."""
    if is_schema(target):
        return describe_schema(root / target, symbol)
    if not symbol:
        raise ValueError(f"expected a class or function name (path.py::Name), got only {target}")
    return runner("describe", {"target": target, "symbol": symbol}, root)


def validator(root: Path, target: str, symbol: str | None, runner: Runner = run_worker) -> Callable[[list], dict]:
    """Records -> ``{"valid", "errors"}`` with the target's real validator."""
    if is_schema(target):
        return lambda records: validate_records(root / target, symbol, records)
    return lambda records: runner("validate", {"target": target, "symbol": symbol, "records": records}, root)


def write_file(root: Path) -> Writer:
    """A writer of files under ``root`` (``(relative path, text)``), folders created."""

    def write(rel: str, text: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return write


@dataclass
class Session:
    """One run: the target, its description, the plan and the last generated records.

    Attributes:
        root: The project folder (the sandbox's copy).
        target: The module or schema file, relative to ``root``.
        symbol: The class/function (or schema definition), if any.
        outputs: The samples file and the fixture module, relative to ``root``.
        description: The target's description (see :mod:`toolsmith.sample_data.spec`).
        plan: Provider choices (see :mod:`toolsmith.sample_data.plan`).
        runner: Runs a worker function in the child (not part of the state).
        write: Writes an output file (not part of the state).
        records: The last generated records (JSON), None before ``generate``.
        errors: The validation errors of those records.
        written: The outputs ``write_samples`` wrote (of the current records).
    """

    root: Path
    target: str
    symbol: str | None
    outputs: tuple[str, str]
    description: dict
    plan: dict
    runner: Runner = run_worker
    write: Writer | None = None
    records: list | None = None
    errors: list = field(default_factory=list)
    written: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.writer: Writer = self.write or write_file(self.root)

    @classmethod
    def open(
        cls,
        root: Path,
        target: str,
        symbol: str | None,
        outputs: tuple[str, str],
        runner: Runner = run_worker,
        write: Writer | None = None,
    ) -> Session:
        """Describe the target and start an empty plan."""
        description = describe_target_file(root, target, symbol, runner)
        return cls(root, target, symbol, outputs, description, plans.new_plan(description), runner, write)

    def state(self) -> dict:
        """Everything but the runner and the writer, as JSON."""
        return {
            "target": self.target,
            "symbol": self.symbol,
            "outputs": list(self.outputs),
            "description": self.description,
            "plan": self.plan,
            "records": self.records,
            "errors": self.errors,
            "written": self.written,
        }

    @classmethod
    def from_state(cls, root: Path, state: dict, runner: Runner = run_worker, write: Writer | None = None) -> Session:
        """The session :meth:`state` saved."""
        return cls(
            root,
            state["target"],
            state["symbol"],
            tuple(state["outputs"]),  # type: ignore[arg-type]
            state["description"],
            state["plan"],
            runner,
            write,
            state["records"],
            state["errors"],
            state["written"],
        )

    @property
    def name(self) -> str:
        """The snake-case name of the builder and the fixture in the fixture module."""
        return output_name(self.target, self.symbol)

    def next_call(self) -> dict:
        """The call that comes next from this state (what a refused call's error names, so the model can copy it
        from the last response as it does after a call that worked): the plan's next step
        (:func:`toolsmith.sample_data.plan.next_step`, without the providers: a refused provider's error names
        those that fit), then ``generate`` until there are valid records, ``write_samples``, ``submit_result``."""
        step = {k: v for k, v in plans.next_step(self.description, self.plan).items() if k != "providers"}
        if step["tool"] != "generate" or self.records is None or self.errors:
            return step
        return {"tool": "write_samples" if self.outputs[0] not in self.written else "submit_result"}

    # ------------------------------------------------------------ the tools' logic

    def describe(self) -> dict:
        """The target's fields, one short line each, and the first call to make."""
        d = self.description
        fields = {path: short(f) for path, f in fields_by_path(d).items()}
        return {"target": d["name"], "kind": d["kind"], "fields": fields, "next": plans.next_step(d, self.plan)}

    def set_field(self, field: str, provider: str, options: dict | None = None) -> dict:
        """Choose a provider for a field."""
        return plans.set_field(self.description, self.plan, field, provider, options)

    def generate(self, count: int, seed: int) -> dict:
        """Build and validate the records."""
        try:
            built = plans.generate(self.description, self.plan, count, seed)
        except plans.GenerationError as e:
            self.records, self.errors, self.written = None, [], []
            raise ValueError(f"expected values for every field, got {e}; choose another provider") from None
        checked = validator(self.root, self.target, self.symbol, self.runner)(built["records"])
        self.records, self.errors, self.written = built["records"], checked["errors"], []
        out: dict[str, Any] = {
            "records": len(built["records"]),
            "valid": checked["valid"],
            "edge_records": len(built["edges"]),
        }
        if checked["errors"]:
            out["errors"] = [f"record {i}: {m}" for i, m in checked["errors"][:MAX_ERRORS_SHOWN]]
        out["next"] = {"tool": "write_samples"} if not checked["errors"] else {"tool": "set_field"}
        return out

    def write_samples(self, formats: list[str]) -> dict:
        """Write the samples file and the fixture module."""
        if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
            raise ValueError(f"expected formats from {list(FORMATS)}, got {formats!r}")
        if self.records is None:
            raise ValueError("expected records to write, got none: call generate first")
        if self.errors:
            raise ValueError(f"expected valid records, got {len(self.errors)} invalid: fix them and generate again")
        samples, fixture = self.outputs
        written = []
        for fmt in dict.fromkeys(formats):
            if fmt == "json":
                self.writer(samples, samples_text(self.records))
                written.append(samples)
            else:
                self.writer(fixture, fixture_text(self.description, self.records, self.name))
                written.append(fixture)
        self.written = sorted(set(self.written) | set(written))
        valid = len(self.records) - len(self.errors)
        return {"written": written, "records": len(self.records), "valid": valid, "next": {"tool": "submit_result"}}

    def submit(self, summary: str, records: int, valid: int) -> dict:
        """The terminal tool: accepted once the samples file is written."""
        check_submission(summary, records, valid)
        if self.outputs[0] not in self.written:
            raise ValueError("expected the samples written before submitting, got none: call write_samples")
        return {"accepted": True}


def check_submission(summary: str, records: int, valid: int) -> None:
    """The terminal tool's check of its arguments (a ValueError saying what is wrong)."""
    for name, value in (("records", records), ("valid", valid)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"expected {name} to be a whole number >= 0, got {value!r}")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError(f"expected a one-sentence summary, got {summary!r}")
