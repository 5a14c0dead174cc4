"""Stage 1b and 2 of a run: documents, walk, instruct, pair, generate — a ``run`` and a ``plan`` each."""

from __future__ import annotations

from wildlong.records import Counts, read_jsonl, write_jsonl
from wildlong.run.context import Context
from wildlong.run.planning import estimate_rows
from wildlong.run.stage import Forecast, StagePlan

PLACEHOLDER_VALUE = "a short phrase of a few words"
PLACEHOLDER_INSTRUCTION = " ".join(["Summarise what the material says about this need, with examples."] * 4)


def run_documents(ctx: Context) -> Counts:
    from wildlong.synth.documents import classify_documents, read_documents

    counts = Counts("documents")
    docs = list(read_documents(ctx.cfg.documents, counts))
    docs = classify_documents(docs, ctx.doctype_model(), ctx.embedder, ctx.cfg.documents, counts)
    write_jsonl(ctx.path("documents.jsonl"), docs)
    ctx.echo("  doc types: " + ", ".join(f"{t} {n}" for t, n in counts.per_doc_type.most_common()))
    for line in counts.messages:
        if line.startswith("documents: "):  # a type taking most documents (type_warnings)
            ctx.echo(f"  warning: {line.removeprefix('documents: ')}")
    return counts


def plan_documents(ctx: Context, fc: Forecast) -> StagePlan:
    from wildlong.synth.documents import read_documents

    docs = list(read_documents(ctx.cfg.documents, Counts("documents")))
    fc.data["documents"] = docs
    return StagePlan("documents", records=len(docs), exact=True)


def run_walk(ctx: Context) -> Counts:
    from wildlong.loader.doctype_names import OTHER
    from wildlong.synth.records import Document
    from wildlong.synth.walk_io import sample_to_file

    cfg = ctx.cfg.walk
    skipped: list[str] = []
    without_documents = not ctx.path("documents.jsonl").exists()  # `wildlong walk` right after `load`
    if cfg.only_with_documents and without_documents:
        ctx.echo("  no documents in this run folder: walks over every doc type")
    elif cfg.only_with_documents:
        docs = list(read_jsonl(ctx.path("documents.jsonl"), Document))
        with_docs = sorted({d.doc_type for d in docs if d.doc_type and d.doc_type != OTHER})
        candidates = [t for t in cfg.doc_types or ctx.doctype_model().names if t != OTHER]
        if ctx.cfg.pair.use_other and any(d.doc_type == OTHER for d in docs):
            with_docs = candidates  # 'other' documents serve every doc type without its own
        wanted = [t for t in candidates if t in with_docs]
        skipped = sorted(set(candidates) - set(wanted))
        if wanted:
            cfg = cfg.model_copy(update={"doc_types": wanted})
    g = ctx.graph
    out = ctx.path("walks.jsonl")
    counts = sample_to_file(g.driver, g.database, cfg, out, cfg.engine, progress=ctx.progress)
    for name in skipped:
        counts.note(f"doc_type_without_documents:{name}")
    if without_documents:
        counts.note("no_documents_stage")
    if cfg.coverage:
        from wildlong.synth.walk_io import coverage_table

        ctx.echo(
            coverage_table(ctx.graph.driver, ctx.graph.database, ctx.path("walks.jsonl")).to_string(
                index=False
            )
        )
    return counts


def plan_walk(ctx: Context, fc: Forecast) -> StagePlan:
    return StagePlan("walk", records=ctx.cfg.walk.walks)


def run_instruct(ctx: Context) -> Counts:
    from wildlong.llm import load_template
    from wildlong.synth.instructions import write_instructions
    from wildlong.synth.walks import Walk

    counts = Counts("instruct")
    template = load_template("instruct", package="wildlong.synth")
    walks = list(read_jsonl(ctx.path("walks.jsonl"), Walk))
    kept = write_instructions(walks, ctx.client, template, ctx.cfg.instruct, counts, ctx.client.model)
    write_jsonl(ctx.path("instructions.jsonl"), kept)
    return counts


