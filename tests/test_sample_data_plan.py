"""set_field / generate on real Faker, pydantic and jsonschema: refusals, edges, determinism."""

from __future__ import annotations

import decimal
from pathlib import Path

import pytest
from test_sample_data_describe import make_project

from toolsmith.sample_data.expert import candidates
from toolsmith.sample_data.plan import (
    LISTED,
    GenerationError,
    applicable_edges,
    bound_value,
    choice_fields,
    edge_record_count,
    edge_values,
    generate,
    list_providers,
    new_plan,
    next_step,
    related,
    set_field,
)
from toolsmith.sample_data.providers import COMMON
from toolsmith.sample_data.session import Session
from toolsmith.sample_data.values import seeded

OUTPUTS = ("samples/x.json", "tests/fixtures_x.py")


def field(name: str, spec: dict, optional: bool = False) -> dict:
    return {"name": name, "spec": spec, "optional": optional, "required": not optional}


DESCRIPTION = {
    "name": "Account",
    "kind": "jsonschema",
    "ref": "account.json",
    "models": {},
    "fields": [
        field("contact_email", {"type": "str", "format": "email", "max_length": 60}),
        field("code", {"type": "str", "pattern": "^[A-Z]{3}$"}),
        field("nickname", {"type": "str", "min_length": 3, "max_length": 12}, optional=True),
        field("age", {"type": "int", "ge": 18, "lt": 100}),
        field("balance", {"type": "decimal", "gt": 0, "decimal_places": 2}),
        field("ratio", {"type": "float", "ge": 0, "le": 1}),
        field("plan", {"type": "literal", "members": ["free", "pro", "team"]}),
        field("tags", {"type": "list", "item": {"type": "str"}, "max_length": 4}),
        field("created_at", {"type": "datetime"}),
        field("active", {"type": "bool"}),
    ],
}


@pytest.fixture
def plan() -> dict:
    return new_plan(DESCRIPTION)


def test_set_field_accepts_and_answers_next_only(plan: dict) -> None:
    # the response is what the model reads: the first field without a provider, by path, with the providers that
    # fit it; the call's own field and provider are not repeated
    r = set_field(DESCRIPTION, plan, "contact_email", "email")
    assert r == {"next": {"tool": "set_field", "field": "age", "providers": ["pyint"]}}
    assert plan["choices"] == {"contact_email": {"provider": "email", "options": {}}}
    r = set_field(DESCRIPTION, plan, "age", "pyint", {"min_value": 20, "max_value": 60})
    assert r == {"next": {"tool": "set_field", "field": "balance", "providers": list_providers(DESCRIPTION, "balance")}}
    set_field(DESCRIPTION, plan, "code", "currency_code")  # a real provider whose values match the pattern
    records = generate(DESCRIPTION, plan, 5, seed=0)["records"][:5]
    assert all(20 <= r["age"] <= 60 and "@" in r["contact_email"] and len(r["code"]) == 3 for r in records)


@pytest.mark.parametrize(
    ("path", "provider", "options", "message"),
    [
        ("contact_email", "emale", None, "expected a provider that fits contact_email (email, company_email"),
        ("age", "email", None, "expected a provider of int values for age (pyint), got email (str values)"),
        ("code", "word", None, "does not match /^[A-Z]{3}$/"),
        ("age", "pyint", {"min_value": 0, "max_value": 10}, "not >= 18"),
        ("code", "text", None, "does not match /^[A-Z]{3}$/"),
        ("plan", "word", None, "expected a provider of literal values"),
        ("missing", "word", None, "expected a field of Account (contact_email, code"),
        ("tags", "pyint", None, "expected a provider of str values for tags ("),
    ],
)
def test_set_field_refuses(plan: dict, path: str, provider: str, options: dict | None, message: str) -> None:
    with pytest.raises(ValueError) as err:
        set_field(DESCRIPTION, plan, path, provider, options)
    assert message in str(err.value)
    assert plan["choices"] == {}


