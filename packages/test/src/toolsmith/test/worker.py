"""The child side: import the user's module, call the function, report what happened and which arcs ran.

This module runs INSIDE the limited child process (``run_isolated``): it is the only code of the test agent
that imports or calls the user's code. Its functions take and return JSON-able values only.

Each call's outcome is one of ``return`` (with the result's ``repr``), ``raise`` (the exception's type and
message), ``rejected`` (the arguments do not fit the signature: the function never ran) or ``timeout``.
A returned result is *assertable* when a test can pin it: its ``repr`` is a safe value
(:mod:`toolsmith.test.values`) that compares equal to the result, and the call gives the same outcome
every time it runs; else ``problem`` says why not ("expected X, got Y").
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import itertools
import os
import re
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

import coverage

from toolsmith.test.layout import module_path
from toolsmith.test.values import build, parse_arguments, parse_value

MAX_REPR_CHARS = 300
MAX_MESSAGE_CHARS = 120
MAX_GENERATOR_ITEMS = 1000
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class CallTimeout(BaseException):  # noqa: N818 - BaseException: the user's ``except Exception`` must not catch it
    """The call ran past its time limit."""


def _alarm(signum: int, frame: Any) -> None:
    raise CallTimeout


def _exception_ref(cls: type) -> tuple[str, str]:
    """``(module, name)`` a test can import the exception (or its nearest importable base) by; "" for builtins."""
    for c in cls.__mro__:
        if not issubclass(c, BaseException):
            continue
        mod, name = c.__module__, c.__qualname__
        if mod == "builtins":
            return "", name
        if "." in name or "<" in name or any(p.startswith("_") for p in mod.split(".")):
            continue
        try:
            if getattr(importlib.import_module(mod), name, None) is c:
                return mod, name
        except Exception:  # noqa: BLE001 - an unimportable module: try the base class
            continue
    return "", "BaseException"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _invoke(func: Any, arguments: Any, timeout_s: float, measure: bool, target: str) -> dict[str, Any]:
    """One call under the time limit (and coverage when ``measure``)."""
    args, kwargs = arguments.build()
    cov = None
    if measure:
        cov = coverage.Coverage(data_file=None, branch=True, include=[target], config_file=False)
        cov.set_option("run:disable_warnings", ["no-data-collected", "module-not-measured"])
    out: dict[str, Any] = {}
    sink = io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    start = time.perf_counter()
    wrap = ""
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            if cov is not None:
                cov.start()
            try:
                value = func(*args, **kwargs)
                if isinstance(value, types.GeneratorType):
                    wrap = "list"  # the test consumes it too, also when consuming raises
                    items = list(itertools.islice(value, MAX_GENERATOR_ITEMS + 1))
                    if len(items) > MAX_GENERATOR_ITEMS:
                        out["problem"] = f"expected a generator that ends within {MAX_GENERATOR_ITEMS} items, got more"
                    value = items
            finally:
                if cov is not None:
                    cov.stop()
        out["outcome"] = "return"
        out["value"] = value
    except CallTimeout:
        out = {"outcome": "timeout", "timeout_s": timeout_s}
    except BaseException as e:  # noqa: BLE001 - any exception is the function's behaviour
        out = {"outcome": "raise", "exception": e}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if wrap and out["outcome"] != "timeout":
        out["wrap"] = wrap
    out["seconds"] = round(time.perf_counter() - start, 4)
    if cov is not None:
        data = cov.get_data()
        out["arcs"] = sorted({a for f in data.measured_files() for a in (data.arcs(f) or [])})
    return out


def _describe(raw: dict[str, Any]) -> dict[str, Any]:
    """The JSON-able view of one call's outcome."""
    out: dict[str, Any] = {"outcome": raw["outcome"]}
    if raw["outcome"] == "return":
        value = raw["value"]
        try:
            text = repr(value)
        except Exception as e:  # noqa: BLE001 - a broken __repr__ is the user's
            text = f"<repr failed: {type(e).__name__}>"
        out["repr"] = text if len(text) <= MAX_REPR_CHARS else text[: MAX_REPR_CHARS - 3] + "..."
        out["problem"] = raw.get("problem") or _assert_problem(value, text)
        if raw.get("wrap"):
            out["wrap"] = raw["wrap"]
        if not out["problem"] and (value is None or value is True or value is False):
            out["identity"] = True  # compared with `is`
    elif raw["outcome"] == "raise":
        e = raw["exception"]
        module, name = _exception_ref(type(e))
        out["exception"] = {"name": name, "module": module, "type": type(e).__qualname__}
        out["message"] = _short(str(e), MAX_MESSAGE_CHARS)
        out["problem"] = (
            "expected an outcome that does not depend on the stack depth, got RecursionError"
            if isinstance(e, RecursionError)
            else ""
        )
        if raw.get("wrap"):
            out["wrap"] = raw["wrap"]
    else:
        out["problem"] = f"expected the call to finish within {raw['timeout_s']:g} s, got a timeout"
    if "arcs" in raw:
        out["arcs"] = raw["arcs"]
    out["seconds"] = raw["seconds"]
    return out


