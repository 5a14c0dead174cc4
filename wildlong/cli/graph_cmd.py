"""`wildlong graph …`: the graph of user needs, on the managed server or any NEO4J_URI."""

from __future__ import annotations

from pathlib import Path

import click

from wildlong.cli.options import HELP, graph_options


@click.group(context_settings=HELP)
def graph() -> None:
    """Inspect the graph of user needs in Neo4j.

    \b
    Uses NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE) when set, else the
    managed server, started when needed. Example:
      wildlong graph info
    """


@graph.command(context_settings=HELP)
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


def _parse_params(pairs: tuple[str, ...]) -> dict[str, object]:
    """``k=v`` pairs; a value that parses as JSON (number, list, null, quoted string) is taken as such."""
    import json

    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.isidentifier():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


@graph.command(context_settings=HELP)
@click.argument("name", required=False)
@click.option("--cypher", "text", default=None, help="Ad-hoc Cypher instead of a named query (read-only).")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A query parameter; JSON values (5, [1,2], null) are parsed, anything else is a string.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option("--list", "list_only", is_flag=True, help="List the named queries with parameters and columns.")
@graph_options
def query(name: str | None, text: str | None, params: tuple[str, ...], fmt: str, list_only: bool,
          uri: str | None, user: str, password: str | None, database: str) -> None:  # fmt: skip
    """Run a named analytics query or ad-hoc read-only Cypher; print a table, CSV or JSON.

    \b
    Refused before anything runs: writes (CREATE, MERGE, SET, DELETE), LOAD CSV, IN TRANSACTIONS,
    USE, admin commands (SHOW, dbms.*), procedures other than schema reads, and functions that run
    Cypher text or read files or URLs (apoc.cypher.*, apoc.load.*, ...; pure APOC functions such as
    apoc.coll.* are fine). Every query runs in a READ transaction; values go in as parameters.
    Examples:
      wildlong graph query --list
      wildlong graph query strongest_pairs -p doc_type=email -p limit=10
      wildlong graph query --cypher "MATCH (v:Value) RETURN v.field AS field, count(*) AS n" --format csv
    """
    from wildlong.analytics import adhoc, named, named_queries
    from wildlong.graph import GraphSettings, connect

    if list_only:
        for qname, q in sorted(named_queries().items()):
            click.echo(f"{qname}\n    {q.description}\n    params: {', '.join(q.params) or '(none)'}"
                       f"   columns: {', '.join(q.returns)}")  # fmt: skip
        return
    if bool(name) == bool(text):
        raise click.UsageError("give either a query NAME or --cypher TEXT (see --list)")
    values = _parse_params(params)
    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        if text:
            df = adhoc(g.driver, text, g.database, **values)
        else:
            assert name is not None
            df = named(g.driver, name, g.database, **values)
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", force_ascii=False))
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
                               "display.max_colwidth", 60):  # fmt: skip
            click.echo(df.to_string(index=False) if not df.empty else "(no rows)")


@graph.command(context_settings=HELP)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("graph-plots"),
    show_default=True,
    help="Folder for the PNG files.",
)
@click.option("--doc-type", default=None, help="One doc type (default: all; top values use the largest).")
@graph_options
def plot(
    out: Path, doc_type: str | None, uri: str | None, user: str, password: str | None, database: str
) -> None:
    """Draw PNG figures: degree distribution, top values per field, strongest pairs.

    Example: wildlong graph plot --doc-type email -o plots/
    """
    from wildlong.analytics.plots import all_figures
    from wildlong.graph import GraphSettings, connect

    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        for path in all_figures(g.driver, g.database, out, doc_type):
            click.echo(f"wrote {path}")


@graph.command(context_settings=HELP)
@click.option(
    "-o",
    "--run",
    "run_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder: its walks.jsonl is measured.",
)
@click.option(
    "--walks",
    "walks_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A walks JSONL file instead of a run folder's.",
)
@click.option(
    "-n",
    "--n-walks",
    type=click.IntRange(min=1),
    default=None,
    help="Walks per comparison strategy.  [default: as many as the file has]",
)
@click.option(
    "--length",
    type=click.IntRange(2, 13),
    default=None,
    help="Length of the comparison walks.  [default: the file's longest walk]",
)
@click.option("--seed", type=int, default=None, help="Seed of the comparison walks.  [default: the file's]")
@click.option(
    "--compare",
    default="uniform,independent,random",
    show_default=True,
    help="Comparison strategies, comma-separated ('' = none): uniform, independent, random.",
)
@click.option(
    "--engine",
    type=click.Choice(["cypher", "numpy"]),
    default="cypher",
    show_default=True,
    help="Walk sampler of the comparison walks.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every metric.")