@pytest.mark.parametrize(
    ("path", "provider", "options", "kept", "ignored"),
    [
        ("code", "currency_code", {"x": 1}, {}, ["x"]),  # a provider that takes no option
        ("contact_email", "email", {"dom": "x.org", "domain": "x.org"}, {"domain": "x.org"}, ["dom"]),
        ("age", "pyint", {"right_digits": 2, "max_value": 30}, {"max_value": 30}, ["right_digits"]),
        ("age", "pyint", {"max_value": 30}, {"max_value": 30}, None),
    ],
)
def test_set_field_leaves_out_options_the_provider_does_not_take(
    plan: dict, path: str, provider: str, options: dict, kept: dict, ignored: list | None
) -> None:
    out = set_field(DESCRIPTION, plan, path, provider, options)
    assert out.get("ignored_options") == ignored
    assert plan["choices"][path] == {"provider": provider, "options": kept}


def test_list_providers_by_type_and_constraints() -> None:
    email = list_providers(DESCRIPTION, "contact_email")
    assert "email" in email and "company_email" in email and "city" not in email
    assert list_providers(DESCRIPTION, "plan") == ["random_element"]
    assert "currency_code" in list_providers(DESCRIPTION, "code") and "from_pattern" in list_providers(
        DESCRIPTION, "code"
    )
    assert list_providers(DESCRIPTION, "age") == ["pyint"]
    assert list_providers(DESCRIPTION, "active") == ["pybool"]


