"""Targets to train and evaluate on: real data types from installed packages, and composed types.

Real types: top-level classes of a distribution's modules that are dataclasses, attrs classes, pydantic models,
TypedDicts or NamedTuples (by their decorators and bases, found with ``ast``), cut into a one-file project: the
module's imports they use (relative ones made absolute), ``from <module> import <name>`` for the module's other
names they use, then the class. The file is named after the module, never after a module it would shadow.

Composed types: deterministic (``random.Random``) entities built from :data:`VOCABULARY`, written as each kind of
target (pydantic, dataclass, attrs, TypedDict, NamedTuple, function, JSON Schema). Every meaning has field names
for train and other names for eval (enums too), so eval's field names never occur in train.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import random
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PY_KINDS = ("pydantic", "dataclass", "attrs", "typeddict", "namedtuple", "function")
KINDS = (*PY_KINDS, "jsonschema")
MAX_FILE_BYTES = 400_000
CHOICELESS_EVERY = 20  # every 20th composed train type has no field to choose a provider for
_DATA_WORDS = ("dataclass", "attr", "BaseModel", "TypedDict", "NamedTuple")


@dataclass(frozen=True)
class Target:
    """One task: a project (files), the target file and symbol, where it came from and its split.

    Attributes:
        files: Relative path -> text.
        target: The module or schema file.
        symbol: The class/function (None for a schema's root).
        source: ``composed:<seed>:<split>:<i>`` or ``<module>:<name>``.
        package: The split unit: the distribution (``composed`` for composed types).
        split: ``train`` or ``eval``.
        meta: Anything else (kind, licence).
    """

    files: dict[str, str]
    target: str
    symbol: str | None
    source: str
    package: str
    split: str = "train"
    meta: dict = field(default_factory=dict)


@cache
def top_level_names() -> frozenset[str]:
    """Top-level import names of everything installed (a project file must not shadow them)."""
    return frozenset(metadata.packages_distributions())


# ---------------------------------------------------------------- real types


@dataclass(frozen=True)
class TypeRef:
    """A candidate class found with ``ast``."""

    package: str
    module: str
    name: str
    path: Path


def _is_data_class(node: ast.ClassDef) -> bool:
    for d in node.decorator_list:
        text = ast.unparse(d).split("(")[0]
        if "dataclass" in text or text.split(".")[-1] in ("define", "frozen", "mutable") or text in ("attr.s", "attrs"):
            return True
    return any(ast.unparse(b).split(".")[-1] in ("BaseModel", "TypedDict", "NamedTuple") for b in node.bases)


@cache
def data_classes(package: str, module: str, path: Path) -> tuple[TypeRef, ...]:
    """The candidate data classes of one module file (top level, in file order)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return ()
        text = path.read_text(encoding="utf-8")
        if not any(word in text for word in _DATA_WORDS):  # most modules: no need to parse them
            return ()
        tree = ast.parse(text)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    return tuple(
        TypeRef(package, module, node.name, path)
        for node in tree.body
        if isinstance(node, ast.ClassDef) and _is_data_class(node) and not _own_init(node)
    )


def _own_init(node: ast.ClassDef) -> bool:
    """Whether the class writes its own ``__init__`` (its constructor then need not take its fields)."""
    return any(isinstance(n, ast.FunctionDef) and n.name == "__init__" for n in node.body)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def snippet(ref: TypeRef) -> str | None:
    """The class as a one-file module: the imports and module names it uses, then its source."""
    text = ref.path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == ref.name)
    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    for n in ast.walk(node):  # string annotations ("Foo", "list[Foo]")
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.replace("[", " ").split():
            used |= set(re.findall(r"[A-Za-z_]\w*", n.value))
    imports: list[str] = ["from __future__ import annotations"] if "annotations" in text[:3000] else []
    local: list[str] = []
    is_package = ref.path.name == "__init__.py"
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                bound = a.asname or a.name.split(".")[0]
                if bound in used:
                    imports.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
        elif isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
            source = _absolute(stmt, ref.module, is_package)
            for a in stmt.names:
                bound = a.asname or a.name
                if a.name != "*" and bound in used and source:
                    imports.append(f"from {source} import {a.name}" + (f" as {a.asname}" if a.asname else ""))
        elif isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and stmt is not node:
            if stmt.name in used:
                local.append(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in used and t.id != ref.name:
                    local.append(t.id)
    if local:
        imports.append(f"from {ref.module} import {', '.join(sorted(set(local)))}")
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    body = "\n".join(text.splitlines()[start - 1 : node.end_lineno])
    if body[:1].isspace():
        return None
    return "\n".join(dict.fromkeys(imports)) + "\n\n\n" + body + "\n"


def real_target(ref: TypeRef) -> Target | None:
    """A one-file project for a candidate class (None when it cannot be cut out)."""
    text = snippet(ref)
    if text is None:
        return None
    stem = ref.module.rsplit(".", 1)[-1].lstrip("_") or "types"
    if stem in sys.stdlib_module_names or stem in top_level_names():  # the file must not shadow a real module
        stem = f"{ref.module.split('.')[0].lstrip('_')}_{stem}"
    filename = f"{stem}.py"
    return Target(
        files={filename: text, "pyproject.toml": f'[project]\nname = "{ref.package.lower()}-sample"\n'},
        target=filename,
        symbol=ref.name,
        source=f"{ref.module}:{ref.name}",
        package=ref.package,
    )


# ---------------------------------------------------------------- composed types

# meaning -> (train names, eval names, field type). Field types: see _ANNOTATIONS / _SCHEMAS.
VOCABULARY: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "email": (
        ("email", "email_address", "user_email", "work_email", "customer_email", "owner_email", "support_email",
         "sender_email", "personal_email", "reply_email", "preferred_email", "alt_email", "login_email",
         "recovery_email", "account_email", "admin_email", "guest_email", "primary_email", "secondary_email",
         "invoice_email", "e_mail"),
        ("contact_email", "billing_email", "notify_email"),
        "email",
    ),
    "first_name": (
        ("first_name", "given_name", "customer_first_name", "owner_first_name", "guest_first_name",
         "patient_first_name", "firstname", "fname", "christian_name", "employee_first_name", "first", "given",
         "student_first_name", "legal_first_name", "preferred_first_name", "traveler_first_name", "member_first_name",
         "child_first_name"),
        ("forename", "buyer_first_name"),
        "str",
    ),
    "last_name": (
        ("last_name", "family_name", "customer_last_name", "owner_last_name", "guest_last_name", "patient_last_name",
         "lastname", "lname", "maiden_name", "employee_last_name", "last", "family", "student_last_name",
         "legal_last_name", "member_last_name", "child_last_name", "traveler_last_name"),
        ("surname", "buyer_last_name"),
        "str",
    ),
    "full_name": (
        ("name", "full_name", "customer_name", "owner_name", "recipient_name", "guest_name", "patient_name",
         "holder_name", "sender_name", "driver_name", "reviewer", "assignee", "instructor", "speaker", "organizer",
         "approver", "beneficiary", "tenant_name", "applicant_name", "cardholder", "passenger", "attendee",
         "candidate", "teacher", "doctor", "signatory", "witness", "requester", "manager", "supervisor", "creator",
         "guardian", "landlord", "coach", "mentor", "inspector", "student_name", "passenger_name", "doctor_name",
         "manager_name", "cardholder_name", "attendee_name", "teacher_name", "parent_name", "signer_name",
         "user_full_name"),
        ("author", "contact_name"),
        "str",
    ),
    "company": (
        ("company", "company_name", "client_company", "parent_company", "customer_company", "firm", "business",
         "business_name", "vendor", "brand", "manufacturer", "publisher", "merchant", "agency", "institution",
         "carrier", "corporation", "retailer", "distributor", "bank", "insurer", "airline", "sponsor", "studio",
         "shipping_company", "insurance_company", "partner_company"),
        ("employer", "organization"),
        "str",
    ),
    "phone": (
        ("phone", "phone_number", "telephone", "work_phone", "home_phone", "phone_no", "fax", "tel", "support_phone",
         "customer_phone", "cell_phone", "phone_num", "landline", "hotline", "emergency_phone", "office_phone",
         "home_tel", "work_tel", "tel_no", "cellphone"),
        ("mobile", "contact_phone"),
        "str",
    ),
    "city": (
        ("city", "town", "shipping_city", "office_city", "destination_city", "pickup_city", "departure_city",
         "arrival_city", "work_city", "preferred_city", "municipality", "locality", "birth_city", "event_city",
         "venue_city", "store_city", "hub_city"),
        ("billing_city", "home_city"),
        "str",
    ),
    "postcode": (
        ("zip_code", "postcode", "zip", "shipping_zip", "home_postcode", "post_code", "zipcode", "office_postcode",
         "postal", "pickup_postcode", "origin_zip", "dest_zip", "store_zip", "office_zip"),
        ("billing_zip", "postal_code"),
        "code10",
    ),
    "street": (
        ("street", "street_address", "billing_street", "home_street", "address_line2", "street_line", "line1",
         "street_line1", "delivery_street", "pickup_street", "venue_street"),
        ("address_line1", "shipping_street"),
        "str",
    ),
    "country_code": (
        ("country_code", "billing_country_code", "iso_country", "home_country_code", "destination_country_code",
         "issuing_country_code", "shipping_country_code", "residence_country_code"),
        ("country_iso", "ship_country_code"),
        "iso2",
    ),
    "country": (
        ("country", "billing_country", "shipping_country", "destination_country", "residence_country", "birth_country",
         "citizenship_country", "issuing_country", "export_country", "import_country", "registration_country",
         "tax_country"),
        ("home_country", "origin_country"),
        "str",
    ),
    "currency": (
        ("currency", "currency_code", "payout_currency", "settlement_currency", "base_currency", "quote_currency",
         "preferred_currency", "display_currency", "account_currency", "invoice_currency", "local_currency",
         "target_currency", "charge_currency"),
        ("billing_currency", "price_currency"),
        "iso3",
    ),
    "url": (
        ("url", "website", "website_url", "callback_url", "docs_url", "repo_url", "link", "source_url", "image_link",
         "webpage", "web_page", "landing_page", "blog", "site_url", "tracking_url", "help_url", "terms_url",
         "webhook_url", "redirect_url", "portfolio_url", "company_website", "href"),
        ("homepage", "profile_url"),
        "url",
    ),
    "uuid": (
        ("id", "uuid", "order_uuid", "external_id", "session_uuid", "request_id", "user_uuid", "tracking_uuid",
         "account_uuid", "trace_id", "correlation_id", "event_uuid", "device_uuid", "transaction_id"),
        ("record_uuid", "guid"),
        "uuid",
    ),
    "ip": (
        ("ip_address", "ip", "server_ip", "remote_ip", "source_ip", "ipv4", "host_ip", "peer_ip", "origin_ip",
         "signup_ip", "visitor_ip", "gateway_ip", "proxy_ip", "device_ip", "router_ip", "public_ip", "private_ip"),
        ("client_ip", "last_login_ip"),
        "str",
    ),
    "iban": (
        ("iban", "refund_iban", "bank_iban", "iban_number", "supplier_iban", "payee_iban", "debtor_iban",
         "creditor_iban", "vendor_iban", "iban_code"),
        ("payout_iban", "account_iban"),
        "str",
    ),
    "created": (
        ("created_at", "updated_at", "deleted_at", "shipped_at", "closed_at", "modified_at", "sent_at",
         "registered_at", "timestamp", "approved_at", "paid_at", "cancelled_at", "received_at", "archived_at",
         "verified_at", "expired_at", "logged_at", "submitted_at", "completed_at", "started_at", "finished_at",
         "confirmed_at", "delivered_at"),
        ("placed_at", "published_at"),
        "datetime",
    ),
    "date": (
        ("start_date", "due_date", "end_date", "expiry_date", "issue_date", "booking_date", "ship_date", "start_on",
         "arrival_date", "payment_date", "signup_date", "effective_date", "return_date", "invoice_date",
         "checkin_date", "checkout_date", "departure_date", "hire_date", "due_on"),
        ("delivery_date", "renewal_date"),
        "date",
    ),
    "birth": (
        ("birth_date", "date_of_birth", "birthdate", "customer_birth_date", "patient_birth_date", "student_birth_date",
         "member_birth_date", "employee_birth_date"),
        ("dob", "birthday"),
        "date",
    ),
    "money": (
        ("price", "amount", "subtotal", "fee", "balance", "salary", "shipping_cost", "list_price", "order_total",
         "tax_amount", "net_amount", "cost", "total", "unit_cost", "deposit", "refund_amount", "charge", "rent",
         "tuition", "fare", "payout_amount", "wage", "invoice_total", "grand_total", "base_price", "sale_price",
         "commission"),
        ("unit_price", "total_cost"),
        "money",
    ),
    "quantity": (
        ("quantity", "qty", "order_quantity", "page_count", "guest_count", "room_count", "ticket_count", "bed_count",
         "order_qty", "unit_count", "box_count", "copy_count", "night_count", "stock", "units"),
        ("item_count", "seat_count"),
        "count",
    ),
    "age": (
        ("age", "customer_age", "patient_age", "driver_age", "employee_age", "user_age", "tenant_age", "student_age",
         "player_age", "guest_age", "rider_age", "visitor_age"),
        ("member_age",),
        "age",
    ),
    "percent": (
        ("percent", "discount_percent", "vat_percent", "progress_pct", "percentage", "success_pct", "margin_percent",
         "tax_percent", "commission_pct", "interest_percent", "utilization_pct", "share_percent", "fill_percentage"),
        ("tax_pct", "completion_pct"),
        "percent",
    ),
    "latitude": (
        ("latitude", "lat", "dropoff_latitude", "origin_lat", "home_latitude", "dest_lat", "venue_latitude",
         "store_lat", "start_latitude"),
        ("pickup_latitude",),
        "lat",
    ),
    "longitude": (
        ("longitude", "lng", "dropoff_longitude", "origin_lng", "home_longitude", "dest_lng", "venue_longitude",
         "store_lng", "start_longitude", "lon"),
        ("pickup_longitude",),
        "lon",
    ),
    "language": (
        ("language", "language_code", "default_language", "spoken_language", "content_language", "lang",
         "native_language", "primary_language", "locale_language", "interface_language", "audio_language",
         "subtitle_language", "display_language", "site_language", "document_language"),
        ("preferred_language", "ui_language"),
        "str",
    ),
    "username": (
        ("username", "nickname", "account_username", "gamertag", "alias", "player_username", "github_username",
         "twitter_username", "member_nickname"),
        ("login", "handle"),
        "str",
    ),
    "description": (
        ("description", "notes", "summary", "comment", "body", "details", "message", "about", "abstract", "overview",
         "memo", "feedback", "synopsis", "blurb", "note", "review_text", "long_description", "product_description",
         "explanation"),
        ("bio", "remarks"),
        "text",
    ),
    "active": (
        ("is_active", "enabled", "is_public", "has_access", "is_deleted", "is_enabled", "is_archived", "is_featured",
         "can_edit", "allow_marketing", "is_locked", "is_primary"),
        ("is_verified", "has_consent"),
        "bool",
    ),
    "year": (
        ("year", "build_year", "start_year", "fiscal_year", "launch_year", "graduation_year", "founded_year",
         "publication_year", "tax_year", "academic_year", "vintage_year", "manufacture_year", "birth_year"),
        ("model_year", "release_year"),
        "year",
    ),
}  # fmt: skip
ENTITIES = ("Order", "Customer", "Invoice", "Booking", "Shipment", "Employee", "Ticket", "Subscription", "Payment",
            "Supplier", "Listing", "Reservation", "Patient", "Vehicle", "Member", "Lead")  # fmt: skip
