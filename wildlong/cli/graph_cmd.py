"""`wildlong graph …`: the graph of user needs, on the managed server or any NEO4J_URI."""

from __future__ import annotations

import click

from wildlong.cli.options import graph_options


@click.group()
def graph() -> None:
    """Inspect the graph of user needs in Neo4j.

    \b
    Uses NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE) when set, else the
    managed server, started when needed. Example:
      wildlong graph info
    """


@graph.command()
@graph_options
def info(uri: str | None, user: str, password: str | None, database: str) -> None:
    """Print the server's version and the database's node and relationship counts.

    Example: NEO4J_URI=bolt://localhost:7687 NEO4J_PASSWORD=secret wildlong graph info
    """
    import neo4j as driver_module

    from wildlong.cypher import query
    from wildlong.graph import GraphSettings, connect, server_info

    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        info = server_info(g)
        records, _, _ = g.driver.execute_query(
            query("admin/counts").text, database_=g.database, routing_=driver_module.RoutingControl.READ
        )
        counts = records[0]
    click.echo(
        f"{info.get('name')} {info.get('version')} {info.get('edition')} at {g.uri}, database {database}"
    )
    click.echo(f"  nodes: {counts['nodes']:,}   relationships: {counts['relationships']:,}")
