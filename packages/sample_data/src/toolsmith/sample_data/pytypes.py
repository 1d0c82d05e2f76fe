"""Describe a Python target (a class or a function already imported) as a description (see :mod:`.spec`).

Runs in the child process that imported the user's module (:mod:`toolsmith.sample_data.worker`).
Reads annotations with ``typing.get_type_hints(include_extras=True)`` and constraints from
``annotated_types`` metadata (what pydantic's ``Field``/``constr``/``conint`` make), pydantic's own
metadata (``max_digits``, ``pattern``) and attrs' validators (``ge``, ``max_len``, ``matches_re``,
``in_``, ``optional``).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import typing
import uuid
from collections import abc
from typing import Any

import typing_extensions

from toolsmith.sample_data.spec import CONSTRAINT_KEYS

MAX_MODELS = 8  # nested models described per target (deeper/more ones are generated from their defaults)
_SCALARS: tuple[tuple[type, str], ...] = (  # order matters: bool before int, datetime before date
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (decimal.Decimal, "decimal"),
    (datetime.datetime, "datetime"),
    (datetime.date, "date"),
    (datetime.time, "time"),
    (datetime.timedelta, "timedelta"),
    (uuid.UUID, "uuid"),
    (str, "str"),
    (bytes, "bytes"),
)
_PYDANTIC_NAMES: dict[str, dict] = {  # pydantic's special types, by class name
    "EmailStr": {"type": "str", "format": "email"},
    "NameEmail": {"type": "str", "format": "email"},
    "AnyUrl": {"type": "str", "format": "uri"},
    "AnyHttpUrl": {"type": "str", "format": "uri"},
    "HttpUrl": {"type": "str", "format": "uri"},
    "FileUrl": {"type": "str", "format": "uri"},
    "IPvAnyAddress": {"type": "str", "format": "ipv4"},
    "SecretStr": {"type": "str"},
    "AwareDatetime": {"type": "datetime", "tz": "aware"},
    "NaiveDatetime": {"type": "datetime", "tz": "naive"},
    "PastDatetime": {"type": "datetime", "when": "past"},
    "FutureDatetime": {"type": "datetime", "when": "future"},
    "PastDate": {"type": "date", "when": "past"},
    "FutureDate": {"type": "date", "when": "future"},
}
_LISTS = (list, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection)
_SETS = (set, frozenset, abc.Set, abc.MutableSet)
_DICTS = (dict, abc.Mapping, abc.MutableMapping)
_WRAPPERS = {typing_extensions.Required, typing_extensions.NotRequired, typing_extensions.ReadOnly}


def ref_of(obj: Any) -> str:
    """``module:qualname`` of a class or function."""
    return f"{obj.__module__}:{obj.__qualname__}"


def kind_of(obj: Any) -> str:
    """Which kind of target ``obj`` is (see :data:`toolsmith.sample_data.spec.KINDS`)."""
    if isinstance(obj, type):
        if _is_pydantic(obj):
            return "pydantic"
        if _is_attrs(obj):
            return "attrs"
        if dataclasses.is_dataclass(obj):
            return "dataclass"
        if typing_extensions.is_typeddict(obj):
            return "typeddict"
        if issubclass(obj, tuple) and hasattr(obj, "_fields"):
            return "namedtuple"
        raise ValueError(
            f"expected a dataclass, pydantic model, attrs class, TypedDict or NamedTuple, got class {obj.__name__}"
        )
    if callable(obj):
        return "function"
    raise ValueError(f"expected a class or a function, got {type(obj).__name__}")


def _is_pydantic(cls: type) -> bool:
    try:
        from pydantic import BaseModel
    except ImportError:
        return False
    return issubclass(cls, BaseModel)


def _is_attrs(cls: type) -> bool:
    try:
        import attrs
    except ImportError:
        return False
    return attrs.has(cls)


def is_model(tp: Any) -> bool:
    """Whether ``tp`` is a class this domain describes field by field."""
    try:
        kind_of(tp)
    except (ValueError, TypeError):
        return False
    return isinstance(tp, type)


def jsonable_default(value: Any) -> Any:
    """A field's default as shown to the model: JSON scalars as they are, else a short text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable_default(value.value)
    if isinstance(value, (list, tuple, set, frozenset, dict)) and not value:
        return {} if isinstance(value, dict) else []
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def describe_object(obj: Any) -> dict:
    """The description of a class or function (nested models in ``models``)."""
    models: dict[str, dict] = {}
    root = {"name": getattr(obj, "__name__", str(obj)), **_describe(obj, models)}
    root["models"] = models
    return root


def _describe(obj: Any, models: dict[str, dict]) -> dict:
    kind = kind_of(obj)
    fields = {
        "pydantic": _pydantic_fields,
        "dataclass": _dataclass_fields,
        "attrs": _attrs_fields,
        "typeddict": _typeddict_fields,
        "namedtuple": _namedtuple_fields,
        "function": _function_fields,
    }[kind](obj, models)
    return {"kind": kind, "ref": ref_of(obj), "fields": fields}


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except Exception as e:  # a forward reference that does not resolve: the raw annotations
        raise ValueError(f"expected annotations that resolve, got {type(e).__name__}: {e}") from None