# enum field name -> members, per split (so no field name is shared by train and eval)
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "train": {
        "status": ("pending", "active", "closed"),
        "tier": ("free", "pro", "enterprise"),
        "priority": ("low", "medium", "high"),
        "channel": ("web", "phone", "store"),
    },
    "eval": {
        "stage": ("draft", "review", "done"),
        "plan_level": ("basic", "plus", "premium"),
        "urgency": ("low", "normal", "urgent"),
        "origin": ("web", "app", "partner"),
    },
}
# field type -> (annotation, constraints as {"ge","le","gt","max_length","min_length","pattern","decimal_places"})
FIELD_TYPES: dict[str, tuple[str, dict]] = {
    "str": ("str", {}),
    "text": ("str", {"max_length": 300}),
    "email": ("str", {}),
    "code10": ("str", {"max_length": 10}),
    "iso2": ("str", {"pattern": "^[A-Z]{2}$"}),
    "iso3": ("str", {"pattern": "^[A-Z]{3}$"}),
    "url": ("str", {}),
    "uuid": ("UUID", {}),
    "datetime": ("datetime", {}),
    "date": ("date", {}),
    "money": ("Decimal", {"gt": 0, "decimal_places": 2}),
    "count": ("int", {"ge": 1, "le": 500}),
    "age": ("int", {"ge": 18, "le": 120}),
    "percent": ("float", {"ge": 0, "le": 100}),
    "lat": ("float", {"ge": -90, "le": 90}),
    "lon": ("float", {"ge": -180, "le": 180}),
    "bool": ("bool", {}),
    "year": ("int", {"ge": 1950, "le": 2030}),
}