@pytest.mark.parametrize(
    ("path", "kind", "values"),
    [
        ("nickname", "none", [None]),
        ("nickname", "min", "len3"),
        ("nickname", "max", "len12"),
        ("age", "min", [18]),
        ("age", "max", [99]),
        ("balance", "min", [decimal.Decimal("0.01")]),
        ("ratio", "min", [0.0]),
        ("ratio", "max", [1.0]),
        ("plan", "each_enum", ["free", "pro", "team"]),
        ("tags", "empty", [[]]),
        ("tags", "max", "items4"),
    ],
)
def test_edge_values(path: str, kind: str, values: object) -> None:
    got = edge_values(DESCRIPTION, new_plan(DESCRIPTION), path, kind, seeded(0))
    if isinstance(values, str):
        assert len(got) == 1 and len(got[0]) == int(values.removeprefix("len").removeprefix("items"))
    else:
        assert got == values


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        ("age", "none", "expected a field that accepts None for `none`"),
        ("age", "each_enum", "expected an enum or Literal field"),
        ("age", "empty", "expected a string or collection field for `empty`"),
        ("nickname", "empty", "expected a field that may be empty"),
        ("balance", "max", "expected a number field with a upper bound"),
        ("contact_email", "min", "expected a number bound or a minimum length of 1 or more"),
        ("created_at", "max", "expected a number bound or a maximum length"),
        ("code", "maximum", "expected an edge kind (none, empty, min, max, each_enum), got 'maximum'"),
    ],
)
def test_edge_cases_that_do_not_apply_are_refused(path: str, kind: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        edge_values(DESCRIPTION, new_plan(DESCRIPTION), path, kind, seeded(0))
    assert message in str(err.value)


def test_bound_values() -> None:
    assert bound_value({"type": "int", "gt": 5}, "min") == 6
    assert bound_value({"type": "float", "lt": 1, "decimal_places": 1}, "max") == 0.9
    assert bound_value({"type": "decimal", "gt": 0, "decimal_places": 3}, "min") == decimal.Decimal("0.001")
    assert bound_value({"type": "int"}, "max") is None


def test_generate_is_deterministic_and_adds_every_edge_the_types_call_for(plan: dict) -> None:
    set_field(DESCRIPTION, plan, "contact_email", "email")
    first = generate(DESCRIPTION, plan, 4, seed=11)
    assert first == generate(DESCRIPTION, plan, 4, seed=11)
    assert first != generate(DESCRIPTION, plan, 4, seed=12)
    records = first["records"]
    assert len(records) == 4 + edge_record_count(DESCRIPTION, applicable_edges(DESCRIPTION)) == 4 + 14
    assert [i for i, _, _ in first["edges"]] == list(range(4, 18))
    assert [(path, kind) for _, path, kind in first["edges"]] == [
        ("age", "min"), ("age", "max"), ("balance", "min"), ("contact_email", "max"), ("nickname", "none"),
        ("nickname", "min"), ("nickname", "max"), *[("plan", "each_enum")] * 3, ("ratio", "min"), ("ratio", "max"),
        ("tags", "max"), ("tags", "empty"),
    ]  # fmt: skip
    assert [r["age"] for r in records[4:6]] == [18, 99] and records[6]["balance"] == "0.01"
    assert len(records[7]["contact_email"]) == 60 and "@" in records[7]["contact_email"]
    assert records[8]["nickname"] is None and [len(r["nickname"]) for r in records[9:11]] == [3, 12]
    assert [r["plan"] for r in records[11:14]] == ["free", "pro", "team"]
    assert [r["ratio"] for r in records[14:16]] == [0.0, 1.0]
    assert len(records[16]["tags"]) == 4 and records[17]["tags"] == []
    assert all(r["nickname"] is not None for r in records[:4])  # None only as an edge case
    assert all(isinstance(r["balance"], str) and r["created_at"].endswith("Z") for r in records)


@pytest.mark.parametrize(("count", "seed"), [(0, 1), (51, 1), (True, 1), (3, "x")])
def test_generate_refuses_bad_arguments(plan: dict, count: object, seed: object) -> None:
    with pytest.raises(ValueError, match="expected a"):
        generate(DESCRIPTION, plan, count, seed)  # type: ignore[arg-type]


def test_generate_reports_a_field_no_value_fits() -> None:
    description = {**DESCRIPTION, "fields": [field("x", {"type": "unsupported", "name": "Path"})]}
    with pytest.raises(GenerationError, match="x: no provider for the unsupported type Path"):
        generate(description, new_plan(description), 2, 0)


def test_generate_reports_an_edge_no_value_fits() -> None:
    # five different booleans for the longest set: the edge cannot be built, and the error names the field
    description = {
        **DESCRIPTION,
        "fields": [field("flags", {"type": "set", "item": {"type": "bool"}, "max_length": 5})],
    }
    assert applicable_edges(description) == [("flags", "max"), ("flags", "empty")]
    with pytest.raises(GenerationError, match="flags: no `max` edge value, expected 5 different items"):
        generate(description, new_plan(description), 2, 0)


def test_schema_target_generates_valid_records(tmp_path: Path) -> None:
    make_project(tmp_path)
    s = Session.open(tmp_path, "invoice.schema.json", None, OUTPUTS)
    s.set_field("billing_email", "email")
    s.set_field("currency", "currency_code")
    r = s.generate(3, 0)
    edges = edge_record_count(s.description, applicable_edges(s.description))
    assert edges >= 4  # notes: None; status: each of three members
    assert r == {"records": 3 + edges, "valid": 3 + edges, "edge_records": edges, "next": {"tool": "write_samples"}}


def test_validation_failures_are_reported(tmp_path: Path) -> None:
    make_project(tmp_path)
    s = Session.open(tmp_path, "shop/models.py", "Customer", OUTPUTS)
    s.set_field("age", "pyint", {"min_value": -50, "max_value": -1})  # the type allows it, __post_init__ does not
    r = s.generate(2, 0)
    assert r["valid"] == 0 and r["next"] == {"tool": "set_field"}
    assert r["errors"][0].startswith("record 0:") and "age must be >= 0" in r["errors"][0]
    assert r["records"] == 2 + r["edge_records"] == 5  # every record holds the age __post_init__ refuses
    with pytest.raises(ValueError, match="expected valid records, got 5 invalid"):
        s.write_samples(["json"])


def test_sets_are_written_sorted() -> None:
    from toolsmith.sample_data.codec import encode

    assert encode({"tags": {"b", "c", "a"}, "n": frozenset({2, 1})}) == {"tags": ["a", "b", "c"], "n": [1, 2]}


def test_next_step_walks_fields_then_generate(plan: dict) -> None:
    choices = choice_fields(DESCRIPTION)
    assert choices == ["age", "balance", "code", "contact_email", "created_at", "nickname", "ratio", "tags"]
    for path in choices:
        assert next_step(DESCRIPTION, plan) == {
            "tool": "set_field",
            "field": path,
            "providers": list_providers(DESCRIPTION, path),
        }
        plan["choices"][path] = {"provider": "x", "options": {}}
    edges = applicable_edges(DESCRIPTION)
    assert edges[:3] == [("age", "min"), ("age", "max"), ("balance", "min")]
    assert ("plan", "each_enum") in edges and ("nickname", "none") in edges and ("tags", "empty") in edges
    assert ("active", "none") not in edges and ("created_at", "min") not in edges
    assert next_step(DESCRIPTION, plan) == {"tool": "generate"}  # the edge cases are generate's


def test_list_providers_ranks_names_that_share_a_word_and_caps() -> None:
    listed = list_providers(DESCRIPTION, "contact_email")
    assert listed[0] == "email" and len(listed) <= LISTED
    assert "pyint" not in list_providers(DESCRIPTION, "nickname")
    assert list_providers(DESCRIPTION, "age") == ["pyint"]


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("employer", None),  # no word relates: the common providers, in COMMON's order
        ("homepage", None),
        ("contact_name", ["name", "first_name", "last_name", "user_name"]),  # related first, common ones among them
        ("client_ip", ["ipv4", "ipv6"]),
    ],
)
def test_list_providers_offers_the_common_ones_after_related_ones(name: str, first: list[str] | None) -> None:
    description = {**DESCRIPTION, "fields": [field(name, {"type": "str"})]}
    listed = list_providers(description, name)
    assert len(listed) == LISTED and {"company", "email", "url"} <= set(listed)
    assert listed[: len(first or COMMON)] == (first or list(COMMON[:LISTED]))


