"""One step of a walk, as every sampler sees it: the request, the pick, the :class:`Stepper` protocol, a
doc type's start table, and the stepper that runs in Neo4j.

``synth.walks`` drives walks through any :class:`Stepper`: :class:`CypherStepper` here (one batched query
per step over the walk index) or ``synth.walk_numpy.NumpyStepper`` (the in-memory reference). This module
imports no other walk module, so the walk modules import one way:
``walk_io -> walks -> walk_index -> walk_numpy -> walk_step``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import neo4j
import numpy as np

from wildlong import cypher

cypher.require("walks/start_candidates", "walks/step", "walks/step_exact")


@dataclass
class StartTable:
    """A doc type's values, ordered by key, for count-proportional start draws and marginals."""

    keys: list[str]
    fields: list[str]
    values: list[str]
    counts: np.ndarray

    @classmethod
    def load(cls, driver: neo4j.Driver, database: str, doc_type: str) -> StartTable:
        records, _, _ = driver.execute_query(
            cypher.query("walks/start_candidates").text,
            doc_type=doc_type,
            database_=database,
            routing_=neo4j.RoutingControl.READ,
        )
        return cls(
            keys=[r["key"] for r in records],
            fields=[r["field"] for r in records],
            values=[r["value"] for r in records],
            counts=np.array([float(r["count"]) for r in records], dtype=np.float64),
        )

    def at_least(self, count: int) -> StartTable:
        """The values held by at least ``count`` queries (in the same key order)."""
        keep = [i for i, c in enumerate(self.counts.tolist()) if c >= count]
        return StartTable(
            [self.keys[i] for i in keep],
            [self.fields[i] for i in keep],
            [self.values[i] for i in keep],
            self.counts[keep] if keep else np.zeros(0, dtype=np.float64),
        )


@dataclass
class StepRequest:
    """One step of one walk: its node, the fields on its path, rejection draws ``us``, exact draw ``u``."""

    walk: int
    key: str
    fields: list[str]
    u: float
    us: list[float] = field(default_factory=list)


@dataclass
class Pick:
    key: str
    field: str
    value: str
    weight: float


class Stepper(Protocol):
    def step(self, requests: Sequence[StepRequest]) -> dict[int, Pick]: ...


@dataclass
class CypherStepper:
    """Moves every walk in flight inside Neo4j: one query per step (rejection draws over the walk index),
    and one more for the few walks whose draws all fell on fields already on their path."""

    driver: neo4j.Driver
    database: str
    uniform: bool = False
    queries: int = 0

    def step(self, requests: Sequence[StepRequest]) -> dict[int, Pick]:
        if not requests:
            return {}
        rows = [{"id": r.walk, "key": r.key, "fields": r.fields, "us": r.us} for r in requests]
        records = self._run("walks/step", rows)
        picks: dict[int, Pick] = {}
        exact: set[int] = set()
        for rec in records:
            if rec["pick"] is None:
                exact.add(rec["walk"])
            else:
                picks[rec["walk"]] = Pick(rec["key"], rec["field"], rec["value"], float(rec["weight"]))
        if exact:
            rows = [
                {"id": r.walk, "key": r.key, "fields": r.fields, "u": r.u}
                for r in requests
                if r.walk in exact
            ]
            for rec in self._run("walks/step_exact", rows):
                picks[rec["walk"]] = Pick(rec["key"], rec["field"], rec["value"], float(rec["weight"]))
        return picks

    def _run(self, name: str, rows: list[dict[str, object]]) -> list[neo4j.Record]:
        records, _, _ = self.driver.execute_query(
            cypher.query(name).text,
            walks=rows,
            uniform=self.uniform,
            database_=self.database,
            routing_=neo4j.RoutingControl.READ,
        )
        self.queries += 1
        return records
