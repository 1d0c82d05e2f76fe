"""The corpus (composed types, real classes cut from installed packages) and the polyfactory baseline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_sample_data_describe import make_project

from toolsmith.sample_data.baseline import baseline
from toolsmith.sample_data.checks import meaning_of
from toolsmith.sample_data.child import run_worker
from toolsmith.sample_data.corpus import (
    FIELD_TYPES,
    KINDS,
    VOCABULARY,
    TypeRef,
    composed_targets,
    licence,
    package_types,
    real_target,
)
from toolsmith.sample_data.expert import expert
from toolsmith.sample_data.measure import write_project
from toolsmith.sample_data.plan import new_plan
from toolsmith.sample_data.session import Session


def test_vocabulary_splits_field_names() -> None:
    train = {n for names, _, _ in VOCABULARY.values() for n in names}
    evals = {n for _, names, _ in VOCABULARY.values() for n in names}
    assert not train & evals
    spec_types = {"str": "str", "int": "int", "float": "float", "bool": "bool", "decimal.Decimal": "decimal",
                  "datetime.datetime": "datetime", "datetime.date": "date", "uuid.UUID": "uuid"}  # fmt: skip
    for meaning, (train_names, eval_names, kind) in VOCABULARY.items():
        spec = {"type": spec_types[FIELD_TYPES[kind][0]]}
        judged = {meaning_of(n, spec) for n in (*train_names, *eval_names)}
        assert None not in judged or meaning in ("street", "username", "description", "active", "uuid"), judged


def test_composed_targets_are_deterministic_and_split() -> None:
    first = composed_targets(14, 3, "train")
    assert first == composed_targets(14, 3, "train") and first != composed_targets(14, 4, "train")
    assert [t.meta["kind"] for t in first[:7]] == list(KINDS)

    def field_names(targets) -> set[str]:
        return {n for t in targets for text in t.files.values() for n in re.findall(r"^    (\w+):", text, re.M)} | {
            n for t in targets for text in t.files.values() for n in re.findall(r'^    "(\w+)": \{', text, re.M)
        }

    train, evals = field_names(first), field_names(composed_targets(14, 3, "eval"))
    enums = {"status", "tier", "priority", "channel"}
    assert train and evals and not (train & evals) - enums


@pytest.mark.parametrize("kind_index", range(len(KINDS)))
def test_composed_targets_pass_the_expert(tmp_path: Path, kind_index: int) -> None:
    target = composed_targets(len(KINDS), 5, "eval")[kind_index]
    write_project(tmp_path, target)
    session = Session.open(tmp_path, target.target, target.symbol, run_worker)
    result = session.judge(expert(session.call, session.description))
    assert result["success"], (target.meta["kind"], result["reason"])


def test_real_types_are_cut_into_one_file_projects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "site" / "fakepkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "base.py").write_text("LIMIT = 5\n", encoding="utf-8")
    (pkg / "models.py").write_text(
        "import dataclasses\nfrom typing import Optional\n\nfrom .base import LIMIT\n\n"
        "DEFAULT_CITY = 'Paris'\n\n\n@dataclasses.dataclass\nclass Address:\n    city: str = DEFAULT_CITY\n"
        "    zip_code: Optional[str] = None\n    floors: int = LIMIT\n\n\nclass NotData:\n    pass\n",
        encoding="utf-8",
    )
    refs = package_types(tmp_path / "site")
    assert [(r.module, r.name) for r in refs] == [("fakepkg.models", "Address")]
    target = real_target(refs[0])
    assert target is not None and target.symbol == "Address" and target.target == "models.py"
    text = target.files["models.py"]
    assert "from fakepkg.base import LIMIT" in text and "from fakepkg.models import DEFAULT_CITY" in text
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))  # the child imports fakepkg as if installed
    write_project(tmp_path / "proj", target)
    d = run_worker("describe", {"target": "models.py", "symbol": "Address"}, tmp_path / "proj")
    assert [(f["name"], f.get("default")) for f in d["fields"]] == [
        ("city", "Paris"),
        ("zip_code", None),
        ("floors", 5),
    ]


def test_real_package_scan_finds_installed_types() -> None:
    refs = package_types(only=frozenset({"attrs"}))
    assert refs and all(isinstance(r, TypeRef) for r in refs)
    assert licence("attrs") == "MIT" and licence("no-such-dist") == "unknown"


def test_polyfactory_baseline_is_valid_but_not_realistic(tmp_path: Path) -> None:
    make_project(tmp_path)
    made = baseline(tmp_path, "shop/models.py", "Customer", run_worker, count=8)
    assert made["records"] == 8
    d = made["description"]
    session = Session(tmp_path, "shop/models.py", "Customer", d, new_plan(d), run_worker)
    result = session.judge(None, judge_submission=False)
    assert result["valid"] and result["fixture_ok"]
    assert result["realism"] < 0.5 and not result["success"]
    with pytest.raises(ValueError, match="expected a Python type for polyfactory"):
        baseline(tmp_path, "invoice.schema.json", None, run_worker)
