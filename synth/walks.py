"""Weighted random walks over the co-occurrence graph, run in Neo4j.

A walk starts at a value drawn in proportion to its count (the queries holding it) among the values held
by at least ``start_min_count`` queries (2: a need that recurs, so a walk never starts inside one query's
private values; a doc type without such values starts anywhere). Python holds each walk's state (current
node, fields on the path, a seeded uniform draw per step);
one batched Cypher query per step moves every walk in flight (``cypher/walks/step.cypher``): it gathers
the candidates — neighbours whose field is not yet on the path — and picks by cumulative weight.
The same driver loop runs the NumPy reference sampler (``synth.walk_numpy``) so that both give the same
paths for the same seed; ``independent`` samples each field from its marginal, without the graph.

    counts = Counts("walk")
    for walk in sample_walks(driver, database, WalkConfig(walks=100), counts):
        ...
    # counts: seen = attempted walks, kept, dropped (too_short, duplicate), per_doc_type; notes:
    # doc_type_exhausted (walks a doc type could not give within max_attempts), doc_type_without_values
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import neo4j
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from wildlong import cypher
from wildlong.errors import ConfigError
from wildlong.records import Counts
from wildlong.synth.walk_index import ensure_index
from wildlong.synth.walk_step import CypherStepper, Pick, StartTable, Stepper, StepRequest

cypher.require("walks/doc_types")

Strategy = Literal["weighted", "uniform", "independent"]
# Draws come in fixed chunks so that a walk's random numbers never depend on the batch size.
CHUNK = 1024
# Per step: REJECTION_DRAWS tries by binary search over all neighbours, then one draw for the exact step.
REJECTION_DRAWS = 8
STEP_WIDTH = REJECTION_DRAWS + 1


class WalkConfig(BaseModel):
    """How walks are sampled (the paper: weighted, N = 6)."""

    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = Field(
        "weighted",
        description="weighted (by co-occurrence) | uniform (ignore weights) | independent (each field from "
        "its marginal, no edges)",
    )
    length: int = Field(
        6, ge=2, le=13, description="N: stop after this many nodes (the paper compares 4, 6, 8)"
    )
    min_length: int = Field(3, ge=1, description="drop walks that hit a dead end before this many nodes")
    walks: int = Field(1000, ge=1, description="walks to keep in all, spread over doc types by their size")
    doc_types: list[str] | None = Field(None, description="only these doc types; null = all")
    only_with_documents: bool = Field(
        True,
        description="in a run: walk only the doc types that some document was classified into (an "
        "instruction of another type could never be paired, its LLM calls would be wasted)",
    )
    seed: int = Field(0, description="seed of every draw: the same seed and graph give the same walks")
    batch_size: int = Field(4096, ge=1, description="walks in flight per Cypher step query")
    coverage: bool = Field(
        False, description="after sampling, print the share of values and edges walks visit"
    )
    engine: Literal["cypher", "numpy"] = Field(
        "cypher",
        description="cypher: one batched query per step in Neo4j; numpy: the in-memory reference sampler",
    )
    max_attempts: float = Field(
        5.0, ge=1, description="give up on a doc type after (its walks x this) attempts"
    )
    start_min_count: int = Field(
        2,
        ge=1,
        description="weighted and uniform walks start at a value held by at least this many queries (a need "
        "that recurs, so every walk touches more than one user's query); a doc type with no such value "
        "starts anywhere (noted doc_type_without_recurring_values); 1 = any value",
    )


class Walk(BaseModel):
    """One sampled path: the values an instruction will combine."""

    walk_id: str
    doc_type: str
    node_ids: list[str]
    fields: list[str]
    values: list[str]
    weights: list[float] = Field(description="weight of each edge taken (empty for independent)")
    strategy: Strategy
    seed: int
    index: int = Field(description="attempt index within its doc type (the draws it used)")


def draws(seed: int, doc_index: int, chunk: int, width: int) -> np.ndarray:
    """The uniforms of one chunk of attempts: row i belongs to attempt chunk*CHUNK + i."""
    return np.random.default_rng([seed, doc_index, chunk]).random((CHUNK, width))


def pick_start(table: StartTable, u: float) -> int:
    cum = np.cumsum(table.counts)
    return int(min(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1))


def run_walks(
    starts: StartTable,
    stepper: Stepper,
    cfg: WalkConfig,
    doc_type: str,
    doc_index: int,
    wanted: int,
    counts: Counts,
) -> Iterator[Walk]:
    """Walks of one doc type: ``wanted`` distinct paths of at least ``min_length`` nodes. Every attempt is
    ``seen``; one that is too short or a duplicate is dropped by that reason."""
    if not starts.keys:
        counts.note("doc_type_without_values")
        return
    if cfg.strategy != "independent" and cfg.start_min_count > 1:  # independent needs the full marginals
        recurring = starts.at_least(cfg.start_min_count)
        if recurring.keys:
            starts = recurring
        else:
            counts.note("doc_type_without_recurring_values")
    seen: set[tuple[str, ...]] = set()
    produced, attempt, limit = 0, 0, int(wanted * cfg.max_attempts)
    while produced < wanted and attempt < limit:
        chunk, first = divmod(attempt, CHUNK)
        take = min(CHUNK - first, limit - attempt, cfg.batch_size, (wanted - produced) * 2 + 16)
        rows = draws(cfg.seed, doc_index, chunk, 1 + (cfg.length - 1) * STEP_WIDTH)[first : first + take]
        if cfg.strategy == "independent":
            paths = [_independent(starts, row, cfg.length) for row in rows]
        else:
            paths = _advance(starts, stepper, rows, cfg.length)
        for offset, path in enumerate(paths):
            counts.seen += 1
            reason = _reject(path, cfg, seen)
            if reason:
                counts.drop(reason)
                continue
            seen.add(tuple(sorted(path.keys)))
            counts.keep()
            counts.per_doc_type[doc_type] += 1
            produced += 1
            yield path.to_walk(cfg, doc_type, doc_index, attempt + offset)
            if produced >= wanted:
                break
        attempt += take
    if produced < wanted:
        counts.note("doc_type_exhausted", wanted - produced)


@dataclass
class _Path:
    keys: list[str]
    fields: list[str]
    values: list[str]
    weights: list[float]

    def add(self, p: Pick) -> None:
        self.keys.append(p.key)
        self.fields.append(p.field)
        self.values.append(p.value)
        self.weights.append(p.weight)

    def to_walk(self, cfg: WalkConfig, doc_type: str, doc_index: int, index: int) -> Walk:
        return Walk(
            walk_id=f"{cfg.strategy}-s{cfg.seed}-d{doc_index}-{index}",
            doc_type=doc_type,
            node_ids=self.keys,
            fields=self.fields,
            values=self.values,
            weights=self.weights,
            strategy=cfg.strategy,
            seed=cfg.seed,
            index=index,
        )


def _reject(path: _Path, cfg: WalkConfig, seen: set[tuple[str, ...]]) -> str | None:
    if len(path.keys) < cfg.min_length:
        return "too_short"
    if tuple(sorted(path.keys)) in seen:
        return "duplicate"
    return None


def _advance(starts: StartTable, stepper: Stepper, rows: np.ndarray, length: int) -> list[_Path]:
    """Move a batch of walks in lockstep; column 0 draws the start, then STEP_WIDTH columns per step."""
    paths = [_start(starts, float(u)) for u in rows[:, 0]]
    active = list(range(len(paths)))
    for step in range(1, length):
        base = 1 + (step - 1) * STEP_WIDTH
        requests = [
            StepRequest(
                w,
                paths[w].keys[-1],
                paths[w].fields,
                float(rows[w, base + REJECTION_DRAWS]),
                [float(x) for x in rows[w, base : base + REJECTION_DRAWS]],
            )
            for w in active
        ]
        picks = stepper.step(requests)
        active = [w for w in active if w in picks]
        for w in active:
            paths[w].add(picks[w])
        if not active:
            break
    return paths


def _start(starts: StartTable, u: float) -> _Path:
    i = pick_start(starts, u)
    return _Path([starts.keys[i]], [starts.fields[i]], [starts.values[i]], [])


def _independent(starts: StartTable, row: np.ndarray, length: int) -> _Path:
    """No graph: a start as above, then other fields chosen uniformly, each value from its marginal."""
    path = _start(starts, float(row[0]))
    by_field: dict[str, list[int]] = {}
    for i, f in enumerate(starts.fields):
        by_field.setdefault(f, []).append(i)
    others = sorted(f for f in by_field if f != path.fields[0])
    for k in range(1, length):
        if not others:
            break
        chosen = others.pop(min(int(row[2 * k - 1] * len(others)), len(others) - 1))
        members = by_field[chosen]
        sub = StartTable(
            [starts.keys[i] for i in members],
            [chosen] * len(members),
            [starts.values[i] for i in members],
            starts.counts[members],
        )
        j = pick_start(sub, float(row[2 * k]))
        path.add(Pick(sub.keys[j], chosen, sub.values[j], 0.0))
    path.weights = []
    return path


def doc_type_sizes(driver: neo4j.Driver, database: str) -> dict[str, int]:
    records, _, _ = driver.execute_query(
        cypher.query("walks/doc_types").text, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return {r["name"]: int(r["size"] or 0) for r in records}


def allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Spread ``total`` walks over doc types in proportion to their sizes (largest remainder)."""
    names = sorted(sizes)
    weight = np.array([max(sizes[n], 0) for n in names], dtype=np.float64)
    if weight.sum() == 0:
        weight[:] = 1.0
    exact = weight / weight.sum() * total
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    for i in order[: total - int(base.sum())]:
        base[i] += 1
    return {n: int(b) for n, b in zip(names, base, strict=True) if b > 0}


