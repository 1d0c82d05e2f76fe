"""Shared evaluation: next-call exact match (teacher forcing) and end-to-end agent runs, tuned vs base.

A domain supplies ``check_episode(original_code, final_code, submitted, *, symbol, filename) -> dict``
with at least ``success`` and ``reason``; everything else is here.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.shared.chat import render
from toolsmith.shared.parse import parse_output

log = logging.getLogger(__name__)


@dataclass
class NextCallStats:
    """Teacher-forced next-call accuracy over every model call in the eval split."""

    steps: int = 0
    parsed: int = 0
    name_ok: int = 0
    exact: int = 0
    per_tool: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[dict[str, Any]] = field(default_factory=list)

    def add(self, gold: dict[str, Any], text: str) -> None:
        parsed = parse_output(text)
        got = parsed.calls[0] if parsed.calls else None
        name, args = gold["name"], gold["arguments"]
        self.steps += 1
        self.parsed += bool(parsed.calls) and not parsed.errors
        self.name_ok += got is not None and got.name == name
        hit = got is not None and got.name == name and got.arguments == args
        self.exact += hit
        self.per_tool[name][0] += 1
        self.per_tool[name][1] += hit
        if not hit and len(self.misses) < 20:
            self.misses.append({"expected": gold, "got": text[:300]})

    def to_json(self) -> dict[str, Any]:
        n = max(self.steps, 1)
        return {
            "steps": self.steps,
            "parse_rate": self.parsed / n,
            "name_accuracy": self.name_ok / n,
            "exact_match": self.exact / n,
            "per_tool": {
                k: {"steps": v[0], "exact_match": v[1] / max(v[0], 1)} for k, v in sorted(self.per_tool.items())
            },
            "misses": self.misses,
        }


def gold_calls(row: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(message index, first call) for every assistant message with calls."""
    out = []
    for i, m in enumerate(row["messages"]):
        if m.get("role") in ("assistant", "model") and m.get("tool_calls"):
            fn = m["tool_calls"][0].get("function", m["tool_calls"][0])
            out.append((i, {"name": fn["name"], "arguments": fn["arguments"]}))
    return out


def next_call_eval(model: Any, rows: list[dict[str, Any]], max_tokens: int = 128) -> NextCallStats:
    """Give the model every gold prefix and compare its next call with the gold one."""
    stats = NextCallStats()
    for row in rows:
        for i, gold in gold_calls(row):
            prompt = render(row["messages"][:i], row["tools"], add_generation_prompt=True)
            stats.add(gold, model.generate(prompt, max_tokens=max_tokens).text)
    return stats


def end_to_end_eval(
    spec: Any,
    model: Any,
    rows: list[dict[str, Any]],
    check_episode: Callable[..., dict[str, Any]],
    reuse_cache: bool = True,
) -> dict[str, Any]:
    """Run the agent on each row's original file (``meta.original``) and judge it with the domain's check."""
    from toolsmith.shared.runner import Target, run_agent

    outcomes, latencies, statuses = [], [], Counter()
    checks: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="toolsmith-eval-") as tmp:
        for n, row in enumerate(rows):
            meta = row.get("meta") or {}
            if "original" not in meta:
                raise ValueError(f"eval row {n}: expected meta.original (the file to run on), got {sorted(meta)}")
            path = Path(tmp) / str(n) / meta.get("filename", "target.py")
            path.parent.mkdir(parents=True)
            path.write_text(meta["original"], encoding="utf-8")
            symbol = meta.get("symbol")
            target = Target(path, symbol)
            result = run_agent(spec, model, target, reuse_cache=reuse_cache, transcript=Path(tmp) / "runs.jsonl")
            final = result.final_text if result.final_text is not None else meta["original"]
            verdict = check_episode(meta["original"], final, result.submitted, symbol=symbol, filename=path.name)
            ok = bool(verdict["success"]) and result.status == "success"
            statuses[result.status] += 1
            for k, v in verdict.items():
                if isinstance(v, bool):
                    checks[k] += v
            latencies += [s.generation_s for s in result.steps]
            outcomes.append(
                {
                    "source": meta.get("source"),
                    "status": result.status,
                    "success": ok,
                    "reason": verdict.get("reason") or result.reason,
                    "turns": result.turns,
                }
            )
    n = max(len(rows), 1)
    return {
        "runs": len(rows),
        "success_rate": sum(o["success"] for o in outcomes) / n,
        "checks": {k: v / n for k, v in sorted(checks.items())},
        "statuses": dict(statuses),
        "turn_latency_p50_s": statistics.median(latencies) if latencies else None,
        "turns": len(latencies),
        "failures": [o for o in outcomes if not o["success"]][:20],
    }


