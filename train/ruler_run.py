"""``wildlong eval ruler``: generate RULER samples, get predictions, score, print the table. Resumable.

The output folder holds ``run.json`` (what the samples depend on: seed, haystack, tokenizer, answer-prefix
mode), ``samples/<task>_<length>.jsonl``, ``predictions/<task>_<length>.jsonl`` (appended as answers come
in; a re-run sends only what is missing) and the tables (``summary.md``, ``summary.csv``, ``scores.json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

from wildlong.errors import ConfigError
from wildlong.records import Counts, append_jsonl, read_jsonl, write_jsonl
from wildlong.train.ruler_backends import Backend
from wildlong.train.ruler_haystack import QA_HINT, load_haystack
from wildlong.train.ruler_score import Table, score
from wildlong.train.ruler_tasks import Context, Sample, generate, load_specs

ALL_TASKS = list(load_specs())
R = TypeVar("R", bound=BaseModel)


class RulerConfig(BaseModel):
    """One RULER evaluation: which tasks at which lengths, from what, into which folder."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[str] = Field(default_factory=lambda: list(ALL_TASKS), description="task names, or all 13")
    lengths: list[int] = Field(
        default_factory=lambda: [4096, 8192, 16384, 32768, 65536, 131072],
        description="context lengths in tokens; each task is scored at each",
    )
    samples: int = Field(100, ge=1, description="samples per task and length (RULER: 500)")
    seed: int = Field(42, description="seed of the samples (same seed, same prompts)")
    haystack: Path | None = Field(None, description="essay JSON or text file; None = State of the Union")
    squad: Path | None = Field(None, description="SQuAD 2.0 dev JSON (qa_1)")
    hotpotqa: Path | None = Field(None, description="HotpotQA dev JSON (qa_2)")
    output_dir: Path = Field(Path("runs/ruler"), description="samples, replies and scores (resumable)")
    answer_prefix: Literal["prefill", "user", "none"] = Field(
        "prefill",
        description="where RULER's answer prefix goes: start of the reply, end of the prompt, nowhere",
    )
    tokenizer: str | None = Field(None, description="HF tokenizer for exact lengths (endpoint runs)")

    def fingerprint(self, backend_count: str) -> dict[str, Any]:
        return {"seed": self.seed, "haystack": str(self.haystack or "sotu"), "squad": str(self.squad),
                "hotpotqa": str(self.hotpotqa), "answer_prefix": self.answer_prefix,
                "counter": backend_count, "version": "ruler-1"}  # fmt: skip


def select_tasks(cfg: RulerConfig, *, explicit: bool) -> tuple[list[str], list[str]]:
    """The tasks that can run, and a note for each that cannot (QA without its data file)."""
    unknown = [t for t in cfg.tasks if t not in ALL_TASKS]
    if unknown:
        raise ConfigError(
            f"unknown RULER task(s): {', '.join(unknown)}", hint=f"one of {', '.join(ALL_TASKS)}"
        )
    specs, runnable, notes = load_specs(), [], []
    for task in cfg.tasks:
        dataset = specs[task].args.get("dataset")
        if dataset and getattr(cfg, dataset) is None:
            if explicit:
                raise ConfigError(f"{task} needs the {dataset} data set", hint=QA_HINT[dataset])
            notes.append(f"{task} skipped: no {dataset} file ({QA_HINT[dataset]})")
            continue
        runnable.append(task)
    return runnable, notes


class SampleLine(RootModel[Sample]):
    """One generated sample, a line of ``samples/<task>_<length>.jsonl``."""


class Prediction(BaseModel):
    """One answer of the model under test, a line of ``predictions/<task>_<length>.jsonl``."""

    index: int = Field(description="the sample's index within its (task, length)")
    pred: str = Field(description="the answer as the model wrote it")
    outputs: list[str] = Field(description="the sample's reference answers")
    reason: str | None = Field(None, description="why no answer came (a failure reason); null = answered")


