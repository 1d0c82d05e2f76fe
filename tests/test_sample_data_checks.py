"""The writers and the episode checks on real runs of the expert: good runs pass, each kind of failure fails."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_sample_data_describe import make_project

from toolsmith.sample_data.checks import check_episode, edge_coverage, realism, required_edges
from toolsmith.sample_data.expert import expert
from toolsmith.sample_data.plan import applicable_edges
from toolsmith.sample_data.session import is_schema, run_worker
from toolsmith.sample_data.tools import TOOLS
from toolsmith.sample_data.writers import output_name, output_paths
from toolsmith.shared.agent import load_agent
from toolsmith.shared.episode import Episode
from toolsmith.shared.examples import Recorder
from toolsmith.shared.sandbox import open_sandbox

TARGETS = [
    ("shop/models.py", "Order"),
    ("shop/models.py", "Customer"),
    ("shop/models.py", "Point"),
    ("shop/models.py", "Event"),
    ("shop/models.py", "Product"),
    ("shop/models.py", "ship"),
    ("invoice.schema.json", None),
]


@dataclass
class Run:
    """An expert run's project as it left it (a copy), and what it submitted."""

    root: Path
    target: str
    symbol: str | None
    submitted: dict | None
    messages: list = field(default_factory=list)

    @property
    def samples(self) -> Path:
        return self.root / output_paths(self.target, self.symbol)[0]

    @property
    def fixture(self) -> Path:
        return self.root / output_paths(self.target, self.symbol)[1]

    def judge(self, submitted: Any = "run", judge_submission: bool = True) -> dict:
        sent = self.submitted if submitted == "run" else submitted
        before = {self.target: (self.root / self.target).read_text(encoding="utf-8")}
        return check_episode(Episode(self.root, self.target, self.symbol, before, sent, judge_submission))


def record_expert(project: Path, target: str, symbol: str | None, dest: Path) -> Run:
    """The expert through the kit's recorder on a sandbox of ``project``; the sandbox copied to ``dest``."""
    agent = load_agent("sample_data", tools=TOOLS)
    with open_sandbox(project / target, symbol, outputs=agent.outputs, edits_target=False, project=project) as box:
        rec = Recorder(agent, box)
        expert(rec)
        shutil.copytree(box.root, dest)
    return Run(dest, target, symbol, rec.submitted, rec.messages)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_project(tmp_path_factory.mktemp("shop"))
    out = tmp_path_factory.mktemp("runs")
    return {(t, s): record_expert(root, t, s, out / f"{s or 'schema'}") for t, s in TARGETS}


@pytest.mark.parametrize(("target", "symbol"), TARGETS)
def test_expert_runs_pass_every_check(runs: dict, target: str, symbol: str | None) -> None:
    result = runs[(target, symbol)].judge()
    assert result["success"], result["reason"]
    assert result["valid"] and result["fixture_ok"] and result["counts_true"]
    assert result["realism"] == 1.0 and result["edge_coverage"] == 1.0  # currency_code draws ISO 4217 codes only


def test_samples_load_back_through_the_validator(runs: dict) -> None:
    run = runs[("shop/models.py", "Order")]
    assert run.samples == run.root / "samples/Order.json"
    records = json.loads(run.samples.read_text(encoding="utf-8"))
    assert run_worker("validate", {"target": "shop/models.py", "symbol": "Order", "records": records},
                      run.root) == {"valid": len(records), "errors": []}  # fmt: skip
    first = records[0]
    assert first["price"].count(".") == 1 and len(first["price"].split(".")[1]) == 2  # a decimal, as text
    assert first["created_at"].endswith("Z") and len(first["id"]) == 36
    assert {r["status"] for r in records} == {"pending", "paid", "shipped"}


def test_fixture_module_imports_and_builds_instances(runs: dict) -> None:
    run = runs[("shop/models.py", "Order")]
    text = run.fixture.read_text(encoding="utf-8")
    assert run.fixture == run.root / "tests/fixtures_Order.py"
    assert "from shop.models import Address, Order, Status" in text and "@pytest.fixture" in text
    assert "def build_order_records() -> list[Order]:" in text and "def order_records() -> list[Order]:" in text


def test_fixture_module_runs_under_pytest(runs: dict, tmp_path: Path) -> None:
    import subprocess
    import sys

    run = runs[("shop/models.py", "Customer")]
    test = run.root / "tests" / "test_use_fixture.py"
    test.write_text(
        "from fixtures_Customer import customer_records  # noqa: F401\n\n\n"
        "def test_it(customer_records):\n    assert all(c.age >= 18 for c in customer_records)\n",
        encoding="utf-8",
    )
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                          cwd=run.root, capture_output=True, text=True, timeout=120)  # fmt: skip
    test.unlink()
    assert proc.returncode == 0, proc.stdout[-800:]


