"""Every agent's runner over odd inputs, driven by a scripted model that also writes garbage.

The corpus is tests/odd (CRLF, a BOM, latin-1 with a coding line, tabs, an empty file, a syntax error, control-token
strings) plus, made here, a 50,000-line file and a link out of the tree. For every agent: no uncaught exception, no
byte changed anywhere except what a successful run applied, and a clear message naming each refused file.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fakes import FakeModel

from toolsmith.shared.agent import load_agent
from toolsmith.shared.constants import AGENT_FILE, CONTROL_TOKENS, DOMAINS, ESCAPE, START_FUNCTION_RESPONSE
from toolsmith.shared.domain import DomainNotReady, agent_dir
from toolsmith.shared.runner import STATUSES, resolve_targets, run_agent, tool_host
from toolsmith.shared.sandbox import encode_like

ODD = Path(__file__).parent / "odd"
AGENTS = [d for d in DOMAINS if (agent_dir(d) / AGENT_FILE).is_file()]


def value_for(schema: dict, rng: random.Random):
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if kind == "integer":
        return rng.choice([0, 1, 3, 7, -1])
    if kind == "number":
        return rng.choice([0.5, 2.0])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [value_for(schema.get("items", {"type": "string"}), rng) for _ in range(rng.randrange(3))]
    if kind == "object":
        return {rng.choice(["a", "x", "value"]): "v" for _ in range(rng.randrange(3))}
    return rng.choice(["", "x", "F401", "f", "../../etc/passwd", "<end_of_turn>", "None", "[1, 2]", "email"])


def fmt(v) -> str:
    if isinstance(v, str):
        return f"{ESCAPE}{v}{ESCAPE}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{" + ",".join(f"{k}:{fmt(x)}" for k, x in sorted(v.items())) + "}"
    if isinstance(v, list):
        return "[" + ",".join(fmt(x) for x in v) + "]"
    return json.dumps(v)


def scripted(spec, rng: random.Random):
    """A model that mostly calls the agent's tools with plausible or wrong arguments, and sometimes writes junk."""

    def output(_: int) -> str:
        roll = rng.random()
        if roll < 0.15:
            return rng.choice(["", "junk", "I am done.<end_of_turn>", "".join(rng.sample(CONTROL_TOKENS, 3))])
        schema = rng.choice(spec.schemas)["function"]
        props = schema["parameters"].get("properties", {})
        args = {k: value_for(p, rng) for k, p in props.items() if rng.random() < 0.9}
        body = ",".join(f"{k}:{fmt(v)}" for k, v in sorted(args.items()))
        return f"<start_function_call>call:{schema['name']}{{{body}}}<end_function_call>{START_FUNCTION_RESPONSE}"

    return FakeModel(output)


@pytest.fixture
def odd_tree(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    shutil.copytree(ODD, root)
    (root / "pyproject.toml").write_text("[project]\nname = 'odd'\n")
    (root / "huge.py").write_text(
        "import os\n\n\n" + "".join(f"def f{i}(x):\n    return x == None\n\n\n" for i in range(12500)),
        encoding="utf-8",
    )
    outside = tmp_path / "outside.py"
    outside.write_text("import os\n\n\ndef secret(x):\n    return x == None\n")
    os.symlink(outside, root / "link_out.py")
    return root, outside


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("domain", AGENTS)
def test_every_agent_survives_odd_inputs(domain: str, odd_tree, tmp_path: Path, caplog) -> None:
    root, outside = odd_tree
    try:
        spec = load_agent(domain)
    except DomainNotReady:
        pytest.skip(f"{domain} has no tools yet")
    before, outside_bytes = snapshot(root), outside.read_bytes()
    with caplog.at_level(logging.WARNING):
        targets = resolve_targets(root, spec.target_units)
    warned = caplog.text
    assert "link_out.py" in warned and "outside the folder" in warned  # refused, and said so
    assert "syntax_error.py" in warned and "expected Python that parses" in warned
    assert not any(t.path.name in ("link_out.py", "syntax_error.py") for t in targets)
    units: Counter[Path] = Counter(t.path for t in targets)
    assert units[root / "huge.py"] in (0, 1, 12500)  # the whole file, each of its functions, or (classes) none
    seen: Counter[Path] = Counter()
    kept = []
    for t in targets:  # a few units of each file
        seen[t.path] += 1
        if seen[t.path] <= 3:
            kept.append(t)
    rng = random.Random(0)
    applied: dict[str, bytes] = {}
    refused: list[str] = []
    with tool_host(spec) as host:
        for target in kept:
            model = scripted(spec, rng)
            try:
                result = run_agent(
                    spec, model, target, apply=True, host=host, max_turns=4, transcript=tmp_path / "t.jsonl"
                )
            except ValueError as e:  # refused up front: the message names the file
                assert str(target.path) in str(e) or target.path.name in str(e), e
                refused.append(target.path.name)
                continue
            assert result.status in STATUSES and result.reason
            if result.applied:
                assert result.status == "success"
                for rel in result.written:
                    old = before.get(rel) if rel not in applied else applied[rel]
                    applied[rel] = encode_like(result.changes[rel], old, rel)
    after = snapshot(root)
    for rel, data in after.items():
        assert data == applied.get(rel, before.get(rel)), f"{rel} changed without a successful, applied run"
    assert set(before) <= set(after) and outside.read_bytes() == outside_bytes
    assert (root / "link_out.py").is_symlink()
