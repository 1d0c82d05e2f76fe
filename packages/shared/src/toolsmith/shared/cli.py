"""The ``toolsmith`` command: thin entry points over the library. Only this module prints."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from toolsmith.shared.constants import DOMAINS

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
    print(f"arch:      {config.get('architectures')} model_type={config.get('model_type')} "
          f"layers={text.get('num_hidden_layers')} hidden={text.get('hidden_size')}")
    print(f"params:    {n_params:,} ({n_params / 1e6:.0f}M)")
    print(f"vocab:     {len(tok)}")
    print("control tokens (one id each):")
    for tok_text, tok_id in control_token_ids(tok).items():
        print(f"  {tok_text:<30} {tok_id}")
    return 0


def _count_params(path: Path) -> int:
    from safetensors import safe_open

    total = 0
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(str(f), "pt") as st:
            for name in st.keys():
                total += st.get_slice(name).get_shape().numel() if hasattr(st.get_slice(name).get_shape(), "numel") \
                    else _prod(st.get_slice(name).get_shape())
    return total


def _prod(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _cmd_generate(args: argparse.Namespace) -> int:
    from toolsmith.shared.domain import data_dir, load_domain

    domain = load_domain(args.domain)
    out = Path(args.out) if args.out else data_dir(args.domain)
    summary = domain.generate(out, count=args.count, seed=args.seed)
    print(json.dumps(summary, indent=2))
    return 0


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("domain", choices=DOMAINS)
    p.add_argument("target", help="path.py, path.py::name, or a directory")
    p.add_argument("--apply", action="store_true", help="write the change to your files (only after a successful run)")
    p.add_argument("--model", help="GGUF path (default: the agent's models/<domain>_functiongemma_q8.gguf)")
    p.add_argument("--max-turns", type=int, help="override the agent's max_turns")


def _cmd_run(args: argparse.Namespace) -> int:
    raise SystemExit("toolsmith run: not implemented yet")


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
    p.add_argument("--count", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output folder (default: data/<domain>)")
    p.set_defaults(fn=_cmd_generate)

    p = sub.add_parser("run", help="run an agent on your code (sandboxed; --apply to write)")
    _add_run_args(p)
    p.set_defaults(fn=_cmd_run)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        return args.fn(args)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"toolsmith {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
