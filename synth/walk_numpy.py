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
from wildlong.synth.walk_step import Pick, StepRequest

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
            keys=[k for k, _, _ in ordered],
            fields=[f for _, f, _ in ordered],
            values=[v for _, _, v in ordered],
            ptr=np.cumsum(ptr),
            nbr=dst,
            weight=w,
        )

    def neighbours(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Node ``i``'s neighbour indices (sorted by key) and their cumulative weights (the walk index)."""
        lo, hi = self.ptr[i], self.ptr[i + 1]
        return self.nbr[lo:hi], np.cumsum(self.weight[lo:hi])


@dataclass
class NumpyStepper:
    """Drop-in for ``CypherStepper``: the same rejection draws and exact fallback, computed in memory."""

    adj: Adjacency
    uniform: bool = False

    def __post_init__(self) -> None:
        self._index = {key: i for i, key in enumerate(self.adj.keys)}

    def step(self, requests: Sequence[StepRequest]) -> dict[int, Pick]:
        picks = {}
        for r in requests:
            pick = self._one(r)
            if pick is not None:
                picks[r.walk] = pick
        return picks

    def _one(self, r: StepRequest) -> Pick | None:
        adj = self.adj
        i = self._index[r.key]
        nbr, cum = adj.neighbours(i)
        if len(nbr) == 0:
            return None
        on_path = set(r.fields)
        for u in r.us:  # rejection: pick among all neighbours, keep a field not yet on the path
            if self.uniform:
                j = min(int(u * len(nbr)), len(nbr) - 1)
            else:
                j = min(int(np.searchsorted(cum, u * cum[-1], side="right")), len(nbr) - 1)
            n = int(nbr[j])
            if adj.fields[n] not in on_path:
                weight = 1.0 if self.uniform else float(cum[j] - cum[j - 1]) if j > 0 else float(cum[0])
                return Pick(adj.keys[n], adj.fields[n], adj.values[n], weight)
        return self._exact(nbr, on_path, r.u, i)

    def _exact(self, nbr: np.ndarray, on_path: set[str], u: float, i: int) -> Pick | None:
        adj = self.adj
        keep = np.array([adj.fields[int(n)] not in on_path for n in nbr], dtype=bool)
        if not keep.any():
            return None
        lo = adj.ptr[i]
        cand = nbr[keep]
        w = np.ones(len(cand)) if self.uniform else adj.weight[lo : lo + len(nbr)][keep]
        total = 0.0
        for x in w:  # sequential sum, as Cypher's reduce does it
            total += float(x)
        target, acc = u * total, 0.0
        pick = len(cand) - 1
        for j, x in enumerate(w):
            acc += float(x)
            if acc > target:
                pick = j
                break
        n = int(cand[pick])
        return Pick(adj.keys[n], adj.fields[n], adj.values[n], float(w[pick]))


INDEX_BLOCK = 64  # neighbours per block of the walk index (cypher/walks/step.cypher reads one block)
INDEX_FORMAT = "blocks64"  # joins the index signature: a stored index of another layout is rebuilt


def index_rows(adj: Adjacency) -> list[dict[str, object]]:
    """Rows for ``walks/index_write``: every node's neighbours (sorted by key) in blocks of
    :data:`INDEX_BLOCK`: ``walk_bmax`` (the cumulative weight at each block's end), ``walk_deg`` and per
    block ``walk_c<b>`` (cumulative weights), ``walk_f<b>`` (fields) and ``walk_k<b>`` (keys). A step
    reads the small ``walk_bmax`` and one block, never a hub's whole neighbour list."""
    rows: list[dict[str, object]] = []
    for i, key in enumerate(adj.keys):
        nbr, cum = adj.neighbours(i)
        props: dict[str, object] = {"walk_deg": len(nbr), "walk_bmax": []}
        bmax: list[float] = []
        for b, start in enumerate(range(0, len(nbr), INDEX_BLOCK)):
            block = range(start, min(start + INDEX_BLOCK, len(nbr)))
            props[f"walk_c{b}"] = [float(cum[j]) for j in block]
            props[f"walk_f{b}"] = [adj.fields[int(nbr[j])] for j in block]
            props[f"walk_k{b}"] = [adj.keys[int(nbr[j])] for j in block]
            bmax.append(float(cum[block[-1]]))
        props["walk_bmax"] = bmax
        rows.append({"key": key, "props": props})
    return rows
