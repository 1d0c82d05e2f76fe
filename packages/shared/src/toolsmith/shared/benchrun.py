"""``make bench-run``: agent turn latency per domain, each lever on and off, on the same held-out cases and GGUF.

Levers: KV-prefix reuse (the shared prompt prefix is not evaluated again each turn), the call grammar
(:mod:`toolsmith.shared.grammar`) and the thread count. Each configuration runs the agent end to end on the same
eval cases, one tool host for all runs, so the rows of one table differ only by the lever.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

log = logging.getLogger(__name__)

# name -> (KV-prefix reuse, grammar, threads)
CONFIGS: dict[str, tuple[bool, bool, int]] = {
    "no KV reuse": (False, False, 2),
    "KV reuse": (True, False, 2),
    "KV reuse + grammar": (True, True, 2),
    "KV reuse, 1 thread": (True, False, 1),
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
    for name, (reuse, grammar, threads) in CONFIGS.items():
        model = models.setdefault(threads, GGUFModel(spec.model, n_ctx=spec.n_ctx, n_threads=threads))
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