def _lines(path: Path, model: type[R]) -> list[R]:
    """The records of ``path`` (none when it does not exist yet); a line cut by a crash is skipped, so its
    sample is generated or asked again."""
    return list(read_jsonl(path, model, Counts(path.name))) if path.exists() else []


def _check_run(cfg: RulerConfig, backend: Backend, counter_name: str) -> None:
    marker = cfg.output_dir / "run.json"
    expected = cfg.fingerprint(counter_name)
    if marker.exists():
        found = json.loads(marker.read_text(encoding="utf-8"))
        if found != expected:
            raise ConfigError(f"{cfg.output_dir} holds a RULER run with other settings ({found})",
                              hint="use another --output-dir")  # fmt: skip
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(expected, indent=2), encoding="utf-8")
    (cfg.output_dir / "config.resolved.json").write_text(cfg.model_dump_json(indent=2), encoding="utf-8")


def samples_for(cfg: RulerConfig, task: str, length: int, ctx: Context, backend: Backend) -> list[Sample]:
    """The (task, length) samples: read back when already generated, else generated and written."""
    path = cfg.output_dir / "samples" / f"{task}_{length}.jsonl"
    rows = _lines(path, SampleLine)
    if len(rows) >= cfg.samples:
        return [r.root for r in rows[: cfg.samples]]
    made = generate(load_specs()[task], length, cfg.samples, ctx=ctx, count=backend.count, seed=cfg.seed)
    write_jsonl(path, (SampleLine(s) for s in made))
    return made


def predictions_for(cfg: RulerConfig, samples: list[Sample], backend: Backend) -> dict[int, Prediction]:
    """Predictions by sample index; only the samples without one are sent."""
    task, length = samples[0].task, samples[0].length
    path = cfg.output_dir / "predictions" / f"{task}_{length}.jsonl"
    done = {p.index: p for p in _lines(path, Prediction) if p.reason is None}
    todo = [s for s in samples if s.index not in done]
    if todo:
        rows = [
            Prediction(index=s.index, pred=pred, outputs=s.outputs, reason=reason)
            for s, (pred, reason) in zip(todo, backend.predict(todo), strict=True)
        ]
        append_jsonl(path, rows)
        done.update((p.index, p) for p in rows)
    return done


def run_ruler(cfg: RulerConfig, backend: Backend, *, counter_name: str, explicit_tasks: bool = False,
              echo: Callable[[str], None] = print) -> Table:  # fmt: skip
    """Generate, predict and score every (task, length); print and write the table."""
    tasks, notes = select_tasks(cfg, explicit=explicit_tasks)
    for note in notes:
        echo(note)
    _check_run(cfg, backend, counter_name)
    haystack = load_haystack(cfg.haystack)
    ctx = Context(haystack, qa_files={"squad": cfg.squad, "hotpotqa": cfg.hotpotqa})
    echo(f"RULER: {len(tasks)} tasks x {len(cfg.lengths)} lengths x {cfg.samples} samples; "
         f"haystack {haystack.source}; {backend.name}")  # fmt: skip
    specs = load_specs()
    table = Table(tasks=tasks, lengths=sorted(cfg.lengths))
    for length in table.lengths:
        for task in tasks:
            samples = samples_for(cfg, task, length, ctx, backend)
            done = predictions_for(cfg, samples, backend)
            preds = [done[s.index].pred if s.index in done else "" for s in samples]
            key = (task, length)
            table.scores[key] = score(specs[task].metric, preds, [s.outputs for s in samples])
            table.samples[key] = len(samples)
            table.nulls[key] = sum(1 for p in preds if not p.strip())
            echo(f"  {task} @ {length}: {table.scores[key]:.2f} ({table.nulls[key]} empty of {len(samples)})")
    table.write(cfg.output_dir)
    echo(table.format())
    return table
