"""TRL's ``SFTTrainer`` with PEFT LoRA (``peft``) or Unsloth (``unsloth``, CUDA only) on our tokenized examples."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from toolsmith.shared.batching import TokenizedExample, TokenizedSplits
from toolsmith.shared.checkpoints import PREFIX, RunIdentity, checkpoint_step
from toolsmith.shared.constants import LOSS_LOG, LOSS_PLOT
from toolsmith.shared.lora import lora_config
from toolsmith.shared.losslog import LossLog, plot_losses
from toolsmith.shared.trainconfig import TrainConfig, TrainResult


def trl_row(example: TokenizedExample) -> dict[str, list[int]]:
    """One example as TRL takes it: label t is token t where the model wrote it (ours are moved right by one).

    An example ends at its last learned position, so the token that position learns is appended.

    Args:
        example: A tokenized example.

    Returns:
        Its ``input_ids`` and ``labels``, of the same length.
    """
    if example.labels[-1] == -100:
        return {"input_ids": example.input_ids, "labels": [-100] + example.labels[:-1]}
    return {"input_ids": example.input_ids + [example.labels[-1]], "labels": [-100] + example.labels}


def train_trl(
    cfg: TrainConfig,
    backend: str,
    base_dir: Path,
    tokenizer: Any,
    data: TokenizedSplits,
    run: RunIdentity,
    resume_from: Path | None = None,
) -> TrainResult:
    """TRL SFTTrainer (+ PEFT, or Unsloth) on pre-tokenized examples with the same completion masks.

    Args:
        cfg: The run's settings.
        backend: ``peft`` or ``unsloth``.
        base_dir: The base model.
        tokenizer: Its tokenizer.
        data: The tokenized examples.
        run: Recorded in every checkpoint.
        resume_from: A checkpoint of this run to continue from (checked by the caller).
    """
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    cuda = torch.cuda.is_available()
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        model, _ = FastLanguageModel.from_pretrained(
            str(base_dir), dtype=torch.bfloat16, load_in_4bit=False, max_seq_length=cfg.max_length
        )
        lc = lora_config(cfg, model.config.num_hidden_layers, tokenizer)
        model = FastLanguageModel.get_peft_model(
            model,
            r=lc.r,
            lora_alpha=lc.lora_alpha,
            lora_dropout=lc.lora_dropout,
            target_modules=list(lc.target_modules),
            layers_to_transform=lc.layers_to_transform,
            random_state=cfg.seed,
        )
        peft_config = None
    else:
        from toolsmith.shared.base import load_model

        model = load_model(base_dir, dtype=torch.bfloat16 if cuda else torch.float32)
        peft_config = lora_config(cfg, model.config.num_hidden_layers, tokenizer)

    def to_dataset(examples: list[TokenizedExample]) -> Dataset | None:
        return Dataset.from_list([trl_row(t) for t in examples]) if examples else None

    train_ds, eval_ds, dropped = to_dataset(data.train), to_dataset(data.held_out), data.dropped
    logger = LossLog(cfg.output_dir / LOSS_LOG, keep_until=checkpoint_step(resume_from) if resume_from else None)

    class _Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):  # noqa: ANN001
            if logs:
                logger.write(
                    {"step": state.global_step, **{k: v for k, v in logs.items() if isinstance(v, int | float)}}
                )

        def on_save(self, args, state, control, **kw):  # noqa: ANN001
            if state.is_world_process_zero:  # the trainer has just written this checkpoint
                run.write(Path(args.output_dir) / f"{PREFIX}{state.global_step}")

    sft = sft_config(SFTConfig, cfg, cuda, eval_ds is not None)
    trainer = SFTTrainer(
        model=model,
        args=sft,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[_Log()],
    )
    start = time.perf_counter()
    out = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.perf_counter() - start
    eval_loss = trainer.evaluate()["eval_loss"] if eval_ds is not None else None
    if eval_loss is not None:
        logger.write({"step": trainer.state.global_step, "eval_loss": eval_loss})
    adapter = cfg.output_dir / "adapter"
    trainer.model.save_pretrained(adapter)
    plot_losses(cfg.output_dir / LOSS_LOG, cfg.output_dir / LOSS_PLOT)
    passes = trainer.state.epoch or 0.0  # fraction of the dataset seen, as TRL counts it
    n_tok = round(passes * sum(len(x) for x in train_ds["input_ids"]))
    n_sup = round(passes * sum(sum(1 for x in row if x != -100) for row in train_ds["labels"]))
    return TrainResult(
        adapter,
        backend,
        trainer.state.global_step,
        seconds,
        out.training_loss,
        eval_loss,
        len(train_ds),
        dropped,
        n_tok,
        n_sup,
    )


def sft_config(SFTConfig: Any, cfg: TrainConfig, cuda: bool, has_eval: bool) -> Any:  # noqa: N803
    return SFTConfig(
        output_dir=str(cfg.output_dir),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps or -1,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        seed=cfg.seed,
        logging_steps=1,
        save_steps=cfg.save_every or 10**9,
        save_total_limit=2,
        eval_strategy="steps" if (has_eval and cfg.eval_every) else "no",
        eval_steps=cfg.eval_every or None,
        bf16=cuda,
        max_length=cfg.max_length,
        report_to=[],
        disable_tqdm=not cfg.progress,
        dataloader_num_workers=0,
    )
