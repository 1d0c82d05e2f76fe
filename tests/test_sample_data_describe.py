"""Describing targets: every kind of Python type (imported in a child process) and JSON Schema files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolsmith.sample_data.schema import describe_schema
from toolsmith.sample_data.session import ChildError, Session, run_worker
from toolsmith.sample_data.spec import check_value, fields_by_path, short

MODELS = """\
import datetime
import decimal
import enum
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Literal, NamedTuple, Optional, TypedDict

import annotated_types as at
import attrs
from pydantic import BaseModel, EmailStr, Field, HttpUrl


class Status(enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"


class Address(BaseModel):
    street: str
    city: str
    postcode: str = Field(max_length=10)
    country_code: str = Field(pattern=r"^[A-Z]{2}$")


class Order(BaseModel):
    id: uuid.UUID
    contact_email: EmailStr
    created_at: datetime.datetime
    price: decimal.Decimal = Field(gt=0, max_digits=8, decimal_places=2)
    quantity: Annotated[int, at.Ge(1), at.Le(99)] = 1
    status: Status = Status.PENDING
    note: Optional[str] = None
    website: HttpUrl | None = None
    tags: list[str] = []
    address: Address


@dataclass
class Customer:
    first_name: str
    last_name: str
    age: int
    email: str
    signup_date: datetime.date
    channel: Literal["web", "shop"] = "web"
    tags: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.age < 0:
            raise ValueError("age must be >= 0")


class Point(NamedTuple):
    latitude: float
    longitude: float = 0.0


class Event(TypedDict, total=False):
    name: str
    starts_at: datetime.datetime


@attrs.define
class Product:
    sku: str = attrs.field(validator=attrs.validators.matches_re(r"[A-Z]{3}-[0-9]{4}"))
    price: float = attrs.field(validator=[attrs.validators.gt(0), attrs.validators.le(1000)])
    currency: str = "EUR"
    label: Optional[str] = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.max_len(20)))


def ship(order_id: int, country_code: str, express: bool = False, weight_kg: Annotated[float, at.Gt(0)] = 1.0):
    return order_id
