"""Child-side entry points: everything that imports the user's code (run through ``run_isolated``).

Each function takes and returns JSON-able values and runs with the project root as the current folder.

- :func:`describe`: the target's description (:mod:`toolsmith.sample_data.pytypes`).
- :func:`validate`: each record through the real validator; records are JSON values as written to
  ``samples/<name>.json`` (see :mod:`toolsmith.sample_data.codec`).
- :func:`fixture_records`: import a written fixture module, call its builder and return what it built,
  validated and encoded like the samples.

The real validator: ``pydantic.TypeAdapter(T).validate_json(strict=True)`` for pydantic models,
dataclasses (their ``__post_init__`` runs), NamedTuples and TypedDicts pydantic accepts; attrs classes,
functions and TypedDicts pydantic refuses (``typing.TypedDict`` before Python 3.12) are validated field
by field with ``TypeAdapter(annotation)``, then built with the attrs constructor (its validators run) or
bound with ``inspect.signature(fn).bind``.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Any

from toolsmith.sample_data.pytypes import describe_object, kind_of

MAX_ERROR_CHARS = 200
MAX_INPUT_CHARS = 40


def module_name(path: Path) -> tuple[str, Path]:
    """(dotted module name, folder to put on ``sys.path``) of a ``.py`` file, from its packages' ``__init__.py``."""
    path = path.resolve()
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:
        raise ValueError(f"expected a module file, got {path}")
    return ".".join(parts), folder


def import_module(target: str, fresh: bool = False) -> Any:
    """Import the module file ``target`` (relative to the current folder) the way its project would.

    ``fresh``: forget a module of the same name imported before (many one-file projects in one process).
    """
    path = Path(target)
    if not path.is_file():
        raise ValueError(f"expected a Python file, got {target!r} (not found)")
    name, folder = module_name(path)
    if fresh:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name.split(".")[0] + ".")]:
            del sys.modules[loaded]
        sys.modules.pop(name.split(".")[0], None)
        if str(folder) in sys.path:
            sys.path.remove(str(folder))
        importlib.invalidate_caches()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def resolve(target: str, symbol: str, fresh: bool = False) -> Any:
    """The class or function ``symbol`` (``Name`` or ``Class.method``) of the module file ``target``."""
    obj = import_module(target, fresh)
    for part in symbol.split("."):
        try:
            obj = inspect.getattr_static(obj, part) if isinstance(obj, type) else getattr(obj, part)
        except AttributeError:
            raise ValueError(f"expected `{symbol}` in {target}, got no `{part}`") from None
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
    return obj


def describe(target: str, symbol: str) -> dict:
    """Describe ``symbol`` of the module file ``target``.

    Args:
        target: The module file, relative to the current folder.
        symbol: The class or function in it.

    Returns:
        The description (see :mod:`toolsmith.sample_data.spec`).
    """
    return describe_object(resolve(target, symbol))


def _adapter(tp: Any) -> Any:
    from pydantic import TypeAdapter
    from pydantic.errors import PydanticUserError

    try:
        return TypeAdapter(tp)
    except PydanticUserError:  # typing.TypedDict before Python 3.12
        return None


def _short(e: Exception) -> str:
    """A validation error in one line: pydantic's first error with its location, else the exception."""
    errors = getattr(e, "errors", None)
    if callable(errors):
        try:
            first = e.errors()[0]  # type: ignore[attr-defined]
            loc = ".".join(str(p) for p in first.get("loc", ())) or "record"
            given = repr(first.get("input"))
            given = given if len(given) <= MAX_INPUT_CHARS else given[: MAX_INPUT_CHARS - 3] + "..."
            text = f"{loc}: {first.get('msg')} (got {given})"
        except (IndexError, TypeError, KeyError):
            text = str(e)
    else:
        text = f"{type(e).__name__}: {e}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _field_adapters(obj: Any) -> dict[str, tuple[Any, bool]]:
    """name -> (TypeAdapter of its annotation, required) for attrs classes, functions and TypedDicts."""
    kind = kind_of(obj)
    hints = typing.get_type_hints(obj, include_extras=True)
    out: dict[str, tuple[Any, bool]] = {}
    if kind == "attrs":
        import attrs

        attrs.resolve_types(obj)
        for a in attrs.fields(obj):
            if a.init:
                out[a.alias or a.name] = (_adapter(a.type if a.type is not None else Any), a.default is attrs.NOTHING)
    elif kind == "function":
        for p in inspect.signature(obj).parameters.values():
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls"):
                out[p.name] = (_adapter(hints.get(p.name, Any)), p.default is p.empty)
    else:  # typeddict
        required = getattr(obj, "__required_keys__", frozenset(hints))
        out = {name: (_adapter(tp), name in required) for name, tp in hints.items()}
    return out