def base_gguf(base_dir: Path) -> Path:
    """A Q8_0 GGUF of the untuned base, converted once and cached beside it."""
    from toolsmith.shared.export import convert_to_gguf

    out = base_dir.parent / f"{base_dir.name}-q8_0.gguf"
    if not out.is_file():
        convert_to_gguf(base_dir, out)
    return out


def evaluate_model(
    domain: str, model_path: Path, rows: list[dict[str, Any]], e2e_rows: list[dict[str, Any]], latency_runs: int = 0
) -> dict[str, Any]:
    """Both evaluations for one GGUF."""
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.domain import load_domain
    from toolsmith.shared.llm import GGUFModel

    spec = load_agent(domain)
    module = load_domain(domain)
    model = GGUFModel(model_path, n_ctx=spec.n_ctx)
    t0 = time.perf_counter()
    nxt = next_call_eval(model, rows).to_json()
    t1 = time.perf_counter()
    e2e = end_to_end_eval(spec, model, e2e_rows, module.check_episode)
    t2 = time.perf_counter()
    report = {
        "model": str(model_path),
        "next_call": nxt,
        "end_to_end": e2e,
        "seconds": {"next_call": round(t1 - t0, 1), "end_to_end": round(t2 - t1, 1)},
    }
    if latency_runs:
        cold = end_to_end_eval(spec, model, e2e_rows[:latency_runs], module.check_episode, reuse_cache=False)
        warm = end_to_end_eval(spec, model, e2e_rows[:latency_runs], module.check_episode, reuse_cache=True)
        report["latency"] = {
            "runs": min(latency_runs, len(e2e_rows)),
            "p50_with_kv_reuse_s": warm["turn_latency_p50_s"],
            "p50_without_kv_reuse_s": cold["turn_latency_p50_s"],
        }
    return report


def markdown_report(domain: str, tuned: dict[str, Any], base: dict[str, Any] | None, command: str) -> str:
    """The side-by-side Markdown report."""

    def row(name: str, get: Callable[[dict[str, Any]], Any], percent: bool = True) -> str:
        def fmt(r: dict[str, Any] | None) -> str:
            v = None if r is None else get(r)
            if v is None:
                return "—"
            return f"{v:.1%}" if percent else f"{v}"

        return f"| {name} | {fmt(base)} | {fmt(tuned)} |"

    lines = [
        f"# {domain} agent evaluation",
        "",
        f"Reproduce: `{command}`",
        "",
        "| metric | untuned base | tuned |",
        "|---|---|---|",
        row("next-call exact match (teacher forcing)", lambda r: r["next_call"]["exact_match"]),
        row("next-call tool-name accuracy", lambda r: r["next_call"]["name_accuracy"]),
        row("parse rate", lambda r: r["next_call"]["parse_rate"]),
        row("end-to-end success", lambda r: r["end_to_end"]["success_rate"]),
        row("teacher-forced steps", lambda r: r["next_call"]["steps"], percent=False),
        row("end-to-end runs", lambda r: r["end_to_end"]["runs"], percent=False),
        row("turn latency p50 (s)", lambda r: _round(r["end_to_end"]["turn_latency_p50_s"]), percent=False),
        "",
    ]
    lines += ["## Per tool (tuned, next-call exact match)", "", "| tool | steps | exact |", "|---|---|---|"]
    for name, v in tuned["next_call"]["per_tool"].items():
        lines.append(f"| {name} | {v['steps']} | {v['exact_match']:.1%} |")
    if "latency" in tuned:
        lat = tuned["latency"]
        lines += [
            "",
            f"Turn latency p50 over {lat['runs']} runs: {_round(lat['p50_with_kv_reuse_s'])} s with KV-prefix "
            f"reuse, {_round(lat['p50_without_kv_reuse_s'])} s without.",
        ]
    lines += ["", "## End-to-end checks (tuned)", ""]
    lines += [f"- {k}: {v:.1%}" for k, v in tuned["end_to_end"]["checks"].items()]
    lines += ["", "## First failures (tuned)", ""]
    lines += [f"- {f['source']}: {f['status']} — {f['reason']}" for f in tuned["end_to_end"]["failures"][:10]]
    return "\n".join(lines) + "\n"


