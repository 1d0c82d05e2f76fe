"""toolsmith's CPU training path: PEFT LoRA in a plain loop, vocabulary head only where it is learned.

On a 270M Gemma 3 the 262144-row output head is most of the work of a step; computing it at the
few supervised positions (instead of every position) and grouping examples by length (instead of
padding) are what make this path fast; attention in query blocks (``toolsmith.shared.attention``)
skips the keys a sliding window or the causal mask hides. See ``docs/performance.md`` for the
measurements.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path
from typing import Any

from toolsmith.shared.attention import use_blocked_attention
from toolsmith.shared.batching import TokenizedSplits, collate, length_grouped_batches
from toolsmith.shared.checkpoints import RunIdentity, load_state, save_checkpoint
from toolsmith.shared.constants import LOSS_LOG, LOSS_PLOT
from toolsmith.shared.lora import lora_config, lr_lambda
from toolsmith.shared.loss import Evaluation, evaluate, supervised_loss
from toolsmith.shared.losslog import LossLog, plot_losses
from toolsmith.shared.trainconfig import TrainConfig, TrainResult

log = logging.getLogger(__name__)


class Plateau:
    """Says when a measure has stopped improving.

    Args:
        patience: Evaluations without a new best after which to stop (0 = never).
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best = -1.0
        self.since = 0

    def stop(self, value: float) -> bool:
        """Record a new evaluation; True when it is time to stop."""
        if value > self.best:
            self.best, self.since = value, 0
        else:
            self.since += 1
        return bool(self.patience) and self.since >= self.patience


def train_fast(
    cfg: TrainConfig,
    base_dir: Path,
    tokenizer: Any,
    data: TokenizedSplits,
    run: RunIdentity,
    resume_from: Path | None = None,
) -> TrainResult:
    """Train a LoRA with the fast CPU loop; logs loss JSONL and a PNG plot.

    Args:
        cfg: The run's settings.
        base_dir: The base model.
        tokenizer: Its tokenizer (for the pad id and the control-token ids).
        data: The tokenized examples.
        run: Recorded in every checkpoint.
        resume_from: A checkpoint of this run to continue from (checked by the caller).
    """
    import torch
    from peft import PeftModel, get_peft_model
    from tqdm.auto import tqdm

    from toolsmith.shared.base import load_model

    train_ex, eval_ex, dropped = data.train, data.held_out, data.dropped
    pad_id = tokenizer.pad_token_id or 0

    torch.manual_seed(cfg.seed)
    base = load_model(base_dir, dtype=torch.float32)
    base.config.use_cache = False
    use_blocked_attention(base)
    if resume_from is not None:
        model = PeftModel.from_pretrained(base, str(resume_from), is_trainable=True)
        state = load_state(resume_from)
        log.info("resuming from %s (step %d)", resume_from, state["step"])
    else:
        model = get_peft_model(base, lora_config(cfg, base.config.num_hidden_layers, tokenizer))
        state = None
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)

    per_epoch = -(-len(train_ex) // cfg.batch_size)  # micro-batches
    steps_per_epoch = max(1, per_epoch // cfg.grad_accum)
    total_steps = cfg.max_steps or max(1, round(steps_per_epoch * cfg.epochs))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg, total_steps))
    step, micro = 0, 0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, micro = state["step"], state["micro"]
        torch.set_rng_state(state["torch_rng"])
    logger = LossLog(cfg.output_dir / LOSS_LOG, keep_until=step if state is not None else None)

    def batches_from(start_micro: int):
        """Micro-batches in a deterministic order (per epoch from the seed), starting anywhere."""
        m = start_micro
        while True:
            epoch, k = divmod(m, per_epoch)
            order = length_grouped_batches(train_ex, cfg.batch_size, random.Random(cfg.seed * 1000 + epoch))
            for idx in order[k:]:
                yield epoch, idx
            m = (epoch + 1) * per_epoch

    bar = tqdm(total=total_steps, initial=step, desc="train", unit="step", disable=not cfg.progress)
    start = time.perf_counter()
    tokens = sup_tokens = 0
    last_loss = None
    plateau = Plateau(cfg.stop_after_plateau)
    e: Evaluation | None = None  # the validation of the last step, if it had one
    stream = batches_from(micro)
    while step < total_steps:
        t0 = time.perf_counter()
        step_loss, step_sup, step_tok = 0.0, 0, 0
        micro_batches = [next(stream) for _ in range(cfg.grad_accum)]
        # weight micro-batches by supervised tokens so the step's loss is the token mean
        batches = [collate(train_ex, idx, pad_id) for _, idx in micro_batches]
        n_sup = sum(int((b["labels"] != -100).sum()) for b in batches)
        for b in batches:
            loss, n = supervised_loss(model.get_base_model(), b)
            (loss * n / max(n_sup, 1)).backward()
            step_loss += float(loss.detach()) * n
            step_sup += n
            step_tok += int(b["attention_mask"].sum())
        grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm))
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        micro += cfg.grad_accum
        tokens += step_tok
        sup_tokens += step_sup
        dt = time.perf_counter() - t0
        last_loss = step_loss / max(step_sup, 1)
        row = {
            "step": step,
            "epoch": micro / per_epoch,
            "loss": last_loss,
            "lr": scheduler.get_last_lr()[0],
            "grad_norm": grad_norm,
            "tokens": step_tok,
            "supervised_tokens": step_sup,
            "tokens_per_s": step_tok / dt,
            "seconds": time.perf_counter() - start,
        }
        stop = False
        e = None
        if cfg.eval_every and step % cfg.eval_every == 0 and eval_ex:
            e = evaluate(model, eval_ex, pad_id, cfg.batch_size)
            row.update(eval_loss=e.loss, eval_span_match=e.span_match, eval_spans=e.spans)
            stop = plateau.stop(e.span_match)
        logger.write(row)
        bar.set_postfix(loss=f"{last_loss:.3f}", tok_s=f"{step_tok / dt:.0f}")
        bar.update(1)
        if stop:
            log.info(
                "validation span match has not improved for %d evaluations: stopping at step %d", plateau.patience, step
            )
            break
        if cfg.save_every and step % cfg.save_every == 0 and step < total_steps:
            save_checkpoint(model, optimizer, scheduler, step, micro, cfg.output_dir, run)
    bar.close()
    seconds = time.perf_counter() - start
    # the last step's validation, when it had one, is the final one (a pass over the held-out set: ~100 s)
    final = e if e is not None else evaluate(model, eval_ex, pad_id, cfg.batch_size)
    eval_loss = final.loss if final is not None else None
    if final is not None and e is None:
        logger.write(
            {"step": step, "eval_loss": final.loss, "eval_span_match": final.span_match, "eval_spans": final.spans}
        )
    adapter = cfg.output_dir / "adapter"
    model.save_pretrained(adapter)
    plot_losses(cfg.output_dir / LOSS_LOG, cfg.output_dir / LOSS_PLOT)
    log.info(
        "trained %d steps in %.0fs: %.0f tokens/s (%.0f supervised/s), loss %.4f, eval %.4s",
        step,
        seconds,
        tokens / max(seconds, 1e-9),
        sup_tokens / max(seconds, 1e-9),
        last_loss or 0,
        eval_loss,
    )
    return TrainResult(adapter, "fast", step, seconds, last_loss, eval_loss, len(train_ex), dropped, tokens, sup_tokens)