def field_spec(kind: str) -> dict:
    """The spec (:mod:`toolsmith.sample_data.spec`) of a composed field of a :data:`FIELD_TYPES` kind, as a
    dataclass describes it (attrs and JSON Schema write some constraints differently)."""
    annotation, constraints = FIELD_TYPES[kind]
    return {"type": annotation.lower(), **constraints}


def _constraint_args(c: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in c.items())


def _annotated(annotation: str, c: dict) -> str:
    if not c:
        return annotation
    return f"Annotated[{annotation}, Field({_constraint_args(c)})]"


def _attrs_field(annotation: str, c: dict, optional: bool) -> str:
    validators = []
    for key, fn in (("ge", "ge"), ("gt", "gt"), ("le", "le"), ("max_length", "max_len")):
        if key in c:
            validators.append(f"attrs.validators.{fn}({c[key]!r})")
    if "pattern" in c:
        validators.append(f"attrs.validators.matches_re({c['pattern'].strip('^$')!r})")
    if not validators:
        return " = None" if optional else ""
    inner = validators[0] if len(validators) == 1 else f"attrs.validators.and_({', '.join(validators)})"
    if optional:
        return f" = attrs.field(default=None, validator=attrs.validators.optional({inner}))"
    return f" = attrs.field(validator={inner})"


