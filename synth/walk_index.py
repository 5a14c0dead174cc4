"""The walk index: each value's neighbours (sorted by key), their fields and cumulative edge weights,
stored on the ``(:Value)`` nodes so that a walk step is a binary search instead of an expansion.

It is derived from CO_OCCURS (exported once, cumulated in NumPy, written back with ``UNWIND``) and
rebuilt whenever the doc type's fingerprint (values, counts, edges) differs from the one it was built
from. Building it is a write; walking afterwards only reads.
"""

from __future__ import annotations

import neo4j

from wildlong import cypher
from wildlong.synth.walk_numpy import INDEX_FORMAT, Adjacency, index_rows

cypher.require("walks/index_signature", "walks/index_write", "walks/index_mark")
BATCH = 2000


def ensure_index(driver: neo4j.Driver, database: str, doc_type: str) -> bool:
    """Build the doc type's walk index when it is missing or stale; True when it was (re)built."""
    records, _, _ = driver.execute_query(
        cypher.query("walks/index_signature").text, doc_type=doc_type, database_=database
    )
    if not records:
        return False
    signature, stored = f"{records[0]['signature']}:{INDEX_FORMAT}", records[0]["stored"]
    if signature == stored:
        return False
    rows = index_rows(Adjacency.load(driver, database, doc_type))
    for start in range(0, len(rows), BATCH):
        driver.execute_query(
            cypher.query("walks/index_write").text, rows=rows[start : start + BATCH], database_=database
        )
    driver.execute_query(
        cypher.query("walks/index_mark").text, doc_type=doc_type, signature=signature, database_=database
    )
    return True
