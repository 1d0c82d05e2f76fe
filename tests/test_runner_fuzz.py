"""Fuzz the parser and the runner loop with random and mutated model outputs (fixed seeds, a few seconds)."""

from __future__ import annotations

import json
import random
from itertools import pairwise

import pytest
import yaml
from fakes import FakeModel, read_file, write_file

from toolsmith.shared.agent import load_agent
from toolsmith.shared.chat import render
from toolsmith.shared.constants import CONTROL_TOKENS, ESCAPE, START_FUNCTION_RESPONSE, STOP_TOKENS, TRIGGER
from toolsmith.shared.data import check_example
from toolsmith.shared.parse import FunctionCall, Parsed, ParseError, parse_output
from toolsmith.shared.runner import STATUSES, run_agent, tool_host


def echo(text: str, count: int, flag: bool = False, items: list[str] | None = None, mode: str = "a") -> dict:
    """Echo typed arguments back.

    Args:
        text: Some text.
        count: A count.
        flag: A flag.
        items: Some strings.
        mode: A mode (one of "a", "b").
    """
    if mode not in ("a", "b"):
        raise ValueError(f"expected mode in ('a', 'b'), got {mode!r}")
    return {"text": text, "count": count, "flag": flag, "items": items, "odd": {(1, 2): object()}}


def boom(code: int) -> str:
    """Raise.

    Args:
        code: Anything.
    """
    raise KeyError(code)


def submit(summary: str) -> dict:
    """End the run.

    Args:
        summary: What was done.
    """
    return {"ok": True}


TOOLS = (read_file, write_file, echo, boom, submit)
NAMES = [t.__name__ for t in TOOLS] + ["nope", "read-file", "sub.mit", "_x"]
ALPHABET = list("{}[],:<>\"'\\ \n\tabcxyz019-_.eE+") + ["é", "中", "\U0001f600", "\x00", "\ud800", "\u2028"]
SPECIAL = [*CONTROL_TOKENS, "call:", "response:", "<start_of_turn>", "model\n", "user\n"]


def rand_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(12)))
    if kind == 1:
        return rng.choice([0, 1, -7, 123456789, 10**30])
    if kind == 2:
        return rng.choice([0.5, -2.25, 1e-07, 3e20])
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return rng.choice(["t.py", "../x", "/etc/passwd", "", "a", "b", None])
    if kind == 5:
        return [rand_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "text", "count"]): rand_value(rng, depth + 1) for _ in range(rng.randrange(3))}


def fmt(v) -> str:
    if isinstance(v, str):
        return f"{ESCAPE}{v}{ESCAPE}"
    if isinstance(v, dict):
        return "{" + ",".join(f"{k}:{fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(fmt(x) for x in v) + "]"
    return json.dumps(v)


def rand_args(rng: random.Random, name: str) -> dict:
    """Mostly plausible arguments for ``name``, sometimes wrong ones."""
    good = {
        "read_file": {"path": rng.choice(["t.py", "t.py", "../x", "/etc/passwd", "missing.py"])},
        "write_file": {"path": "t.py", "text": rng.choice(["x = 1\n", "def f(:\n", "\ud800", ""])},
        "echo": {"text": "hi", "count": rng.randrange(5), "items": ["a"], "mode": rng.choice("abc")},
        "boom": {"code": 3},
        "submit": {"summary": "done"},
    }.get(name, {})
    if rng.random() < 0.3:
        keys = ["path", "text", "count", "flag", "items", "mode", "summary", "code", "zzz"]
        return {rng.choice(keys): rand_value(rng) for _ in range(rng.randrange(4))}
    return good