def _schema(kind: str, c: dict) -> dict:
    base = {
        "str": {"type": "string"},
        "int": {"type": "integer"},
        "float": {"type": "number"},
        "bool": {"type": "boolean"},
        "UUID": {"type": "string", "format": "uuid"},
        "datetime": {"type": "string", "format": "date-time"},
        "date": {"type": "string", "format": "date"},
        "Decimal": {"type": "number"},
    }[kind]
    keys = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "max_length": "maxLength", "pattern": "pattern"}
    out = dict(base)
    for k, v in c.items():
        if k in keys:
            out[keys[k]] = v
    return out


@dataclass(frozen=True)
class ComposedField:
    name: str
    meaning: str
    annotation: str
    constraints: dict
    optional: bool
    members: tuple[str, ...] = ()


def draw_name(rng: random.Random, names: Sequence[str], weights: Mapping[str, float] | None) -> str:
    """One of ``names``, drawn by ``weights`` (1 for a name missing there), uniformly when there are none."""
    return rng.choices(names, [weights.get(n, 1.0) for n in names])[0] if weights else rng.choice(names)


def compose_fields(rng: random.Random, split: str, weights: Mapping[str, float] | None = None) -> list[ComposedField]:
    """4-9 fields with distinct meanings (names from the split's vocabulary, drawn by ``weights``: 1 for a name
    missing there, uniformly when there are none), maybe an enum, some optional."""
    meanings = rng.sample(sorted(VOCABULARY), rng.randint(4, 8))
    out = []
    for meaning in meanings:
        train, evals, kind = VOCABULARY[meaning]
        names = train if split == "train" else evals
        name = draw_name(rng, names, weights)
        annotation, constraints = FIELD_TYPES[kind]
        if kind == "email" and rng.random() < 0.3:
            constraints = {"max_length": 80}
        out.append(ComposedField(name, meaning, annotation, dict(constraints), rng.random() < 0.2))
    if rng.random() < 0.6:
        name = rng.choice(sorted(ENUMS[split]))
        out.append(ComposedField(name, "enum", "enum", {}, False, ENUMS[split][name]))
    rng.shuffle(out)
    names = set()
    return [f for f in out if not (f.name in names or names.add(f.name))]  # type: ignore[func-returns-value]


