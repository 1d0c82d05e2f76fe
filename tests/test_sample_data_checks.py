"""The writers and the episode checks on real runs of the expert: good runs pass, each kind of failure fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_sample_data_describe import make_project

from toolsmith.sample_data.checks import edge_coverage, realism, required_edges
from toolsmith.sample_data.child import run_worker
from toolsmith.sample_data.expert import edges, expert
from toolsmith.sample_data.session import Session, is_schema
from toolsmith.sample_data.writers import output_name

TARGETS = [
    ("shop/models.py", "Order"),
    ("shop/models.py", "Customer"),
    ("shop/models.py", "Point"),
    ("shop/models.py", "Event"),
    ("shop/models.py", "Product"),
    ("shop/models.py", "ship"),
    ("invoice.schema.json", None),
]


def run_expert(root: Path, target: str, symbol: str | None) -> tuple[Session, dict]:
    session = Session.open(root, target, symbol, run_worker)
    return session, expert(session.call, session.description)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_project(tmp_path_factory.mktemp("shop"))
    return {(t, s): run_expert(root, t, s) for t, s in TARGETS}


@pytest.mark.parametrize(("target", "symbol"), TARGETS)
def test_expert_runs_pass_every_check(runs: dict, target: str, symbol: str | None) -> None:
    session, submitted = runs[(target, symbol)]
    result = session.judge(submitted)
    assert result["success"], result["reason"]
    assert result["valid"] and result["fixture_ok"] and result["counts_true"]
    assert result["realism"] == 1.0 and result["edge_coverage"] == 1.0


def test_samples_load_back_through_the_validator(runs: dict) -> None:
    session, _ = runs[("shop/models.py", "Order")]
    records = json.loads((session.root / "samples/order.json").read_text(encoding="utf-8"))
    assert run_worker("validate", {"target": "shop/models.py", "symbol": "Order", "records": records},
                      session.root) == {"valid": len(records), "errors": []}  # fmt: skip
    first = records[0]
    assert first["price"].count(".") == 1 and len(first["price"].split(".")[1]) == 2  # a decimal, as text
    assert first["created_at"].endswith("Z") and len(first["id"]) == 36
    assert {r["status"] for r in records} == {"pending", "paid", "shipped"}


def test_fixture_module_imports_and_builds_instances(runs: dict) -> None:
    session, _ = runs[("shop/models.py", "Order")]
    text = (session.root / "tests/fixtures_order.py").read_text(encoding="utf-8")
    assert "from shop.models import Address, Order, Status" in text and "@pytest.fixture" in text
    built = session.fixture_records()
    records = json.loads((session.root / "samples/order.json").read_text(encoding="utf-8"))
    assert built["records"] == records and all(built["instance"]) and built["errors"] == []


def test_fixture_module_runs_under_pytest(runs: dict, tmp_path: Path) -> None:
    import subprocess
    import sys

    session, _ = runs[("shop/models.py", "Customer")]
    test = session.root / "tests" / "test_use_fixture.py"
    test.write_text(
        "from fixtures_customer import customer_records  # noqa: F401\n\n\n"
        "def test_it(customer_records):\n    assert all(c.age >= 18 for c in customer_records)\n",
        encoding="utf-8",
    )
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                          cwd=session.root, capture_output=True, text=True, timeout=120)  # fmt: skip
    test.unlink()
    assert proc.returncode == 0, proc.stdout[-800:]


def copy_run(runs: dict, tmp_path: Path, target: str, symbol: str | None) -> tuple[Session, dict]:
    import shutil

    session, submitted = runs[(target, symbol)]
    root = tmp_path / "copy"
    shutil.copytree(session.root, root)
    return Session.from_state(root, session.state(), run_worker), dict(submitted)


def _edit_samples(session: Session, edit) -> None:
    path = session.root / f"samples/{session.name}.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    edit(records)
    path.write_text(json.dumps(records), encoding="utf-8")


def test_an_invalid_record_fails(runs: dict, tmp_path: Path) -> None:
    session, submitted = copy_run(runs, tmp_path, "shop/models.py", "Order")
    _edit_samples(session, lambda records: records[0].update(quantity=0))
    result = session.judge(submitted)
    assert not result["success"] and not result["valid"]
    assert result["reason"].startswith("expected every record to validate, got record 0: quantity")


def test_an_unrealistic_email_fails(runs: dict, tmp_path: Path) -> None:
    session, submitted = copy_run(runs, tmp_path, "shop/models.py", "Customer")

    def garble(records: list) -> None:
        for r in records:
            r["email"] = "kqzvwx"

    _edit_samples(session, garble)
    result = session.judge(submitted)
    assert result["valid"] and not result["success"] and result["realism"] < 0.9
    assert "realistic values" in result["reason"] and "email='kqzvwx' (not a email)" in result["reason"]


def test_a_missing_edge_case_fails(runs: dict, tmp_path: Path) -> None:
    session, submitted = copy_run(runs, tmp_path, "shop/models.py", "Order")

    def drop_none_note(records: list) -> None:
        records[:] = [r for r in records if r["note"] is not None]

    _edit_samples(session, drop_none_note)
    submitted["records"] -= 1
    submitted["valid"] -= 1
    result = session.judge(submitted)
    assert not result["success"] and result["edge_coverage"] < 1.0
    assert "missing note:none=None" in result["reason"]


def test_a_fixture_that_differs_from_the_samples_fails(runs: dict, tmp_path: Path) -> None:
    session, submitted = copy_run(runs, tmp_path, "shop/models.py", "Point")
    _edit_samples(session, lambda records: records[0].update(latitude=1.5))
    result = session.judge(submitted)
    assert not result["fixture_ok"] and "to build the samples' records" in result["reason"]


def test_a_broken_fixture_fails(runs: dict, tmp_path: Path) -> None:
    session, submitted = copy_run(runs, tmp_path, "shop/models.py", "ship")
    (session.root / "tests/fixtures_ship.py").write_text("import nope\n", encoding="utf-8")
    result = session.judge(submitted)
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
    session, _ = runs[("shop/models.py", "Point")]
    result = session.judge(submitted)
    assert not result["success"] and message in result["reason"]
    if submitted is None:
        assert session.judge(submitted, judge_submission=False)["success"]  # the baseline submits nothing


def test_required_edges_match_the_expert(tmp_path: Path) -> None:
    from toolsmith.sample_data.schema import describe_schema

    make_project(tmp_path)
    d = describe_schema(tmp_path / "invoice.schema.json")
    assert edges(d) == list(dict.fromkeys((p, k) for p, k, _ in required_edges(d)))
    assert ("status", "each_enum") in edges(d) and ("notes", "none") in edges(d)


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