def _round(v: Any) -> Any:
    return round(v, 3) if isinstance(v, float) else v


def write_reports(folder: Path, domain: str, report: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """Write ``<domain>_eval.json`` and ``<domain>_eval.md`` next to the model, atomically."""
    from toolsmith.shared.io import atomic_write_text

    js, md = folder / f"{domain}_eval.json", folder / f"{domain}_eval.md"
    atomic_write_text(js, json.dumps(report, indent=2, default=str))
    atomic_write_text(md, markdown)
    return js, md


def evaluate_domain(
    domain: str,
    model_path: Path | None = None,
    limit: int = 0,
    e2e_limit: int = 0,
    with_base: bool = True,
    latency_runs: int = 5,
    command: str = "",
) -> dict[str, Any]:
    """``make eval-<domain>``: tuned (and untuned base) on the eval split; reports beside the model.

    Args:
        domain: Domain name.
        model_path: The GGUF (default: the agent's model).
        limit: Eval examples for next-call matching (0 = all).
        e2e_limit: Files for end-to-end runs (0 = all).
        with_base: Also evaluate the untuned base (a Q8_0 GGUF of it, converted once).
        latency_runs: Runs timed with and without KV-prefix reuse (0 = skip).
        command: The command line, for the report.
    """
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.base import base_path, resolve_base
    from toolsmith.shared.constants import CARD_NAME, EVAL_FILE
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.domain import data_dir

    spec = load_agent(domain)
    model_path = Path(model_path) if model_path else spec.model
    if not model_path.is_file():
        raise FileNotFoundError(f"expected a GGUF at {model_path}, train it with `make train-{domain}`")
    rows = load_examples(data_dir(domain) / EVAL_FILE)
    nxt_rows = rows[:limit] if limit else rows
    e2e_rows = rows[:e2e_limit] if e2e_limit else rows
    log.info("evaluating %s: %d next-call examples, %d end-to-end files", model_path.name, len(nxt_rows), len(e2e_rows))
    tuned = evaluate_model(domain, model_path, nxt_rows, e2e_rows, latency_runs=latency_runs)
    base = None
    if with_base:
        base = evaluate_model(domain, base_gguf(base_path(resolve_base())), nxt_rows, e2e_rows)
    report = {"domain": domain, "command": command, "tuned": tuned, "base": base}
    md = markdown_report(domain, tuned, base, command)
    js_path, md_path = write_reports(model_path.parent, domain, report, md)
    add_to_card(model_path.parent / CARD_NAME.format(domain=domain), md)
    report["paths"] = {"json": str(js_path), "markdown": str(md_path)}
    return report


def add_to_card(card: Path, markdown: str) -> None:
    """Put (or replace) the evaluation section of a model card."""
    from toolsmith.shared.io import atomic_write_text

    if not card.is_file():
        return
    marker = "\n## Evaluation\n"
    text = card.read_text(encoding="utf-8").split(marker)[0].rstrip("\n")
    atomic_write_text(card, text + "\n" + marker + "\n" + markdown.split("\n", 2)[2])
