"""Fidelity of the walks to real needs (the paper's claim): do weighted walks combine value pairs that real,
unseen queries hold together, more than uniform walks, independent sampling or random pairs?

    python bench/graph_fidelity.py                      # tests/fixtures/graph/realistic_extractions.jsonl
    python bench/graph_fidelity.py --run /tmp/qs/run1   # a run's extractions.jsonl and doctypes.json
    python bench/graph_fidelity.py --records x.jsonl --walks 2000 --length 6

A seeded 10% of the queries is held out before the graph is built; the rest is loaded with the project's
loader (``graph_load.load_extractions``) into a throwaway managed Neo4j (or NEO4J_URI: that database is
RESET). Then ``--walks`` walks of each strategy are sampled with the project's sampler and measured with
``wildlong.analytics.health`` (definitions there): held-out attested = the share of all unordered value
pairs of the walks that some HELD-OUT query holds together (same doc type); train attested = the same over
the loaded queries; walk mix, replay, queries per walk, distinct-1/2, normalised value entropy. ``random``:
uniform distinct fields, a uniform value of each. Doc types: the run's doctypes.json when given, else the
doctypes stage's defaults on the loaded queries (--k K: one doc type per each of the K most frequent
document_type values and "other" for the rest). Values are canonicalised as a run does (the canonical
stage's defaults on the loaded queries; held-out forms map to the same values); --no-canonical compares.
Everything printed is measured on this run; nothing is a target.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loader_load import open_graph  # noqa: E402
from wildlong.analytics.health import (  # noqa: E402
    fetch_holders,
    fetch_values,
    random_paths,
    sample_paths,
    walk_metrics,
)
from wildlong.loader import graph_load  # noqa: E402
from wildlong.loader.canonical import CanonicalConfig, canonicalise  # noqa: E402
from wildlong.loader.config import DocTypeConfig, LoadConfig  # noqa: E402
from wildlong.loader.doctypes import DocTypeCluster, DocTypeModel, build_doctypes  # noqa: E402
from wildlong.loader.embed import Embedder  # noqa: E402
from wildlong.loader.graph_rows import classify_unknown, plan_rows  # noqa: E402
from wildlong.loader.merge import lexical_key  # noqa: E402
from wildlong.loader.records import ExtractionRecord  # noqa: E402
from wildlong.loader.schema import DOCUMENT_TYPE, FieldSchema  # noqa: E402
from wildlong.records import Counts, read_jsonl, write_jsonl  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "graph" / "realistic_extractions.jsonl"
STRATEGIES = ("weighted", "uniform", "independent", "random")
COLUMNS = ("walks", "heldout_attested", "train_attested", "heldout_fully", "mix", "replay", "novel",
           "queries_per_walk", "distinct_1", "distinct_2", "value_entropy_norm")  # fmt: skip


def standin_model(records: list[ExtractionRecord], k: int) -> DocTypeModel:
    """One doc type per each of the k most frequent document_type values, "other" for every other value."""
    freq = Counter(v for r in records for v in r.fields.get(DOCUMENT_TYPE, []))
    top = [v for v, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
    names = [*top, "other"] if len(freq) > len(top) else top
    clusters = [DocTypeCluster(k_index=i, name=n, values=0, queries=0, central=n, top=[])
                for i, n in enumerate(names)]  # fmt: skip
    assign = {v: (top.index(v) if v in top else len(top)) for v in freq}
    model = DocTypeModel(field=DOCUMENT_TYPE, embedding_model="none", k=len(names), silhouette=None,
                         naming="central", clusters=clusters, assignments=assign)  # fmt: skip
    model._centroids = np.zeros((len(names), 4), dtype=np.float32)
    model.refresh_id()
    return model


def split(records: list[ExtractionRecord], share: float, seed: int) -> tuple[list, list]:
    ids = sorted({r.query_id for r in records})
    random.Random(seed).shuffle(ids)
    held = set(ids[: max(1, round(len(ids) * share))])
    return [r for r in records if r.query_id not in held], [r for r in records if r.query_id in held]


def held_holders(
    records: list[ExtractionRecord], model: DocTypeModel, embedder: Embedder
) -> dict[str, frozenset[str]]:
    """Value key -> held-out query ids, keyed the way the loader would key them (same doc-type model;
    document_type values the model has not seen go to their nearest doc type, as the loader does)."""
    found: dict[str, set[str]] = {}
    extra = classify_unknown(records, model, embedder, Counts("heldout"))
    for row in plan_rows(records, model, Counts("heldout"), extra=extra):
        for v in row.values:
            found.setdefault(v.key, set()).add(row.id)
    return {k: frozenset(v) for k, v in found.items()}


def canonical_split(
    train: list[ExtractionRecord], held: list[ExtractionRecord], embedder: Embedder
) -> tuple[list[ExtractionRecord], list[ExtractionRecord]]:
    """The canonical stage on the loaded queries (its defaults); held-out forms are mapped to the same
    canonical values (by surface form, else by lexical key), unseen forms stay as they are."""
    schema = FieldSchema.load()
    examples = {f.name: f.examples for f in schema.fields}
    result = canonicalise(train, CanonicalConfig(), embedder, Counts("canonical"), field_names=schema.names,
                          examples=examples)  # fmt: skip
    by_form: dict[str, dict[str, str]] = {}
    for name, values in result.forms.items():
        table = by_form.setdefault(name, {})
        for value, forms in values.items():
            for form in forms:
                table[form] = value
                table.setdefault(lexical_key(form), value)
    mapped = []
    for record in held:
        fields = {}
        for name, values in record.fields.items():
            table = by_form.get(name, {})
            fields[name] = list(dict.fromkeys(table.get(v, table.get(lexical_key(v), v)) for v in values))
        mapped.append(record.model_copy(update={"fields": fields}))
    return result.records, mapped


def source(args: argparse.Namespace) -> tuple[Path, DocTypeModel | None]:
    model = None
    if args.run and (args.run / "doctypes.json").is_file():
        model = DocTypeModel.load(args.run / "doctypes.json")
    if args.records:
        return args.records, model
    if args.run:
        return args.run / "extractions.jsonl", model
    if FIXTURE.is_file():
        return FIXTURE, model
    sys.exit(f"no records: {FIXTURE} is missing; give --records FILE or --run RUN_DIR")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=Path, help="extraction records (JSONL)")
    parser.add_argument("--run", type=Path, help="run folder: extractions.jsonl (+ doctypes.json)")
    parser.add_argument("--holdout", type=float, default=0.1, help="share of queries held out")
    parser.add_argument("--walks", type=int, default=1000, help="walks per strategy")
    parser.add_argument("--length", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and of every walk")
    parser.add_argument("--k", type=int, default=None,
                        help="stand-in doc types: the K most frequent document_type values (default: the "
                        "doctypes stage with its defaults, or the run's doctypes.json)")  # fmt: skip
    parser.add_argument("--no-canonical", dest="canonical", action="store_false",
                        help="load the surface forms as they are (default: canonical values, as a run "
                        "does)")  # fmt: skip
    parser.add_argument("--engine", choices=["cypher", "numpy"], default="cypher")
    args = parser.parse_args()
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)

    path, model = source(args)
    records = list(read_jsonl(path, ExtractionRecord))
    train, held = split(records, args.holdout, args.seed)
    embedder = Embedder()
    if model is None:  # as `wildlong doctypes` builds them, from the loaded queries only
        model = standin_model(train, args.k) if args.k else build_doctypes(train, DocTypeConfig(), embedder,
                                                                           Counts("doctypes"))  # fmt: skip
    print(
        f"{len(records):,} records of {path}: {len(train):,} loaded, {len(held):,} held out "
        f"(seed {args.seed}); {model.k} doc types; canonical values {'on' if args.canonical else 'off'}"
    )
    if args.canonical:
        train, held = canonical_split(train, held, embedder)
    with tempfile.TemporaryDirectory(prefix="wildlong-fidelity-") as tmp_name:
        tmp = Path(tmp_name)
        graph, managed = open_graph(tmp)
        try:
            graph_load.reset(graph.driver, graph.database)
            write_jsonl(tmp / "train.jsonl", train)
            graph_load.load_extractions(graph.driver, graph.database, [tmp / "train.jsonl"], model,
                                        LoadConfig(), Counts("load"), embedder=embedder,
                                        progress=False)  # fmt: skip
            size = graph_load.summary(graph.driver, graph.database)
            print(f"graph: {json.dumps(size)}")
            rows = measure(graph.driver, graph.database, tmp, args, held_holders(held, model, embedder))
        finally:
            graph.close()
            if managed is not None:
                managed.stop()  # type: ignore[attr-defined]
    for name, row in rows.items():
        print(json.dumps({"strategy": name, **row}))
    print()
    print(f"{'strategy':<12}" + "".join(f"{c:>19}" for c in COLUMNS))
    for name, row in rows.items():
        print(f"{name:<12}" + "".join(f"{_fmt(row[c]):>19}" for c in COLUMNS))


def measure(driver, database, tmp: Path, args, held: dict[str, frozenset[str]]) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    values = fetch_values(driver, database, None)
    paths = {}
    for strategy in STRATEGIES[:3]:
        paths[strategy] = sample_paths(driver, database, tmp, strategy, walks=args.walks, length=args.length,
                                       seed=args.seed, doc_types=None, engine=args.engine)  # fmt: skip
    allocation = dict(Counter(p.doc_type for p in paths["weighted"]))
    paths["random"] = random_paths(values, allocation, args.length, args.seed)
    train = fetch_holders(driver, database, {k for ps in paths.values() for p in ps for k in p.keys})
    rows = {}
    for name, ps in paths.items():
        on_train = walk_metrics(ps, train, values)["overall"]
        on_held = walk_metrics(ps, held, values)["overall"]
        rows[name] = {
            **{c: on_train.get(c) for c in COLUMNS},
            "heldout_attested": on_held["attested_pairs"],
            "train_attested": on_train["attested_pairs"],
            "heldout_fully": on_held["fully_attested"],
        }
    return rows


def _fmt(x: object) -> str:
    if x is None:
        return "-"
    return f"{x:.4f}" if isinstance(x, float) else f"{x:,}" if isinstance(x, int) else str(x)


if __name__ == "__main__":
    main()
