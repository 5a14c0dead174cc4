"""Walks to JSONL, with a progress bar and either engine, and their coverage of the graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pandas as pd
from tqdm import tqdm

from wildlong.analytics import named
from wildlong.graph import lost_as_unavailable
from wildlong.records import Counts, read_jsonl, write_jsonl
from wildlong.synth.walk_numpy import Adjacency, NumpyStepper
from wildlong.synth.walks import Walk, WalkConfig, allocate, doc_type_sizes, sample_walks

STAGE = "walk"


@lost_as_unavailable
def sample_to_file(
    driver: neo4j.Driver,
    database: str,
    cfg: WalkConfig,
    out: Path,
    engine: str = "cypher",
    *,
    progress: bool | None = None,
) -> Counts:
    """Sample ``cfg.walks`` walks into ``out`` (written to a temp file, then renamed: never half a file).
    ``progress=None`` shows the bar on a terminal only."""
    counts = Counts(STAGE)
    disable = (not progress) if progress is not None else None
    with tqdm(total=cfg.walks, desc="walks", unit="walk", disable=disable) as bar:
        write_jsonl(out, _counted(bar, _walks(driver, database, cfg, counts, engine)))
    return counts


def _counted(bar: tqdm, walks: Iterator[Walk]) -> Iterator[Walk]:
    for walk in walks:
        yield walk
        bar.update(1)


def _walks(
    driver: neo4j.Driver, database: str, cfg: WalkConfig, counts: Counts, engine: str
) -> Iterator[Walk]:
    if engine == "cypher" or cfg.strategy == "independent":
        yield from sample_walks(driver, database, cfg, counts)
        return
    # The NumPy engine needs one adjacency per doc type: sample each doc type with its own stepper.
    sizes = doc_type_sizes(driver, database)
    wanted = allocate({k: v for k, v in sizes.items() if not cfg.doc_types or k in cfg.doc_types}, cfg.walks)
    for name in wanted:
        stepper = NumpyStepper(Adjacency.load(driver, database, name), uniform=cfg.strategy == "uniform")
        sub = cfg.model_copy(update={"doc_types": [name], "walks": wanted[name]})
        yield from sample_walks(driver, database, sub, counts, stepper=stepper)


@lost_as_unavailable
def coverage_table(driver: neo4j.Driver, database: str, walks_file: Path) -> pd.DataFrame:
    """Per doc type: the share of values and edges that the walks in ``walks_file`` visit."""
    by_type: dict[str, list[list[str]]] = {}
    for w in read_jsonl(walks_file, Walk):
        by_type.setdefault(w.doc_type, []).append(w.node_ids)
    frames = [
        named(driver, "walk_coverage", database, doc_type=t, paths=p) for t, p in sorted(by_type.items())
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
