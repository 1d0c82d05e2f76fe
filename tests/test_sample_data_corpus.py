"""The corpus (composed types, real classes cut from installed packages) and the polyfactory baseline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_sample_data_describe import make_project

from toolsmith.sample_data.checks import check_episode, meaning_of
from toolsmith.sample_data.corpus import (
    CHOICELESS_EVERY,
    ENUMS,
    KINDS,
    VOCABULARY,
    Target,
    composed_targets,
    data_classes,
    eval_names,
    field_spec,
    real_target,
)
from toolsmith.sample_data.expert import candidates
from toolsmith.sample_data.polyfactory_baseline import baseline
from toolsmith.sample_data.session import run_worker
from toolsmith.shared.corpus import package_modules
from toolsmith.shared.episode import Episode


def write_project(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_vocabulary_splits_field_names() -> None:
    train = {n for names, _, _ in VOCABULARY.values() for n in names}
    evals = {n for _, names, _ in VOCABULARY.values() for n in names}
    assert not train & evals
    for meaning, (train_names, evals, kind) in VOCABULARY.items():
        spec = {"type": field_spec(kind)["type"]}
        judged = {meaning_of(n, spec) for n in (*train_names, *evals)}
        assert None not in judged or meaning in ("street", "username", "description", "active", "uuid"), judged


@pytest.mark.parametrize("meaning", sorted(VOCABULARY))
def test_each_name_of_a_meaning_gets_its_provider_and_its_judged_meaning(meaning: str) -> None:
    """The expert and the judge treat every name of a meaning (train and eval) as its first train name, with the
    composed field's constraints: what the model learns from one name holds for the others."""
    train, evals, kind = VOCABULARY[meaning]
    spec = field_spec(kind)

    def choice(name: str) -> tuple[str, dict]:
        return candidates(name, {"name": name, "spec": spec, "optional": False, "required": True})[0]

    for name in (*train, *evals):
        assert choice(name) == choice(train[0]), name
    assert len({meaning_of(name, spec) for name in (*train, *evals)} - {None}) <= 1  # `id` is judged no uuid


def composed_names(targets: list[Target]) -> list[str]:
    """Field names of composed targets (Python classes and functions, JSON Schema properties), with repeats."""
    return [n for t in targets for text in t.files.values() for n in re.findall(r"^    (\w+):", text, re.M)] + [
        n for t in targets for text in t.files.values() for n in re.findall(r'^    "(\w+)": \{', text, re.M)
    ]


def test_composed_targets_are_deterministic_and_split() -> None:
    first = composed_targets(14, 3, "train")
    assert first == composed_targets(14, 3, "train") and first != composed_targets(14, 4, "train")
    assert [t.meta["kind"] for t in first[:7]] == list(KINDS)

    train, evals = set(composed_names(first)), set(composed_names(composed_targets(14, 3, "eval")))
    assert train and evals and not train & evals
    assert evals <= eval_names() and not train & eval_names()
    assert not set(ENUMS["train"]) & set(ENUMS["eval"])


def test_composed_names_are_drawn_by_their_weights() -> None:
    """A name's weight sets how often it is drawn within its meaning, a name without one weighs 1; no weights draws
    as before."""
    favourites = {train[-1] for train, _, _ in VOCABULARY.values() if len(train) >= 8}
    only = composed_names(composed_targets(28, 3, "train", dict.fromkeys(favourites, 1e9)))
    heavier = composed_names(composed_targets(28, 3, "train", dict.fromkeys(favourites, 20.0)))
    plain = composed_names(composed_targets(28, 3, "train"))
    names = {n for train, _, _ in VOCABULARY.values() if len(train) >= 8 for n in train}
    assert {n for n in only if n in names} <= favourites
    shares = [sum(n in favourites for n in drawn) / sum(n in names for n in drawn) for drawn in (heavier, plain)]
    assert 0.5 < shares[0] < 1 and shares[1] < 0.3  # the others of a meaning are still drawn, less often
    assert composed_targets(28, 3, "train", {}) == composed_targets(28, 3, "train")


