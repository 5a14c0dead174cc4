"""Run the stages in order; skip those the manifest marks complete with the same inputs.

Every fact used here comes from the stage declarations (:mod:`wildlong.run.registry`): the order, each
stage's config sections and upstream stages (its fingerprint), its outputs (what "complete" means).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildlong.errors import ConfigError
from wildlong.records import Counts, remove_partials
from wildlong.run.config import RunConfig, fingerprint, write_resolved
from wildlong.run.context import Context
from wildlong.run.manifest import Manifest
from wildlong.run.stage import Stage


@dataclass
class RunResult:
    run_dir: Path
    dataset: Path
    seconds: float
    ran: list[str]
    skipped: list[str]
    kept_nothing: str | None = None  # the stage that ran and kept no record (the run then exits 1)


def fingerprints(cfg: RunConfig, stages: Sequence[Stage]) -> dict[str, str]:
    """Each stage's fingerprint: its own config sections plus its upstream stages' fingerprints."""
    data = cfg.public_dict()
    llm = data["llm"]
    data["llm_model"] = {k: llm.get(k) for k in ("base_url", "model", "temperature", "max_tokens")}
    prints: dict[str, str] = {}
    for stage in stages:
        payload = {
            "sections": {s: data.get(s) for s in stage.sections},
            "seed": cfg.seed,
            "upstream": [prints[u] for u in stage.depends if u in prints],
        }
        prints[stage.name] = fingerprint(payload)
    return prints


def open_context(cfg: RunConfig, *, progress: bool | None, echo: Callable[[str], None], dry: bool) -> Context:
    run_dir = cfg.out
    manifest = Manifest(run_dir / "manifest.json")
    return Context(cfg=cfg, run_dir=run_dir, manifest=manifest, progress=progress, echo=echo, dry=dry)


def run(
    cfg: RunConfig,
    stages: Sequence[Stage],
    *,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
    until: str | None = None,
    only: str | None = None,
    force: bool = False,
) -> RunResult:
    """Run (or resume) the pipeline in ``cfg.out``; ``only`` runs one stage (its upstream must be done)."""
    t0 = time.monotonic()
    cfg = cfg.seeded()
    cfg.out.mkdir(parents=True, exist_ok=True)
    for part in remove_partials(cfg.out):
        echo(f"  removed {part.relative_to(cfg.out)} (left by an interrupted run)")
    write_resolved(cfg, cfg.out / "config.resolved.yaml")
    ctx = open_context(cfg, progress=progress, echo=echo, dry=False)
    prints = fingerprints(cfg, stages)
    ran: list[str] = []
    skipped: list[str] = []
    try:
        for stage in stages:
            if only is not None and stage.name != only:
                continue
            if only is not None:
                _check_upstream(stage, ctx.manifest, prints)
            if not force and ctx.manifest.complete(stage.name, prints[stage.name]):
                skipped.append(stage.name)
                echo(f"= {stage.name:<10} complete already ({brief(ctx.manifest.counts(stage.name))})")
            else:
                _run_one(stage, ctx, prints[stage.name])
                ran.append(stage.name)
            if stage.name == until:
                break
        if ctx._client is not None:
            echo(ctx._client.accounting.format())
    finally:
        ctx.close()
    dataset = cfg.out / "dataset" / "train.jsonl"
    empty = "dataset" in ran and not ctx.manifest.counts("dataset").get("kept")
    return RunResult(cfg.out, dataset, time.monotonic() - t0, ran, skipped, "dataset" if empty else None)


def _run_one(stage: Stage, ctx: Context, print_: str) -> None:
    ctx.echo(f"> {stage.name:<10} ...")
    started = time.monotonic()
    before = ctx.llm_requests()
    counts: Counts = stage.run_fn()(ctx)
    seconds = time.monotonic() - started
    result = counts.to_dict()
    if stage.llm:
        after = ctx.llm_requests()
        result["llm_requests"] = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    outputs = [o for o in (*stage.outputs, *stage.optional_outputs) if ctx.path(o).exists()]
    ctx.manifest.record(stage.name, print_, outputs, result, seconds)
    ctx.echo(f"✓ {stage.name:<10} {seconds:6.1f} s  {brief(result)}")


def _check_upstream(stage: Stage, manifest: Manifest, prints: dict[str, str]) -> None:
    for up in stage.depends:
        if not manifest.complete(up, prints[up]):
            raise ConfigError(
                f"{stage.name} needs the output of {up}, which is not complete in {manifest.path.parent} "
                "with this config",
                hint=f"run `wildlong {up} -o {manifest.path.parent}` first, or `wildlong run CONFIG "
                f"--until {stage.name}`",
            )


def brief(counts: dict[str, Any]) -> str:
    parts = []
    for key in ("seen", "kept", "records"):
        if key in counts:
            parts.append(f"{key} {counts[key]}")
    dropped = counts.get("dropped") or {}
    if dropped:
        parts.append("dropped " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    return "; ".join(parts) or "done"