def build(obj: Any, record: Any) -> Any:
    """Validate one JSON record with the real validator and return the built instance (kwargs for a function).

    Raises:
        Exception: Whatever the validator raises for an invalid record.
    """
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object per record, got {type(record).__name__}")
    kind = kind_of(obj)
    adapter = _adapter(obj) if kind in ("pydantic", "dataclass", "namedtuple", "typeddict") else None
    if adapter is not None:
        return adapter.validate_json(json.dumps(record), strict=True)
    fields = _field_adapters(obj)
    missing = [n for n, (_, req) in fields.items() if req and n not in record]
    extra = [n for n in record if n not in fields]
    if missing or extra:
        raise ValueError(f"expected the fields {list(fields)}, got missing {missing} and unknown {extra}")
    values = {}
    for name, value in record.items():
        field_adapter = fields[name][0]
        try:
            values[name] = field_adapter.validate_json(json.dumps(value), strict=True) if field_adapter else value
        except Exception as e:
            raise ValueError(f"{name}: {_short(e)}") from None
    if kind == "attrs":
        return obj(**values)
    if kind == "function":
        inspect.signature(obj).bind(**values)
        return values
    return values  # typeddict


def validate(target: str, symbol: str, records: list) -> dict:
    """Validate JSON records of ``symbol`` (in the module file ``target``) with the real validator.

    Args:
        target: The module file, relative to the current folder.
        symbol: The class or function in it.
        records: The records, JSON values as written to the samples file.

    Returns:
        ``valid`` (how many passed) and ``errors``: ``[index, message]`` for each record that failed.
    """
    obj = resolve(target, symbol)
    errors = []
    for i, record in enumerate(records):
        try:
            build(obj, record)
        except Exception as e:  # the user's validators may raise anything
            errors.append([i, _short(e)])
    return {"valid": len(records) - len(errors), "errors": errors}


def encode(obj: Any, instance: Any) -> Any:
    """A built instance (or a function's kwargs) as the JSON value the samples hold."""
    from pydantic_core import to_jsonable_python

    from toolsmith.sample_data.codec import canonical

    kind = kind_of(obj)
    if kind == "pydantic":
        return to_jsonable_python(canonical(instance.model_dump(by_alias=True)))
    if kind == "dataclass":
        return to_jsonable_python(
            canonical({f.name: getattr(instance, f.name) for f in dataclasses.fields(instance) if f.init})
        )
    if kind == "attrs":
        import attrs

        return to_jsonable_python(
            canonical({(a.alias or a.name): getattr(instance, a.name) for a in attrs.fields(obj) if a.init})
        )
    if kind == "namedtuple":
        return to_jsonable_python(canonical(instance._asdict()))
    return to_jsonable_python(canonical(instance))


def _load_fixture(fixture: str, builder: str) -> list:
    path = Path(fixture)
    spec = importlib.util.spec_from_file_location(f"toolsmith_fixture_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"expected an importable fixture module, got {fixture!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, builder)())


def fixture_records(fixture: str, builder: str, target: str, symbol: str) -> dict:
    """Import the fixture module file ``fixture``, call ``builder()`` and check what it returns.

    Args:
        fixture: The fixture module file, relative to the current folder (e.g. ``tests/fixtures_order.py``).
        builder: The plain function in it that builds the records.
        target: The module file of the described type, relative to the current folder.
        symbol: The class or function in it.

    Returns:
        ``records``: what the builder returned, encoded like the samples (``instance`` tells whether each
        was an instance of the type, always true for functions and TypedDicts), and ``errors`` from
        validating those encoded records again.
    """
    obj = resolve(target, symbol)
    import_module(target)  # puts the target's package folder on sys.path, as a test run would have it
    built = _load_fixture(fixture, builder)
    kind = kind_of(obj)
    records = []
    instances = []
    for item in built:
        records.append(encode(obj, item))
        instances.append(kind in ("function", "typeddict") or isinstance(item, obj))
    checked = validate(target, symbol, records)
    return {"records": records, "instance": instances, "errors": checked["errors"]}


def fixture_data(fixture: str, builder: str) -> dict:
    """Import the fixture module file ``fixture`` of a JSON Schema target and return what ``builder()`` returns.

    Args:
        fixture: The fixture module file, relative to the current folder.
        builder: The plain function in it that builds the records.

    Returns:
        ``records`` (JSON), ``instance`` (whether each is a dict) and ``errors`` (empty: the caller validates).
    """
    from pydantic_core import to_jsonable_python

    built = _load_fixture(fixture, builder)
    return {"records": to_jsonable_python(built), "instance": [isinstance(r, dict) for r in built], "errors": []}


