"""The plan (a provider per field) and the records built from it: the logic behind the tools.

A plan is plain JSON, kept in a file between tool calls::

    {"target": "Order",
     "choices": {"contact_email": {"provider": "email", "options": {}}, "address.city": {...}}}

Records: ``count`` regular records from the choices (fields without a choice get a type-based default,
see :func:`toolsmith.sample_data.values.default_choice`), then one record per edge value of every edge case the
field types call for (:func:`applicable_edges`; the tools add them, there is nothing to choose): a fresh regular
record with that field set to the edge value. Optional fields hold values in regular records
(None only as an edge case). Everything comes from one Faker seeded with ``seed``: same plan and seed,
same records.

Edge kinds (:data:`EDGE_KINDS`) and the values they add:

- ``none``: None, for a field that accepts None.
- ``empty``: ``""`` for a string that may be empty, an empty list/set/dict for a collection that may be.
- ``min`` / ``max``: the bound of a number (``ge``/``le`` exactly; ``gt``/``lt`` plus/minus one step:
  1 for ints, one unit of the last decimal place for decimals and floats, 0.01 when unspecified) or a
  string/collection of exactly ``min_length``/``max_length`` characters/items.
- ``each_enum``: one record per member of an enum or Literal.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

from faker import Faker

from toolsmith.sample_data.codec import encode
from toolsmith.sample_data.providers import ALIASES, COMMON, COMPOUNDS, PROVIDERS
from toolsmith.sample_data.spec import NUMBERS, check_value, field_at, fields_by_path, leaf_spec, nested_model, short
from toolsmith.sample_data.values import (
    FAKER_ERRORS,
    arguments,
    collection_size,
    convert,
    default_choice,
    field_value,
    one_value,
    parameters,
    produces,
    raw_value,
    seeded,
)

EDGE_KINDS = ("none", "empty", "min", "max", "each_enum")
SAMPLE = 20  # values set_field draws to check a provider
SAMPLE_SEED = 0
MAX_DEPTH = 3  # nested models generated below the target
MAX_COUNT = 50
LISTED = 12  # providers list_providers names
SHARED_START = 4  # letters two name words share at the start to be related
NO_CHOICE_TYPES = ("enum", "literal", "bool", "uuid", "time")


class GenerationError(ValueError):
    """A record could not be built (a field's provider cannot give a value that fits)."""


def new_plan(description: dict) -> dict:
    """An empty plan for the described target."""
    return {"target": description["name"], "choices": {}}


def value_fields(description: dict) -> dict[str, dict]:
    """The fields a provider fills (path -> field): not models, lists of models, dicts or unsupported types."""
    return {
        path: field
        for path, field in fields_by_path(description).items()
        if nested_model(field["spec"]) is None and leaf_spec(field["spec"])["type"] not in ("dict", "unsupported")
    }


def choice_fields(description: dict) -> list[str]:
    """The fields with a provider to choose, sorted by path (as the model sees describe_target's fields): value
    fields of a type with meanings to tell apart (not an enum, Literal, bool, UUID or time, whose values keep their
    one provider)."""
    return sorted(
        path
        for path, field in value_fields(description).items()
        if leaf_spec(field["spec"])["type"] not in NO_CHOICE_TYPES
    )


def applicable_edges(description: dict) -> list[tuple[str, str]]:
    """(path, kind) of the edge cases a field's type and constraints call for, sorted by path: None for each field
    that accepts None, each enum/Literal member, each bound (numbers' and lengths'), an empty collection where one
    is allowed."""
    out = []
    for path, field in fields_by_path(description).items():
        spec = field["spec"]
        kind = spec["type"]
        if field["optional"]:
            out.append((path, "none"))
        if kind in ("enum", "literal"):
            out.append((path, "each_enum"))
        if kind in NUMBERS:
            if spec.get("ge") is not None or spec.get("gt") is not None:
                out.append((path, "min"))
            if spec.get("le") is not None or spec.get("lt") is not None:
                out.append((path, "max"))
        if kind in ("str", "list", "set", "tuple") and nested_model(spec) is None:
            lo, hi = spec.get("min_length"), spec.get("max_length")
            if lo:
                out.append((path, "min"))
            if hi is not None and hi != lo:
                out.append((path, "max"))
        if kind in ("list", "set", "dict") and not spec.get("min_length"):
            out.append((path, "empty"))
    return sorted(out, key=lambda edge: edge[0])


def next_step(description: dict, plan: dict) -> dict:
    """The call that comes next: ``set_field`` for the first field still without a provider (with the providers
    that fit it, :func:`list_providers`, so the model chooses among names that exist), then ``generate``."""
    for path in choice_fields(description):
        if path not in plan["choices"]:
            return {"tool": "set_field", "field": path, "providers": list_providers(description, path)}
    return {"tool": "generate"}


def edge_record_count(description: dict, edges: list[tuple[str, str]]) -> int:
    """How many records the edge cases add (one per value: each enum member is one)."""
    return sum(
        len(field_at(description, path)["spec"]["members"]) if kind == "each_enum" else 1 for path, kind in edges
    )


def _value_field(description: dict, path: str) -> dict:
    field = field_at(description, path)
    spec = field["spec"]
    model = nested_model(spec)
    if model is not None:
        raise ValueError(f"expected a field that holds values, got {path!r} ({model}: set its fields, e.g. {path}.x)")
    if leaf_spec(spec)["type"] in ("dict", "unsupported"):
        raise ValueError(f"expected a field a provider can fill, got {path!r} ({short(field)}): it keeps its default")
    return field


def snake_name(path: str) -> str:
    """The last part of a path, camelCase split with ``_``, lower case."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", path.rsplit(".", 1)[-1]).lower()


def related(word: str, other: str) -> int:
    """How closely two name words are related: 2 when they are the same or one starts the other (``ip``/``ipv4``,
    ``post``/``postal``), 1 when they only share a start of :data:`SHARED_START` letters (``colour``/``color``,
    ``licence``/``license``, but also ``preferred``/``prefix``: a weaker sign), else 0."""
    short_, long_ = sorted((word, other), key=len)
    if word == other or (len(short_) >= 2 and long_.startswith(short_)):
        return 2
    return int(len(short_) >= SHARED_START and long_[:SHARED_START] == short_[:SHARED_START])


def provider_words(provider: str) -> tuple[str, ...]:
    """The words of a provider's name and of Faker's aliases for it, compounds split too (``postcode``:
    ``postcode``, ``post``, ``code``, ``zipcode``, ``postalcode``; :data:`~toolsmith.sample_data.providers.ALIASES`,
    :data:`~toolsmith.sample_data.providers.COMPOUNDS`)."""
    parts = [part for name in (provider, *ALIASES.get(provider, ())) for part in name.split("_")]
    return tuple(dict.fromkeys([*parts, *(w for part in parts for w in COMPOUNDS.get(part, ()))]))


def list_providers(description: dict, path: str) -> list[str]:
    """The providers whose values have the field's type and fit its constraints (checked on a few values), those
    whose words relate more closely to the field's name's first (for each word of the name, its closest
    :func:`related` provider word, summed), then the common ones
    (:data:`~toolsmith.sample_data.providers.COMMON`), at most :data:`LISTED`."""
    field = _value_field(description, path)
    leaf = leaf_spec(field["spec"])
    out = []
    for provider in PROVIDERS:
        if not produces(provider, leaf):
            continue
        try:
            fits, _ = _sample(provider, leaf, None, 5)
        except ValueError:  # its arguments cannot fit the field (a year within 18..100, text of 3 characters)
            continue
        if fits == 5:
            out.append(provider)
    words = set(snake_name(path).split("_"))
    words.discard("")

    def rank(provider: str) -> tuple[int, int]:
        shared = sum(max(related(w, o) for o in provider_words(provider)) for w in words)
        return -shared, COMMON.index(provider) if provider in COMMON else len(COMMON)

    return sorted(out, key=rank)[:LISTED]


def _sample(provider: str, spec: dict, options: dict | None, n: int) -> tuple[int, str | None]:
    """(values that fit, first error) over ``n`` values drawn with a fixed seed."""
    fake = seeded(SAMPLE_SEED)
    args = arguments(provider, spec, options)
    fits, first_error = 0, None
    for _ in range(n):
        try:
            value = convert(raw_value(fake, provider, spec, args), spec)
        except FAKER_ERRORS as e:
            return 0, f"{provider} failed with these options: {e}"
        error = check_value(spec, value)
        fits += error is None
        first_error = first_error or error
    return fits, first_error


def set_field(description: dict, plan: dict, path: str, provider: str, options: dict | None = None) -> dict:
    """Choose ``provider`` (with Faker ``options``) for the field at ``path``; updates ``plan``.

    Refuses a provider that does not exist, cannot give the field's type, or whose values mostly (more than half
    of :data:`SAMPLE`) fail the field's constraints; a refused provider's error names the providers that fit
    (:func:`list_providers`). Options the provider does not take are left out and named in the response (a small
    model copies ``right_digits`` from the money fields it has seen onto an int): the values are checked against
    the field all the same.

    Returns:
        The options left out (``ignored_options``, when any) and ``next`` (the next field without a provider).
        The call's own field and provider are not repeated: the model reads ``next``, and every token of a
        response is read in each training step.
    """
    field = _value_field(description, path)
    leaf = leaf_spec(field["spec"])

    def fitting() -> str:  # a refusal names the providers that fit, so the next call can copy one
        return ", ".join(list_providers(description, path))

    if not isinstance(provider, str) or provider not in PROVIDERS:
        raise ValueError(f"expected a provider that fits {path} ({fitting()}), got {provider!r}")
    if options is not None and not isinstance(options, dict):
        raise ValueError(f"expected options as an object of Faker arguments, got {options!r}")
    if not produces(provider, leaf):
        raise ValueError(
            f"expected a provider of {leaf['type']} values for {path} ({fitting()}), got {provider} "
            f"({PROVIDERS[provider]['returns']} values)"
        )
    taken = parameters(provider)
    ignored = [k for k in options or {} if k not in taken]
    options = {k: v for k, v in (options or {}).items() if k in taken}
    fits, error = _sample(provider, leaf, options, SAMPLE)
    if fits * 2 <= SAMPLE:
        raise ValueError(
            f"expected values that fit {path} ({short(field)}; fit: {fitting()}), got {error} ({fits}/{SAMPLE} fit)"
        )
    plan["choices"][path] = {"provider": provider, "options": options}
    out: dict[str, Any] = {"ignored_options": ignored} if ignored else {}
    return {**out, "next": next_step(description, plan)}


def _step(spec: dict) -> Any:
    places = spec.get("decimal_places")
    if spec["type"] == "int":
        return 1
    if spec["type"] == "decimal":
        return decimal.Decimal(1).scaleb(-(places if places is not None else 2))
    return 10.0 ** -(places if places is not None else 2)


def bound_value(spec: dict, side: str) -> Any:
    """The number at the lower (``min``) or upper (``max``) bound of a numeric spec, or None without one."""
    inclusive, exclusive = ("ge", "gt") if side == "min" else ("le", "lt")
    sign = 1 if side == "min" else -1
    kind = spec["type"]
    number: Any
    if spec.get(inclusive) is not None:
        number = spec[inclusive]
    elif spec.get(exclusive) is not None:
        number = spec[exclusive]
        if kind == "decimal":
            number = decimal.Decimal(str(number)) + sign * _step(spec)
        else:
            number = round(number + sign * _step(spec), 12) if kind == "float" else number + sign
    else:
        return None
    if kind == "decimal":
        return decimal.Decimal(str(number))
    return float(number) if kind == "float" else int(number)


def _sized_string(fake: Faker, spec: dict, choice: tuple[str, dict | None], n: int) -> tuple[str | None, str | None]:
    """A string of exactly ``n`` characters that fits ``spec`` (cut from or padded with the provider's values)."""
    provider, options = choice
    free = {k: v for k, v in spec.items() if k not in ("min_length", "max_length")}
    tries = [(provider, options), ("from_pattern", None)] if spec.get("pattern") else [(provider, options)]
    last = None
    for name, opts in tries:
        args = arguments(name, free, opts)
        for _ in range(50):
            text = ""
            while len(text) < n:
                text += ("" if not text else " ") + str(convert(raw_value(fake, name, free, args), {"type": "str"}))
            text = text[:n].rstrip() if n else ""
            text = text + "x" * (n - len(text))
            last = check_value(spec, text)
            if last is None:
                return text, None
            if name == "from_pattern" and len(text) != n:
                continue
    return None, last


def edge_values(description: dict, plan: dict, path: str, kind: str, fake: Faker) -> list:
    """The Python values an edge case adds (one record each); ValueError when the kind does not apply."""
    if kind not in EDGE_KINDS:
        raise ValueError(f"expected an edge kind ({', '.join(EDGE_KINDS)}), got {kind!r}")
    field = field_at(description, path)
    spec = field["spec"]
    leaf = leaf_spec(spec)
    label = f"{path} ({short(field)})"
    holds_values = nested_model(spec) is None and leaf["type"] not in ("dict", "unsupported")
    if not holds_values and kind not in ("none", "empty"):
        raise ValueError(f"expected `none` or `empty` for a field of records or a dict, got `{kind}` for {label}")
    if kind == "none":
        if not field["optional"]:
            raise ValueError(f"expected a field that accepts None for `none`, got {label}")
        return [None]
    if kind == "each_enum":
        if spec["type"] not in ("enum", "literal"):
            raise ValueError(f"expected an enum or Literal field for `each_enum`, got {label}")
        return list(spec["members"])
    if kind == "empty":
        if spec["type"] in ("list", "set", "tuple", "dict"):
            value: Any = {"list": [], "set": set(), "tuple": (), "dict": {}}[spec["type"]]
        elif spec["type"] == "str":
            value = ""
        else:
            raise ValueError(f"expected a string or collection field for `empty`, got {label}")
        if check_value(spec, value):
            raise ValueError(f"expected a field that may be empty for `empty`, got {label}")
        return [value]
    choice = _choice(plan, path, spec)
    side = kind
    if spec["type"] in NUMBERS:
        number = bound_value(spec, side)
        if number is None:
            raise ValueError(f"expected a number field with a {'lower' if side == 'min' else 'upper'} bound for "
                             f"`{kind}`, got {label}")  # fmt: skip
        error = check_value(spec, number)
        if error:
            raise ValueError(f"expected a bound value that fits {label}, got {error}")
        return [number]
    length = spec.get("min_length") if side == "min" else spec.get("max_length")
    if spec["type"] not in ("str", "list", "set", "tuple") or not length:
        what = "a minimum length of 1 or more" if side == "min" else "a maximum length"
        raise ValueError(f"expected a number bound or {what} for `{kind}`, got {label}")
    if spec["type"] == "str":
        text, error = _sized_string(fake, spec, choice, length)
        if text is None:
            raise ValueError(f"expected a string of {length} characters that fits {label}, got {error}")
        return [text]
    provider, options = choice
    item = leaf
    args = arguments(provider, item, options)
    items: list = []
    for _ in range(length * 5):
        value, error = one_value(fake, provider, item, args)
        if error:
            raise ValueError(f"expected items that fit {label}, got {error}")
        if spec["type"] != "set" or value not in items:
            items.append(value)
        if len(items) == length:
            break
    if len(items) < length:
        raise ValueError(f"expected {length} different items for {label}, got {len(items)}")
    return [set(items) if spec["type"] == "set" else tuple(items) if spec["type"] == "tuple" else items]


def _choice(plan: dict, path: str, spec: dict) -> tuple[str, dict | None]:
    chosen = plan["choices"].get(path)
    return (chosen["provider"], chosen.get("options")) if chosen else default_choice(spec)


def _record(description: dict, plan: dict, fields: list[dict], fake: Faker, prefix: str | None, depth: int) -> dict:
    """One record; ``prefix`` is the path of the fields' parent (None below the level choices reach)."""
    models = description.get("models", {})
    record: dict[str, Any] = {}
    for field in fields:
        name = field["name"]
        path = f"{prefix}{name}" if prefix is not None else name
        spec = field["spec"]
        model = nested_model(spec)
        if model is not None:
            if depth >= MAX_DEPTH or not models.get(model):
                if not field["required"]:
                    continue
                if field["optional"]:
                    record[name] = None
                    continue
                raise GenerationError(f"{path}: the model {model} is nested too deep to generate")
            sub_prefix = f"{path}." if depth == 0 else None  # choices reach one level down
            if spec["type"] == "model":
                record[name] = _record(description, plan, models[model]["fields"], fake, sub_prefix, depth + 1)
            else:
                n = collection_size(fake, spec)
                items = [_record(description, plan, models[model]["fields"], fake, sub_prefix, depth + 1)
                         for _ in range(n)]  # fmt: skip
                record[name] = items
            continue
        if spec["type"] == "unsupported" or (spec["type"] == "dict" and "default" in field):
            if not field["required"]:
                continue
            if field["optional"]:
                record[name] = None
                continue
        choice = _choice(plan, path, spec) if prefix is not None and path in plan["choices"] else None
        value, error = field_value(fake, spec, choice)
        if error:
            raise GenerationError(f"{path}: {error}")
        record[name] = value
    return record


def _set_path(record: dict, path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        record[head] = value
        return
    inner = record.get(head)
    if isinstance(inner, list):
        if not inner:
            raise GenerationError(f"{path}: the list {head} is empty, no item to hold the edge value")
        inner = inner[0]
    if not isinstance(inner, dict):
        raise GenerationError(f"{path}: {head} holds no record")
    inner[rest] = value


def generate(description: dict, plan: dict, count: int, seed: int) -> dict:
    """Build the records: ``count`` regular ones, then one per edge value of each :func:`applicable_edges` case.

    Returns:
        ``records`` (JSON, see :mod:`toolsmith.sample_data.codec`) and ``edges``: ``[index, field, kind]``
        for each edge record.

    Raises:
        ValueError: A bad count or seed.
        GenerationError: A field whose provider gives no value that fits, or no edge value that fits.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"expected a count from 1 to {MAX_COUNT}, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"expected a whole number seed, got {seed!r}")
    fake = seeded(seed)
    records = [_record(description, plan, description["fields"], fake, "", 0) for _ in range(count)]
    edges = []
    for path, kind in applicable_edges(description):
        try:
            values = edge_values(description, plan, path, kind, fake)
        except ValueError as e:
            raise GenerationError(f"{path}: no `{kind}` edge value, {e}") from None
        for value in values:
            record = _record(description, plan, description["fields"], fake, "", 0)
            _set_path(record, path, value)
            edges.append([len(records), path, kind])
            records.append(record)
    return {"records": [encode(r) for r in records], "edges": edges}
