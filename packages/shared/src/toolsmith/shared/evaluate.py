"""One evaluator for every domain: next-call match, end-to-end runs, the untuned base and the no-model baseline.

On the eval split (code never seen in training):

* next call (teacher forcing): the model gets every gold prefix and writes the next call; exact match of name and
  arguments, tool-name accuracy and parse rate, per tool. Mistakes in recovery examples (``"weight": 0``) are part
  of the prefixes, never gold.
* end to end: the agent runs from the GGUF on each eval case's project and the domain's ``check_episode``
  judges what it left; the domain's numeric checks are averaged.
* the untuned base, the same way;
* the baseline without a model (``toolsmith.<domain>.baseline``, what a user would run instead) on the same
  cases, judged by the same checks (its submission is not judged: it submits nothing).

An eval row's ``meta`` names its case: ``files`` (relative path -> text), ``target`` and ``symbol``; a one-file
case may give ``filename`` and ``original`` instead.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsmith.shared.chat import render
from toolsmith.shared.episode import Episode, materialize
from toolsmith.shared.parse import parse_output

log = logging.getLogger(__name__)

_CACHE_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", ".mypy_cache"}


def argument_names(value: Any) -> Any:
    """The names in a call's arguments, without the values: the keys of every object, nested ones included
    (``{"args": {"x": "..."}}`` -> ``{"args": {"x": None}}``); lists keep their objects' names in order."""
    if isinstance(value, dict):
        return {k: argument_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [argument_names(v) for v in value if isinstance(v, dict | list)]
    return None


@dataclass
class NextCallStats:
    """Teacher-forced next-call accuracy over every supervised call in the eval split."""

    steps: int = 0
    parsed: int = 0
    name_ok: int = 0
    names_ok: int = 0
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
        self.names_ok += got is not None and got.name == name and argument_names(got.arguments) == argument_names(args)
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
            "argument_names_accuracy": self.names_ok / n,
            "exact_match": self.exact / n,
            "per_tool": {
                k: {"steps": v[0], "exact_match": v[1] / max(v[0], 1)} for k, v in sorted(self.per_tool.items())
            },
            "misses": self.misses,
        }


def gold_calls(row: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(message index, first call) for every supervised assistant message with calls."""
    out = []
    for i, m in enumerate(row["messages"]):
        if m.get("role") in ("assistant", "model") and m.get("tool_calls") and m.get("weight", 1) != 0:
            fn = m["tool_calls"][0].get("function", m["tool_calls"][0])
            out.append((i, {"name": fn["name"], "arguments": fn["arguments"]}))
    return out


def _bar(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False)


def next_call_eval(
    model: Any, rows: list[dict[str, Any]], max_tokens: int = 128, desc: str = "next call", grammar: bool = False
) -> NextCallStats:
    """Give the model every gold prefix and compare its next call with the gold one.

    With ``grammar``, every output is constrained to one call to the row's tools (``model.call_grammar``).
    """
    stats = NextCallStats()
    todo = [(row, i, gold) for row in rows for i, gold in gold_calls(row)]
    with _bar(len(todo), desc) as bar:
        for row, i, gold in todo:
            prompt = render(row["messages"][:i], row["tools"], add_generation_prompt=True)
            constraint = model.call_grammar(row["tools"]) if grammar else None
            stats.add(gold, model.generate(prompt, max_tokens=max_tokens, grammar=constraint).text)
            bar.update(1)
    return stats


def case_of(meta: dict[str, Any], n: int = 0) -> tuple[dict[str, str], str, str | None]:
    """(files, target, symbol) of an eval row's case."""
    if "files" in meta and "target" in meta:
        return dict(meta["files"]), meta["target"], meta.get("symbol")
    if "original" in meta:
        name = meta.get("filename", "target.py")
        return {name: meta["original"]}, name, meta.get("symbol")
    raise ValueError(f"eval row {n}: expected meta.files and meta.target (or meta.original), got {sorted(meta)}")


def _snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for here, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _CACHE_DIRS]
        for name in names:
            if name == ".coverage":
                continue
            path = Path(here) / name
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def episode_after(root: Path, files: dict[str, str], target: str, symbol: str | None, **kwargs: Any) -> Episode:
    """The episode in ``root`` (holding ``files`` as they were, changed since): ``before`` lists every change."""
    now = _snapshot(root)
    before: dict[str, str | None] = {target: files[target]}
    for rel, data in now.items():
        old = files.get(rel)
        if old is None or old.encode("utf-8") != data:
            before[rel] = old
    return Episode(root=root, target=target, symbol=symbol, before=before, **kwargs)