@pytest.mark.parametrize("kind_index", range(len(KINDS)))
def test_composed_targets_pass_the_expert(tmp_path: Path, kind_index: int) -> None:
    from test_sample_data_checks import record_expert

    target = composed_targets(len(KINDS), 5, "eval")[kind_index]
    write_project(tmp_path / "project", target.files)
    run = record_expert(tmp_path / "project", target.target, target.symbol, tmp_path / "after")
    result = run.judge()
    assert result["success"], (target.meta["kind"], result["reason"])


@pytest.mark.parametrize("i", [CHOICELESS_EVERY - 1, 2 * CHOICELESS_EVERY - 1, 3 * CHOICELESS_EVERY - 1])
def test_every_choiceless_train_type_goes_from_describe_to_generate(tmp_path: Path, i: int) -> None:
    from test_sample_data_checks import record_expert

    for split, first in (("train", "generate"), ("eval", "set_field")):  # the eval types are not changed by it
        target = composed_targets(i + 1, 5, split)[i]
        project = tmp_path / split
        write_project(project, target.files)
        run = record_expert(project, target.target, target.symbol, tmp_path / f"after-{split}")
        assert run.judge()["success"], (split, target.meta["kind"])
        described = next(m for m in run.messages if m.get("name") == "describe_target")
        assert described["content"]["next"]["tool"] == first, (split, described)


def test_real_types_are_cut_into_one_file_projects(tmp_path: Path) -> None:
    pkg = tmp_path / "proj" / "fakepkg"  # the child imports fakepkg from the project folder, as if installed
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "base.py").write_text("LIMIT = 5\n", encoding="utf-8")
    (pkg / "models.py").write_text(
        "import dataclasses\nfrom typing import Optional\n\nfrom .base import LIMIT\n\n"
        "DEFAULT_CITY = 'Paris'\n\n\n@dataclasses.dataclass\nclass Address:\n    city: str = DEFAULT_CITY\n"
        "    zip_code: Optional[str] = None\n    floors: int = LIMIT\n\n\nclass NotData:\n    pass\n\n\n"
        "@dataclasses.dataclass\nclass Parsed:\n    raw: str\n\n    def __init__(self, **kwargs):\n        pass\n",
        encoding="utf-8",
    )
    refs = data_classes("fakepkg", "fakepkg.models", pkg / "models.py")
    assert [(r.module, r.name) for r in refs] == [("fakepkg.models", "Address")]  # Parsed writes its own __init__
    target = real_target(refs[0])
    assert target is not None and target.symbol == "Address" and target.target == "models.py"
    text = target.files["models.py"]
    assert "from fakepkg.base import LIMIT" in text and "from fakepkg.models import DEFAULT_CITY" in text
    write_project(tmp_path / "proj", target.files)
    d = run_worker("describe", {"target": "models.py", "symbol": "Address"}, tmp_path / "proj")
    assert [(f["name"], f.get("default")) for f in d["fields"]] == [
        ("city", "Paris"),
        ("zip_code", None),
        ("floors", 5),
    ]


def test_a_project_file_never_shadows_a_module() -> None:
    refs = [r for m, p in package_modules("pydantic") if m == "pydantic.types" for r in data_classes("pydantic", m, p)]
    target = real_target(refs[0])
    assert target is not None and target.target == "pydantic_types.py"  # not types.py (the standard library's)


def test_real_package_scan_finds_installed_types() -> None:
    refs = [r for m, p in package_modules("attrs") for r in data_classes("attrs", m, p)]
    assert refs and all(r.package == "attrs" for r in refs)


def test_polyfactory_baseline_is_valid_but_not_realistic(tmp_path: Path) -> None:
    make_project(tmp_path)
    baseline(tmp_path, "shop/models.py", "Customer")
    before = {"shop/models.py": (tmp_path / "shop/models.py").read_text(encoding="utf-8")}
    result = check_episode(Episode(tmp_path, "shop/models.py", "Customer", before, None, judge_submission=False))
    assert result["valid"] and result["fixture_ok"]
    assert result["records"] == 5 + 3  # as many as the agent writes: five, one per edge value (2 channels, no tags)
    assert result["realism"] < 0.5 and not result["success"]
    with pytest.raises(ValueError, match="expected a Python type for polyfactory"):
        baseline(tmp_path, "invoice.schema.json", None)
