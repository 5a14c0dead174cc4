"""Stage 1a of a run: read, extract, doctypes, canonical, load — each a ``run`` and a ``plan`` over the
run folder."""

from __future__ import annotations

import json
import logging

from wildlong.records import Counts, read_jsonl, write_jsonl
from wildlong.run.context import Context
from wildlong.run.planning import estimate_rows
from wildlong.run.stage import Forecast, StagePlan


def run_read(ctx: Context) -> Counts:
    from wildlong.loader.read import read_queries

    counts = Counts("read")
    write_jsonl(ctx.path("queries.jsonl"), read_queries(ctx.cfg.read, counts))
    return counts


def plan_read(ctx: Context, fc: Forecast) -> StagePlan:
    from wildlong.loader.read import read_queries

    queries = list(read_queries(ctx.cfg.read, Counts("read")))  # cheap: nothing is sent
    fc.data["queries"] = queries
    return StagePlan("read", records=len(queries), exact=True)


def run_extract(ctx: Context) -> Counts:
    from wildlong.loader.extract import extract_file

    summary = extract_file(
        ctx.path("queries.jsonl"),
        ctx.path("extractions.jsonl"),
        ctx.client,
        ctx.cfg.extract,
        progress=ctx.progress,
    )
    counts = summary.counts
    if summary.skipped_done:  # the output holds them: the stage's counts describe the whole file
        counts.seen += summary.skipped_done
        counts.keep(summary.skipped_done)
        counts.note("done_before", summary.skipped_done)
    return counts


def plan_extract(ctx: Context, fc: Forecast) -> StagePlan:
    from wildlong.loader.extract import Extractor
    from wildlong.loader.records import QueryRecord

    queries = fc.data.get("queries")
    if queries is None:  # read is complete: its file is the input
        queries = list(read_jsonl(ctx.path("queries.jsonl"), QueryRecord, Counts("read")))
    if ctx.cfg.extract.limit is not None:
        queries = queries[: ctx.cfg.extract.limit]
    extractor = Extractor.from_config(ctx.cfg.extract)
    rows = estimate_rows(ctx.client, [extractor.request(q) for q in queries])
    return StagePlan("extract", rows=rows, records=len(queries), exact=True)


def run_doctypes(ctx: Context) -> Counts:
    from wildlong.loader.doctypes import build_doctypes, llm_namer
    from wildlong.loader.records import ExtractionRecord

    counts = Counts("doctypes")
    records = read_jsonl(ctx.path("extractions.jsonl"), ExtractionRecord, counts)
    namer = llm_namer(ctx.client) if ctx.cfg.doctypes.naming == "llm" else None
    model = build_doctypes(records, ctx.cfg.doctypes, ctx.embedder, counts, namer=namer)
    model.save(ctx.path("doctypes.json"))
    for cluster in model.clusters:
        counts.per_doc_type[cluster.name] = cluster.size
    sil = "n/a" if model.silhouette is None else f"{model.silhouette:.3f}"
    junk = f", {len(model.junk)} junk values left out" if model.junk else ""
    limited = (
        f" (lowered: {counts.kept} queries, doctypes.min_queries {ctx.cfg.doctypes.min_queries})"
        if model.k_limit
        else ""
    )
    ctx.echo(f"  K = {model.k}{' (auto)' if model.k_auto else ''}{limited}, silhouette {sil}{junk}")
    ctx.echo(f"  {'#':>3} {'doc type':<32} {'values':>7} {'queries':>8} {'cohesion':>8}  top members")
    for c in model.clusters:
        coh = "n/a" if c.cohesion is None else f"{c.cohesion:.3f}"
        top = ", ".join(c.top[:4])
        ctx.echo(f"  {c.k_index:>3} {c.name[:32]:<32} {c.values:>7} {c.queries:>8} {coh:>8}  {top}")
    return counts


