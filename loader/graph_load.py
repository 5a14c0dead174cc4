"""Step 4 (``wildlong load``): rows -> the Neo4j graph of user needs (see docs: the graph).

    (:Query {id, source, conversation_id, language, text?})-[:OF_TYPE]->(:DocType {name, k_index, size})
    (:Query)-[:HAS]->(:Value {doc_type, field, value, count, key})-[:IN_TYPE]->(:DocType)
    (:Value)-[:CO_OCCURS {count, weight}]->(:Value)    one edge per pair, smaller key -> larger key

How it stays correct and idempotent:
- the schema files (``cypher/schema/NNN_*.cypher``, all ``IF NOT EXISTS``) are applied first;
- each batch is one write transaction (``UNWIND $rows``; values only as parameters; see
  :mod:`wildlong.loader.graph_write`): it creates the batch's new values, reads what the graph holds for
  its query ids, skips queries whose facts are unchanged (same ``facts_hash``), clears the facts of
  changed ones, writes the rest and marks the touched doc types dirty; the last record of a query id wins;
  ``workers`` writers run in parallel, the doc types split between them;
- when all batches are in, every dirty doc type gets its ``Value.count`` recomputed from the HAS facts,
  values no query has any more deleted, and its CO_OCCURS edges rebuilt in Cypher from the HAS facts
  (``weight = ln(1 + count)``), ``workers`` doc types at a time; then ``DocType.size`` is set and the
  marks cleared.
Loading the same records twice leaves the graph as it was; loading A then B equals loading A then B in
one file. One graph holds one doc-type model: loading with another one needs ``reset``.

Every step is retried when the connection drops (see :mod:`wildlong.graph`): single transactions are
managed (``execute_query``, ``execute_write``); the batched deletes and the CO_OCCURS rebuild (``CALL {…}
IN TRANSACTIONS``, auto-commit only) run again from their first statement. A server that stays away is
``ServiceUnavailable``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
from tqdm import tqdm

from wildlong import cypher
from wildlong.errors import ConfigError
from wildlong.graph import lost_as_unavailable, run_autocommit
from wildlong.loader.config import LoadConfig
from wildlong.loader.doctypes import DocTypeModel
from wildlong.loader.embed import Embedder
from wildlong.loader.graph_rows import QueryRow, classify_unknown, plan_rows
from wildlong.loader.graph_write import BatchResult, Writers
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts, read_jsonl

cypher.require(
    "loader/doctypes_upsert",
    "loader/doctype_models",
    "loader/dirty_doctypes",
    "loader/refresh_counts",
    "loader/delete_orphan_values",
    "loader/cooccurs_clear",
    "loader/cooccurs_build",
    "loader/finish_doctypes",
    "loader/reset_relationships",
    "loader/reset",
    "loader/summary",
    "loader/doctype_report",
    "admin/orphan_indexes",
    "admin/drop_index",
    "admin/await_indexes",
)

CONSTRAINT_NAME = re.compile(r"CREATE\s+CONSTRAINT\s+(\w+)", re.IGNORECASE)


@dataclass
class LoadReport:
    counts: Counts
    queries_written: int = 0
    queries_unchanged: int = 0
    facts_written: int = 0
    rebuilt: list[str] = field(default_factory=list)
    orphans_deleted: int = 0
    write_s: float = 0.0
    cooccur_s: float = 0.0

    @property
    def facts_per_s(self) -> float:
        return self.facts_written / self.write_s if self.write_s > 0 else 0.0


@lost_as_unavailable
def apply_schema(driver: neo4j.Driver, database: str) -> None:
    """Every ``schema/NNN_*.cypher`` statement (all ``IF NOT EXISTS``), in order, each in its own
    transaction. A constraint whose creation a crash cut short leaves its index behind without it, which
    ``IF NOT EXISTS`` refuses (an index of that name exists): that index is dropped first."""
    statements = cypher.schema_statements()
    names = [m.group(1) for s in statements if (m := CONSTRAINT_NAME.search(s.text))]
    orphans = cypher.query("admin/orphan_indexes").text
    records, _, _ = driver.execute_query(orphans, names=names, database_=database)
    for record in records:
        driver.execute_query(cypher.query("admin/drop_index").text, name=record["name"], database_=database)
    for statement in statements:
        driver.execute_query(statement.text, database_=database)
    driver.execute_query(cypher.query("admin/await_indexes").text, database_=database)


@lost_as_unavailable
def reset(driver: neo4j.Driver, database: str) -> None:
    """Delete every Query, Value and DocType node (and their relationships)."""
    no_params: dict[str, Any] = {}
    steps = [(cypher.query(name).text, no_params) for name in ("loader/reset_relationships", "loader/reset")]
    run_autocommit(driver, database, steps)


@lost_as_unavailable
def load_rows(
    driver: neo4j.Driver,
    database: str,
    rows: Iterable[QueryRow],
    model: DocTypeModel,
    config: LoadConfig,
    counts: Counts,
    *,
    progress: bool | None = None,
    total: int | None = None,
) -> LoadReport:
    """Apply the schema, write every row in batches, then rebuild the touched doc types."""
    apply_schema(driver, database)
    if config.reset:
        reset(driver, database)
    _check_model(driver, database, model)
    report = LoadReport(counts)
    doc_rows = [{"name": c.name, "k_index": c.k_index, "model_id": model.model_id} for c in model.clusters]
    driver.execute_query(cypher.query("loader/doctypes_upsert").text, rows=doc_rows, database_=database)
    bar = tqdm(
        total=total, desc="load", unit="query", disable=(not progress) if progress is not None else None
    )

    def done(result: BatchResult) -> None:
        report.queries_written += result.written
        report.queries_unchanged += result.unchanged
        report.facts_written += result.facts
        bar.update(result.rows)

    index = {c.name: c.k_index for c in model.clusters}
    started = time.perf_counter()
    try:
        writers = Writers(
            driver, database, index, workers=config.workers, batch_size=config.batch_size, on_batch=done
        )
        try:
            for row in rows:
                writers.add(row)
        finally:
            writers.close()
    finally:
        bar.close()
    report.write_s = time.perf_counter() - started
    started = time.perf_counter()
    report.rebuilt, report.orphans_deleted = finish(driver, database, config)
    report.cooccur_s = time.perf_counter() - started
    counts.note("queries_unchanged", report.queries_unchanged)
    return report


@lost_as_unavailable
def load_extractions(
    driver: neo4j.Driver,
    database: str,
    paths: list[Path],
    model: DocTypeModel,
    config: LoadConfig,
    counts: Counts,
    *,
    embedder: Embedder | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> LoadReport:
    """Load extraction JSONL files (in order): a first pass finds document_type values the model has not
    seen (classified by the nearest centroid when ``embedder`` is given), the second writes the rows."""

    def records(scan: Counts) -> Iterator[ExtractionRecord]:
        for path in paths:
            yield from read_jsonl(path, ExtractionRecord, scan, strict=strict)

    total = sum(1 for _ in records(Counts("scan")))
    extra = classify_unknown(records(Counts("scan")), model, embedder, counts)
    scan = Counts("scan")  # the pass that writes reports the malformed lines
    rows = plan_rows(records(scan), model, counts, extra=extra, store_text=config.store_text)
    report = load_rows(driver, database, rows, model, config, counts, progress=progress, total=total)
    counts.dropped.update(scan.dropped)
    for message in scan.messages:
        counts.message(message)
    return report


@lost_as_unavailable
def finish(driver: neo4j.Driver, database: str, config: LoadConfig) -> tuple[list[str], int]:
    """Recompute counts, drop orphan values and rebuild CO_OCCURS for every dirty doc type; doc types are
    independent (no edge or fact crosses two), so ``config.workers`` of them are rebuilt at a time."""
    records, _, _ = driver.execute_query(cypher.query("loader/dirty_doctypes").text, database_=database)
    names = [r["name"] for r in records]

    def rebuild(name: str) -> int:
        with driver.session(database=database) as session:
            deleted = session.execute_write(_refresh_values, name)
        # clear + build together: a build cut short is cleared again before it is redone
        params = {"doc_type": name, "batch": config.cooccur_batch}
        steps = [
            (cypher.query("loader/cooccurs_clear").text, params),
            (cypher.query("loader/cooccurs_build").text, params),
        ]
        run_autocommit(driver, database, steps)
        return deleted

    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        deleted = sum(pool.map(rebuild, names))
    driver.execute_query(cypher.query("loader/finish_doctypes").text, database_=database)
    return names, deleted


def _refresh_values(tx: neo4j.ManagedTransaction, doc_type: str) -> int:
    """One transaction: every value's count from the HAS facts, then the values left without any deleted
    (how many)."""
    tx.run(cypher.query("loader/refresh_counts").text, doc_type=doc_type).consume()
    result = tx.run(cypher.query("loader/delete_orphan_values").text, doc_type=doc_type)
    return int(result.single(strict=True)["deleted"])


@lost_as_unavailable
def summary(driver: neo4j.Driver, database: str) -> dict[str, int]:
    records, _, _ = driver.execute_query(
        cypher.query("loader/summary").text, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return {k: int(v) for k, v in dict(records[0]).items()}


@lost_as_unavailable
def doctype_report(driver: neo4j.Driver, database: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        cypher.query("loader/doctype_report").text, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return [dict(r) for r in records]


def _check_model(driver: neo4j.Driver, database: str, model: DocTypeModel) -> None:
    records, _, _ = driver.execute_query(cypher.query("loader/doctype_models").text, database_=database)
    others = [r["model_id"] for r in records if r["model_id"] != model.model_id]
    if others:
        raise ConfigError(
            f"the graph holds doc types of another doc-type model ({', '.join(map(str, others))}; "
            f"this one is {model.model_id})",
            hint="reload everything with --reset, or load with the doc-type model the graph was built from",
        )
