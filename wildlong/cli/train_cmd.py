"""`wildlong train …` (fine-tuning on the synthesized data) and `wildlong eval …` (RULER)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import click

from wildlong.cli.options import HELP
from wildlong.errors import ConfigError
from wildlong.llm.options import llm_options

TRAIN_HINT = "pip install -e '.[train]' (transformers, accelerate, datasets, peft)"


def _need(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"{', '.join(missing)} not installed", hint=TRAIN_HINT)


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@click.group(context_settings=HELP)
def train() -> None:
    """Fine-tune a model on WildLong's dataset files.

    \b
    Example (a tiny random model on a CPU, in seconds):
      wildlong train sft configs/train/tiny_cpu.yaml
    """


@train.command(context_settings=HELP)
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Run folder.")
@click.option("--data", multiple=True, type=click.Path(path_type=Path), help="Dataset file(s); repeatable.")
@click.option("--model", help="HF model id or folder; 'tiny' = a random tiny Llama.")
@click.option("--max-seq-len", type=int, help="Longest sample and pack size, in tokens.")
@click.option("--rope-theta", type=float, help="Override the RoPE base (e.g. 1e7).")
@click.option("--rope-scaling", help='JSON, e.g. \'{"rope_type": "yarn", "factor": 4}\'; "none" removes it.')
@click.option("--lora/--full", "lora", default=None, help="LoRA adapters or full fine-tuning.")
@click.option("--max-steps", type=int, help="Optimizer steps (-1 = as many as the epochs need).")
@click.option("--steps-this-run", type=int, help="Stop (and save) after N steps; resume later.")
@click.option("--learning-rate", type=float, help="Peak learning rate.")
@click.option("--grad-accum", type=int, help="Micro-batches per optimizer step, per process.")
@click.option("--seed", type=int, help="Seed of the data order and initialisation.")
@click.option("--resume/--no-resume", default=None, help="Continue from the newest checkpoint [resume].")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a value, e.g. --set lora.r=32 (`wildlong config keys train`).")  # fmt: skip
def sft(config: Path, sets: tuple[str, ...], **flags: Any) -> None:
    """Supervised fine-tuning (loss on assistant tokens only) with packing and RoPE settings.

    Flags override the YAML config; the resolved config, metrics.jsonl, loss.png, checkpoints and the
    final model (with rope.json) go to the output folder. Several GPUs: run it under
    `accelerate launch --config_file configs/train/accelerate_fsdp.yaml --num_processes N $(which wildlong)`.

    \b
    Example:
      wildlong train sft configs/train/tiny_cpu.yaml --max-steps 4 -o runs/sft-try
    """
    _need("torch", "transformers", "accelerate", "datasets")
    from wildlong.train.config import load_config
    from wildlong.train.sft import run_sft

    overrides = dict(flags)
    overrides["data"] = list(flags["data"]) or None
    lora = overrides.pop("lora")
    overrides["finetune"] = None if lora is None else ("lora" if lora else "full")
    if flags["rope_scaling"] not in (None, "none"):
        try:
            overrides["rope_scaling"] = json.loads(flags["rope_scaling"])
        except json.JSONDecodeError:
            raise click.BadParameter("not JSON", param_hint="--rope-scaling") from None
    final = run_sft(load_config(config, overrides, sets), echo=click.echo)
    if final is None:
        click.echo("stopped before the last step; run the same command again to resume")


@click.group("eval", context_settings=HELP)
def eval_group() -> None:
    """Evaluate long-context models.

    \b
    Example (the embedded SmolLM2, two short tasks):
      wildlong eval ruler --tasks niah_single_1,vt --lengths 1024 --samples 2
    """


@eval_group.command(context_settings=HELP)
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML with any of the settings below.")  # fmt: skip
@click.option("--tasks", help="Comma-separated RULER tasks [all 13; QA ones need --squad/--hotpotqa].")
@click.option("--lengths", help="Comma-separated lengths in tokens [4096,…,131072].")
@click.option("--samples", type=int, help="Samples per task and length [100].")
@click.option("--seed", type=int, help="Seed of the samples [42].")
@click.option("--haystack", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Essay JSON ({'text': …}) or text file [State of the Union addresses].")  # fmt: skip
@click.option("--squad", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="SQuAD 2.0 JSON.")
@click.option(
    "--hotpotqa", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="HotpotQA JSON."
)
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="[runs/ruler]")
@click.option("--answer-prefix", type=click.Choice(["prefill", "user", "none"]),
              help="Where RULER's answer prefix goes [prefill: start of the reply].")  # fmt: skip
@click.option("--tokenizer", help="HF tokenizer (folder or id) counting lengths for an endpoint.")
@click.option("--local-model", help="Evaluate a transformers model folder here instead of an endpoint.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override any setting, e.g. --set samples=500 (`wildlong config keys eval`).")  # fmt: skip
@llm_options
def ruler(config_file: Path | None, local_model: str | None, sets: tuple[str, ...], llm_settings: Any,
          **flags: Any) -> None:  # fmt: skip
    """RULER's 13 synthetic tasks at chosen lengths: per-task and per-length scores, and the average.

    Against an OpenAI-compatible endpoint (--base-url/--model, e.g. a vLLM server of the fine-tuned
    model; none given: the embedded SmolLM2) or a local transformers model (--local-model). Seeded and
    resumable: a re-run with the same --output-dir sends only what is missing.

    \b
    Example:
      wildlong eval ruler --base-url http://localhost:8000/v1 --model wildlong-llama \\
        --tokenizer meta-llama/Llama-3.1-8B-Instruct --lengths 4096,32768,131072 --samples 100
    """
    from wildlong.config import Layer, set_layer, validate, yaml_layer
    from wildlong.train.ruler_run import RulerConfig, run_ruler

    flags["tasks"] = _csv(flags["tasks"])
    lengths = _csv(flags.pop("lengths"))
    try:
        flags["lengths"] = [int(n) for n in lengths] if lengths else None
    except ValueError:
        raise click.BadParameter("comma-separated integers", param_hint="--lengths") from None
    given = Layer("flags")
    for key, value in flags.items():
        if value is not None:
            given.set(key, value, f"--{key.replace('_', '-')}")
    layers = [yaml_layer(config_file)] if config_file is not None else []
    cfg = validate(RulerConfig, [*layers, set_layer(list(sets)), given],
                   hint="`wildlong config keys eval` lists every key")  # fmt: skip
    backend, counter = _backend(cfg, local_model, llm_settings)
    run_ruler(cfg, backend, counter_name=counter, explicit_tasks=flags["tasks"] is not None, echo=click.echo)


def _backend(cfg: Any, local_model: str | None, llm_settings: Any) -> tuple[Any, str]:
    from wildlong.train.ruler_backends import EndpointBackend, LocalBackend

    if local_model:
        _need("torch", "transformers")
        return LocalBackend(local_model, mode=cfg.answer_prefix), f"hf:{local_model}"
    from wildlong.llm import LLMClient, resolve_settings

    tokenizer = None
    if cfg.tokenizer:
        _need("transformers")
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(cfg.tokenizer)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load tokenizer {cfg.tokenizer}: {exc}".splitlines()[0]) from None
    client = LLMClient(resolve_settings(llm_settings))
    counter = f"hf:{cfg.tokenizer}" if cfg.tokenizer else f"quicktok:{client.model}"
    return EndpointBackend(client, mode=cfg.answer_prefix, seed=cfg.seed, tokenizer=tokenizer), counter