def compose_choiceless(rng: random.Random, weights: Mapping[str, float] | None) -> list[ComposedField]:
    """4 train fields none of which has a provider to choose: the UUID and bool meanings and two enums, some optional
    (names drawn by :func:`draw_name`).
    Real types like these (flags, states) leave the model nothing to set: ``generate`` follows ``describe_target``,
    as it does for 3 of the 50 eval types, where a model trained almost only on types with fields to set calls
    ``set_field`` anyway."""
    out = []
    for meaning in sorted(m for m, (_, _, kind) in VOCABULARY.items() if kind in ("uuid", "bool")):
        names, _, kind = VOCABULARY[meaning]
        annotation, constraints = FIELD_TYPES[kind]
        name = draw_name(rng, names, weights)
        out.append(ComposedField(name, meaning, annotation, dict(constraints), rng.random() < 0.2))
    for name in rng.sample(sorted(ENUMS["train"]), 2):
        out.append(ComposedField(name, "enum", "enum", {}, rng.random() < 0.2, ENUMS["train"][name]))
    rng.shuffle(out)
    return out


def _imports(kind: str, fields: list[ComposedField]) -> list[str]:
    """The import lines a composed module uses (names, never modules a field could shadow: a field ``uuid`` with
    ``uuid: Optional[uuid.UUID] = None`` breaks), standard library first, sorted as isort does."""
    plain = {"dataclasses"} if kind == "dataclass" else set()
    names: dict[str, set[str]] = {"datetime": set(), "decimal": set(), "uuid": set(), "typing": set()}
    third: dict[str, set[str]] = {"pydantic": set(), "typing_extensions": set()}
    for f in fields:
        plain |= {"enum"} if f.members else set()
        module = {"date": "datetime", "datetime": "datetime", "Decimal": "decimal", "UUID": "uuid"}.get(f.annotation)
        if module:
            names[module].add(f.annotation)
        if f.optional:
            names["typing"].add("Optional")
        if f.constraints and kind not in ("pydantic", "attrs"):
            names["typing"].add("Annotated")
            third["pydantic"].add("Field")
    if kind == "pydantic":
        third["pydantic"] |= {"BaseModel"} | ({"Field"} if any(f.constraints for f in fields) else set())
    elif kind == "namedtuple":
        names["typing"].add("NamedTuple")
    elif kind == "typeddict":
        third["typing_extensions"] |= {"TypedDict"} | ({"NotRequired"} if any(f.optional for f in fields) else set())
    std = [f"import {m}" for m in sorted(plain)]
    std += [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items()) if n]
    rest = ["import attrs"] if kind == "attrs" else []
    rest += [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(third.items()) if n]
    return std + ([""] if std and rest else []) + rest


