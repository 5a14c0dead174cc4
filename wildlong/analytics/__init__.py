"""Read-only analytics of the graph of user needs, as pandas DataFrames.

Named queries are the shipped ``cypher/analytics/*.cypher`` files; ad-hoc Cypher is accepted only when
Neo4j's own ``EXPLAIN`` says it is read-only, it loads no files (LOAD CSV) and calls only allow-listed
read procedures — and it then runs in a READ-mode transaction, which the server also enforces.
Parameters travel as driver parameters, never as Cypher text.

In a notebook::

    import neo4j
    from wildlong.analytics import named, adhoc
    driver = neo4j.GraphDatabase.driver("bolt://127.0.0.1:7687", auth=("neo4j", password))
    named(driver, "strongest_pairs", doc_type="email", limit=20)
"""

from wildlong.analytics.queries import adhoc, check_read_only, named, named_queries

__all__ = ["adhoc", "check_read_only", "named", "named_queries"]