def sample_walks(
    driver: neo4j.Driver, database: str, cfg: WalkConfig, counts: Counts, stepper: Stepper | None = None
) -> Iterator[Walk]:
    """All walks of a run, doc type by doc type (sorted by name), with the Cypher stepper by default."""
    sizes = doc_type_sizes(driver, database)
    if cfg.doc_types:
        missing = sorted(set(cfg.doc_types) - set(sizes))
        if missing:
            raise ConfigError(
                f"no doc type named {', '.join(missing)} in the graph (it has: {', '.join(sizes)})"
            )
        sizes = {k: v for k, v in sizes.items() if k in cfg.doc_types}
    if not sizes:
        raise ConfigError(
            "the graph has no doc types", hint="load extraction records first (`wildlong load`)"
        )
    stepper = stepper or CypherStepper(driver, database, uniform=cfg.strategy == "uniform")
    doc_index = {name: i for i, name in enumerate(sorted(doc_type_sizes(driver, database)))}
    for name, wanted in allocate(sizes, cfg.walks).items():
        if isinstance(stepper, CypherStepper) and cfg.strategy != "independent":
            ensure_index(driver, database, name)
        starts = StartTable.load(driver, database, name)
        yield from run_walks(starts, stepper, cfg, name, doc_index[name], wanted, counts)