def _assert_problem(value: Any, text: str) -> str:
    """Why ``assert result == <text>`` cannot pin ``value`` ("" when it can)."""
    if _ADDRESS.search(text):
        return f"expected a result the test can compare, got an object repr with an address: {_short(text, 80)}"
    if len(text) > MAX_REPR_CHARS:
        return f"expected a result whose repr is at most {MAX_REPR_CHARS} characters, got {len(text)}"
    try:
        rebuilt = build(parse_value(text))
    except (ValueError, TypeError, ArithmeticError) as e:
        if re.search(r"\bnan\b", text):
            return f"expected a result that equals itself, got NaN in {_short(text, 80)} (nan != nan)"
        return f"expected a result whose repr is a Python literal, got {_short(text, 80)} ({_short(str(e), 100)})"
    try:
        equal = bool(value == rebuilt)
    except Exception as e:  # noqa: BLE001 - a broken __eq__ is the user's
        return f"expected a result that can be compared with ==, got {type(e).__name__}"
    if not equal:
        return f"expected the result's repr to evaluate back to an equal value, got {_short(text, 80)} which does not"
    return ""


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("outcome", "repr", "exception")
    return all(a.get(k) == b.get(k) for k in keys)


def _summary(d: dict[str, Any]) -> str:
    if d["outcome"] == "return":
        return d["repr"]
    if d["outcome"] == "raise":
        return f"{d['exception']['type']}: {d['message']}"
    return d["outcome"]


def run_calls(
    root: str,
    target: str,
    symbol: str,
    calls: list[str],
    repeat: int = 2,
    timeout_s: float = 2.0,
    budget_s: float = 30.0,
) -> dict[str, Any]:
    """Import ``target``'s module, call ``symbol`` with each argument source, ``repeat`` times each.

    Args:
        root: The project folder.
        target: The file, posix and relative to ``root``.
        symbol: The top-level function's name.
        calls: Argument sources, e.g. ``["[3, 1], reverse=True", "[]"]``.
        repeat: Runs of each call (the first one measured); a call whose outcomes differ is not assertable.
        timeout_s: Time limit of one run of one call.
        budget_s: Time for all the calls: once spent, the remaining calls are not run (outcome ``timeout``).

    Returns:
        ``{"error": ""}`` plus ``calls``: per call, ``arguments`` (normalised), ``outcome``, ``repr`` or
        ``exception`` (``name``, ``module``: how a test imports it, ``type``) and ``message``, ``arcs`` (the
        target file's executed arcs), ``problem`` ("" when a test can pin it) and ``seconds``; or
        ``{"error": "expected X, got Y"}`` when the module or function cannot be loaded.
    """
    root_path = Path(root).resolve()
    where = module_path(root_path, target)
    target_path = str(root_path / target)
    sys.path.insert(0, str(root_path / where.import_root))
    os.chdir(root_path)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            module = importlib.import_module(where.module)
    except BaseException as e:  # noqa: BLE001 - the user's module failed to import
        return {"error": f"expected `import {where.module}` to work, got {type(e).__name__}: {_short(str(e), 200)}"}
    func = getattr(module, symbol, None)
    if not callable(func):
        return {"error": f"expected a function `{symbol}` in {where.module}, got {type(func).__name__}"}
    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):
        signature = None
    signal.signal(signal.SIGALRM, _alarm)
    results: list[dict[str, Any]] = []
    start = time.perf_counter()
    for source in calls:
        if time.perf_counter() - start > budget_s:
            problem = f"expected the calls to finish within {budget_s:g} s in all, got a timeout before this one"
            results.append({"arguments": source, "outcome": "timeout", "problem": problem, "arcs": []})
            continue
        try:
            arguments = parse_arguments(source)
            if signature is not None:
                args, kwargs = arguments.build()
                signature.bind(*args, **kwargs)
        except (ValueError, TypeError, ArithmeticError) as e:
            why = str(e).removeprefix("got ")
            problem = f"expected arguments that fit {symbol}{signature}, got {why}" if isinstance(e, TypeError) else why
            results.append({"arguments": source, "outcome": "rejected", "problem": problem, "arcs": []})
            continue
        first = _describe(_invoke(func, arguments, timeout_s, True, target_path))
        first["arguments"] = arguments.source
        for _ in range(repeat - 1):
            if first["problem"]:  # already not pinnable: its first reason stands
                break
            again = _describe(_invoke(func, arguments, timeout_s, False, target_path))
            if not _same(first, again):
                first["problem"] = (
                    f"expected the same result on each call, got {_short(_summary(first), 60)} "
                    f"then {_short(_summary(again), 60)}"
                )
                break
        results.append(first)
    return {"error": "", "calls": results}
