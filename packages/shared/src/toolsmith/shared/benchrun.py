"""``make bench-run``: agent turn latency per domain, each lever on and off, on the same held-out cases and GGUF.

Levers: KV-prefix reuse (the shared prompt prefix is not evaluated again each turn), the call grammar
(:mod:`toolsmith.shared.grammar`), jump-forward decoding under it (what the grammar leaves no choice about is
appended without a decoding step: :func:`toolsmith.shared.grammar.forced_text`) and the thread count. Each
configuration runs the agent end to end on the same eval cases, one tool host for all runs, so the rows of one
table differ only by the lever. A second table gives the grammar's effect on the calls themselves: next-call parse
rate and accuracy of the tuned GGUF and the untuned base, with and without it (:func:`calls_domain`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

log = logging.getLogger(__name__)

# name -> (KV-prefix reuse, grammar, jump-forward, threads)
CONFIGS: dict[str, tuple[bool, bool, bool, int]] = {
    "no KV reuse": (False, False, False, 2),
    "KV reuse": (True, False, False, 2),
    "KV reuse + grammar": (True, True, False, 2),
    "KV reuse + grammar + jump-forward": (True, True, True, 2),
    "KV reuse, 1 thread": (True, False, False, 1),
}


def bench_domain(domain: str, runs: int) -> dict[str, Any]:
    """Every configuration on the first ``runs`` eval cases of ``domain``."""
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.constants import EVAL_FILE
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.domain import data_dir, load_domain
    from toolsmith.shared.evaluate import end_to_end_eval
    from toolsmith.shared.llm import GGUFModel

    spec = load_agent(domain)
    module = load_domain(domain)
    if not spec.model.is_file():
        raise FileNotFoundError(f"expected a GGUF at {spec.model}, train it with `make train-{domain}`")
    rows = load_examples(data_dir(domain) / EVAL_FILE)[:runs]
    out: dict[str, Any] = {"domain": domain, "model": str(spec.model), "runs": len(rows), "configs": {}}
    models: dict[int, GGUFModel] = {}
    for name, (reuse, grammar, jump, threads) in CONFIGS.items():
        model = models.setdefault(threads, GGUFModel(spec.model, n_ctx=spec.n_ctx, n_threads=threads))
        model.jump_forward = jump
        report = end_to_end_eval(
            replace(spec, grammar=grammar),
            model,
            rows,
            module.check_episode,
            reuse_cache=reuse,
            desc=f"{domain}: {name}",
        )
        out["configs"][name] = {k: v for k, v in report.items() if k not in ("failures", "checks", "statuses")}
    return out


def calls_domain(domain: str, examples: int) -> dict[str, Any]:
    """Next-call parse rate and accuracy of the tuned GGUF and the untuned base, each with and without the call
    grammar, on the first ``examples`` eval examples of ``domain`` (every gold prefix of each)."""
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.base import base_path, resolve_base
    from toolsmith.shared.constants import EVAL_FILE
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.domain import data_dir
    from toolsmith.shared.evaluate import base_gguf, next_call_eval
    from toolsmith.shared.llm import GGUFModel

    spec = load_agent(domain)
    rows = load_examples(data_dir(domain) / EVAL_FILE)[:examples]
    out: dict[str, Any] = {"domain": domain, "examples": len(rows), "models": {}}
    for label, path in (("tuned", spec.model), ("base", base_gguf(base_path(resolve_base())))):
        model = GGUFModel(path, n_ctx=spec.n_ctx)
        for grammar in (False, True):
            name = f"{label}, {'grammar' if grammar else 'no grammar'}"
            stats = next_call_eval(model, rows, spec.max_tokens, f"{domain}: {name}", grammar=grammar).to_json()
            out["models"][name] = {k: v for k, v in stats.items() if k not in ("misses", "per_tool")}
    return out


def merge_report(
    last: dict[str, Any] | None, command: str, results: list[dict], calls: list[dict], order: list[str]
) -> dict[str, Any]:
    """This run's report merged with the last one (``docs/bench-run.json``): each domain's rows come from the last
    command that measured it, named in each row (``command``), so benching one domain keeps the others' rows.

    A report from before rows named their command (one ``command`` for all) is read as such.
    """

    def rows(key: str, new: list[dict]) -> list[dict]:
        old = [] if last is None else [{"command": last.get("command"), **r} for r in last.get(key, [])]
        ran = {r["domain"] for r in new}
        out = [r for r in old if r["domain"] not in ran] + [{**r, "command": command} for r in new]
        return sorted(out, key=lambda r: order.index(r["domain"]) if r["domain"] in order else len(order))

    return {"results": rows("results", results), "calls": rows("calls", calls)}


def commands(report: dict[str, Any]) -> str:
    """The commands behind a merged report's rows, each with its domains: ```make bench-run ...` (lint, test)``."""
    domains: dict[str, list[str]] = {}
    for r in report["results"] + report["calls"]:
        names = domains.setdefault(r["command"], [])
        if r["domain"] not in names:
            names.append(r["domain"])
    return "; ".join(f"`{command}` ({', '.join(names)})" for command, names in domains.items())


def calls_table(results: list[dict[str, Any]]) -> str:
    """The Markdown table of :func:`calls_domain` results."""
    lines = [
        "| domain | model | next-call steps | parse rate | tool name | tool and argument names | exact match |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for name, c in r["models"].items():
            lines.append(
                f"| {r['domain']} | {name} | {c['steps']} | {c['parse_rate']:.1%} | {c['name_accuracy']:.1%} | "
                f"{c['argument_names_accuracy']:.1%} | {c['exact_match']:.1%} |"
            )
    return "\n".join(lines)


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown table of :func:`bench_domain` results, with the ratio of each p50 to the KV-reuse one."""
    lines = [
        "| domain | configuration | turn p50 (s) | p95 (s) | vs KV reuse | tokens written / turn | prompt tokens "
        "evaluated / turn | well-formed call turns | end-to-end success |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ref = r["configs"]["KV reuse"]["turn_latency_p50_s"]
        for name, c in r["configs"].items():
            ratio = c["turn_latency_p50_s"] / ref if ref and c["turn_latency_p50_s"] else None
            lines.append(
                f"| {r['domain']} | {name} | {c['turn_latency_p50_s']:.3f} | {c['turn_latency_p95_s']:.3f} | "
                f"{'' if ratio is None else f'{ratio:.2f}x'} | {c['new_tokens_per_turn']:.1f} | "
                f"{c['evaluated_tokens_per_turn']:.0f} | {c['turn_call_rate']:.1%} | {c['success_rate']:.1%} |"
            )
    return "\n".join(lines)
