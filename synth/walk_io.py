"""Walks to and from JSONL, with a progress bar, and their coverage of the graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pandas as pd
from tqdm import tqdm

from wildlong.synth.walk_numpy import Adjacency, NumpyStepper
from wildlong.synth.walks import Walk, WalkConfig, WalkStats, sample_walks


def sample_to_file(
    driver: neo4j.Driver, database: str, cfg: WalkConfig, out: Path, engine: str = "cypher"
) -> WalkStats:
    """Sample ``cfg.walks`` walks into ``out`` (written to a temp file, then renamed: never half a file)."""
    stats = WalkStats()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as fh, tqdm(total=cfg.walks, desc="walks", unit="walk") as bar:
        for walk in _walks(driver, database, cfg, stats, engine):
            fh.write(walk.model_dump_json() + "\n")
            bar.update(1)
    tmp.replace(out)
    return stats


def _walks(
    driver: neo4j.Driver, database: str, cfg: WalkConfig, stats: WalkStats, engine: str
) -> Iterator[Walk]:
    if engine == "cypher" or cfg.strategy == "independent":
        yield from sample_walks(driver, database, cfg, stats)
        return
    # The NumPy engine needs one adjacency per doc type: sample each doc type with its own stepper.
    from wildlong.synth.walks import allocate, doc_type_sizes

    sizes = doc_type_sizes(driver, database)
    wanted = allocate({k: v for k, v in sizes.items() if not cfg.doc_types or k in cfg.doc_types}, cfg.walks)
    for name in wanted:
        stepper = NumpyStepper(Adjacency.load(driver, database, name), uniform=cfg.strategy == "uniform")
        sub = cfg.model_copy(update={"doc_types": [name], "walks": wanted[name]})
        yield from sample_walks(driver, database, sub, stats, stepper=stepper)


def read_walks(path: Path) -> list[Walk]:
    with path.open(encoding="utf-8") as fh:
        return [Walk.model_validate_json(line) for line in fh if line.strip()]


def coverage_table(driver: neo4j.Driver, database: str, walks_file: Path) -> pd.DataFrame:
    """Per doc type: the share of values and edges that the walks in ``walks_file`` visit."""
    from wildlong.analytics import named

    by_type: dict[str, list[list[str]]] = {}
    for w in read_walks(walks_file):
        by_type.setdefault(w.doc_type, []).append(w.node_ids)
    frames = [
        named(driver, "walk_coverage", database, doc_type=t, paths=p) for t, p in sorted(by_type.items())
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