def valid_call(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    args = rand_args(rng, name)
    return f"<start_function_call>call:{name}{fmt(args)}<end_function_call>"


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(8)
        i = rng.randrange(len(text) + 1)
        if op == 0:
            text = text[:i]
        elif op == 1:
            text = text[:i] + rng.choice(SPECIAL) + text[i:]
        elif op == 2:
            text = text[:i] + "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 6))) + text[i:]
        elif op == 3:
            text = text[:i] + ESCAPE + text[i:]
        elif op == 4:
            j = rng.randrange(i, len(text) + 1)
            text = text[:i] + text[j:]
        elif op == 5:
            tok = rng.choice(CONTROL_TOKENS)
            text = text.replace(tok, tok + tok, 1)
        elif op == 6:
            text = text[:i] + rng.randbytes(rng.randrange(1, 8)).decode("utf-8", "surrogateescape") + text[i:]
        else:
            text = text[:i] + text[i:] * 2
    return text


def rand_output(rng: random.Random) -> str:
    """One model output: valid calls, mutated calls, text, noise, with or without a stop token."""
    kind = rng.randrange(6)
    if kind == 0:
        body = "".join(valid_call(rng) for _ in range(rng.randrange(1, 3)))
    elif kind in (1, 2):
        body = mutate(rng, "".join(valid_call(rng) for _ in range(rng.randrange(1, 3))))
    elif kind == 3:
        body = rng.choice(["All done.", "", " ", "call:submit{}", "Fixed it:\n```py\nx=1\n```"])
    elif kind == 4:
        body = "".join(rng.choice(ALPHABET + SPECIAL) for _ in range(rng.randrange(40)))
    else:
        body = rng.randbytes(rng.randrange(30)).decode("utf-8", rng.choice(["replace", "surrogateescape"]))
    return body + rng.choice([START_FUNCTION_RESPONSE, START_FUNCTION_RESPONSE, "<end_of_turn>", "<eos>", ""])


def test_parse_output_never_raises():
    rng = random.Random(1234)
    for _ in range(6000):
        text = rand_output(rng)
        parsed = parse_output(text)
        assert isinstance(parsed, Parsed) and isinstance(parsed.text, str)
        assert all(isinstance(c, FunctionCall) and isinstance(c.arguments, dict) for c in parsed.calls)
        assert all(isinstance(e, ParseError) and 0 <= e.position <= len(text) for e in parsed.errors)


def test_valid_calls_parse_back():
    rng = random.Random(99)
    for _ in range(1000):
        name = rng.choice(NAMES)
        args = rand_args(rng, name)
        parsed = parse_output(f"<start_function_call>call:{name}{fmt(args)}<end_function_call>")
        assert parsed.errors == () and parsed.calls == (FunctionCall(name, args),)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz-agent")
    raw = {
        "system_prompt": TRIGGER,
        "context_template": "Work on {{ path }}:\n{{ code }}",
        "tools": [t.__name__ for t in TOOLS],
        "terminal_tool": "submit",
        "max_turns": 5,
        "max_retries": 2,
        "tool_timeout_s": 2,
    }
    (tmp / "agent.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_agent("lint", path=tmp / "agent.yaml", tools=TOOLS)


@pytest.mark.parametrize("seed", range(4))
def test_loop_survives_random_outputs(spec, tmp_path, seed):
    rng = random.Random(seed)
    user_file = tmp_path / "t.py"
    original = "def f():\n    return 1\n"
    transcript = tmp_path / "fuzz.jsonl"
    results = []
    runs = 200
    host = tool_host(spec)  # one tool process for all runs, as a folder run has
    for _ in range(runs):
        user_file.write_text(original, encoding="utf-8")
        model = FakeModel([rand_output(rng) for _ in range(spec.max_turns)])
        apply = rng.random() < 0.5
        result = run_agent(spec, model, user_file, apply=apply, transcript=transcript, host=host)
        assert result.status in STATUSES and result.reason
        assert result.turns == len(result.steps) == len(model.prompts) <= spec.max_turns
        for a, b in pairwise(model.prompts):  # every prompt extends the previous one's turn
            assert b.startswith(a[: a.rindex("<start_of_turn>")])
        render(result.messages, spec.schemas)
        if user_file.read_text(encoding="utf-8") != original:
            assert apply and result.status == "success" and result.applied
        results.append(result)
    host.__exit__()
    lines = transcript.read_text(encoding="utf-8").splitlines()
    assert len(lines) == runs
    for line, result in zip(lines, results, strict=True):
        row = json.loads(line)
        assert row["meta"]["status"] == result.status and row["meta"]["turns"] == result.turns
        if any(m["role"] == "assistant" for m in row["messages"]):
            check_example(row)
        else:  # only possible when the model never wrote anything
            assert all(s.raw in ("", *STOP_TOKENS) for s in result.steps)
    assert {r.status for r in results} == set(STATUSES)
