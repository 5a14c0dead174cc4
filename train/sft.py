"""The SFT recipe: ``setup`` / ``train`` / ``cleanup``, on one CPU or any number of GPUs (accelerate).

    recipe = SFTRecipe(load_config(Path("configs/train/tiny_cpu.yaml")))
    recipe.setup(); recipe.train(); recipe.cleanup()

The data order is a pure function of the seed: every epoch's micro-batches are planned up front (packs by
best-fit decreasing, then shuffled), and step ``s`` on process ``r`` takes micro-batches
``s*A*W + j*W + r`` (A = grad_accum, W = processes). A checkpoint (``accelerate.save_state``: model,
optimizer, scheduler, RNG) plus the step number therefore resumes *exactly*: the same batches, the same
optimizer state, the same losses as an uninterrupted run.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

from wildlong.train.config import SFTConfig, write_resolved
from wildlong.train.loss import CausalLMWithLoss
from wildlong.train.metrics import MetricsLog, plot_loss
from wildlong.train.model import build, count_parameters
from wildlong.train.packing import collate_packed, collate_padded, plan_batches, to_device
from wildlong.train.rope import save_rope
from wildlong.train.sft_data import build_dataset

STATE_FILE = "trainer_state.json"


def cosine_with_warmup(total: int, warmup: int, min_ratio: float) -> Callable[[int], float]:
    """The learning-rate factor at scheduler step ``s``: linear warm-up, then a cosine to ``min_ratio``."""

    def factor(s: int) -> float:
        if s < warmup:
            return (s + 1) / warmup
        progress = min(1.0, (s - warmup) / max(1, total - warmup))
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


class SFTRecipe:
    """Fine-tune a causal LM on assistant tokens only (see the module docstring)."""

    def __init__(self, cfg: SFTConfig, *, echo: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.echo = echo
        self.step = 0
        self.total_steps = 0
        self.losses: list[float] = []

    # --- setup -------------------------------------------------------------------------------------------
    def setup(self) -> None:
        from accelerate import Accelerator
        from accelerate.utils import set_seed

        cfg = self.cfg
        self.accelerator = acc = Accelerator(mixed_precision=cfg.mixed_precision)
        set_seed(cfg.seed)
        self.out = cfg.output_dir
        if acc.is_main_process:
            write_resolved(cfg, self.out)
        built = build(cfg)
        self.tokenizer, self.rope = built.tokenizer, built.rope
        with acc.main_process_first():
            self.data, counts = build_dataset(
                cfg.data, self.tokenizer, max_len=cfg.max_seq_len, overlong=cfg.overlong,
                num_proc=cfg.num_proc, cache_dir=self.out / "cache",
            )  # fmt: skip
        self._say(counts.format())
        self._plan()
        trainable, total = count_parameters(built.model)
        rope = json.dumps(self.rope["resolved"])
        self._say(f"model: {cfg.model}, {trainable:,} of {total:,} parameters trained ({cfg.finetune}), "
                  f"attention {built.attn_implementation}, RoPE {rope}")  # fmt: skip
        module = CausalLMWithLoss(built.model, cfg.loss_chunk_tokens)
        params = [p for p in module.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            params, lr=cfg.learning_rate, betas=cfg.adam_betas, weight_decay=cfg.weight_decay
        )
        warmup = math.ceil(cfg.warmup_ratio * self.total_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, cosine_with_warmup(self.total_steps, warmup, cfg.min_lr_ratio)
        )
        self.module, self.optimizer = acc.prepare(module, optimizer)
        acc.register_for_checkpointing(self.scheduler)
        self.metrics = MetricsLog(self.out / "metrics.jsonl")
        if cfg.resume:
            self._resume()

    def _plan(self) -> None:
        cfg, acc = self.cfg, self.accelerator
        self.lengths = lengths = list(self.data["length"])
        self.n_targets = list(self.data["n_targets"])
        per_step = cfg.grad_accum * acc.num_processes
        batches: list[list[int]] = []
        epoch = 0
        while epoch < cfg.epochs or (cfg.max_steps > 0 and len(batches) < cfg.max_steps * per_step):
            batches += plan_batches(lengths, capacity=cfg.max_seq_len, packing=cfg.packing,
                                    seed=cfg.seed, epoch=epoch, per_batch=cfg.micro_batch_size)  # fmt: skip
            epoch += 1
        available = len(batches) // per_step
        self.total_steps = min(available, cfg.max_steps) if cfg.max_steps > 0 else available
        if self.total_steps == 0:
            raise_few(len(batches), per_step)
        self.batches = batches
        self._say(f"plan: {len(batches)} micro-batches, {self.total_steps} optimizer steps of "
                  f"{cfg.grad_accum} x {acc.num_processes} micro-batches")  # fmt: skip

    def _resume(self) -> None:
        latest = newest_checkpoint(self.out)
        if latest is None:
            return
        self.accelerator.load_state(str(latest))
        self.step = int(json.loads((latest / STATE_FILE).read_text())["step"])
        if self.accelerator.is_main_process:
            self.metrics.truncate_after(self.step)
        self._say(f"resumed from {latest} at step {self.step}")

    # --- train -------------------------------------------------------------------------------------------
    def train(self) -> None:
        cfg = self.cfg
        self.module.train()
        stop_at = self.total_steps
        if cfg.steps_this_run > 0:
            stop_at = min(stop_at, self.step + cfg.steps_this_run)
        while self.step < stop_at:
            row = self._one_step()
            self.step += 1
            row["step"] = self.step
            self.losses.append(row["loss"])
            if self.accelerator.is_main_process:
                self.metrics.write(row)
            if self.step % cfg.log_every == 0 or self.step == stop_at:
                self._say(f"step {self.step}/{self.total_steps} loss {row['loss']:.4f} lr {row['lr']:.3g} "
                          f"grad_norm {row['grad_norm']:.3g} {row['tokens_per_s']:.0f} tok/s")  # fmt: skip
            if self.step % cfg.save_every == 0 or self.step == stop_at:
                self.save_checkpoint()

    def _my_micro_batches(self, step: int) -> tuple[list[list[int]], int, int]:
        """This process's micro-batches of ``step``; the step's target and input tokens (all processes)."""
        acc, per_step = self.accelerator, self.cfg.grad_accum * self.accelerator.num_processes
        everyone = self.batches[step * per_step : (step + 1) * per_step]
        mine = everyone[acc.process_index :: acc.num_processes]
        targets = sum(self.n_targets[i] for batch in everyone for i in batch)
        inputs = sum(self.lengths[i] for batch in everyone for i in batch)
        return mine, targets, inputs

    def _collate(self, indices: list[int]) -> dict[str, Any]:
        samples = [self.data[i] for i in indices]
        if self.cfg.packing:
            return collate_packed(samples)
        return collate_padded(samples, int(self.tokenizer.pad_token_id or 0))

    def _one_step(self) -> dict[str, Any]:
        acc = self.accelerator
        started = time.perf_counter()
        mine, n_targets, n_inputs = self._my_micro_batches(self.step)
        scale = acc.num_processes / max(1, n_targets)  # gradients are averaged over processes
        loss_sum = torch.zeros((), device=acc.device)
        for j, indices in enumerate(mine):
            batch = to_device(self._collate(indices), acc.device)
            last = j == len(mine) - 1
            with acc.no_sync(self.module) if not last else nullcontext(), acc.autocast():
                part, _ = self.module(**batch)
                acc.backward(part * scale)
            loss_sum += part.detach().float()
        grad_norm = torch.tensor(0.0)
        if self.cfg.max_grad_norm > 0:
            grad_norm = acc.clip_grad_norm_(self.module.parameters(), self.cfg.max_grad_norm)
        lr = self.scheduler.get_last_lr()[0]
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        total = acc.reduce(loss_sum, reduction="sum")
        elapsed = time.perf_counter() - started
        return {
            "loss": float(total) / max(1, n_targets),
            "lr": lr,
            "grad_norm": float(grad_norm),
            "target_tokens": n_targets,
            "input_tokens": n_inputs,
            "tokens_per_s": n_inputs / elapsed,
            "seconds": round(elapsed, 4),
        }

    # --- checkpoints and cleanup -------------------------------------------------------------------------
    def save_checkpoint(self) -> Path:
        acc = self.accelerator
        folder = self.out / "checkpoints" / f"step-{self.step:07d}"
        acc.save_state(str(folder))
        if acc.is_main_process:
            save_rope(folder, self.rope)
            (folder / STATE_FILE).write_text(json.dumps({"step": self.step, "total_steps": self.total_steps}))
            for old in sorted((self.out / "checkpoints").glob("step-*"))[: -self.cfg.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
            plot_loss(self.metrics.rows(), self.out / "loss.png")
        acc.wait_for_everyone()
        return folder

    def cleanup(self) -> Path | None:
        """Save the final model (with its tokenizer and rope.json) once every step has run."""
        acc = self.accelerator
        final = None
        if self.step >= self.total_steps:
            final = self.out / "final"
            state = acc.get_state_dict(self.module)
            if acc.is_main_process:
                lm = acc.unwrap_model(self.module).lm
                lm_state = {k.removeprefix("lm."): v for k, v in state.items()}
                lm.save_pretrained(final, state_dict=lm_state)
                if hasattr(lm, "get_base_model"):  # LoRA: the base config too, RoPE settings included
                    lm.get_base_model().config.save_pretrained(final)
                self.tokenizer.save_pretrained(final)
                save_rope(final, self.rope)
                self._say(f"final model in {final}")
        if acc.is_main_process:
            plot_loss(self.metrics.rows(), self.out / "loss.png")
        acc.wait_for_everyone()
        acc.end_training()
        return final

    def _say(self, text: str) -> None:
        if self.accelerator.is_main_process:
            self.echo(text)


def newest_checkpoint(output_dir: Path) -> Path | None:
    done = [p for p in sorted((output_dir / "checkpoints").glob("step-*")) if (p / STATE_FILE).exists()]
    return done[-1] if done else None


def raise_few(batches: int, per_step: int) -> None:
    from wildlong.errors import ConfigError

    raise ConfigError(
        f"{batches} micro-batches are fewer than one optimizer step needs ({per_step})",
        hint="lower grad_accum or micro_batch_size, or add data",
    )


def run_sft(cfg: SFTConfig, *, echo: Callable[[str], None] = print) -> Path | None:
    recipe = SFTRecipe(cfg, echo=echo)
    recipe.setup()
    recipe.train()
    return recipe.cleanup()
