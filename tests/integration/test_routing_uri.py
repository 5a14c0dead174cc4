"""A ``neo4j://`` routing URI (as Aura's ``neo4j+s://`` and Enterprise clusters use) against the real server.

The driver fetches a routing table from the server and sends each transaction to a writer or a reader:
the graph is written through it, and walks and analytics (read routing) give what a direct ``bolt://``
connection gives.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import SESSION_SERVER
from tests.support.neo4j_helpers import free_port
from tests.support.walk_graphs import EMAIL_EDGES, EMAIL_NODES, build
from wildlong.analytics.queries import adhoc, named
from wildlong.errors import GraphError, QueryRefused
from wildlong.graph import Graph, GraphSettings, connect
from wildlong.records import Counts
from wildlong.synth.walks import WalkConfig, sample_walks


def _routing(graph: Graph) -> Graph:
    assert graph.uri.startswith("bolt://")
    password = SESSION_SERVER[0].password() if SESSION_SERVER else os.environ.get("NEO4J_PASSWORD")
    uri = "neo4j://" + graph.uri.removeprefix("bolt://")
    return connect(GraphSettings(uri=uri, password=password, database=graph.database))


def test_walks_and_analytics_through_a_routing_uri_match_bolt(graph: Graph) -> None:
    with _routing(graph) as routed:
        assert routed.uri.startswith("neo4j://")
        table = routed.driver.execute_query(
            "CALL dbms.routing.getRoutingTable({}) YIELD servers RETURN servers"
        )
        roles = {server["role"] for server in table.records[0]["servers"]}
        assert roles == {"WRITE", "READ", "ROUTE"}
        build(routed, "email", EMAIL_NODES, EMAIL_EDGES, size=12)  # written through the writer

        cfg = WalkConfig(walks=8, length=5, min_length=2, seed=3)
        by_route = [w.node_ids for w in sample_walks(routed.driver, routed.database, cfg, Counts("walk"))]
        by_bolt = [w.node_ids for w in sample_walks(graph.driver, graph.database, cfg, Counts("walk"))]
        assert by_route == by_bolt and len(by_route) == 8

        top = named(routed.driver, "top_values", routed.database, doc_type="email", field=None, limit=3)
        assert top.equals(
            named(graph.driver, "top_values", graph.database, doc_type="email", field=None, limit=3)
        )
        assert len(top) > 0
        counts = adhoc(routed.driver, "MATCH (v:Value) RETURN count(v) AS n", routed.database)
        assert int(counts["n"][0]) == len(EMAIL_NODES)
        with pytest.raises(QueryRefused):
            adhoc(routed.driver, "CREATE (:Intruder)", routed.database)
    assert graph.driver.execute_query("MATCH (n:Intruder) RETURN count(n) AS n").records[0]["n"] == 0


def test_an_unreachable_routing_uri_is_one_clear_error() -> None:
    with pytest.raises(GraphError, match=r"cannot reach Neo4j at neo4j\+s://127\.0\.0\.1:\d+"):
        connect(GraphSettings(uri=f"neo4j+s://127.0.0.1:{free_port()}", password="x"))
