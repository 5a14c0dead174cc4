"""The write phase of a load: rows in batches, one write transaction per batch, parallel writers.

Doc types are split between the writers (``k_index % workers``): a query's facts only touch its doc type's
values and DocType node, so concurrent transactions never wait on each other's nodes. A query id that
comes back stays with the writer that saw it first, so its rows are written in input order and the last
one wins. Each batch transaction (retried as a whole by the driver) creates the batch's new values, reads
what the graph holds for its query ids, skips queries whose facts are unchanged (same ``facts_hash``),
clears the facts of changed ones, writes the rest and marks the touched doc types dirty.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import neo4j

from wildlong import cypher
from wildlong.graph import run_autocommit
from wildlong.loader.graph_rows import QueryRow

cypher.require(
    "loader/values_upsert",
    "loader/values_in_type",
    "loader/query_state",
    "loader/query_facts_clear",
    "loader/queries_write",
    "loader/mark_dirty",
    "loader/values_forms_default",
    "loader/values_forms",
)


@dataclass
class BatchResult:
    rows: int
    written: int
    unchanged: int
    facts: int


class Writers:
    """``add`` rows, then ``close``: batches go to ``workers`` threads, each with its own session."""

    def __init__(
        self,
        driver: neo4j.Driver,
        database: str,
        doc_type_index: dict[str, int],
        *,
        workers: int,
        batch_size: int,
        on_batch: Callable[[BatchResult], None],
    ) -> None:
        self.driver, self.database = driver, database
        self.index, self.workers, self.batch_size = doc_type_index, workers, batch_size
        self.on_batch = on_batch
        self.owner: dict[str, int] = {}
        self.buffers: list[list[QueryRow]] = [[] for _ in range(workers)]
        self.queues: list[queue.Queue[list[QueryRow] | None]] = [
            queue.Queue(maxsize=2) for _ in range(workers)
        ]
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(q,), daemon=True) for q in self.queues]
        for thread in self.threads:
            thread.start()

    def add(self, row: QueryRow) -> None:
        worker = self.owner.get(row.id)
        if worker is None:
            worker = self.index.get(row.doc_type or "", 0) % self.workers
            self.owner[row.id] = worker
        self.buffers[worker].append(row)
        if len(self.buffers[worker]) >= self.batch_size:
            self._send(worker)

    def close(self) -> None:
        """Flush, wait for every writer, and raise the first error one of them met."""
        try:
            for worker in range(self.workers):
                if self.buffers[worker]:
                    self._send(worker)
        finally:
            for q in self.queues:
                q.put(None)
            for thread in self.threads:
                thread.join()
        if self.errors:
            raise self.errors[0]

    def _send(self, worker: int) -> None:
        batch, self.buffers[worker] = self.buffers[worker], []
        while True:
            if self.errors:
                raise self.errors[0]
            try:
                self.queues[worker].put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self, inbox: queue.Queue[list[QueryRow] | None]) -> None:
        seen: set[str] = set()
        try:
            with self.driver.session(database=self.database) as session:
                while (batch := inbox.get()) is not None:
                    if self.errors:
                        continue  # drain: another writer failed
                    last = list({row.id: row for row in batch}.values())  # last one wins
                    new_values = []
                    for row in last:
                        for value in row.values:
                            if value.key not in seen:
                                seen.add(value.key)
                                new_values.append(value.params())
                    written, unchanged, facts = session.execute_write(write_batch, last, new_values)
                    with self.lock:
                        self.on_batch(BatchResult(len(batch), written, unchanged, facts))
        except BaseException as exc:  # handed to the main thread by close() or the next add()
            self.errors.append(exc)
            while inbox.get() is not None:
                pass


def write_batch(
    tx: neo4j.ManagedTransaction, batch: list[QueryRow], new_values: list[dict[str, str]]
) -> tuple[int, int, int]:
    """One transaction: ``(queries written, queries unchanged, HAS facts written)``; idempotent."""
    if new_values:
        tx.run(cypher.query("loader/values_upsert").text, rows=new_values).consume()
        tx.run(cypher.query("loader/values_in_type").text, rows=new_values).consume()
    state = {
        r["id"]: (r["facts_hash"], r["doc_types"])
        for r in tx.run(cypher.query("loader/query_state").text, ids=[row.id for row in batch])
    }
    to_write = [row for row in batch if row.id not in state or state[row.id][0] != row.facts_hash]
    changed = [row.id for row in to_write if row.id in state]
    dirty = {row.doc_type for row in to_write if row.doc_type is not None}
    for row_id in changed:
        dirty.update(state[row_id][1])
    if changed:
        tx.run(cypher.query("loader/query_facts_clear").text, ids=changed).consume()
    if to_write:
        tx.run(cypher.query("loader/queries_write").text, rows=[row.params() for row in to_write]).consume()
    if dirty:
        tx.run(cypher.query("loader/mark_dirty").text, names=sorted(dirty)).consume()
    return len(to_write), len(batch) - len(to_write), sum(len(row.values) for row in to_write)


def write_forms(
    driver: neo4j.Driver,
    database: str,
    forms: Mapping[str, Mapping[str, Mapping[str, int]]],
    doc_types: Sequence[str],
    batch_size: int = 5000,
) -> int:
    """Every value's surface forms as ``forms`` / ``form_counts``: first each value's one form (itself, its
    count), then the merged forms of the canonical stage (field -> value -> {form: count over the run}) on
    the value in every doc type that has it. Idempotent; returns the values given merged forms."""
    steps = [(cypher.query("loader/values_forms_default").text, {"batch": batch_size})]
    run_autocommit(driver, database, steps)
    rows = [
        {"field": name, "value": value, "forms": list(counts), "form_counts": list(counts.values())}
        for name in sorted(forms)
        for value, counts in sorted(forms[name].items())
    ]
    updated = 0
    for start in range(0, len(rows), batch_size):
        records, _, _ = driver.execute_query(
            cypher.query("loader/values_forms").text,
            rows=rows[start : start + batch_size],
            doc_types=list(doc_types),
            database_=database,
        )
        updated += int(records[0]["updated"])
    return updated
