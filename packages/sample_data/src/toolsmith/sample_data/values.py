"""Values for one field from a Faker provider: arguments, conversion to the field's type, retries, defaults.

All randomness comes from one seeded ``Faker`` (its ``random`` too), so the same seed gives the same values.
"""

from __future__ import annotations

import datetime
import decimal
import inspect
import uuid
from functools import cache
from typing import Any

from faker import Faker

from toolsmith.sample_data.providers import CONVERSIONS, FORMAT_PROVIDERS, LEFT_DIGITS, PROVIDERS, TYPE_DEFAULTS
from toolsmith.sample_data.spec import check_value, leaf_spec

LOCALE = "en_US"
TRIES = 25  # values tried per field before giving up
MAX_ITEMS = 3  # list items when the field does not ask for more
# what a Faker provider raises for arguments it cannot use (asserts too: password(length=3))
FAKER_ERRORS = (ValueError, TypeError, AttributeError, OverflowError, AssertionError)


@cache
def _faker() -> Faker:
    return Faker(LOCALE)


def seeded(seed: int) -> Faker:
    """The process's Faker, seeded (same seed, same values)."""
    fake = _faker()
    fake.seed_instance(seed)
    return fake


def produces(provider: str, spec: dict) -> bool:
    """Whether ``provider``'s values have (or convert to) the type of ``spec``."""
    kind = spec["type"]
    returns = PROVIDERS[provider]["returns"]
    if provider == "from_pattern":
        return kind == "str" and bool(spec.get("pattern"))
    if returns == "member":
        return kind in ("enum", "literal")
    if kind == "any":
        return returns == "str"
    return kind == returns or kind in CONVERSIONS.get(returns, ())


@cache
def parameters(provider: str) -> tuple[str, ...]:
    """The Faker method's argument names."""
    if provider == "from_pattern" or "method" in PROVIDERS[provider]:
        return ()
    return tuple(inspect.signature(getattr(_faker(), provider)).parameters)


def fitted(provider: str, spec: dict) -> dict[str, Any]:
    """The Faker arguments the provider's ``fit`` fills from the field's constraints (a field's ``le`` becomes
    ``max_value``; an int's ``gt``/``lt`` the next whole number inside)."""
    out: dict[str, Any] = {}
    for key, arg in PROVIDERS[provider].get("fit", {}).items():
        if spec.get(key) is None:
            continue
        value = spec[key]
        if spec["type"] == "int" and key in ("gt", "lt"):
            value = value + 1 if key == "gt" else value - 1
        out[arg] = value
    return out


def arguments(provider: str, spec: dict, options: dict | None) -> dict[str, Any]:
    """Faker arguments: the table's fixed ones, then those filled from the field's constraints, then ``options``.

    Raises:
        ValueError: An option the provider does not take.
    """
    options = dict(options or {})
    allowed = parameters(provider)
    unknown = [k for k in options if k not in allowed]
    if unknown:
        names = ", ".join(allowed) or "none"
        raise ValueError(f"expected options of {provider} ({names}), got {', '.join(map(repr, unknown))}")
    entry = PROVIDERS[provider]
    args: dict[str, Any] = dict(entry.get("args", {}))
    args.update({arg: value for arg, value in fitted(provider, spec).items() if arg not in options})
    if provider in ("pyfloat", "pydecimal") and spec.get("max_digits") is not None and "left_digits" not in options:
        args["left_digits"] = max(1, spec["max_digits"] - args.get("right_digits", spec.get("decimal_places") or 0))
    if provider == "pyint" and args.get("min_value", 0) > args.get("max_value", 9999):
        args["max_value"] = args["min_value"] + 9999
    if provider == "pyint" and args.get("max_value", 9999) < args.get("min_value", 0):
        args["min_value"] = args["max_value"] - 9999
    if provider == "random_element":
        args["elements"] = list(spec["members"])
    if provider == "year":  # the plausible years (the table's min and max) within the field's bounds
        low, high, bounds = args["min"], args["max"], fitted("pyint", spec)
        args["min"] = max(low, bounds.get("min_value", low))
        args["max"] = min(high, bounds.get("max_value", high))
        if args["min"] > args["max"]:
            raise ValueError(f"expected bounds that hold a year from {low} to {high}, got {spec}")
    args.update(options)
    if provider in ("pyfloat", "pydecimal") and "left_digits" not in args and "max_value" not in args:
        if abs(args.get("min_value") or 0) < 10**LEFT_DIGITS:  # Faker's own choice is up to ~70 digits
            args["left_digits"] = LEFT_DIGITS
    if provider in ("pyfloat", "pydecimal") and "min_value" in args and "positive" in args:
        args.pop("positive")  # Faker refuses both; the bound says more
    if provider == "text" and args.get("max_nb_chars", 5) < 5:
        raise ValueError(f"expected text of at least 5 characters, got a limit of {args['max_nb_chars']}")
    return args


