"""Benchmark: weighted walks in Neo4j (one batched Cypher query per step) against the NumPy reference
sampler over the same edges, on the loader benchmark's graph (100k extraction records, K = 10 doc types).

    python bench/walks_bench.py                       # 10k, 30k, 100k walks of N = 6
    python bench/walks_bench.py --records 30000 --walks 10000,30000

Both engines produce the same walks for the same seed (the test suite checks it); the time printed is
the whole sampling, start draws and duplicate dropping included. The NumPy column also includes loading
its adjacency from Neo4j once per doc type (shown separately). Goal: Cypher within 5x of NumPy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loader_load import Distribution, _record, doctype_model, open_graph  # noqa: E402
from wildlong.loader import graph_load  # noqa: E402
from wildlong.loader.config import LoadConfig  # noqa: E402
from wildlong.records import Counts, write_jsonl  # noqa: E402
from wildlong.synth.walk_numpy import Adjacency, NumpyStepper  # noqa: E402
from wildlong.synth.walks import WalkConfig, allocate, doc_type_sizes, sample_walks  # noqa: E402


def build_graph(graph: object, tmp: Path, records: int, seed: int) -> None:
    dist = Distribution.zipf(seed)
    fields = dist.sample(records, seed)
    path = tmp / "records.jsonl"
    write_jsonl(path, (_record(i, f) for i, f in enumerate(fields)))
    g = graph
    graph_load.reset(g.driver, g.database)  # type: ignore[attr-defined]
    graph_load.load_extractions(
        g.driver,
        g.database,
        [path],
        doctype_model(fields),
        LoadConfig(),  # type: ignore[attr-defined]
        Counts("load"),
        progress=False,
    )


def cypher_walks(graph: object, cfg: WalkConfig) -> tuple[float, int]:
    stats = Counts("walk")
    t0 = time.perf_counter()
    n = sum(1 for _ in sample_walks(graph.driver, graph.database, cfg, stats))  # type: ignore[attr-defined]
    return time.perf_counter() - t0, n


def numpy_walks(graph: object, cfg: WalkConfig) -> tuple[float, float, int]:
    driver, database = graph.driver, graph.database  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    sizes = doc_type_sizes(driver, database)
    wanted = allocate(sizes, cfg.walks)
    adjs = {name: Adjacency.load(driver, database, name) for name in wanted}
    load_s = time.perf_counter() - t0
    n = 0
    for name in wanted:
        sub = cfg.model_copy(update={"doc_types": [name], "walks": wanted[name]})
        n += sum(
            1 for _ in sample_walks(driver, database, sub, Counts("walk"), stepper=NumpyStepper(adjs[name]))
        )
    return time.perf_counter() - t0, load_s, n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--walks", default="10000,30000,100000")
    parser.add_argument("--length", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wildlong-walk-bench-") as name:
        tmp = Path(name)
        graph, managed = open_graph(tmp)
        try:
            t0 = time.perf_counter()
            build_graph(graph, tmp, args.records, args.seed)
            summary = graph_load.summary(graph.driver, graph.database)
            print(f"graph of {args.records:,} records built in {time.perf_counter() - t0:.0f} s: {summary}")
            print(
                f"{'walks':>8} {'cypher s':>9} {'cypher w/s':>11} {'numpy s':>8} {'(load s)':>9} "
                f"{'numpy w/s':>10} {'cypher/numpy time':>18}"
            )
            for walks in (int(w) for w in args.walks.split(",")):
                cfg = WalkConfig(walks=walks, length=args.length, min_length=2, seed=args.seed)
                c_s, c_n = cypher_walks(graph, cfg)
                n_s, load_s, n_n = numpy_walks(graph, cfg)
                print(
                    f"{walks:>8,} {c_s:>9.1f} {c_n / c_s:>11,.0f} {n_s:>8.1f} {load_s:>9.1f} "
                    f"{n_n / n_s:>10,.0f} {c_s / n_s:>17.2f}x"
                )
        finally:
            graph.close()
            if managed is not None:
                managed.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
