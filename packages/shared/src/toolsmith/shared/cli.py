"""The ``toolsmith`` command: thin entry points over the library. Only this module prints."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from toolsmith.shared.constants import DEFAULT_EXAMPLES, DOMAINS

log = logging.getLogger("toolsmith")


def _cmd_base(args: argparse.Namespace) -> int:
    from toolsmith.shared.base import base_path, control_token_ids, load_tokenizer, resolve_base

    choice = resolve_base(args.base_model)
    path = base_path(choice)
    tok = load_tokenizer(path)
    config = json.loads((path / "config.json").read_text())
    text = config.get("text_config", config)
    n_params = _count_params(path)
    print(f"base:      {choice.name}")
    print(f"source:    {choice.source} ({choice.reason})")
    print(f"cached at: {path}")
    print(
        f"arch:      {config.get('architectures')} model_type={config.get('model_type')} "
        f"layers={text.get('num_hidden_layers')} hidden={text.get('hidden_size')}"
    )
    print(f"params:    {n_params:,} ({n_params / 1e6:.0f}M)")
    print(f"vocab:     {len(tok)}")
    print("control tokens (one id each):")
    for tok_text, tok_id in control_token_ids(tok).items():
        print(f"  {tok_text:<30} {tok_id}")
    return 0


def _count_params(path: Path) -> int:
    import math

    from safetensors import safe_open

    total = 0
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(str(f), "pt") as st:
            total += sum(math.prod(st.get_slice(name).get_shape()) for name in st.keys())
    return total


def _cmd_generate(args: argparse.Namespace) -> int:
    from toolsmith.shared.domain import data_dir, load_domain

    domain = load_domain(args.domain)
    out = Path(args.out) if args.out else data_dir(args.domain)
    summary = domain.generate(out, count=args.count, seed=args.seed, recovery=not args.no_recovery)
    print(json.dumps(summary, indent=2))
    return 0


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("domain", choices=DOMAINS)
    p.add_argument("target", help="path.py, path.py::name, or a directory")
    p.add_argument("--apply", action="store_true", help="write the changes to your files (only after a successful run)")
    p.add_argument("--overwrite", action="store_true", help="with --apply, replace existing files the agent creates")
    p.add_argument("--model", help="GGUF path (default: the agent's models/<domain>_functiongemma_q8.gguf)")
    p.add_argument("--max-turns", type=int, help="override the agent's max_turns")
    p.add_argument(
        "--transcript",
        help="JSONL file to append the runs to (default: the checkout's runs/<domain>/<timestamp>.jsonl)",
    )
    p.add_argument("--no-kv-reuse", action="store_true", help="re-evaluate the whole prompt every turn (timing)")
    p.add_argument(
        "--isolated",
        action="store_true",
        help="ignore the project's own tool configuration (lint: its ruff config; default: use it when found)",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from toolsmith.shared import llm
    from toolsmith.shared.agent import load_agent
    from toolsmith.shared.runner import (
        RunResult,
        default_transcript_path,
        format_result,
        format_step,
        resolve_targets,
        run_targets,
    )

    try:
        if args.max_turns is not None and args.max_turns <= 0:
            raise ValueError(f"expected --max-turns > 0, got {args.max_turns}")
        spec = load_agent(args.domain)
        targets = resolve_targets(args.target, spec.target_units)
        model_path = Path(args.model) if args.model else spec.model
        if not model_path.is_file():
            raise FileNotFoundError(f"expected a GGUF at {model_path}, train it with `make train-{args.domain}`")
        model = llm.GGUFModel(model_path, n_ctx=spec.n_ctx, jump_forward=spec.jump_forward)
    except (ValueError, FileNotFoundError, RuntimeError, ImportError) as e:
        print(f"toolsmith run: error: {e}", file=sys.stderr)
        return 1
    transcript = Path(args.transcript) if args.transcript else default_transcript_path(args.domain)
    print(f"model: {model_path}  ({len(targets)} target{'s' if len(targets) != 1 else ''})")
    headers = iter(f"\n== {args.domain}: {t}" for t in targets)
    print(next(headers, ""))

    def show(result: RunResult) -> None:  # a run's outcome, then the next target's header
        if result.steps:
            print(format_result(result))
        else:  # refused before its first turn (the log said why)
            print(f"error: {result.reason}", file=sys.stderr)
        header = next(headers, None)
        if header is not None:
            print(header)

    results = run_targets(
        spec,
        model,
        targets,
        on_result=show,
        apply=args.apply,
        overwrite=args.overwrite,
        reuse_cache=not args.no_kv_reuse,
        max_turns=args.max_turns,
        isolated=args.isolated,
        transcript=transcript,
        on_step=lambda step: print(format_step(step), flush=True),
    )
    failed = sum(not r.ok for r in results)
    if len(targets) > 1:
        print(f"\n{len(targets) - failed}/{len(targets)} succeeded; transcript: {transcript}")
    return 0 if not failed else 1


def _cmd_train(args: argparse.Namespace) -> int:
    from toolsmith.shared.pipeline import train_domain

    overrides = {k: getattr(args, k) for k in _TRAIN_FLAGS}
    overrides["resume"] = args.resume or None
    facts = train_domain(
        args.domain, overrides, base_model=args.base_model, data=Path(args.data) if args.data else None
    )
    print(f"\n{facts['domain']}: {facts['gguf']} ({facts['gguf_mb']} MB, sha256 {facts['gguf_sha256'][:12]}...)")
    print(f"base: {facts['base_model']} [{facts['base_source']}]")
    print(
        f"train: {facts['train_examples']} examples, {facts['train_steps']} steps, {facts['train_minutes']} min "
        f"({facts['train_tokens_per_s']} tokens/s, backend {facts['backend']}); loss {facts['final_train_loss']:.4f}"
        f", eval loss {facts['final_eval_loss']}"
    )
    print(f"export: merge {facts['merge_s']} s, convert {facts['convert_s']} s")
    print(f"smoke: {facts['smoke_calls']} in {facts['smoke_seconds']} s; parity {facts['parity']}")
    return 0


def _cmd_train_all(args: argparse.Namespace) -> int:
    import time
    import traceback

    from toolsmith.shared.pipeline import train_domain

    rows = []
    for domain in DOMAINS:
        print(f"\n===== train {domain}", flush=True)
        start = time.perf_counter()
        try:
            facts = train_domain(domain, {"resume": args.resume or None}, base_model=args.base_model)
        except Exception as e:  # noqa: BLE001 - one domain failing must not stop the others; it is reported
            traceback.print_exc()
            rows.append((domain, (time.perf_counter() - start) / 60, f"FAILED: {type(e).__name__}: {e}"[:110]))
            continue
        parity = facts["parity"]
        smoke = (facts["smoke_calls"] or [{"name": "-"}])[0]["name"]
        rows.append(
            (
                domain,
                (time.perf_counter() - start) / 60,
                f"{facts['train_steps']} steps, loss {facts['final_train_loss']:.4f}, validation "
                f"{facts['final_eval_loss']:.4f}, {facts['gguf_mb']} MB, smoke {smoke}, "
                f"parity {parity['greedy_agree']}/{parity['prompts']}",
            )
        )
    total = sum(r[1] for r in rows)
    print("\n| domain | minutes | result |\n|---|---|---|")
    for domain, minutes, what in rows:
        print(f"| {domain} | {minutes:.1f} | {what} |")
    print(f"| all | {total:.1f} | |")
    return 1 if any(r[2].startswith("FAILED") for r in rows) else 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from toolsmith.shared.evaluate import evaluate_domain

    flags = " ".join(sys.argv[3:])  # after `toolsmith eval <domain>`
    if os.environ.get("MAKELEVEL"):
        command = f"make eval-{args.domain}" + (f' ARGS="{flags}"' if flags else "")
    else:
        command = "toolsmith " + " ".join(sys.argv[1:])
    report = evaluate_domain(
        args.domain,
        Path(args.model) if args.model else None,
        limit=args.limit,
        e2e_limit=args.e2e_limit,
        with_base=not args.no_base,
        latency_runs=args.latency_runs,
        command=command,
        base_limit=args.base_limit,
    )
    print(Path(report["paths"]["markdown"]).read_text())
    print(f"written: {report['paths']['markdown']} and {report['paths']['json']}")
    return 0


def _cmd_results(args: argparse.Namespace) -> int:
    from toolsmith.shared.domain import repo_root
    from toolsmith.shared.evaluate import write_results

    out = write_results(repo_root() / "agents", repo_root() / "docs" / "results.md", DOMAINS)
    print(out.read_text())
    print(f"written: {out}")
    return 0


def _write_block(doc: Path, name: str, body: str) -> None:
    """Put ``body`` between the ``<!-- name:begin/end -->`` markers of ``doc`` (added at the end if missing)."""
    from toolsmith.shared.io import atomic_write_text

    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body}\n{end}"
    old = doc.read_text(encoding="utf-8") if doc.is_file() else "# Performance\n"
    if begin in old and end in old:
        old = old[: old.index(begin)] + block + old[old.index(end) + len(end) :]
    else:
        old = old.rstrip("\n") + "\n\n" + block + "\n"
    atomic_write_text(doc, old)


def _cmd_bench_run(args: argparse.Namespace) -> int:
    from toolsmith.shared.benchrun import bench_domain, calls_domain, calls_table, commands, merge_report, table
    from toolsmith.shared.domain import agent_dir, repo_root
    from toolsmith.shared.io import atomic_write_text

    domains = args.domain or [d for d in DOMAINS if (agent_dir(d) / "models" / f"{d}_functiongemma_q8.gguf").is_file()]
    results = [bench_domain(d, args.runs) for d in domains] if args.runs else []
    calls = [calls_domain(d, args.calls) for d in domains] if args.calls else []
    given = [f"--domain {d}" for d in args.domain or []]
    given += [f"--runs {args.runs}"] if args.runs != 10 else []
    given += [f"--calls {args.calls}"] if args.calls != 10 else []
    command = "make bench-run" + (f" ARGS='{' '.join(given)}'" if given else "")
    docs = repo_root() / "docs"
    path = docs / "bench-run.json"
    last = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    report = merge_report(last, command, results, calls, list(DOMAINS))
    atomic_write_text(path, json.dumps(report, indent=2) + "\n")
    tables = [table(report["results"])] if report["results"] else []
    tables += [calls_table(report["calls"])] if report["calls"] else []
    _write_block(
        docs / "performance.md", "bench-run", f"Last run of each domain: {commands(report)}\n\n" + "\n\n".join(tables)
    )
    print("\n\n".join(([table(results)] if results else []) + ([calls_table(calls)] if calls else [])))
    print(f"written: {docs / 'bench-run.json'} and {docs / 'performance.md'}")
    return 0


def _cmd_bench_train(args: argparse.Namespace) -> int:
    from toolsmith.shared.bench import bench_train
    from toolsmith.shared.domain import repo_root
    from toolsmith.shared.io import atomic_write_text

    report = bench_train(
        args.domain, steps=args.steps, batch_size=args.batch_size, rounds=args.rounds, profile=not args.no_profile
    )
    command = (
        f"make bench-train ARGS='--domain {args.domain} --steps {args.steps} --batch-size {args.batch_size} "
        f"--rounds {args.rounds}'"
    )
    report["command"] = command
    text = json.dumps(report, indent=2)
    docs = repo_root() / "docs"
    atomic_write_text(docs / "bench-train.json", text + "\n")
    doc = docs / "performance.md"
    _write_block(doc, "bench-train", f"Last run: `{command}`\n\n```json\n{text}\n```")
    for backend, m in report["mean"].items():
        name = "plain TRL SFTTrainer + PEFT" if backend == "peft" else "toolsmith fast CPU path"
        print(
            f"{name:<28} {m['tokens_per_s']:7.1f} tokens/s  {m['supervised_tokens_per_s']:6.1f} supervised/s  "
            f"{m['seconds']:6.1f} s  peak RSS {m['peak_rss_mb']:.0f} MB  train loss {m['train_loss']:.4f}  "
            f"eval loss {m['eval_loss']:.4f}"
        )
    print(f"speedup: {report['speedup']}x (eval loss difference {report['eval_loss_difference']:+.4f})")
    print(f"written: {docs / 'bench-train.json'} and {doc}")
    return 0


# TrainConfig fields that the CLI can override (None = keep the domain's setting)
_TRAIN_FLAGS = {
    "backend": str,
    "lora_r": int,
    "lora_alpha": int,
    "lora_layers": int,
    "learning_rate": float,
    "epochs": float,
    "max_steps": int,
    "batch_size": int,
    "grad_accum": int,
    "max_length": int,
    "seed": int,
    "eval_fraction": float,
    "save_every": int,
    "eval_every": int,
    "stop_after_plateau": int,
    "threads": int,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toolsmith`` command."""
    parser = argparse.ArgumentParser(prog="toolsmith", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("base", help="show the base model that would be used")
    p.add_argument("--base-model", help="local folder or hub id (default: FunctionGemma if on disk, else offline)")
    p.set_defaults(fn=_cmd_base)

    p = sub.add_parser("generate", help="write data/<domain>/{train,eval}.jsonl")
    p.add_argument("domain", choices=DOMAINS)
    p.add_argument("--count", type=int, default=DEFAULT_EXAMPLES)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output folder (default: data/<domain>)")
    p.add_argument("--no-recovery", action="store_true", help="no recovery mistakes in the trajectories")
    p.set_defaults(fn=_cmd_generate)

    p = sub.add_parser("train", help="fine-tune, merge, export the Q8_0 GGUF, smoke-check it, write its card")
    p.add_argument("domain", choices=DOMAINS)
    p.add_argument("--base-model", help="local folder or hub id (default: FunctionGemma if on disk, else offline)")
    p.add_argument("--data", help="folder with train.jsonl/eval.jsonl (default: data/<domain>)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from the last checkpoint in runs/<domain> (refused if another run wrote it)",
    )
    for flag, typ in _TRAIN_FLAGS.items():
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=typ, default=None)
    p.set_defaults(fn=_cmd_train)

    p = sub.add_parser("train-all", help="train every domain in turn; a failure is reported and the next goes on")
    p.add_argument("--base-model", help="local folder or hub id (default: FunctionGemma if on disk, else offline)")
    p.add_argument("--resume", action="store_true", help="continue each domain from its last checkpoint of that run")
    p.set_defaults(fn=_cmd_train_all)

    p = sub.add_parser("eval", help="next-call match + end-to-end runs: tuned vs untuned base vs the no-model baseline")
    p.add_argument("domain", choices=DOMAINS)
    p.add_argument("--model", help="GGUF to evaluate (default: the agent's model)")
    p.add_argument("--limit", type=int, default=0, help="eval examples for next-call matching (0 = all)")
    p.add_argument("--e2e-limit", type=int, default=0, help="files for end-to-end runs (0 = all)")
    p.add_argument("--latency-runs", type=int, default=5, help="runs timed with and without KV reuse")
    p.add_argument("--no-base", action="store_true", help="skip the untuned base")
    p.add_argument(
        "--base-limit", type=int, default=10, help="examples and end-to-end cases for the untuned base (0 = all)"
    )
    p.set_defaults(fn=_cmd_eval)

    p = sub.add_parser("results", help="gather every domain's eval report into docs/results.md")
    p.set_defaults(fn=_cmd_results)

    p = sub.add_parser("bench-train", help="plain TRL + PEFT vs the fast CPU path, same data and steps")
    p.add_argument("--domain", default="lint", choices=DOMAINS)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--no-profile", action="store_true")
    p.set_defaults(fn=_cmd_bench_train)

    p = sub.add_parser("bench-run", help="agent turn latency, each lever on and off, per domain (docs/performance.md)")
    p.add_argument("--domain", action="append", choices=DOMAINS, help="domain (repeatable; default: every trained one)")
    p.add_argument("--runs", type=int, default=10, help="eval cases per configuration (0 = skip the latency table)")
    p.add_argument(
        "--calls", type=int, default=10, help="eval examples for next-call parse rate, grammar on/off (0 = skip)"
    )
    p.set_defaults(fn=_cmd_bench_run)

    p = sub.add_parser("run", help="run an agent on your code (sandboxed; --apply to write)")
    _add_run_args(p)
    p.set_defaults(fn=_cmd_run)

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        return args.fn(args)
    except (ValueError, FileNotFoundError, RuntimeError) as e:  # DomainNotReady, DataError, AgentSpecError too
        print(f"toolsmith {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