def copy_run(runs: dict, tmp_path: Path, target: str, symbol: str | None) -> Run:
    run = runs[(target, symbol)]
    root = tmp_path / "copy"
    shutil.copytree(run.root, root)
    return Run(root, target, symbol, dict(run.submitted))


def _edit_samples(run: Run, edit) -> None:
    records = json.loads(run.samples.read_text(encoding="utf-8"))
    edit(records)
    run.samples.write_text(json.dumps(records), encoding="utf-8")


def test_an_invalid_record_fails(runs: dict, tmp_path: Path) -> None:
    run = copy_run(runs, tmp_path, "shop/models.py", "Order")
    _edit_samples(run, lambda records: records[0].update(quantity=0))
    result = run.judge()
    assert not result["success"] and not result["valid"]
    assert result["reason"].startswith("expected every record to validate, got record 0: quantity")


def test_an_unrealistic_email_fails(runs: dict, tmp_path: Path) -> None:
    run = copy_run(runs, tmp_path, "shop/models.py", "Customer")

    def garble(records: list) -> None:
        for r in records:
            r["email"] = "kqzvwx"

    _edit_samples(run, garble)
    result = run.judge()
    assert result["valid"] and not result["success"] and result["realism"] < 0.9
    assert "realistic values" in result["reason"] and "email='kqzvwx' (not a email)" in result["reason"]


def test_a_missing_edge_case_fails(runs: dict, tmp_path: Path) -> None:
    run = copy_run(runs, tmp_path, "shop/models.py", "Order")

    def drop_none_note(records: list) -> None:
        records[:] = [r for r in records if r["note"] is not None]

    _edit_samples(run, drop_none_note)
    run.submitted["records"] -= 1
    run.submitted["valid"] -= 1
    result = run.judge()
    assert not result["success"] and result["edge_coverage"] < 1.0
    assert "missing note:none=None" in result["reason"]


def test_a_fixture_that_differs_from_the_samples_fails(runs: dict, tmp_path: Path) -> None:
    run = copy_run(runs, tmp_path, "shop/models.py", "Point")
    _edit_samples(run, lambda records: records[0].update(latitude=1.5))
    result = run.judge()
    assert not result["fixture_ok"] and "to build the samples' records" in result["reason"]


def test_a_broken_fixture_fails(runs: dict, tmp_path: Path) -> None:
    run = copy_run(runs, tmp_path, "shop/models.py", "ship")
    run.fixture.write_text("import nope\n", encoding="utf-8")
    result = run.judge()
    assert not result["fixture_ok"] and "to import and build the records, got ModuleNotFoundError" in result["reason"]


@pytest.mark.parametrize(
    ("submitted", "message"),
    [
        (None, "expected a submit_result call, got none"),
        ({"summary": "s", "records": 99, "valid": 5}, "expected records=5 and valid=5, got 99 and 5"),
        ({"summary": "s", "records": 5, "valid": True}, "got 5 and None"),
    ],
)
def test_submitted_numbers_must_be_true(runs: dict, submitted: dict | None, message: str) -> None:
    run = runs[("shop/models.py", "Point")]
    result = run.judge(submitted)
    assert not result["success"] and message in result["reason"]
    if submitted is None:
        assert run.judge(submitted, judge_submission=False)["success"]  # the baseline submits nothing


def test_required_edges_match_the_expert(tmp_path: Path) -> None:
    from toolsmith.sample_data.schema import describe_schema

    make_project(tmp_path)
    d = describe_schema(tmp_path / "invoice.schema.json")
    assert sorted(applicable_edges(d)) == sorted(dict.fromkeys((p, k) for p, k, _ in required_edges(d)))
    assert ("status", "each_enum") in applicable_edges(d) and ("notes", "none") in applicable_edges(d)


def test_realism_skips_edge_values_and_counts_items() -> None:
    d = {
        "name": "T",
        "kind": "jsonschema",
        "models": {},
        "fields": [
            {"name": "email", "spec": {"type": "str", "max_length": 5}, "optional": True, "required": True},
            {"name": "emails", "spec": {"type": "list", "item": {"type": "str"}}, "optional": False, "required": True},
            {"name": "misc", "spec": {"type": "str"}, "optional": False, "required": True},
        ],
    }
    records = [
        {"email": None, "emails": ["a@b.co", "nope"], "misc": "x"},
        {"email": "abcde", "emails": [], "misc": "y"},
    ]
    assert realism(d, records) == (1, 2, ["emails='nope' (not a email)"])
    assert edge_coverage(d, records) == (3, 3, [])


@pytest.mark.parametrize(
    ("target", "symbol", "name"),
    [("shop/models.py", "Order", "order"), ("a/b.py", "HTTPServer.handle", "httpserver_handle"),
     ("invoice.schema.json", None, "invoice"), ("x/2fa.json", None, "t_2fa"), ("m.py", "userAccount", "user_account")],
)  # fmt: skip
def test_output_names(target: str, symbol: str | None, name: str) -> None:
    assert output_name(target, symbol) == name
    assert is_schema(target) == target.endswith(".json")