def render_python(kind: str, entity: str, fields: list[ComposedField]) -> tuple[str, str]:
    """(module source, symbol) of the composed type as ``kind``."""
    enum_fields = [f for f in fields if f.members]
    lines = [*_imports(kind, fields), "", ""]
    for f in enum_fields:
        lines += [f"class {f.name.title()}(enum.Enum):"]
        lines += [f"    {m.upper()} = {m!r}" for m in f.members]
        lines += ["", ""]

    def ann(f: ComposedField) -> str:
        base = f.name.title() if f.members else f.annotation
        if kind == "typeddict" and f.optional:
            return f"NotRequired[Optional[{_annotated(base, f.constraints)}]]"
        inner = _annotated(base, f.constraints) if kind not in ("pydantic", "attrs") else base
        return f"Optional[{inner}]" if f.optional else inner

    ordered = sorted(fields, key=lambda f: f.optional)  # defaults last
    symbol = entity if kind != "function" else f"create_{re.sub(r'(?<!^)(?=[A-Z])', '_', entity).lower()}"
    if kind == "function":
        params = [f"{f.name}: {ann(f)}" + (" = None" if f.optional else "") for f in ordered]
        lines += [f"def {symbol}(", *(f"    {p}," for p in params), ") -> dict:"]
        lines += [f'    """Create a {entity.lower()} record."""', "    return dict(locals())", ""]
        return "\n".join(lines), symbol
    header = {
        "pydantic": f"class {entity}(BaseModel):",
        "dataclass": f"@dataclasses.dataclass\nclass {entity}:",
        "attrs": f"@attrs.define\nclass {entity}:",
        "typeddict": f"class {entity}(TypedDict):",
        "namedtuple": f"class {entity}(NamedTuple):",
    }[kind]
    lines += header.split("\n")
    lines.append(f'    """A {entity.lower()}."""')
    lines.append("")
    for f in ordered:
        if kind == "pydantic":
            default = "None" if f.optional else "..."
            tail = f" = Field({default}, {_constraint_args(f.constraints)})" if f.constraints else (
                " = None" if f.optional else "")  # fmt: skip
            lines.append(f"    {f.name}: {ann(f)}{tail}")
        elif kind == "attrs":
            lines.append(f"    {f.name}: {ann(f)}{_attrs_field(f.annotation, f.constraints, f.optional)}")
        elif kind == "typeddict":
            lines.append(f"    {f.name}: {ann(f)}")
        else:
            lines.append(f"    {f.name}: {ann(f)}" + (" = None" if f.optional else ""))
    return "\n".join(lines) + "\n", symbol


