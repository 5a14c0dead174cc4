"""Small hand-checkable co-occurrence graphs written straight into Neo4j for walk and analytics tests.

The loader builds the same shape from extraction records; these tests need exact, chosen weights.
"""

from __future__ import annotations

import math

from wildlong.graph import Graph
from wildlong.keys import value_key

CREATE_VALUES = """
UNWIND $rows AS row
MERGE (d:DocType {name: row.doc_type}) ON CREATE SET d.size = $size, d.k_index = 0
CREATE (v:Value {doc_type: row.doc_type, field: row.field, value: row.value, count: row.count, key: row.key})
CREATE (v)-[:IN_TYPE]->(d)
"""
CREATE_EDGES = """
UNWIND $rows AS row
MATCH (a:Value {key: row.a}), (b:Value {key: row.b})
CREATE (a)-[:CO_OCCURS {count: row.count, weight: log(1.0 + row.count)}]->(b)
"""


def build(
    graph: Graph,
    doc_type: str,
    nodes: list[tuple[str, str, int]],
    edges: list[tuple[int, int, int]],
    size: int,
) -> list[str]:
    """Create values ``(field, value, count)`` and edges ``(i, j, count)``; returns the node keys."""
    keys = [value_key(doc_type, f, v) for f, v, _ in nodes]
    rows = [{"doc_type": doc_type, "field": f, "value": v, "count": c, "key": k}
            for (f, v, c), k in zip(nodes, keys, strict=True)]  # fmt: skip
    graph.driver.execute_query(CREATE_VALUES, rows=rows, size=size, database_=graph.database)
    edge_rows = []
    for i, j, c in edges:
        a, b = sorted((keys[i], keys[j]))
        edge_rows.append({"a": a, "b": b, "count": c})
    graph.driver.execute_query(CREATE_EDGES, rows=edge_rows, database_=graph.database)
    return keys


def weight(count: int) -> float:
    return math.log1p(count)


# A star-ish graph of doc type "email": the hub h (task) meets values of four other fields.
EMAIL_NODES = [
    ("task_type", "summarize", 10),  # 0 hub
    ("user_intent", "save time", 6),  # 1
    ("user_intent", "prepare a meeting", 3),  # 2  (same field as 1)
    ("output_format", "bullet list", 8),  # 3
    ("domain", "finance", 5),  # 4
    ("language_style", "formal", 2),  # 5
    ("context", "quarterly report", 1),  # 6  dead end: only linked to 5
]
EMAIL_EDGES = [
    (0, 1, 4),
    (0, 2, 1),
    (0, 3, 7),
    (0, 4, 2),
    (1, 3, 3),
    (3, 4, 1),
    (4, 5, 2),
    (5, 6, 1),
    (1, 2, 9),
]


CREATE_QUERIES = """
UNWIND $rows AS row
CREATE (q:Query {id: row.id, source: 'fixture', conversation_id: row.id, language: 'en', text: row.text})
WITH q, row
UNWIND row.keys AS key
MATCH (v:Value {key: key})
CREATE (q)-[:HAS]->(v)
"""


def add_queries(graph: Graph, queries: list[tuple[str, str, list[str]]]) -> None:
    """Create ``(id, text, value keys)`` queries with HAS edges (provenance for trace queries)."""
    rows = [{"id": i, "text": t, "keys": k} for i, t, k in queries]
    graph.driver.execute_query(CREATE_QUERIES, rows=rows, database_=graph.database)