def convert(value: Any, spec: dict) -> Any:
    """A provider's value as the field's type (see ``CONVERSIONS``); datetimes get whole seconds and UTC
    unless the field wants them naive."""
    kind = spec["type"]
    if isinstance(value, datetime.datetime):
        value = value.replace(microsecond=0)
        if spec.get("tz") != "naive" and value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        if kind == "str":
            return value.isoformat()
        return value
    if isinstance(value, (datetime.date, datetime.time)) and kind == "str":
        return value.isoformat()
    if isinstance(value, uuid.UUID) and kind == "str":
        return str(value)
    if isinstance(value, str) and kind == "bytes":
        return value.encode("utf-8")
    if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool) and kind == "float":
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind == "decimal":
        return decimal.Decimal(str(value))
    return value


def raw_value(fake: Faker, provider: str, spec: dict, args: dict[str, Any]) -> Any:
    """One value of ``provider`` (before conversion)."""
    if provider == "from_pattern":
        from polyfactory.value_generators.regex import RegexFactory

        return RegexFactory(random=fake.random)(spec["pattern"])
    return getattr(fake, PROVIDERS[provider].get("method", provider))(**args)


def one_value(fake: Faker, provider: str, spec: dict, args: dict[str, Any]) -> tuple[Any, str | None]:
    """(a value that fits ``spec``, None) or (the last value tried, why it does not fit) after :data:`TRIES`."""
    value: Any = None
    error: str | None = "no value"
    for _ in range(TRIES):
        try:
            value = convert(raw_value(fake, provider, spec, args), spec)
        except FAKER_ERRORS as e:
            return None, f"{provider}{_args_text(args)} failed: {e}"
        error = check_value(spec, value)
        if error is None:
            return value, None
    return value, error


def _args_text(args: dict) -> str:
    shown = {k: v for k, v in args.items() if k != "elements" and isinstance(v, (int, float, str, bool))}
    return "(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")" if shown else ""


def default_choice(spec: dict) -> tuple[str, dict | None]:
    """The type-based provider for a field nobody chose one for."""
    leaf = leaf_spec(spec)
    if leaf["type"] == "str" and leaf.get("format") in FORMAT_PROVIDERS:
        return FORMAT_PROVIDERS[leaf["format"]], None
    if leaf["type"] == "str" and leaf.get("pattern"):
        return "from_pattern", None
    if leaf["type"] == "str" and ((leaf.get("min_length") or 0) > 3 or (leaf.get("max_length") or 99) < 4):
        return "pystr", None  # words are 2-12 letters
    return TYPE_DEFAULTS.get(leaf["type"], ("word", None))


def collection_size(fake: Faker, spec: dict) -> int:
    """How many items a list/set/dict value gets: within its length bounds, 1 to :data:`MAX_ITEMS` if free."""
    lo = spec.get("min_length") or 0
    hi = spec.get("max_length")
    low = max(lo, 1)
    high = max(low, MAX_ITEMS if hi is None else min(hi, max(low, MAX_ITEMS)))
    if hi is not None and hi < low:
        return hi
    return fake.random.randint(low, high)


def field_value(fake: Faker, spec: dict, choice: tuple[str, dict | None] | None) -> tuple[Any, str | None]:
    """A Python value for a non-model field (collections item by item) and why it failed, if it did."""
    provider, options = choice or default_choice(spec)
    kind = spec["type"]
    if kind in ("list", "set", "tuple"):
        item = spec["item"]
        args = arguments(provider, item, options)
        n = collection_size(fake, spec)
        items: list = []
        for _ in range(n * 4):
            if len(items) == n:
                break
            value, error = one_value(fake, provider, item, args)
            if error:
                return None, error
            if kind != "set" or value not in items:
                items.append(value)
        out = set(items) if kind == "set" else tuple(items) if kind == "tuple" else items
        return out, check_value(spec, out)
    if kind == "dict":
        n = collection_size(fake, spec)
        out_dict = {}
        for _ in range(n):
            key, error = one_value(fake, *_choice_args(spec["key"]))
            value, error2 = one_value(fake, *_choice_args(spec["value"]))
            if error or error2:
                return None, error or error2
            out_dict[key] = value
        return out_dict, check_value(spec, out_dict)
    if kind == "unsupported":
        return None, f"no provider for the unsupported type {spec.get('name')}"
    return one_value(fake, provider, spec, arguments(provider, spec, options))


def _choice_args(spec: dict) -> tuple[str, dict, dict]:
    provider, options = default_choice(spec)
    return provider, spec, arguments(provider, spec, options)