@pytest.mark.parametrize(
    "name", ["title", "role", "mobile", "employer", "organization", "homepage", "bio", "forename", "author", "town"]
)
def test_the_experts_provider_is_among_those_offered(name: str) -> None:
    description = {**DESCRIPTION, "fields": [field(name, {"type": "str"})]}
    provider, _ = candidates(name, description["fields"][0])[0]
    assert provider in list_providers(description, name)


@pytest.mark.parametrize(
    ("word", "other", "expected"),
    [
        ("email", "email", 2),
        ("ip", "ipv4", 2),  # one starts the other
        ("post", "postal", 2),
        ("postal", "postcode", 1),  # only four letters in common at the start: a weaker sign
        ("preferred", "prefix", 1),
        ("zip", "postcode", 0),
        ("a", "address", 0),  # one letter is too little
        ("city", "country", 0),
    ],
)
def test_related_name_words(word: str, other: str, expected: int) -> None:
    assert related(word, other) == expected
    assert related(other, word) == expected


@pytest.mark.parametrize(
    ("name", "first"),
    [
        # a word the name shares outranks a shared start: preferred/prefix must not put prefix first
        ("preferred_language", ["language_code", "prefix"]),
        # the words inside a compound provider name count: postal+code and zip+code relate to postcode
        ("postal_code", ["postcode"]),
        ("zip_code", ["postcode"]),
        # Faker's aliases of a provider count as its names: zipcode (postcode()) relates zip to postcode
        ("shipping_zip", ["postcode"]),
        ("postalcode", ["postcode"]),
        ("colour", ["color_name", "hex_color"]),
    ],
)
def test_list_providers_ranks_closer_relations_first(name: str, first: list[str]) -> None:
    description = {**DESCRIPTION, "fields": [field(name, {"type": "str"})]}
    assert list_providers(description, name)[: len(first)] == first


@pytest.mark.parametrize(
    ("spec", "listed"),
    [
        ({"type": "int"}, ["year", "pyint"]),  # the name relates to year, whose values are years
        ({"type": "int", "ge": 1950, "le": 2030}, ["year", "pyint"]),
        ({"type": "int", "ge": 0, "le": 100}, ["pyint"]),  # bounds that hold no year: year is not offered
    ],
)
def test_list_providers_offers_year_for_a_year_that_can_hold_one(spec: dict, listed: list[str]) -> None:
    description = {**DESCRIPTION, "fields": [field("release_year", spec)]}
    assert list_providers(description, "release_year") == listed


@pytest.mark.parametrize("most", [1, 2, 3])
def test_list_providers_on_a_short_string_lists_what_fits(most: int) -> None:
    # Faker asserts on some arguments (password(length=3)): such a provider is not offered, the tool still answers
    description = {**DESCRIPTION, "fields": [field("code", {"type": "str", "max_length": most})]}
    listed = list_providers(description, "code")
    assert "password" not in listed and "pystr" in listed


def test_list_providers_ranks_related_words_first() -> None:
    description = {**DESCRIPTION, "fields": [field("client_ip", {"type": "str"})]}
    assert list_providers(description, "client_ip")[:2] == ["ipv4", "ipv6"]