def _numbers(verdicts: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """What the checks measured: ``rates`` (share of runs where a bool check held) and ``means`` (of numbers)."""
    rates: dict[str, list[float]] = defaultdict(list)
    means: dict[str, list[float]] = defaultdict(list)
    for v in verdicts:
        for k, x in v.items():
            if isinstance(x, bool):
                if k != "success":
                    rates[k].append(float(x))
            elif isinstance(x, int | float):
                means[k].append(float(x))
    return {
        "rates": {k: statistics.fmean(xs) for k, xs in sorted(rates.items())},
        "means": {k: statistics.fmean(xs) for k, xs in sorted(means.items())},
    }


def _summary(outcomes: list[dict[str, Any]], verdicts: list[dict[str, Any]], seconds: list[float]) -> dict[str, Any]:
    """What every end-to-end report holds: runs, success rate, the checks' rates and means, time, failures."""
    out = {
        "runs": len(outcomes),
        "success_rate": sum(o["success"] for o in outcomes) / max(len(outcomes), 1),
        "checks": _numbers(verdicts),
        "seconds_per_target": statistics.fmean(seconds) if seconds else None,
        "failures": [o for o in outcomes if not o["success"]][:20],
    }
    kinds = sorted({o["kind"] for o in outcomes if o.get("kind")})
    if len(kinds) > 1:  # the cases' ``meta.kind`` (a whole file or a snippet; a pydantic model or a dataclass...)
        out["by_kind"] = {
            k: {
                "runs": sum(o.get("kind") == k for o in outcomes),
                "success_rate": statistics.fmean(o["success"] for o in outcomes if o.get("kind") == k),
            }
            for k in kinds
        }
    return out


def turn_stats(steps: list[Any]) -> dict[str, Any]:
    """Per-turn numbers of the runner's steps: latency p50/p95, tokens written and prompt tokens evaluated (means),
    the share of turns whose output was a well-formed call to a declared tool, and the share that took the model's
    second choice instead of writing again what had just failed."""
    if not steps:
        return {"turns": 0, "turn_latency_p50_s": None, "turn_latency_p95_s": None}
    latencies = sorted(s.generation_s for s in steps)
    return {
        "turns": len(steps),
        "turn_latency_p50_s": statistics.median(latencies),
        "turn_latency_p95_s": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        "new_tokens_per_turn": statistics.fmean(s.new_tokens for s in steps),
        "evaluated_tokens_per_turn": statistics.fmean(s.evaluated_tokens for s in steps),
        "turn_call_rate": sum(bool(s.calls) for s in steps) / len(steps),
        "second_choice_rate": sum(s.second_choice for s in steps) / len(steps),
    }


def end_to_end_eval(
    spec: Any,
    model: Any,
    rows: list[dict[str, Any]],
    check_episode: Callable[[Episode], dict[str, Any]],
    reuse_cache: bool = True,
    desc: str = "end to end",
    transcript: Path | None = None,
) -> dict[str, Any]:
    """Run the agent on each row's case and judge it with the domain's check; each run's conversation is appended
    to ``transcript`` (default: a temporary file, gone with the runs)."""
    from toolsmith.shared.runner import Target, run_agent, tool_host

    outcomes, verdicts, steps, statuses, seconds = [], [], [], Counter(), []
    with (
        tempfile.TemporaryDirectory(prefix="toolsmith-eval-") as tmp,
        _bar(len(rows), desc) as bar,
        tool_host(spec) as host,
    ):
        for n, row in enumerate(rows):
            files, target, symbol = case_of(row.get("meta") or {}, n)
            project = Path(tmp) / str(n) / "project"
            materialize(project, files)
            t0 = time.perf_counter()
            result = run_agent(
                spec,
                model,
                Target(project / target, symbol),
                reuse_cache=reuse_cache,
                transcript=transcript or Path(tmp) / "runs.jsonl",
                project=project,
                host=host,
            )
            seconds.append(time.perf_counter() - t0)
            judged = Path(tmp) / str(n) / "judged"
            materialize(judged, {**files, **result.changes})
            meta = row.get("meta") or {}
            verdict = check_episode(episode_after(judged, files, target, symbol, submitted=result.submitted, meta=meta))
            ok = bool(verdict["success"]) and result.status == "success"
            statuses[result.status] += 1
            verdicts.append(verdict)
            steps += result.steps
            outcomes.append(
                {
                    "source": meta.get("source"),
                    "kind": meta.get("kind"),
                    "status": result.status,
                    "success": ok,
                    "reason": verdict.get("reason") or result.reason,
                    "turns": result.turns,
                }
            )
            bar.update(1)
    return {
        **_summary(outcomes, verdicts, seconds),
        "statuses": dict(statuses),
        **turn_stats(steps),
    }


def baseline_eval(
    baseline: Callable[[Path, str, str | None], None],
    rows: list[dict[str, Any]],
    check_episode: Callable[[Episode], dict[str, Any]],
) -> dict[str, Any]:
    """Run the domain's no-model baseline on each row's case and judge it (submission not judged)."""
    outcomes, verdicts, seconds = [], [], []
    with tempfile.TemporaryDirectory(prefix="toolsmith-baseline-") as tmp, _bar(len(rows), "baseline") as bar:
        for n, row in enumerate(rows):
            files, target, symbol = case_of(row.get("meta") or {}, n)
            root = Path(tmp) / str(n)
            materialize(root, files)
            t0 = time.perf_counter()
            try:
                baseline(root, target, symbol)
                error = None
            except Exception as e:  # noqa: BLE001 - a baseline that fails on a case is a failed case
                error = f"baseline failed: {type(e).__name__}: {e}"
            seconds.append(time.perf_counter() - t0)
            meta = row.get("meta") or {}
            verdict = check_episode(
                episode_after(root, files, target, symbol, submitted=None, judge_submission=False, meta=meta)
            )
            if error:
                verdict = {**verdict, "success": False, "reason": error}
            verdicts.append(verdict)
            outcomes.append(
                {
                    "source": meta.get("source"),
                    "kind": meta.get("kind"),
                    "success": bool(verdict["success"]),
                    "reason": verdict.get("reason", ""),
                }
            )
            bar.update(1)
    return _summary(outcomes, verdicts, seconds)


def base_gguf(base_dir: Path) -> Path:
    """A Q8_0 GGUF of the untuned base, converted once and cached beside it."""
    from toolsmith.shared.export import convert_to_gguf

    out = base_dir.parent / f"{base_dir.name}-q8_0.gguf"
    if not out.is_file():
        convert_to_gguf(base_dir, out)
    return out


def evaluate_model(
    domain: str,
    model_path: Path,
    rows: list[dict[str, Any]],
    e2e_rows: list[dict[str, Any]],
    latency_runs: int = 0,
    label: str = "tuned",
    runs: Path | None = None,
) -> dict[str, Any]:
    """Both evaluations for one GGUF; the end-to-end conversations are written to ``runs`` (replaced) if given."""
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.domain import load_domain
    from toolsmith.shared.llm import GGUFModel

    spec = load_agent(domain)
    module = load_domain(domain)
    model = GGUFModel(model_path, n_ctx=spec.n_ctx, jump_forward=spec.jump_forward)
    t0 = time.perf_counter()
    nxt = next_call_eval(
        model, rows, max_tokens=spec.max_tokens, desc=f"{label}: next call", grammar=spec.grammar
    ).to_json()  # constrained like the agent's own turns, where its agent.yaml says so
    t1 = time.perf_counter()
    if runs is not None:
        runs.unlink(missing_ok=True)
    e2e = end_to_end_eval(spec, model, e2e_rows, module.check_episode, desc=f"{label}: end to end", transcript=runs)
    t2 = time.perf_counter()
    report = {
        "model": str(model_path),
        "next_call": nxt,
        "end_to_end": e2e,
        "transcripts": str(runs) if runs is not None else None,
        "seconds": {"next_call": round(t1 - t0, 1), "end_to_end": round(t2 - t1, 1)},
    }
    if latency_runs:
        subset = e2e_rows[:latency_runs]
        cold = end_to_end_eval(
            spec, model, subset, module.check_episode, reuse_cache=False, desc="latency: no KV reuse"
        )
        warm = end_to_end_eval(spec, model, subset, module.check_episode, reuse_cache=True, desc="latency: KV reuse")
        report["latency"] = {
            "runs": len(subset),
            "p50_with_kv_reuse_s": warm["turn_latency_p50_s"],
            "p50_without_kv_reuse_s": cold["turn_latency_p50_s"],
        }
    return report


def _fmt(v: Any, percent: bool) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and percent:
        return f"{v:.1%}"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def results_table(report: dict[str, Any]) -> list[str]:
    """The side-by-side table: untuned base, tuned, and the no-model baseline."""
    base, tuned, none = report.get("base"), report["tuned"], report.get("baseline")
    cols = [("untuned base", base), ("tuned", tuned), (f"no model: {report.get('baseline_name', 'baseline')}", none)]

    def row(name: str, get: Callable[[dict[str, Any]], Any], percent: bool = True) -> str:
        cells = []
        for _, r in cols:
            try:
                cells.append(_fmt(get(r), percent) if r is not None else "—")
            except (KeyError, TypeError):
                cells.append("—")
        return f"| {name} | " + " | ".join(cells) + " |"

    lines = ["| metric | " + " | ".join(c for c, _ in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [
        row("next-call exact match (teacher forcing)", lambda r: r["next_call"]["exact_match"]),
        row("next-call tool-name accuracy", lambda r: r["next_call"]["name_accuracy"]),
        row("next-call tool and argument names", lambda r: r["next_call"]["argument_names_accuracy"]),
        row("parse rate", lambda r: r["next_call"]["parse_rate"]),
        row(
            "end-to-end success", lambda r: r["end_to_end"]["success_rate"] if "end_to_end" in r else r["success_rate"]
        ),
    ]

    def e2e(r: dict[str, Any]) -> dict[str, Any]:
        return r["end_to_end"] if "end_to_end" in r else r

    kinds = dict.fromkeys(k for _, r in cols if r is not None for k in e2e(r).get("by_kind", {}))
    lines += [row(f"end-to-end success: {k}", lambda r, k=k: e2e(r)["by_kind"][k]["success_rate"]) for k in kinds]

    def checks(r: dict[str, Any]) -> dict[str, Any]:
        return e2e(r)["checks"]

    for kind, percent in (("rates", True), ("means", False)):
        names = dict.fromkeys(k for _, r in cols if r is not None for k in checks(r)[kind])
        for k in names:
            lines.append(
                row(
                    f"check: {k}" + ("" if percent else " (mean)"),
                    lambda r, k=k, kind=kind: checks(r)[kind].get(k),
                    percent,
                )
            )
    lines += [
        row("seconds per target", lambda r: (r["end_to_end"] if "end_to_end" in r else r)["seconds_per_target"], False),
        row("teacher-forced steps", lambda r: r["next_call"]["steps"], False),
        row("end-to-end runs", lambda r: (r["end_to_end"] if "end_to_end" in r else r)["runs"], False),
        row("turn latency p50 (s)", lambda r: r["end_to_end"]["turn_latency_p50_s"], False),
    ]
    return lines


def markdown_report(domain: str, report: dict[str, Any]) -> str:
    """The side-by-side Markdown report."""
    tuned = report["tuned"]
    lines = [f"# {domain} agent evaluation", "", f"Reproduce: `{report['command']}`", ""]
    lines += results_table(report)
    lines += ["", "## Per tool (tuned, next-call exact match)", "", "| tool | steps | exact |", "|---|---|---|"]
    for name, v in tuned["next_call"]["per_tool"].items():
        lines.append(f"| {name} | {v['steps']} | {v['exact_match']:.1%} |")
    if "latency" in tuned:
        lat = tuned["latency"]
        lines += [
            "",
            f"Turn latency p50 over {lat['runs']} runs: {_fmt(lat['p50_with_kv_reuse_s'], False)} s with KV-prefix "
            f"reuse, {_fmt(lat['p50_without_kv_reuse_s'], False)} s without.",
        ]
    lines += ["", "## First failures (tuned)", ""]
    if tuned.get("transcripts"):
        lines += [f"Every run's conversation: `{tuned['transcripts']}`.", ""]
    lines += [f"- {f['source']}: {f['status']} — {f['reason']}" for f in tuned["end_to_end"]["failures"][:10]]
    if report.get("baseline"):
        lines += ["", f"## First failures ({report['baseline_name']})", ""]
        lines += [f"- {f['source']}: {f['reason']}" for f in report["baseline"]["failures"][:10]]
    return "\n".join(lines) + "\n"


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
    base_limit: int = 0,
) -> dict[str, Any]:
    """``make eval-<domain>``: tuned, untuned base and the no-model baseline on the eval split.

    Args:
        domain: Domain name.
        model_path: The GGUF (default: the agent's model).
        limit: Eval examples for next-call matching (0 = all).
        e2e_limit: Cases for end-to-end runs (0 = all).
        with_base: Also evaluate the untuned base (a Q8_0 GGUF of it, converted once).
        latency_runs: Runs timed with and without KV-prefix reuse (0 = skip).
        command: The command line, for the report.
        base_limit: At most this many of the next-call examples and end-to-end cases for the untuned base (0 = as
            many as the tuned model gets): the base writes ``max_tokens`` of text at every turn, which is slow.
    """
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.base import base_path, resolve_base
    from toolsmith.shared.constants import CARD_NAME, EVAL_FILE, RUNS_NAME
    from toolsmith.shared.data import load_examples
    from toolsmith.shared.domain import data_dir, load_domain

    spec = load_agent(domain)
    module = load_domain(domain)
    model_path = Path(model_path) if model_path else spec.model
    if not model_path.is_file():
        raise FileNotFoundError(f"expected a GGUF at {model_path}, train it with `make train-{domain}`")
    rows = load_examples(data_dir(domain) / EVAL_FILE)
    nxt_rows = rows[:limit] if limit else rows
    e2e_rows = rows[:e2e_limit] if e2e_limit else rows
    log.info("evaluating %s: %d next-call examples, %d end-to-end cases", model_path.name, len(nxt_rows), len(e2e_rows))

    def runs(label: str) -> Path:  # the end-to-end conversations, beside the report: read the failures there
        return model_path.parent / RUNS_NAME.format(domain=domain, label=label)

    tuned = evaluate_model(domain, model_path, nxt_rows, e2e_rows, latency_runs=latency_runs, runs=runs("tuned"))
    base = None
    if with_base:
        cut = slice(0, base_limit or None)
        base_model = base_gguf(base_path(resolve_base()))
        base = evaluate_model(domain, base_model, nxt_rows[cut], e2e_rows[cut], label="base", runs=runs("base"))
    report = {
        "domain": domain,
        "command": command,
        "tuned": tuned,
        "base": base,
        "baseline_name": module.BASELINE,
        "baseline": baseline_eval(module.baseline, e2e_rows, module.check_episode),
    }
    md = markdown_report(domain, report)
    js_path, md_path = write_reports(model_path.parent, domain, report, md)
    add_to_card(model_path.parent / CARD_NAME.format(domain=domain), md)
    report["paths"] = {"json": str(js_path), "markdown": str(md_path)}
    return report


def results_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """``docs/results.md``: one table per evaluated domain."""
    lines = [
        "# Results",
        "",
        "Every table is written by `make eval-all` (or `make eval-<domain>`) on this machine.",
        "",
    ]
    for domain, report in reports.items():
        lines += [f"## {domain}", "", f"Reproduce: `{report['command']}`", ""]
        lines += results_table(report) + [""]
    return "\n".join(lines)


def write_results(reports_dir: Path, out: Path, domains: tuple[str, ...]) -> Path:
    """Gather every ``agents/<domain>/models/<domain>_eval.json`` into ``out`` (Markdown)."""
    from toolsmith.shared.io import atomic_write_text

    reports = {}
    for d in domains:
        js = reports_dir / d / "models" / f"{d}_eval.json"
        if js.is_file():
            reports[d] = json.loads(js.read_text(encoding="utf-8"))
    atomic_write_text(out, results_markdown(reports))
    return out


def add_to_card(card: Path, markdown: str) -> None:
    """Put (or replace) the evaluation section of a model card."""
    from toolsmith.shared.io import atomic_write_text

    if not card.is_file():
        return
    marker = "\n## Evaluation\n"
    text = card.read_text(encoding="utf-8").split(marker)[0].rstrip("\n")
    atomic_write_text(card, text + "\n" + marker + "\n" + markdown.split("\n", 2)[2])