@graph_options
def health(run_dir: Path | None, walks_file: Path | None, n_walks: int | None, length: int | None,
           seed: int | None, compare: str, engine: str, as_json: bool,
           uri: str | None, user: str, password: str | None, database: str) -> None:  # fmt: skip
    """Show whether walks mix the real needs of several queries: the run's walks next to fresh walks.

    \b
    Per doc type and overall. The graph: values, the share held by >= 2 queries, CO_OCCURS degree
    (mean, median, max, isolated values). The walks of the file (run) and fresh walks of each
    --compare strategy, sampled here with the same N, length, seed and doc types:
      queries_per_walk  mean number of real queries holding >= 1 of a walk's values
      mix               share of walks whose values come from >= 2 distinct real queries
      replay            share of walks whose whole value set is held by one real query
      novel             share of walks whose values are all held, but by no single query alone
      unheld            share of walks with a value no query holds (novel + replay + unheld = 1)
      attested_pairs    of ALL unordered value pairs of the walks (pooled), the share some query holds
      fully_attested    share of walks whose every pair is attested
      field_coverage    share of the graph's (doc type, field) pairs appearing in the walks
      value_entropy     entropy (bits) of value occurrences; _norm: over log2(values in the graph)
      distinct_1/_2     distinct values / occurrences; distinct pairs / pairs
      random            baseline: uniform distinct fields, a uniform value each (no counts, no edges)
    Examples:
      wildlong graph health -o runs/demo
      wildlong graph health --walks walks.jsonl --compare uniform --json
    """
    import json

    from wildlong.analytics.health import COMPARE, health_report, render_text
    from wildlong.graph import GraphSettings, connect
    from wildlong.records import read_jsonl
    from wildlong.synth.walks import Walk

    if walks_file is None:
        if run_dir is None:
            raise click.UsageError("give a run folder (-o RUN_DIR) or --walks FILE")
        walks_file = run_dir / "walks.jsonl"
        if not walks_file.is_file():
            raise click.ClickException(f"{walks_file} not found: run the walk stage first")
    strategies = [s.strip() for s in compare.split(",") if s.strip()]
    unknown = sorted(set(strategies) - set(COMPARE))
    if unknown:
        raise click.BadParameter(f"unknown strategy {', '.join(unknown)}", param_hint="--compare")
    walks = list(read_jsonl(walks_file, Walk))
    if not walks:
        raise click.ClickException(f"{walks_file} holds no walks")
    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        report = health_report(g.driver, g.database, walks, compare=strategies, n=n_walks, length=length,
                               seed=seed, engine=engine)  # fmt: skip
    report["walks_file"] = str(walks_file)
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else render_text(report))


@graph.command(context_settings=HELP)
@click.argument("walk_ids", nargs=-1, metavar="[WALK_ID]...")
@click.option(
    "-o",
    "--run",
    "run_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder: its walks.jsonl is traced; its queries.jsonl (else extractions.jsonl) gives the "
    "texts a graph loaded without text lacks.",
)
@click.option(
    "--walks",
    "walks_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A walks JSONL file instead of a run folder's (texts then come from its folder).",
)
@click.option(
    "-n",
    "--n-walks",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Without WALK_IDs: trace the file's first N walks.",
)
@click.option(
    "--max-queries",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Queries shown per walk, most values first (0 = all); the counts always cover all.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object (texts: the first 1,000 characters).")
@graph_options
def trace(walk_ids: tuple[str, ...], run_dir: Path | None, walks_file: Path | None, n_walks: int,
          max_queries: int, as_json: bool,
          uri: str | None, user: str, password: str | None, database: str) -> None:  # fmt: skip
    """Trace walks to the real queries behind them: which query holds which value, and its words.

    \b
    For each walk: its values (field: value, and how many queries hold each), whether one query
    holds them all (replay), or how many queries it combines (novel; unheld: a value no query holds),
    then the queries holding >= 1 of its values, most values first, then id: the id, the values it
    holds and its text (first 300 characters, one line).
    Examples:
      wildlong graph trace -o runs/demo
      wildlong graph trace -o runs/demo weighted-s0-d0-0 weighted-s0-d1-4 --max-queries 3
      wildlong graph trace --walks walks.jsonl -n 1 --json
    """
    import json

    from wildlong.analytics.trace import fetch_trace, render_text, resolve_texts, select_walks, to_json
    from wildlong.graph import GraphSettings, connect

    if walks_file is None:
        if run_dir is None:
            raise click.UsageError("give a run folder (-o RUN_DIR) or --walks FILE")
        walks_file = run_dir / "walks.jsonl"
        if not walks_file.is_file():
            raise click.ClickException(f"{walks_file} not found: run the walk stage first")
    texts_dir = run_dir if run_dir is not None else walks_file.parent
    walks = select_walks(walks_file, walk_ids, n_walks)
    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        traces = [fetch_trace(g.driver, g.database, w, max_queries or None) for w in walks]
    traces = resolve_texts(traces, texts_dir)
    if as_json:
        click.echo(json.dumps({"walks_file": str(walks_file), "walks": list(to_json(traces))},
                              ensure_ascii=False))  # fmt: skip
    else:
        click.echo(render_text(traces, texts_dir))
