"""The sample_data agent end to end through the runner: a scripted model (the expert's own calls) on a real pydantic
model file and on a JSON Schema file, in the tool host, with the outputs applied only when asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes import FakeModel

from toolsmith.sample_data.checks import check_episode
from toolsmith.sample_data.expert import expert
from toolsmith.sample_data.tools import TOOLS
from toolsmith.shared.agent import AgentSpec, load_agent
from toolsmith.shared.constants import START_FUNCTION_RESPONSE
from toolsmith.shared.episode import Episode
from toolsmith.shared.examples import Recorder
from toolsmith.shared.runner import Target, resolve_targets, run_agent, tool_host
from toolsmith.shared.sandbox import open_sandbox

MODELS = '''import datetime
import enum
from typing import Optional

from pydantic import BaseModel, Field


class Status(enum.Enum):
    ACTIVE = "active"
    CLOSED = "closed"


class Contact(BaseModel):
    """A customer contact."""

    contact_email: str
    full_name: str
    age: int = Field(ge=18, le=120)
    created_at: datetime.datetime
    status: Status = Status.ACTIVE
    note: Optional[str] = None


class Tag(BaseModel):
    label: str
    weight: float = Field(ge=0, le=1)
'''
SCHEMA = {
    "title": "Invoice",
    "type": "object",
    "required": ["invoice_id", "billing_email", "total"],
    "properties": {
        "invoice_id": {"type": "string", "format": "uuid"},
        "billing_email": {"type": "string", "format": "email"},
        "total": {"type": "number", "exclusiveMinimum": 0},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
    "additionalProperties": False,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "shop").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\n', encoding="utf-8")
    (root / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "models.py").write_text(MODELS, encoding="utf-8")
    (root / "invoice.schema.json").write_text(json.dumps(SCHEMA, indent=2), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def spec() -> AgentSpec:
    return load_agent("sample_data", tools=TOOLS)


@pytest.fixture(scope="module")
def host(spec: AgentSpec):
    with tool_host(spec) as h:
        yield h


def fg(value) -> str:
    """A value in the FunctionGemma call notation."""
    if isinstance(value, str):
        return f"<escape>{value}<escape>"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{fg(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(fg(v) for v in value) + "]"
    return repr(value)


def expert_outputs(spec: AgentSpec, project: Path, target: str, symbol: str | None) -> list[str]:
    """The expert's supervised calls on a copy of ``project``, as model output texts."""
    with open_sandbox(project / target, symbol, outputs=spec.outputs, edits_target=False, project=project) as box:
        rec = Recorder(spec, box)
        expert(rec)
    calls = [m["tool_calls"][0]["function"] for m in rec.messages if m.get("tool_calls")]
    return [
        f"<start_function_call>call:{c['name']}{fg(c['arguments'])}<end_function_call>{START_FUNCTION_RESPONSE}"
        for c in calls
    ]


def run(spec: AgentSpec, host, project: Path, target: Target, outputs: list[str], tmp_path: Path, **kw):
    return run_agent(spec, FakeModel(outputs), target, transcript=tmp_path / "runs.jsonl", host=host, **kw)


def test_a_model_file_runs_one_class_at_a_time(project: Path, spec: AgentSpec) -> None:
    targets = resolve_targets(project / "shop" / "models.py", spec.target_units)
    assert [t.symbol for t in targets] == ["Status", "Contact", "Tag"]  # Status: describe_target says it is no type
    assert resolve_targets(project / "invoice.schema.json", spec.target_units) == [
        Target(project / "invoice.schema.json")
    ]


