"""Run every stage in order; skip those the manifest marks complete with the same inputs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildlong.run import STAGES
from wildlong.run import stages as st
from wildlong.run.config import RunConfig, write_resolved
from wildlong.run.manifest import Manifest

ORDER = list(STAGES)
# What each stage's output depends on: config sections and upstream stages.
DEPENDS: dict[str, tuple[list[str], list[str]]] = {
    "read": (["read"], []),
    "extract": (["extract", "llm_model"], ["read"]),
    "doctypes": (["doctypes"], ["extract"]),
    "load": (["load", "graph"], ["doctypes"]),
    "walk": (["walk"], ["load", "documents"]),
    "instruct": (["instruct", "llm_model"], ["walk"]),
    "documents": (["documents"], ["doctypes"]),
    "pair": (["pair"], ["instruct", "documents"]),
    "generate": (["generate", "llm_model"], ["pair"]),
    "dataset": ([], ["generate"]),
}
LLM_STAGES = {"extract", "instruct", "generate"}


@dataclass
class RunResult:
    run_dir: Path
    dataset: Path
    seconds: float
    ran: list[str]
    skipped: list[str]


def fingerprints(cfg: RunConfig) -> dict[str, str]:
    """Each stage's fingerprint: its own config sections plus its upstream stages' fingerprints."""
    import hashlib
    import json

    data = cfg.public_dict()
    llm = data["llm"]
    data["llm_model"] = {k: llm.get(k) for k in ("base_url", "model", "temperature", "max_tokens")}
    prints: dict[str, str] = {}
    for stage in ORDER:
        sections, upstream = DEPENDS[stage]
        payload = {
            "sections": {s: data.get(s) for s in sections},
            "seed": cfg.seed,
            "upstream": [prints[u] for u in upstream],
        }
        prints[stage] = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[
            :16
        ]
    return prints


def run(
    cfg: RunConfig,
    *,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
    until: str | None = None,
) -> RunResult:
    """Run (or resume) the whole pipeline in ``cfg.out``."""
    t0 = time.monotonic()
    cfg = cfg.seeded()
    run_dir = cfg.out
    run_dir.mkdir(parents=True, exist_ok=True)
    write_resolved(cfg, run_dir / "config.resolved.yaml")
    manifest = Manifest(run_dir / "manifest.json")
    prints = fingerprints(cfg)
    ctx = st.Context(cfg=cfg, run_dir=run_dir, progress=progress)
    ran, skipped = [], []
    try:
        for stage in ORDER:
            if manifest.complete(stage, prints[stage]):
                skipped.append(stage)
                echo(f"= {stage:<10} complete already ({_brief(manifest.counts(stage))})")
            else:
                echo(f"> {stage:<10} ...")
                started = time.monotonic()
                counts = _call(stage, ctx, manifest)
                seconds = time.monotonic() - started
                manifest.record(stage, prints[stage], _outputs(stage, run_dir), counts, seconds)
                ran.append(stage)
                echo(f"✓ {stage:<10} {seconds:6.1f} s  {_brief(counts)}")
            if stage == until:
                break
        if ctx._client is not None:
            echo(ctx._client.accounting.format())
    finally:
        ctx.close()
    return RunResult(run_dir, ctx.path("dataset"), time.monotonic() - t0, ran, skipped)


def _call(stage: str, ctx: st.Context, manifest: Manifest) -> dict[str, Any]:
    if stage == "dataset":
        tallies = {s: manifest.counts(s) for s in ORDER if s != "dataset"}
        return st.stage_dataset(ctx, tallies)
    fn: st.StageFn = getattr(st, f"stage_{stage}")
    return fn(ctx)


def _outputs(stage: str, run_dir: Path) -> list[str]:
    outputs = [st.FILES[stage]]
    if stage == "doctypes":
        outputs.append("doctypes.npz")
    if stage == "dataset":
        outputs += ["dataset/train.parquet", "dataset/README.md"]
    return [o for o in outputs if (run_dir / o).exists()]


def _brief(counts: dict[str, Any]) -> str:
    parts = []
    for key in ("seen", "kept", "records"):
        if key in counts:
            parts.append(f"{key} {counts[key]}")
    dropped = counts.get("dropped") or {}
    if dropped:
        parts.append("dropped " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    return "; ".join(parts) or "done"
