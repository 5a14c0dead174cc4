"""The stages of a run, each a small function from files in the run folder to files in the run folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wildlong.executor import make_client
from wildlong.graph import Graph, connect
from wildlong.llm import LLMClient, load_template, resolve_settings
from wildlong.loader import graph_load
from wildlong.loader.doctypes import DocTypeModel, build_doctypes, classify, llm_namer
from wildlong.loader.embed import Embedder
from wildlong.loader.extract import extract_file
from wildlong.loader.read import read_queries
from wildlong.loader.records import ExtractionRecord, StageCounts, read_jsonl
from wildlong.run.config import RunConfig
from wildlong.synth.card import write_card
from wildlong.synth.dataset import build_records, query_ids_for, write_dataset
from wildlong.synth.documents import read_documents
from wildlong.synth.generate import Sample, Templates, generate
from wildlong.synth.instructions import write_instructions
from wildlong.synth.pairing import pair
from wildlong.synth.records import Document, Instruction, Pair, Tally, write_jsonl
from wildlong.synth.records import read_jsonl as read_records
from wildlong.synth.walk_io import read_walks, sample_to_file

FILES = {
    "read": "queries.jsonl",
    "extract": "extractions.jsonl",
    "doctypes": "doctypes.json",
    "load": "graph.json",
    "walk": "walks.jsonl",
    "instruct": "instructions.jsonl",
    "documents": "documents.jsonl",
    "pair": "pairs.jsonl",
    "generate": "samples.jsonl",
    "dataset": "dataset/train.jsonl",
}


@dataclass
class Context:
    """What the stages share: the config, the run folder and lazily opened connections."""

    cfg: RunConfig
    run_dir: Path
    progress: bool | None = None
    _graph: Graph | None = None
    _client: LLMClient | None = None
    _embedder: Embedder | None = None
    notes: list[str] = field(default_factory=list)

    def path(self, stage: str) -> Path:
        return self.run_dir / FILES[stage]

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = connect(self.cfg.graph)
        return self._graph

    @property
    def client(self) -> LLMClient:
        if self._client is None:
            # The reply cache is shared by runs (default <WILDLONG_HOME>/llm/cache.sqlite): an ablation that
            # changes only the walks pays nothing again for the extraction.
            settings = resolve_settings(self.cfg.llm)
            self._client = make_client(settings, self.cfg.executor, self.run_dir / "shards")
        return self._client

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(batch_size=self.cfg.doctypes.embed_batch_size)
        return self._embedder

    def doctype_model(self) -> DocTypeModel:
        return DocTypeModel.load(self.path("doctypes"))

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
        if self._client is not None:
            self._client.close()


StageFn = Callable[[Context], dict[str, Any]]


def stage_read(ctx: Context) -> dict[str, Any]:
    counts = StageCounts("read")
    write_jsonl(ctx.path("read"), read_queries(ctx.cfg.read, counts))
    return counts.to_dict()


def stage_extract(ctx: Context) -> dict[str, Any]:
    summary = extract_file(
        ctx.path("read"), ctx.path("extract"), ctx.client, ctx.cfg.extract, progress=ctx.progress
    )
    return summary.counts.to_dict()


def stage_doctypes(ctx: Context) -> dict[str, Any]:
    counts = StageCounts("doctypes")
    records = read_jsonl(ctx.path("extract"), ExtractionRecord, counts)
    namer = llm_namer(ctx.client) if ctx.cfg.doctypes.naming == "llm" else None
    model = build_doctypes(records, ctx.cfg.doctypes, ctx.embedder, counts, namer=namer)
    model.save(ctx.path("doctypes"))
    result = counts.to_dict()
    result["clusters"] = {c.name: c.size for c in model.clusters}
    result["silhouette"] = model.silhouette
    return result


def stage_load(ctx: Context) -> dict[str, Any]:
    counts = StageCounts("load")
    g = ctx.graph
    if ctx.cfg.load.reset:
        graph_load.reset(g.driver, g.database)
    graph_load.apply_schema(g.driver, g.database)
    report = graph_load.load_extractions(
        g.driver,
        g.database,
        [ctx.path("extract")],
        ctx.doctype_model(),
        ctx.cfg.load,
        counts,
        embedder=ctx.embedder,
        progress=ctx.progress,
    )
    summary = graph_load.summary(g.driver, g.database)
    ctx.path("load").write_text(json.dumps({"uri": g.uri, "database": g.database, **summary}, indent=1))
    return {**counts.to_dict(), "facts_written": report.facts_written, "graph": summary}


def stage_walk(ctx: Context) -> dict[str, Any]:
    cfg = ctx.cfg.walk
    skipped: list[str] = []
    if cfg.only_with_documents:
        with_docs = sorted({d.doc_type for d in read_records(ctx.path("documents"), Document) if d.doc_type})
        candidates = cfg.doc_types or ctx.doctype_model().names
        wanted = [t for t in candidates if t in with_docs]
        skipped = sorted(set(candidates) - set(wanted))
        if wanted:
            cfg = cfg.model_copy(update={"doc_types": wanted})
    stats = sample_to_file(ctx.graph.driver, ctx.graph.database, cfg, ctx.path("walk"))
    result = {"kept": stats.kept, "dropped": dict(stats.dropped), "per_doc_type": dict(stats.per_doc_type)}
    if skipped:
        result["doc_types_without_documents"] = skipped
    return result


def stage_instruct(ctx: Context) -> dict[str, Any]:
    tally = Tally("instruct")
    template = load_template("instruct", package="wildlong.synth")
    walks = read_walks(ctx.path("walk"))
    kept = write_instructions(walks, ctx.client, template, ctx.cfg.instruct, tally, ctx.client.model)
    write_jsonl(ctx.path("instruct"), kept)
    return tally.to_dict()


def stage_documents(ctx: Context) -> dict[str, Any]:
    tally = Tally("documents")
    docs = list(read_documents(ctx.cfg.documents, tally))
    names = classify([d.text for d in docs], ctx.doctype_model(), ctx.embedder) if docs else []
    docs = [d.model_copy(update={"doc_type": n}) for d, n in zip(docs, names, strict=True)]
    write_jsonl(ctx.path("documents"), docs)
    result = tally.to_dict()
    result["per_doc_type"] = {n: names.count(n) for n in sorted(set(names))}
    return result


def stage_pair(ctx: Context) -> dict[str, Any]:
    tally = Tally("pair")
    insts = read_records(ctx.path("instruct"), Instruction)
    docs = read_records(ctx.path("documents"), Document)
    write_jsonl(ctx.path("pair"), pair(insts, docs, ctx.cfg.pair, tally))
    return tally.to_dict()


def stage_generate(ctx: Context) -> dict[str, Any]:
    tally = Tally("generate")
    pairs = read_records(ctx.path("pair"), Pair)
    insts = {i.instruction_id: i for i in read_records(ctx.path("instruct"), Instruction)}
    docs = {d.doc_id: d for d in read_records(ctx.path("documents"), Document)}
    samples = generate(pairs, insts, docs, ctx.client, Templates.load(), ctx.cfg.generate, tally)
    write_jsonl(ctx.path("generate"), samples)
    return tally.to_dict()


def stage_dataset(ctx: Context, tallies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    samples = read_records(ctx.path("generate"), Sample)
    insts = {i.instruction_id: i for i in read_records(ctx.path("instruct"), Instruction)}
    docs = {d.doc_id: d for d in read_records(ctx.path("documents"), Document)}
    keys = sorted({k for i in insts.values() for k in i.node_ids})
    query_ids = query_ids_for(ctx.graph.driver, ctx.graph.database, keys)
    meta = {
        "token_model": ctx.cfg.documents.token_model,
        "length_buckets": ctx.cfg.documents.length_buckets,
        "generate_model": ctx.client.model,
        "seed": ctx.cfg.seed,
    }
    records = build_records(samples, insts, docs, query_ids, meta)
    out = ctx.path("dataset").parent
    write_dataset(records, out)
    info = {
        "name": ctx.cfg.name,
        "generate_model": ctx.client.model,
        "instruct_model": ctx.client.model,
        "seed": ctx.cfg.seed,
        "strategy": ctx.cfg.walk.strategy,
        "walk_length": ctx.cfg.walk.length,
    }
    write_card(out, records, tallies, info)
    return {"records": len(records), "multi_document": sum(1 for r in records if r["multi_document"])}
