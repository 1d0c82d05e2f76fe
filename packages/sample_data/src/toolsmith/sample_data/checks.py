"""Evaluator checks for one sample_data run: validity, realism, edge-case coverage, the fixture, the counts.

Definitions (the records are the JSON array in the samples file, ``samples/<symbol>.json``):

- *valid*: every record passes the real validator (:func:`toolsmith.sample_data.worker.validate`, or
  jsonschema with format checking for a schema).
- *realism*: among the values (not None, not an edge value: empty, or at a bound) of fields with a
  recognisable meaning (:mod:`toolsmith.sample_data.meanings`, by name, else by format or date type),
  the share an independent check accepts: ``validators`` (email, URL, UUID, IP, domain, hostname,
  IBAN, MAC), ``pycountry`` (country, currency, language codes), ISO date parsing (plausible years),
  ranges for numbers (money: >= 0 with at most 2 decimals; age 0-120; percent 0-100...), patterns for
  names, phones, postcodes. Success needs at least :data:`REALISM_MIN`; no recognisable field: 1.0.
- *edge coverage*: the share of required edges present: None for each field that accepts None, every
  member of each enum/Literal, each bound (:func:`toolsmith.sample_data.plan.bound_value` for numbers,
  exactly ``min_length``/``max_length`` characters or items), an empty collection where one is allowed.
  Fields are the target's and one level down (``address.city``). Success needs all of them.
- *fixture*: ``tests/fixtures_<symbol>.py`` imports, its ``build_<name>_records()`` returns instances of
  the type whose JSON is the samples' (same order).
- *counts true*: ``submitted`` has ``records == len(samples)`` and ``valid`` == the number that validate.

The files judged are the agent's outputs (:data:`toolsmith.sample_data.writers.OUTPUTS`); everything that imports
the user's code (describing the type, validating the records, importing the fixture module) runs in one limited
child process (:func:`toolsmith.sample_data.worker.judge_inputs`).
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import json
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from toolsmith.sample_data.codec import decode
from toolsmith.sample_data.meanings import COUNTRY_NAMES, FORMAT_MEANINGS, MEANING_TYPES, MEANINGS, TYPE_MEANINGS
from toolsmith.sample_data.plan import bound_value
from toolsmith.sample_data.schema import describe_schema, validate_records
from toolsmith.sample_data.session import Runner, is_schema, run_worker
from toolsmith.sample_data.spec import NUMBERS, fields_by_path, leaf_spec, nested_model
from toolsmith.sample_data.writers import builder_name, output_name, output_paths
from toolsmith.shared.episode import Episode

REALISM_MIN = 0.9
_TITLE_WORDS = re.compile(r"[A-Z][A-Za-z'.\-]*( (?:[A-Z][A-Za-z'.\-]*|of|de|la|van|von|and|&))*")
_PHONE = re.compile(r"[+()\d\s.\-x]+")
_COMPANY = re.compile(r"[A-Z][A-Za-z'.]*(?:(?:, | and | & |-| )[A-Z][A-Za-z'.]*)*(?:,? (?:Inc|LLC|Ltd|PLC|Group)\.?)?")
_POSTCODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{2,9}")


def snake(name: str) -> str:
    """``contactEmail`` -> ``contact_email``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), m) for p, m in MEANINGS)


def meaning_of(name: str, spec: dict) -> str | None:
    """The recognisable meaning of a field from its name (last path part), else its format or date type."""
    leaf = leaf_spec(spec)
    key = snake(name.rsplit(".", 1)[-1])
    for pattern, meaning in _compiled():
        if pattern.search(key) and leaf["type"] in MEANING_TYPES[meaning]:
            return meaning
    if leaf["type"] == "str" and leaf.get("format") in FORMAT_MEANINGS:
        return FORMAT_MEANINGS[leaf["format"]]
    return TYPE_MEANINGS.get(leaf["type"])