def _field(name: str, tp: Any, models: dict, *, metadata: tuple = (), default: Any = inspect.Parameter.empty,
           required: bool | None = None, optional: bool = False) -> dict:  # fmt: skip
    spec, accepts_none = annotation_spec(tp, models, metadata)
    out: dict[str, Any] = {
        "name": name,
        "spec": spec,
        "optional": accepts_none or optional,
        "required": (default is inspect.Parameter.empty) if required is None else required,
    }
    if default is not inspect.Parameter.empty:
        out["default"] = default
    return out


def _pydantic_fields(cls: type, models: dict) -> list[dict]:
    from pydantic_core import PydanticUndefined

    out = []
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            default: Any = "<factory>"
        elif info.default is PydanticUndefined:
            default = inspect.Parameter.empty
        else:
            default = jsonable_default(info.default)
        tp = info.annotation if info.annotation is not None else Any
        key = info.alias if info.alias and not cls.model_config.get("populate_by_name") else name
        out.append(_field(key, tp, models, metadata=tuple(info.metadata), default=default,
                          required=info.is_required()))  # fmt: skip
    return out


def _dataclass_fields(cls: type, models: dict) -> list[dict]:
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default: Any = jsonable_default(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = "<factory>"
        else:
            default = inspect.Parameter.empty
        out.append(_field(f.name, hints.get(f.name, Any), models, default=default))
    return out


def _attrs_fields(cls: type, models: dict) -> list[dict]:
    import attrs

    attrs.resolve_types(cls)
    out = []
    for a in attrs.fields(cls):
        if not a.init:
            continue
        if a.default is attrs.NOTHING:
            default: Any = inspect.Parameter.empty
        elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            default = "<factory>"
        else:
            default = jsonable_default(a.default)
        optional, metadata = _attrs_validators(a.validator)
        name = a.alias or a.name
        out.append(_field(name, a.type if a.type is not None else Any, models, metadata=metadata,
                          default=default, optional=optional))  # fmt: skip
    return out


def _attrs_validators(validator: Any) -> tuple[bool, tuple]:
    """(None allowed, constraint objects) from attrs' validators (their public attributes)."""
    if validator is None:
        return False, ()
    inner = getattr(validator, "_validators", None)  # and_(...) and lists of validators
    if inner is not None:
        out: list = []
        optional = False
        for v in inner:
            o, m = _attrs_validators(v)
            optional, out = optional or o, out + list(m)
        return optional, tuple(out)
    if type(validator).__name__ == "_OptionalValidator":
        return True, _attrs_validators(validator.validator)[1]
    constraints: dict[str, Any] = {}
    op = getattr(validator, "compare_op", None)
    if op in (">=", ">", "<=", "<"):
        constraints[{">=": "ge", ">": "gt", "<=": "le", "<": "lt"}[op]] = validator.bound
    for key in ("min_length", "max_length"):
        if isinstance(getattr(validator, key, None), int):
            constraints[key] = getattr(validator, key)
    pattern = getattr(validator, "pattern", None)
    if pattern is not None:
        text = getattr(pattern, "pattern", pattern)
        how = getattr(getattr(validator, "match_func", None), "__name__", "fullmatch")  # attrs' default: fullmatch
        constraints["pattern"] = {"fullmatch": f"^(?:{text})$", "match": f"^(?:{text})"}.get(how, text)
    options = getattr(validator, "options", None)
    if isinstance(options, (list, tuple, set, frozenset)) and type(validator).__name__ == "_InValidator":
        constraints["members"] = sorted(options, key=repr) if isinstance(options, (set, frozenset)) else list(options)
    return False, (constraints,) if constraints else ()


def _typeddict_fields(cls: type, models: dict) -> list[dict]:
    hints = _hints(cls)
    required = getattr(cls, "__required_keys__", frozenset(hints))
    return [_field(name, tp, models, required=name in required) for name, tp in hints.items()]


def _namedtuple_fields(cls: type, models: dict) -> list[dict]:
    hints = _hints(cls)
    defaults = getattr(cls, "_field_defaults", {})
    return [
        _field(
            name,
            hints.get(name, Any),
            models,
            default=jsonable_default(defaults[name]) if name in defaults else inspect.Parameter.empty,
        )  # fmt: skip
        for name in cls._fields
    ]


def _function_fields(fn: Any, models: dict) -> list[dict]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        raise ValueError(f"expected a function with a signature, got {e}") from None
    hints = _hints(fn)
    out = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ("self", "cls"):
            continue
        if p.kind is p.POSITIONAL_ONLY:
            raise ValueError(f"expected parameters that can be passed by name, got positional-only {p.name!r}")
        default = p.default if p.default is p.empty else jsonable_default(p.default)
        out.append(_field(p.name, hints.get(p.name, Any), models, default=default))
    return out


def _constraints(metadata: tuple) -> dict[str, Any]:
    """JSON-Schema-like constraints from annotated_types / pydantic / our attrs metadata objects."""
    out: dict[str, Any] = {}
    for m in metadata:
        if m is None:
            continue
        if isinstance(m, dict):  # from _attrs_validators
            out.update(m)
            continue
        nested = getattr(m, "metadata", None)  # a pydantic FieldInfo inside Annotated
        if isinstance(nested, list):
            out.update(_constraints(tuple(nested)))
        for key in (*CONSTRAINT_KEYS, "min_length", "max_length"):
            value = getattr(m, key, None)
            if value is not None and not callable(value) and key not in ("tz",):
                if key == "pattern":
                    value = getattr(value, "pattern", value)
                out[key] = value
        if type(m).__name__ == "Timezone":  # annotated_types.Timezone: None = naive, else aware
            out["tz"] = "naive" if m.tz is None else "aware"
    return {k: v for k, v in out.items() if isinstance(v, (int, float, str, list, decimal.Decimal))}


def annotation_spec(tp: Any, models: dict[str, dict], metadata: tuple = ()) -> tuple[dict, bool]:
    """(spec, None allowed) of one annotation; nested models are described into ``models``."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated or origin is typing_extensions.Annotated:
        base, *extra = typing.get_args(tp)
        return annotation_spec(base, models, (*metadata, *extra))
    if origin in _WRAPPERS:
        return annotation_spec(typing.get_args(tp)[0], models, metadata)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        none = len(args) < len(typing.get_args(tp))
        if not args:
            return {"type": "any"}, True
        spec, inner_none = annotation_spec(args[0], models, metadata)
        if len(args) > 1:
            spec = {**spec, "union": [_name(a) for a in args]}
        return spec, none or inner_none
    if isinstance(tp, typing.NewType):
        return annotation_spec(tp.__supertype__, models, metadata)
    if isinstance(tp, typing.TypeVar):
        return annotation_spec(tp.__bound__ or Any, models, metadata)
    constraints = _constraints(metadata)
    members = constraints.pop("members", None)
    if origin is typing.Literal or origin is typing_extensions.Literal:
        return {"type": "literal", "members": list(typing.get_args(tp))}, None in typing.get_args(tp)
    if tp is Any or tp is object or tp is inspect.Parameter.empty:
        return {"type": "any", **constraints}, False
    if tp is type(None) or tp is None:
        return {"type": "any"}, True
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        if not all(isinstance(v, (str, int, float, bool)) for v in values):
            return {"type": "unsupported", "name": tp.__name__}, False
        return {"type": "enum", "name": tp.__name__, "ref": ref_of(tp), "members": values}, False
    if isinstance(tp, type) and tp.__name__ in _PYDANTIC_NAMES and tp.__module__.startswith("pydantic"):
        return {**_PYDANTIC_NAMES[tp.__name__], **constraints}, False
    if members is not None:
        return {"type": "literal", "members": members}, False
    collection = origin or tp
    args = typing.get_args(tp)
    if collection in (tuple, typing.Tuple):  # noqa: UP006
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "tuple", "item": annotation_spec(args[0], models)[0], **constraints}, False
        if args:
            item = annotation_spec(args[0], models)[0]
            n = len(args)
            same = all(annotation_spec(a, models)[0] == item for a in args)
            if same:
                return {"type": "tuple", "item": item, "min_length": n, "max_length": n}, False
            return {"type": "unsupported", "name": _name(tp)}, False
        return {"type": "tuple", "item": {"type": "any"}, **constraints}, False
    for kinds, name in ((_LISTS, "list"), (_SETS, "set")):
        if isinstance(collection, type) and collection in kinds and collection not in (str, bytes):
            item = annotation_spec(args[0], models)[0] if args else {"type": "any"}
            return {"type": name, "item": item, **constraints}, False
    if isinstance(collection, type) and collection in _DICTS:
        key = annotation_spec(args[0], models)[0] if args else {"type": "str"}
        value = annotation_spec(args[1], models)[0] if len(args) > 1 else {"type": "any"}
        return {"type": "dict", "key": key, "value": value, **constraints}, False
    if isinstance(tp, type):
        for cls, name in _SCALARS:
            if issubclass(tp, cls) and not (cls is int and issubclass(tp, enum.Enum)):
                return {"type": name, **constraints}, False
        if is_model(tp):
            if tp.__name__ not in models and len(models) < MAX_MODELS:
                models[tp.__name__] = {}  # placeholder against cycles
                models[tp.__name__] = _describe(tp, models)
            return {"type": "model", "name": tp.__name__, "ref": ref_of(tp)}, False
    return {"type": "unsupported", "name": _name(tp)}, False


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")