def judge_inputs(target: str, symbol: str, samples: str, fixture: str, builder: str) -> dict:
    """What the judge needs from the user's code, in one child: the description, the samples validated, and what
    the fixture module builds.

    Args:
        target: The module file, relative to the current folder.
        symbol: The class or function in it.
        samples: The samples file (a JSON array), relative to the current folder.
        fixture: The fixture module file, relative to the current folder.
        builder: The plain function in it that builds the records.

    Returns:
        ``description``; ``validation`` (:func:`validate` of the samples; None when the file is not a JSON array);
        ``fixture`` (:func:`fixture_records`) or ``fixture_error`` (why it failed), neither when there is no
        fixture module.
    """
    obj = resolve(target, symbol)
    out: dict[str, Any] = {"description": describe_object(obj), "validation": None}
    try:
        records = json.loads(Path(samples).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        records = None
    if isinstance(records, list):
        out["validation"] = validate(target, symbol, records)
    if Path(fixture).is_file():
        try:
            out["fixture"] = fixture_records(fixture, builder, target, symbol)
        except Exception as e:  # the fixture module (or the user's code it calls) may raise anything
            out["fixture_error"] = _short(e)
    return out


def describe_many(targets: list) -> list:
    """Describe many ``[target, symbol]`` pairs (corpus measurement); an error text for each that fails.

    Args:
        targets: ``[module file, symbol]`` pairs, relative to the current folder.

    Returns:
        For each pair, its description or ``"ErrorType: message"``.
    """
    out: list = []
    for target, symbol in targets:
        try:
            out.append(describe_object(resolve(target, symbol, fresh=True)))
        except BaseException as e:  # noqa: BLE001 - user modules may raise anything, SystemExit included
            out.append(f"{type(e).__name__}: {str(e)[:200]}")
    return out


def polyfactory_records(target: str, symbol: str, regular: int, seed: int) -> dict:
    """The no-model baseline: instances from polyfactory's type-driven factories, as JSON records.

    Pydantic models, dataclasses, TypedDicts and attrs classes use polyfactory's factory for their kind;
    NamedTuples and functions a dataclass with the same fields (polyfactory has no factory for them). As many
    records as the agent writes: ``regular`` plus one per edge value the type calls for.

    Args:
        target: The module file, relative to the current folder.
        symbol: The class or function in it.
        regular: Records besides the edge cases' share.
        seed: polyfactory's random seed.

    Returns:
        ``description`` and ``records`` (encoded like the samples).
    """
    from polyfactory.factories import DataclassFactory, TypedDictFactory
    from polyfactory.factories.attrs_factory import AttrsFactory
    from polyfactory.factories.pydantic_factory import ModelFactory

    from toolsmith.sample_data.plan import applicable_edges, edge_record_count

    obj = resolve(target, symbol)
    description = describe_object(obj)
    count = regular + edge_record_count(description, applicable_edges(description))
    kind = kind_of(obj)
    base: Any = {
        "pydantic": ModelFactory,
        "dataclass": DataclassFactory,
        "typeddict": TypedDictFactory,
        "attrs": AttrsFactory,
    }.get(kind, DataclassFactory)
    model = obj if kind in ("pydantic", "dataclass", "typeddict", "attrs") else _as_dataclass(obj)
    factory = base.create_factory(model)
    factory.seed_random(seed)
    built = factory.batch(count)
    if kind == "namedtuple":
        built = [obj(**dataclasses.asdict(b)) for b in built]
    elif kind == "function":
        built = [dataclasses.asdict(b) for b in built]
    return {"description": description, "records": [encode(obj, b) for b in built]}


def _as_dataclass(obj: Any) -> type:
    """A dataclass with the fields of a NamedTuple or the parameters of a function."""
    hints = typing.get_type_hints(obj, include_extras=True)
    fields = []
    if kind_of(obj) == "namedtuple":
        defaults = getattr(obj, "_field_defaults", {})
        names = [(n, defaults.get(n, dataclasses.MISSING)) for n in obj._fields]
    else:
        params = inspect.signature(obj).parameters.values()
        names = [(p.name, dataclasses.MISSING if p.default is p.empty else p.default) for p in params
                 if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls")]  # fmt: skip
    for name, default in names:
        spec = dataclasses.field(default=default) if default is not dataclasses.MISSING else dataclasses.field()
        fields.append((name, hints.get(name, Any), spec))
    fields.sort(key=lambda f: f[2].default is not dataclasses.MISSING)
    return dataclasses.make_dataclass(f"{getattr(obj, '__name__', 'Target')}Fields", fields)