def _number(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return decimal.Decimal(str(value))
    if isinstance(value, str):
        try:
            number = decimal.Decimal(value)
        except decimal.InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _in(value: Any, lo: float, hi: float, whole: bool = False) -> bool:
    number = _number(value)
    if number is None or (whole and number != number.to_integral_value()):
        return False
    return lo <= number <= hi


def _date_year(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    for parse in (datetime.datetime.fromisoformat, datetime.date.fromisoformat):
        try:
            return parse(value).year
        except ValueError:
            continue
    return None


def _validators(name: str) -> Callable[[str], Any]:
    import validators

    return getattr(validators, name)


def _money(value: Any) -> bool:
    number = _number(value)
    if number is None or not 0 <= number <= 10_000_000:
        return False
    return -number.normalize().as_tuple().exponent <= 2 if number else True  # type: ignore[operator]


def _fold(text: str) -> str:
    """Lower case without accents (``Saint Barthélemy`` -> ``saint barthelemy``)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


@cache
def _country_names() -> frozenset[str]:
    """Every country's names, folded: ``korea, republic of`` (so ``Korea`` is known by its first part), and the
    common names ISO spells otherwise (:data:`~toolsmith.sample_data.meanings.COUNTRY_NAMES`)."""
    import pycountry

    names = (getattr(c, key, None) for c in pycountry.countries for key in ("name", "common_name", "official_name"))
    return frozenset(_fold(n) for n in (*names, *COUNTRY_NAMES) if n)


def _pycountry(table: str, value: Any) -> bool:
    import pycountry

    if not isinstance(value, str) or not value:
        return False
    db = getattr(pycountry, table)
    if table == "countries" and len(value) > 3:
        name = re.sub(r"\s*\(.*\)", "", value)  # "Slovakia (Slovak Republic)"
        for names, text in itertools.product((db, pycountry.historic_countries), (value, name)):
            try:
                names.lookup(text)
            except LookupError:
                continue
            return True
        return _fold(name) in _country_names() or any(n.startswith(_fold(name) + ",") for n in _country_names())
    return any(db.get(**{key: value}) is not None for key in ("alpha_2", "alpha_3") if len(value) == int(key[-1]))


def _digits_checksum(value: Any, n: int) -> bool:
    digits = re.sub(r"[\s\-]", "", value) if isinstance(value, str) else ""
    if len(digits) != n or not digits.isdigit():
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits[:-1]))
    return (10 - total % 10) % 10 == int(digits[-1])


def _text_check(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, str) and _validators(name)(value) is True

    return check


CHECKS: dict[str, Callable[[Any], bool]] = {
    "email": _text_check("email"),
    "url": _text_check("url"),
    "uuid": _text_check("uuid"),
    "ipv4": _text_check("ipv4"),
    "ipv6": _text_check("ipv6"),
    "domain": _text_check("domain"),
    "hostname": _text_check("hostname"),
    "iban": _text_check("iban"),
    "mac_address": _text_check("mac_address"),
    "phone": lambda v: isinstance(v, str) and bool(_PHONE.fullmatch(v)) and sum(c.isdigit() for c in v) >= 7,
    "country_code": lambda v: _pycountry("countries", v) and len(v) in (2, 3),
    "country": lambda v: _pycountry("countries", v),
    "currency_code": lambda v: _pycountry("currencies", v) and len(v) == 3,
    "language_code": lambda v: _pycountry("languages", v),
    "postcode": lambda v: isinstance(v, str) and bool(_POSTCODE.fullmatch(v)) and any(c.isdigit() for c in v),
    "person_name": lambda v: isinstance(v, str) and bool(_TITLE_WORDS.fullmatch(v)),
    "city": lambda v: isinstance(v, str) and bool(_TITLE_WORDS.fullmatch(v)),
    "company": lambda v: isinstance(v, str) and bool(_COMPANY.fullmatch(v)),
    "money": _money,
    "age": lambda v: _in(v, 0, 120, whole=True),
    "percent": lambda v: _in(v, 0, 100),
    "latitude": lambda v: _in(v, -90, 90),
    "longitude": lambda v: _in(v, -180, 180),
    "year": lambda v: _in(v, 1900, 2100, whole=True),
    "port": lambda v: _in(v, 1, 65535, whole=True),
    "count": lambda v: _in(v, 0, 100_000, whole=True),
    "rating": lambda v: _in(v, 0, 10),
    "mime_type": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[a-z]+/[A-Za-z0-9.+\-]+", v)),
    "timezone": lambda v: isinstance(v, str) and v in zoneinfo.available_timezones(),
    "locale": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[a-z]{2,3}_[A-Z]{2}", v)),
    "slug": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", v)),
    "isbn13": lambda v: _digits_checksum(v, 13),
    "ean13": lambda v: _digits_checksum(v, 13),
    "sha256": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[0-9a-f]{64}", v)),
    "md5": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[0-9a-f]{32}", v)),
    "birth_date": lambda v: (
        (_date_year(v) or 0) in range(datetime.date.today().year - 120, datetime.date.today().year + 1)
    ),
    "date_like": lambda v: (_date_year(v) or 0) in range(1970, 2101),
}


def values_at(records: list, path: str) -> list[tuple[int, Any]]:
    """(record index, value) of every value at ``path`` (items of a list of models included)."""
    head, _, rest = path.partition(".")
    out = []
    for i, record in enumerate(records):
        if not isinstance(record, dict) or head not in record:
            continue
        value = record[head]
        if not rest:
            out.append((i, value))
            continue
        for inner in value if isinstance(value, list) else [value]:
            if isinstance(inner, dict) and rest in inner:
                out.append((i, inner[rest]))
    return out


def is_edge_value(spec: dict, value: Any, models: dict) -> bool:
    """Whether a (JSON) value is an edge value of ``spec``: None, empty, a bound, a min/max length."""
    if value is None or value == "" or value == [] or value == {}:
        return True
    kind = spec["type"]
    if kind in NUMBERS:
        number = decode(spec, value, models)
        return number in (bound_value(spec, "min"), bound_value(spec, "max"))
    if kind in ("str", "list", "set", "tuple") and isinstance(value, (str, list)):
        return len(value) in (spec.get("min_length"), spec.get("max_length"))
    return False


def realism(description: dict, records: list) -> tuple[int, int, list[str]]:
    """(values accepted, values with a recognisable meaning, up to 3 examples of rejected ones)."""
    models = description.get("models", {})
    accepted = recognised = 0
    rejected: list[str] = []
    for path, field in fields_by_path(description).items():
        spec = field["spec"]
        meaning = meaning_of(path, spec)
        if meaning is None or spec["type"] == "model":
            continue
        check = CHECKS[meaning]
        for _, value in values_at(records, path):
            if is_edge_value(spec, value, models):
                continue
            items = value if spec["type"] in ("list", "set", "tuple") and isinstance(value, list) else [value]
            leaf = leaf_spec(spec)
            for item in items:
                if is_edge_value(leaf, item, models):
                    continue
                recognised += 1
                if check(item):
                    accepted += 1
                elif len(rejected) < 3:
                    rejected.append(f"{path}={item!r} (not a {meaning})")
    return accepted, recognised, rejected


def required_edges(description: dict) -> list[tuple[str, str, Any]]:
    """(path, kind, value) of every edge the records must hold; value is the member/bound/length/None."""
    out: list[tuple[str, str, Any]] = []
    for path, field in fields_by_path(description).items():
        spec = field["spec"]
        if field["optional"]:
            out.append((path, "none", None))
        if spec["type"] in ("enum", "literal"):
            out += [(path, "each_enum", m) for m in spec["members"]]
        if spec["type"] in NUMBERS:
            for side in ("min", "max"):
                bound = bound_value(spec, side)
                if bound is not None:
                    out.append((path, side, bound))
        if spec["type"] in ("str", "list", "set", "tuple") and nested_model(spec) is None:
            lo, hi = spec.get("min_length"), spec.get("max_length")
            if lo:
                out.append((path, "min", lo))
            if hi is not None and hi != lo:
                out.append((path, "max", hi))
        if spec["type"] in ("list", "set", "dict") and not spec.get("min_length"):
            out.append((path, "empty", 0))
    return out


def _covered(description: dict, records: list, path: str, kind: str, target: Any) -> bool:
    field = fields_by_path(description)[path]
    spec = field["spec"]
    models = description.get("models", {})
    for _, value in values_at(records, path):
        if kind == "none" and value is None:
            return True
        if value is None:
            continue
        if kind == "each_enum" and value == target:
            return True
        if kind in ("min", "max") and spec["type"] in NUMBERS and decode(spec, value, models) == target:
            return True
        if kind in ("min", "max", "empty") and spec["type"] not in NUMBERS and hasattr(value, "__len__"):
            if len(value) == target:
                return True
    return False


def edge_coverage(description: dict, records: list) -> tuple[int, int, list[str]]:
    """(edges present, edges required, up to 3 missing ones as ``path:kind=value``)."""
    needed = required_edges(description)
    missing = [f"{p}:{k}={v!r}" for p, k, v in needed if not _covered(description, records, p, k, v)]
    return len(needed) - len(missing), len(needed), missing[:3]


def _count(submitted: dict, name: str) -> int | None:
    value = submitted.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def judge(
    root: Path,
    description: dict,
    samples: str,
    fixture: str,
    validate: Callable[[list], dict],
    fixture_records: Callable[[], dict],
    submitted: dict | None,
    judge_submission: bool = True,
) -> dict:
    """Judge a run from the files it left in ``root``.

    Args:
        root: The project folder as the run left it.
        description: The target's description.
        samples: The samples file, relative to ``root``.
        fixture: The fixture module, relative to ``root``.
        validate: Records -> ``{"valid", "errors"}`` with the real validator (run in the child).
        fixture_records: () -> the worker's :func:`~toolsmith.sample_data.worker.fixture_records` result
            (run in the child); raises when the module does not import or its builder fails.
        submitted: The submit_result arguments, or None when never called.
        judge_submission: False for the no-model baseline: success ignores the submission.

    Returns:
        ``success``, ``reason`` (the first failure as "expected X, got Y"), ``valid``, ``realism``,
        ``edge_coverage``, ``fixture_ok``, ``counts_true`` and the counts behind them.
    """
    reasons: list[str] = []
    result = _empty()
    path = root / samples
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        records = None
        reasons.append(f"expected a JSON samples file {samples}, got {type(e).__name__}: {e}")
    if records is not None and (not isinstance(records, list) or not records):
        reasons.append(f"expected a non-empty JSON array in {samples}, got {type(records).__name__}")
        records = None
    if records is not None:
        checked = validate(records)
        result["records"] = len(records)
        result["valid_records"] = checked["valid"]
        result["valid"] = not checked["errors"]
        if checked["errors"]:
            i, message = checked["errors"][0]
            reasons.append(f"expected every record to validate, got record {i}: {message}")
        accepted, recognised, rejected = realism(description, records)
        result["realism"] = accepted / recognised if recognised else 1.0
        result["realistic_values"], result["recognised_values"] = accepted, recognised
        if result["realism"] < REALISM_MIN:
            reasons.append(
                f"expected at least {REALISM_MIN:.0%} realistic values, got {accepted}/{recognised}: {rejected}"
            )
        present, needed, missing = edge_coverage(description, records)
        result["edge_coverage"] = present / needed if needed else 1.0
        result["edges_present"], result["edges_required"] = present, needed
        if missing:
            reasons.append(f"expected every edge case, got {present}/{needed}; missing {', '.join(missing)}")
        if not (root / fixture).is_file():
            reasons.append(f"expected a fixture module {fixture}, got none")
        else:
            try:
                built = fixture_records()
            except Exception as e:  # the child's failure, reported
                reasons.append(f"expected {fixture} to import and build the records, got {e}")
            else:
                same = built["records"] == records and all(built["instance"]) and not built["errors"]
                result["fixture_ok"] = same
                if not same:
                    reasons.append(f"expected {fixture} to build the samples' records, got different ones")
    counts_true = False
    if submitted is None:
        if judge_submission:
            reasons.append("expected a submit_result call, got none")
    else:
        got = (_count(submitted, "records"), _count(submitted, "valid"))
        want = (result["records"], result["valid_records"])
        counts_true = got == want
        if judge_submission and not counts_true:
            reasons.append(f"expected records={want[0]} and valid={want[1]}, got {got[0]!r} and {got[1]!r}")
    result["counts_true"] = counts_true
    result["success"] = not reasons
    result["reason"] = reasons[0] if reasons else ""
    return result


def _empty() -> dict[str, Any]:
    return {
        "records": 0,
        "valid_records": 0,
        "valid": False,
        "realism": 0.0,
        "edge_coverage": 0.0,
        "fixture_ok": False,
        "counts_true": False,
    }


def judge_files(
    root: Path,
    target: str,
    symbol: str | None,
    outputs: tuple[str, str],
    submitted: dict | None,
    judge_submission: bool = True,
    runner: Runner = run_worker,
) -> dict:
    """:func:`judge` on the outputs a run left in ``root``, describing the target afresh.

    A JSON Schema is read and records are validated here; a Python target is described, its records validated and
    the fixture module imported in one child process (``runner``).

    Returns:
        :func:`judge`'s result; a target that can no longer be described fails with the reason.
    """
    samples, fixture = outputs
    builder = builder_name(output_name(target, symbol))
    try:
        if is_schema(target):
            description = describe_schema(root / target, symbol)

            def validate(records: list) -> dict:
                return validate_records(root / target, symbol, records)

            def fixture_records() -> dict:
                return runner("fixture_data", {"fixture": fixture, "builder": builder}, root)

        else:
            payload = {"target": target, "symbol": symbol, "samples": samples, "fixture": fixture, "builder": builder}
            found = runner("judge_inputs", payload, root)
            description = found["description"]

            def validate(records: list) -> dict:
                return found["validation"]

            def fixture_records() -> dict:
                if "fixture_error" in found:
                    raise ValueError(found["fixture_error"])
                return found["fixture"]

    except ValueError as e:  # the target does not import or describe any more (ChildError included)
        return {**_empty(), "success": False, "reason": f"expected {target} to describe, got {e}"}
    return judge(root, description, samples, fixture, validate, fixture_records, submitted, judge_submission)


def check_episode(episode: Episode) -> dict:
    """Judge one finished run (or the no-model baseline, ``judge_submission`` False) from the files it left.

    Args:
        episode: The run: the project folder as it left it, the target and symbol, what it submitted.

    Returns:
        ``success``, ``reason`` (the first failure as "expected X, got Y"), the bool checks ``valid``,
        ``fixture_ok``, ``counts_true`` and the numbers ``realism``, ``edge_coverage`` and the counts behind them.
    """
    outputs = output_paths(episode.target, episode.symbol)
    return judge_files(
        episode.root, episode.target, episode.symbol, outputs, episode.submitted, episode.judge_submission
    )