def plan_instruct(ctx: Context, fc: Forecast) -> StagePlan:
    from wildlong.llm import load_template
    from wildlong.synth.instructions import requests_for
    from wildlong.synth.walks import Walk

    if "walk" in fc.complete:
        walks, exact = list(read_jsonl(ctx.path("walks.jsonl"), Walk)), True
    else:
        n, length = fc.records.get("walk", ctx.cfg.walk.walks), ctx.cfg.walk.length
        fields = [f"field_{i}" for i in range(length)]
        walk = Walk(
            walk_id="w",
            doc_type="technical report",
            node_ids=fields,
            fields=fields,
            values=[PLACEHOLDER_VALUE] * length,
            weights=[],
            strategy="weighted",
            seed=0,
            index=0,
        )
        walks, exact = [walk.model_copy(update={"walk_id": f"w{i}", "seed": i}) for i in range(n)], False
    template = load_template("instruct", package="wildlong.synth")
    rows = estimate_rows(ctx.client, requests_for(walks, template, ctx.cfg.instruct))
    return StagePlan("instruct", rows=rows, records=len(walks), exact=exact)


def run_pair(ctx: Context) -> Counts:
    from wildlong.synth.pairing import pair
    from wildlong.synth.records import Document, Instruction

    counts = Counts("pair")
    insts = list(read_jsonl(ctx.path("instructions.jsonl"), Instruction))
    docs = list(read_jsonl(ctx.path("documents.jsonl"), Document))
    write_jsonl(ctx.path("pairs.jsonl"), pair(insts, docs, ctx.cfg.pair, counts))
    return counts


def plan_pair(ctx: Context, fc: Forecast) -> StagePlan:
    return StagePlan("pair", records=fc.records.get("instruct", 0))


def run_generate(ctx: Context) -> Counts:
    from wildlong.synth.generate import Templates, generate
    from wildlong.synth.records import Document, Instruction, Pair

    counts = Counts("generate")
    pairs = list(read_jsonl(ctx.path("pairs.jsonl"), Pair))
    insts = {i.instruction_id: i for i in read_jsonl(ctx.path("instructions.jsonl"), Instruction)}
    docs = {d.doc_id: d for d in read_jsonl(ctx.path("documents.jsonl"), Document)}
    samples = generate(pairs, insts, docs, ctx.client, Templates.load(), ctx.cfg.generate, counts)
    write_jsonl(ctx.path("samples.jsonl"), samples)
    return counts


def plan_generate(ctx: Context, fc: Forecast) -> StagePlan:
    from wildlong.synth.generate import Templates
    from wildlong.synth.generate_plan import forecast_pairs, plan_requests
    from wildlong.synth.records import Document, Instruction, Pair

    if "pair" in fc.complete:
        pairs = list(read_jsonl(ctx.path("pairs.jsonl"), Pair))
        insts = {i.instruction_id: i for i in read_jsonl(ctx.path("instructions.jsonl"), Instruction)}
        docs = {d.doc_id: d for d in read_jsonl(ctx.path("documents.jsonl"), Document)}
        exact, set_aside = True, 0
    else:
        from wildlong.loader.doctype_names import OTHER

        pool = fc.data.get("documents")
        if pool is None:
            pool = list(read_jsonl(ctx.path("documents.jsonl"), Document))
        set_aside = 0 if ctx.cfg.pair.use_other else sum(1 for d in pool if d.doc_type == OTHER)
        if set_aside:  # classified already: documents near no doc type are never paired
            pool = [d for d in pool if d.doc_type != OTHER]
        pairs, insts, docs = forecast_pairs(
            fc.records.get("pair", 0), pool, ctx.cfg.pair, PLACEHOLDER_INSTRUCTION
        )
        exact = False
    requests, notes = plan_requests(pairs, insts, docs, Templates.load(), ctx.cfg.generate)
    plan = StagePlan("generate", rows=estimate_rows(ctx.client, requests), records=len(pairs), exact=exact)
    plan.notes += notes
    if not exact and set_aside:
        why = "(pair.use_other: false)"
        plan.notes.append(f"generate: {set_aside} documents in 'other' are not paired {why}")
    return plan