"""

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Invoice",
    "type": "object",
    "required": ["invoice_id", "billing_email", "issued_at", "amount", "currency", "lines"],
    "properties": {
        "invoice_id": {"type": "string", "format": "uuid"},
        "billing_email": {"type": "string", "format": "email"},
        "issued_at": {"type": "string", "format": "date-time"},
        "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "status": {"enum": ["draft", "sent", "paid"]},
        "notes": {"type": ["string", "null"], "maxLength": 200},
        "lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Line"}},
    },
    "$defs": {
        "Line": {
            "type": "object",
            "required": ["sku", "quantity"],
            "properties": {
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                "quantity": {"type": "integer", "minimum": 1},
            },
        }
    },
}


def make_project(root: Path) -> Path:
    """A project with a package ``shop`` (models.py) and a schema file; returns ``root``."""
    (root / "shop").mkdir(parents=True, exist_ok=True)
    (root / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "models.py").write_text(MODELS, encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n", encoding="utf-8")
    (root / "invoice.schema.json").write_text(json.dumps(SCHEMA, indent=2), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("shop"))


def describe(project: Path, symbol: str) -> dict:
    return run_worker("describe", {"target": "shop/models.py", "symbol": symbol}, project)


EXPECTED = {
    "Order": ("pydantic", {
        "id": "uuid",
        "contact_email": "str format=email",
        "created_at": "datetime",
        "price": "decimal >0 digits=8 places=2",
        "quantity": "int >=1 <=99 =1",
        "status": "enum pending|paid|shipped ='pending'",
        "note": "str|None =None",
        "website": "str|None format=uri =None",
        "tags": "list[str] =[]",
        "address": "Address",
        "address.street": "str",
        "address.city": "str",
        "address.postcode": "str len<=10",
        "address.country_code": "str /^[A-Z]{2}$/",
    }),
    "Customer": ("dataclass", {
        "first_name": "str",
        "last_name": "str",
        "age": "int",
        "email": "str",
        "signup_date": "date",
        "channel": "literal web|shop ='web'",
        "tags": "list[str] =<factory>",
    }),
    "Point": ("namedtuple", {"latitude": "float", "longitude": "float =0.0"}),
    "Event": ("typeddict", {"name": "str", "starts_at": "datetime"}),
    "Product": ("attrs", {
        "sku": "str /^(?:[A-Z]{3}-[0-9]{4})$/",
        "price": "float >0 <=1000",
        "currency": "str ='EUR'",
        "label": "str|None len<=20 =None",
    }),
    "ship": ("function", {
        "order_id": "int",
        "country_code": "str",
        "express": "bool =False",
        "weight_kg": "float >0 =1.0",
    }),
}  # fmt: skip


@pytest.mark.parametrize("symbol", list(EXPECTED))
def test_describe_python_targets(project: Path, symbol: str) -> None:
    d = describe(project, symbol)
    kind, fields = EXPECTED[symbol]
    assert d["kind"] == kind and d["name"] == symbol and d["ref"] == f"shop.models:{symbol}"
    assert {p: short(f) for p, f in fields_by_path(d).items()} == fields


def test_describe_required_and_nested(project: Path) -> None:
    d = describe(project, "Order")
    by_name = {f["name"]: f for f in d["fields"]}
    assert by_name["id"]["required"] and not by_name["quantity"]["required"]
    assert by_name["status"]["spec"]["ref"] == "shop.models:Status"
    assert d["models"]["Address"]["ref"] == "shop.models:Address"
    event = describe(project, "Event")
    assert [f["required"] for f in event["fields"]] == [False, False]  # total=False


def test_describe_schema(project: Path) -> None:
    d = describe_schema(project / "invoice.schema.json")
    assert d["name"] == "Invoice" and d["kind"] == "jsonschema"
    assert {p: short(f) for p, f in fields_by_path(d).items()} == {
        "invoice_id": "uuid",
        "billing_email": "str format=email",
        "issued_at": "datetime",
        "amount": "float >0 <=100000",
        "currency": "str /^[A-Z]{3}$/",
        "status": "literal draft|sent|paid",
        "notes": "str|None len<=200",
        "lines": "list[Line] len>=1",
        "lines.sku": "str /^[A-Z]{3}-[0-9]{4}$/",
        "lines.quantity": "int >=1",
    }
    assert [f["required"] for f in d["fields"]] == [True, True, True, True, True, False, False, True]
    line = describe_schema(project / "invoice.schema.json", "Line")
    assert [f["name"] for f in line["fields"]] == ["sku", "quantity"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "expected JSON in"),
        ("[1, 2]", "expected a JSON Schema object"),
        ('{"type": "object"}', "expected an object schema with properties"),
    ],
)
def test_bad_schema_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        describe_schema(path)
    assert "bad.json" in str(err.value)


def test_describe_errors_from_the_child(project: Path) -> None:
    with pytest.raises(ChildError, match="expected `Nope` in shop/models.py"):
        describe(project, "Nope")
    with pytest.raises(ChildError, match="expected a dataclass, pydantic model"):
        describe(project, "Status")


def test_session_describe_is_compact(project: Path) -> None:
    s = Session.open(project, "shop/models.py", "Order", ("samples/Order.json", "tests/fixtures_Order.py"))
    view = s.describe()
    assert view["next"]["tool"] == "set_field" and view["next"]["field"] == "address.city"
    assert view["next"]["providers"][0] == "city" and view["kind"] == "pydantic"  # the fitting ones, related first
    assert len(json.dumps(view)) < 900


@pytest.mark.parametrize(
    ("spec", "value", "error"),
    [
        ({"type": "int", "ge": 1}, 0, "not >= 1"),
        ({"type": "int"}, True, "a bool"),
        ({"type": "float", "lt": 1}, 1, "not < 1"),
        ({"type": "str", "max_length": 3}, "abcd", "longer than 3"),
        ({"type": "str", "pattern": "^[A-Z]+$"}, "abc", "does not match"),
        ({"type": "str", "format": "email"}, "nope", "not a valid email"),
        ({"type": "date"}, __import__("datetime").datetime(2020, 1, 1), "where a date is required"),
        ({"type": "literal", "members": ["a"]}, "b", "not one of"),
        ({"type": "list", "item": {"type": "int", "le": 3}}, [1, 9], "item 9 not <= 3"),
    ],
)
def test_check_value_refuses(spec: dict, value: object, error: str) -> None:
    assert error in (check_value(spec, value) or "")


def test_check_value_decimal_digits() -> None:
    import decimal

    spec = {"type": "decimal", "gt": 0, "max_digits": 5, "decimal_places": 2}
    assert check_value(spec, decimal.Decimal("123.45")) is None
    assert "3 decimal places" in check_value(spec, decimal.Decimal("1.234"))
    assert "6 digits" in check_value(spec, decimal.Decimal("1234.56"))
