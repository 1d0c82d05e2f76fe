"""Training examples: HF ``{"messages": [...], "tools": [...]}`` JSONL, validated row by row.

An assistant message may carry ``"weight": 0`` (as in OpenAI's fine-tuning format): it is rendered like any
other but nothing in it is learned (e.g. the failed step of a recovery trajectory). No weight, or 1, is learned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toolsmith.shared.io import atomic_write_text

Example = dict[str, Any]
_ROLES = {"system", "developer", "user", "assistant", "model", "tool"}


class DataError(ValueError):
    """A bad training example; the message names the file and line."""


def check_example(row: Any) -> None:
    """Raise ``ValueError`` ("expected X, got Y") when ``row`` is not a valid example."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    messages, tools = row.get("messages"), row.get("tools", [])
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"expected 'messages' to be a non-empty list, got {messages!r:.80}")
    if not isinstance(tools, list):
        raise ValueError(f"expected 'tools' to be a list, got {type(tools).__name__}")
    names = set()
    for i, t in enumerate(tools):
        fn = t.get("function", t) if isinstance(t, dict) else None
        if (
            not isinstance(fn, dict)
            or not isinstance(fn.get("name"), str)
            or not isinstance(fn.get("parameters"), dict)
        ):
            raise ValueError(f"expected tools[{i}] to be a JSON schema with 'name' and 'parameters', got {t!r:.80}")
        names.add(fn["name"])
    learned = False
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        role = m.get("role") if isinstance(m, dict) else None
        if role not in _ROLES:
            raise ValueError(f"expected {where}.role in {sorted(_ROLES)}, got {role!r}")
        if role in ("system", "developer") and i != 0:
            raise ValueError(f"expected {where} ({role}) to be the first message, got it at position {i}")
        if "weight" in m:
            weight = m["weight"]
            if role not in ("assistant", "model"):
                raise ValueError(f"expected 'weight' only on assistant messages, got it on {where} ({role})")
            if type(weight) is not int or weight not in (0, 1):
                raise ValueError(f"expected {where}.weight to be 0 or 1, got {weight!r}")
        if role in ("assistant", "model"):
            learned = learned or m.get("weight", 1) == 1
            calls = m.get("tool_calls") or []
            if not isinstance(m.get("content") or "", str) or not isinstance(calls, list):
                raise ValueError(f"expected {where} to have string content and a tool_calls list, got {m!r:.80}")
            if not calls and not m.get("content"):
                raise ValueError(f"expected {where} to have content or tool_calls, got neither")
            for j, c in enumerate(calls):
                fn = c.get("function", c) if isinstance(c, dict) else {}
                if fn.get("name") not in names:
                    raise ValueError(
                        f"expected {where}.tool_calls[{j}] to call one of {sorted(names)}, got {fn.get('name')!r}"
                    )
                if not isinstance(fn.get("arguments"), dict):
                    raise ValueError(
                        f"expected {where}.tool_calls[{j}].arguments to be an object, got {fn.get('arguments')!r:.80}"
                    )
        elif role == "tool":
            prev = messages[i - 1].get("role") if i else None
            if prev not in ("assistant", "model", "tool"):
                raise ValueError(f"expected {where} (tool) to follow a call, got it after {prev!r}")
            if not isinstance(m.get("name"), str) or "content" not in m:
                raise ValueError(f"expected {where} to have 'name' and 'content', got {sorted(m)}")
        elif not isinstance(m.get("content"), str):
            raise ValueError(f"expected {where}.content to be a string, got {type(m.get('content')).__name__}")
    if not learned:
        raise ValueError("expected at least one supervised assistant message (no 'weight', or weight 1), got none")


def load_examples(path: Path) -> list[Example]:
    """Load and validate a JSONL file of examples.

    Raises:
        DataError: Naming ``path:line`` for the first bad row, or a missing/empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: expected a JSONL file of examples, got no such file")
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                check_example(row)
            except ValueError as e:  # json.JSONDecodeError is a ValueError
                raise DataError(f"{path}:{n}: {e}") from None
            rows.append(row)
    if not rows:
        raise DataError(f"{path}: expected at least one example, got an empty file")
    return rows


def write_examples(path: Path, examples: Iterable[Example]) -> int:
    """Validate and write examples as JSONL, atomically. Returns the count."""
    lines = []
    for i, ex in enumerate(examples):
        try:
            check_example(ex)
        except ValueError as e:
            raise DataError(f"{path}: example {i}: {e}") from None
        lines.append(json.dumps(ex, ensure_ascii=False, sort_keys=True))
    atomic_write_text(Path(path), "".join(line + "\n" for line in lines))
    return len(lines)