def test_pydantic_model_writes_nothing_without_apply(project: Path, spec: AgentSpec, host, tmp_path: Path) -> None:
    outputs = expert_outputs(spec, project, "shop/models.py", "Contact")
    before = sorted(p.relative_to(project).as_posix() for p in project.rglob("*"))
    result = run(spec, host, project, Target(project / "shop/models.py", "Contact"), outputs, tmp_path)
    assert result.status == "success", result.reason
    assert result.submitted["records"] == result.submitted["valid"] > 5
    assert "--- /dev/null\n+++ b/samples/Contact.json" in result.diff
    assert "--- /dev/null\n+++ b/tests/fixtures_Contact.py" in result.diff
    assert set(result.changes) == {"samples/Contact.json", "tests/fixtures_Contact.py"}
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == before  # nothing written
    assert not result.applied and result.written == []
    # the judge on what the run left: the project with its two new files
    judged = tmp_path / "judged"
    shutil.copytree(project, judged)
    for rel, text in result.changes.items():
        (judged / rel).parent.mkdir(parents=True, exist_ok=True)
        (judged / rel).write_text(text, encoding="utf-8")
    before_text = {"shop/models.py": MODELS, **dict.fromkeys(result.changes)}
    verdict = check_episode(Episode(judged, "shop/models.py", "Contact", before_text, result.submitted))
    assert verdict["success"], verdict["reason"]


def test_pydantic_model_apply_creates_both_files(project: Path, spec: AgentSpec, host, tmp_path: Path) -> None:
    outputs = expert_outputs(spec, project, "shop/models.py", "Contact")
    result = run(spec, host, project, Target(project / "shop/models.py", "Contact"), outputs, tmp_path, apply=True)
    assert result.status == "success" and result.applied, result.reason
    assert sorted(result.written) == ["samples/Contact.json", "tests/fixtures_Contact.py"]
    for rel, text in result.changes.items():
        assert (project / rel).read_text(encoding="utf-8") == text
    assert (project / "shop" / "models.py").read_text(encoding="utf-8") == MODELS  # the target is never edited
    records = json.loads((project / "samples/Contact.json").read_text(encoding="utf-8"))
    assert {r["status"] for r in records} == {"active", "closed"} and None in {r["note"] for r in records}


def test_an_existing_samples_file_is_kept_without_overwrite(
    project: Path, spec: AgentSpec, host, tmp_path: Path
) -> None:
    outputs = expert_outputs(spec, project, "shop/models.py", "Tag")
    (project / "samples").mkdir()
    (project / "samples" / "Tag.json").write_text("[]\n", encoding="utf-8")
    result = run(spec, host, project, Target(project / "shop/models.py", "Tag"), outputs, tmp_path, apply=True)
    assert result.status == "failed" and "could not apply" in result.reason and "--overwrite" in result.reason
    assert (project / "samples" / "Tag.json").read_text(encoding="utf-8") == "[]\n"
    assert not (project / "tests" / "fixtures_Tag.py").exists()  # all files or none
    result = run(
        spec, host, project, Target(project / "shop/models.py", "Tag"), outputs, tmp_path, apply=True, overwrite=True
    )
    assert result.status == "success" and len(json.loads((project / "samples" / "Tag.json").read_text())) > 5


def test_json_schema_file(project: Path, spec: AgentSpec, host, tmp_path: Path) -> None:
    outputs = expert_outputs(spec, project, "invoice.schema.json", None)
    result = run(spec, host, project, Target(project / "invoice.schema.json"), outputs, tmp_path, apply=True)
    assert result.status == "success", result.reason
    assert sorted(result.written) == ["samples/invoice.json", "tests/fixtures_invoice.py"]
    records = json.loads((project / "samples/invoice.json").read_text(encoding="utf-8"))
    assert all("@" in r["billing_email"] and r["total"] > 0 for r in records)
    assert "def build_invoice_records() -> list[dict]:" in (project / "tests/fixtures_invoice.py").read_text()


def test_a_tool_call_before_describe_target_still_works(project: Path, spec: AgentSpec, host, tmp_path: Path) -> None:
    """The state file is made by whichever tool comes first; a submission before anything is written is refused."""
    outputs = [
        "<start_function_call>call:submit_result{records:1,summary:<escape>done<escape>,valid:1}<end_function_call>"
        + START_FUNCTION_RESPONSE,
    ] * 3
    result = run(spec, host, project, Target(project / "shop/models.py", "Tag"), outputs, tmp_path)
    assert result.status == "failed"
    errors = [m["content"]["error"] for m in result.messages if m["role"] == "tool"]
    # the refusal names the call that comes next, as a response's next does: the first field's provider
    assert errors[0] == (
        "expected the samples written before submitting, got none: call write_samples; next: set_field field=label"
    )
    assert errors[1].startswith("expected a different call, got the same submit_result call that just failed")
