"""The NumPy reference sampler: the same walk rule over the same edges, exported from Neo4j.

It exists for statistical tests (transition frequencies against weights) and as the speed baseline of the
Cypher walks. Neighbours are kept sorted by key and picked by cumulative weight, exactly as
``cypher/walks/step.cypher`` does, so the same seed gives the same paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import neo4j
import numpy as np

from wildlong import cypher
from wildlong.synth.walks import Pick, StepRequest

cypher.require("walks/export_edges")


@dataclass
class Adjacency:
    """CSR adjacency of one doc type: for node i, neighbours ``nbr[ptr[i]:ptr[i+1]]`` sorted by key."""

    keys: list[str]
    fields: list[str]
    values: list[str]
    ptr: np.ndarray
    nbr: np.ndarray
    weight: np.ndarray

    @classmethod
    def load(cls, driver: neo4j.Driver, database: str, doc_type: str) -> Adjacency:
        records, _, _ = driver.execute_query(
            cypher.query("walks/export_edges").text,
            doc_type=doc_type,
            database_=database,
            routing_=neo4j.RoutingControl.READ,
        )
        values_q = cypher.query("walks/start_candidates").text
        nodes, _, _ = driver.execute_query(
            values_q, doc_type=doc_type, database_=database, routing_=neo4j.RoutingControl.READ
        )
        edges = [(r["a"], r["b"], float(r["weight"])) for r in records]
        return cls.build([(n["key"], n["field"], n["value"]) for n in nodes], edges)

    @classmethod
    def build(
        cls, nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str, float]]
    ) -> Adjacency:
        ordered = sorted(nodes)
        index = {key: i for i, (key, _, _) in enumerate(ordered)}
        src = np.array([index[a] for a, b, _ in edges] + [index[b] for a, b, _ in edges], dtype=np.int64)
        dst = np.array([index[b] for a, b, _ in edges] + [index[a] for a, b, _ in edges], dtype=np.int64)
        w = np.array([x for _, _, x in edges] * 2, dtype=np.float64)
        order = np.lexsort((dst, src))  # by source, then by neighbour key (keys are sorted, so index order)
        src, dst, w = src[order], dst[order], w[order]
        ptr = np.zeros(len(ordered) + 1, dtype=np.int64)
        np.add.at(ptr, src + 1, 1)
        return cls(
            keys=[k for k, _, _ in ordered], fields=[f for _, f, _ in ordered],
            values=[v for _, _, v in ordered], ptr=np.cumsum(ptr), nbr=dst, weight=w,
        )  # fmt: skip


@dataclass
class NumpyStepper:
    """Drop-in for ``CypherStepper``: the same pick, computed in memory."""

    adj: Adjacency
    uniform: bool = False

    def __post_init__(self) -> None:
        self._index = {key: i for i, key in enumerate(self.adj.keys)}
        self._field_ids = {f: i for i, f in enumerate(sorted(set(self.adj.fields)))}
        self._node_field = np.array([self._field_ids[f] for f in self.adj.fields], dtype=np.int64)

    def step(self, requests: Sequence[StepRequest]) -> dict[int, Pick]:
        adj, picks = self.adj, {}
        for r in requests:
            i = self._index[r.key]
            lo, hi = adj.ptr[i], adj.ptr[i + 1]
            nbr = adj.nbr[lo:hi]
            on_path = [self._field_ids[f] for f in r.fields if f in self._field_ids]
            keep = ~np.isin(self._node_field[nbr], on_path)
            if not keep.any():
                continue
            cand = nbr[keep]
            w = np.ones(len(cand)) if self.uniform else adj.weight[lo:hi][keep]
            cum = np.cumsum(w)
            j = min(int(np.searchsorted(cum, r.u * cum[-1], side="right")), len(cand) - 1)
            n = int(cand[j])
            picks[r.walk] = Pick(adj.keys[n], adj.fields[n], adj.values[n], float(w[j]))
        return picks
