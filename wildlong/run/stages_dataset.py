"""The last stage of a run: the dataset files (JSONL, Parquet), with provenance, a card and plots."""

from __future__ import annotations

import json
from typing import Any

from wildlong.records import Counts, read_jsonl
from wildlong.run.context import Context
from wildlong.run.registry import names


def run_dataset(ctx: Context) -> Counts:
    from wildlong.synth.card import write_card
    from wildlong.synth.dataset import build_records, query_ids_for, write_dataset
    from wildlong.synth.generate import Sample
    from wildlong.synth.records import Document, Instruction

    counts = Counts("dataset")
    samples = list(read_jsonl(ctx.path("samples.jsonl"), Sample))
    insts = {i.instruction_id: i for i in read_jsonl(ctx.path("instructions.jsonl"), Instruction)}
    docs = {d.doc_id: d for d in read_jsonl(ctx.path("documents.jsonl"), Document)}
    keys = sorted({k for i in insts.values() for k in i.node_ids})
    query_ids = query_ids_for(ctx.graph.driver, ctx.graph.database, keys)
    model = ctx.model_name  # the generator's name: no server is started to learn it
    meta = {
        "token_model": ctx.cfg.documents.token_model,
        "length_buckets": ctx.cfg.documents.length_buckets,
        "generate_model": model,
        "seed": ctx.cfg.seed,
    }
    records = build_records(samples, insts, docs, query_ids, meta)
    out = ctx.path("dataset")
    write_dataset(records, out)
    tallies: dict[str, dict[str, Any]] = {s: ctx.manifest.counts(s) for s in names() if s != "dataset"}
    info = {
        "name": ctx.cfg.name,
        "generate_model": model,
        "instruct_model": model,
        "seed": ctx.cfg.seed,
        "strategy": ctx.cfg.walk.strategy,
        "walk_length": ctx.cfg.walk.length,
    }
    health = _health(ctx)
    (out / "health.json").write_text(json.dumps(health, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    write_card(out, records, tallies, info, health)
    counts.seen = len(samples)
    counts.keep(len(records))
    counts.note("multi_document", sum(1 for r in records if r["multi_document"]))
    return counts


def _health(ctx: Context) -> dict[str, Any]:
    """Walk mix, replay and attested pairs of the run's own walks (no comparison walks: cheap)."""
    from wildlong.analytics.health import health_report
    from wildlong.synth.walks import Walk

    walks = list(read_jsonl(ctx.path("walks.jsonl"), Walk))
    report = health_report(ctx.graph.driver, ctx.graph.database, walks, compare=())
    return dict(report["strategies"]["run"])