def render_schema(entity: str, fields: list[ComposedField]) -> str:
    properties = {}
    for f in fields:
        node = {"enum": list(f.members)} if f.members else _schema(f.annotation, f.constraints)
        if f.optional:
            node = {"anyOf": [node, {"type": "null"}]}
        properties[f.name] = node
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": entity, "type": "object",
              "required": [f.name for f in fields if not f.optional], "properties": properties,
              "additionalProperties": False}  # fmt: skip
    return json.dumps(schema, indent=2) + "\n"


def eval_names() -> frozenset[str]:
    """Every field name composed eval types may have (none of them is ever a train field name)."""
    return frozenset(n for _, names, _ in VOCABULARY.values() for n in names) | frozenset(ENUMS["eval"])


def composed_target(seed: int, split: str, i: int, weights: Mapping[str, float] | None = None) -> Target:
    """The ``i``-th composed target of ``split`` (``train``/``eval``): kinds in turn, deterministic in ``seed``
    (field names drawn by ``weights``: :func:`compose_fields`); every :data:`CHOICELESS_EVERY`-th train target has
    nothing to choose (:func:`compose_choiceless`; the eval targets are not changed by it)."""
    if split not in ("train", "eval"):
        raise ValueError(f"expected split 'train' or 'eval', got {split!r}")
    rng = random.Random(f"{seed}:{split}:{i}")
    kind = KINDS[i % len(KINDS)]
    entity = rng.choice(ENTITIES)
    if split == "train" and i % CHOICELESS_EVERY == CHOICELESS_EVERY - 1:
        fields = compose_choiceless(rng, weights)
    else:
        fields = compose_fields(rng, split, weights)
    module = re.sub(r"(?<!^)(?=[A-Z])", "_", entity).lower()
    if kind == "jsonschema":
        files = {f"{module}.schema.json": render_schema(entity, fields)}
        target, symbol = f"{module}.schema.json", None
    else:
        text, symbol = render_python(kind, entity, fields)
        files = {f"{module}.py": text}
        target = f"{module}.py"
    files["pyproject.toml"] = f'[project]\nname = "{module}-app"\n'
    meta = {"kind": kind, "licence": "generated"}
    return Target(files, target, symbol, f"composed:{seed}:{split}:{i}", "composed", split, meta)


def composed_targets(count: int, seed: int, split: str, weights: Mapping[str, float] | None = None) -> list[Target]:
    """The first ``count`` composed targets of ``split``."""
    return [composed_target(seed, split, i, weights) for i in range(count)]