def plan_doctypes(ctx: Context, fc: Forecast) -> StagePlan:
    cfg = ctx.cfg.doctypes
    plan = StagePlan("doctypes", records=fc.records.get("extract"))
    if cfg.naming == "llm":
        from wildlong.loader.doctypes import name_requests

        k = cfg.k if isinstance(cfg.k, int) else cfg.k_max
        plan.rows = estimate_rows(ctx.client, name_requests([["a document type"] * cfg.name_members] * k))
        plan.notes.append("doctypes: one naming call per cluster (naming: llm)")
    return plan


def run_canonical(ctx: Context) -> Counts:
    from wildlong.loader.canonical import canonicalise, write_report
    from wildlong.loader.records import ExtractionRecord
    from wildlong.loader.schema import FieldSchema

    cfg = ctx.cfg.canonical
    counts = Counts("canonical")
    records = read_jsonl(ctx.path("extractions.jsonl"), ExtractionRecord, counts)
    schema = FieldSchema.load(cfg.fields_path or ctx.cfg.extract.fields_path)
    examples = {f.name: f.examples for f in schema.fields}
    embedder = ctx.embedder if cfg.enabled and cfg.threshold is not None else None
    result = canonicalise(records, cfg, embedder, counts, field_names=schema.names, examples=examples)
    write_jsonl(ctx.path("canonical.jsonl"), result.records)
    write_report(result.report, ctx.path("canonical.json"))
    if not cfg.enabled:
        ctx.echo("  canonical values off: records copied unchanged")
        return counts
    report = result.report
    ctx.echo(f"  {report['forms']:,} surface forms -> {report['values']:,} values; {report['junk']:,} junk")
    for name, row in report["fields"].items():
        shown = "; ".join(f"{e['value']} <- {', '.join(list(e['forms'])[1:3])}" for e in row["examples"][:2])
        junk = sum(row["junk"].values())
        line = f"  {name[:20]:<20} {row['forms']:>7} -> {row['values']:>7}  junk {junk:>5}  {shown}"
        ctx.echo(line[:160])
    return counts


def plan_canonical(ctx: Context, fc: Forecast) -> StagePlan:
    plan = StagePlan("canonical", records=fc.records.get("extract"))
    if ctx.cfg.canonical.enabled:
        plan.notes.append("canonical: junk rejected, surface forms merged per field (embeddings, no LLM)")
    return plan


def run_load(ctx: Context) -> Counts:
    from wildlong.loader import graph_load
    from wildlong.loader.canonical import read_forms
    from wildlong.loader.graph_write import write_forms

    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    counts = Counts("load")
    g = ctx.graph
    if ctx.cfg.load.reset:
        graph_load.reset(g.driver, g.database)
    graph_load.apply_schema(g.driver, g.database)
    report = graph_load.load_extractions(
        g.driver,
        g.database,
        [ctx.path("canonical.jsonl")],
        ctx.doctype_model(),
        ctx.cfg.load,
        counts,
        embedder=ctx.embedder,
        progress=ctx.progress,
    )
    forms = read_forms(ctx.path("canonical.json"))
    names = ctx.doctype_model().names
    counts.note("merged_values", write_forms(g.driver, g.database, forms, names, ctx.cfg.load.batch_size))
    summary = graph_load.summary(g.driver, g.database)
    body = {"uri": g.uri, "database": g.database, **summary}
    ctx.path("graph.json").write_text(json.dumps(body, indent=1))
    counts.note("facts_written", report.facts_written)
    ctx.echo(
        f"  wrote {report.queries_written:,} queries ({report.queries_unchanged:,} unchanged), "
        f"{report.facts_written:,} HAS facts in {report.write_s:.1f} s; "
        f"rebuilt {len(report.rebuilt)} doc types"
    )
    ctx.echo("  graph: " + ", ".join(f"{k} {v:,}" for k, v in summary.items()))
    ctx.echo(f"  {'#':>3} {'doc type':<32} {'queries':>8} {'values':>7} {'edges':>8}")
    for row in graph_load.doctype_report(g.driver, g.database):
        name = str(row["name"])[:32]
        ctx.echo(f"  {row['k_index']:>3} {name:<32} {row['size']:>8} {row['values']:>7} {row['edges']:>8}")
    return counts
