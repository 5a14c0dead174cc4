"""`wildlong walk`: sample paths through the graph of user needs (weighted walks in Neo4j)."""

from __future__ import annotations

from pathlib import Path

import click

from wildlong.cli.options import HELP, graph_options


@click.command(context_settings=HELP)
@click.option(
    "-n", "--walks", default=1000, show_default=True, help="Walks to keep, spread over doc types by size."
)
@click.option(
    "--strategy",
    type=click.Choice(["weighted", "uniform", "independent"]),
    default="weighted",
    show_default=True,
    help="weighted (the paper), uniform (ignore weights), independent (no graph).",
)
@click.option(
    "--length", default=6, show_default=True, help="N: nodes per walk (the paper compares 4, 6, 8)."
)
@click.option(
    "--min-length", default=3, show_default=True, help="Drop walks that dead-end before this many nodes."
)
@click.option("--doc-type", "doc_types", multiple=True, help="Only this doc type (repeatable).")
@click.option("--seed", default=0, show_default=True, help="Same seed, same graph: same walks.")
@click.option(
    "--engine",
    type=click.Choice(["cypher", "numpy"]),
    default="cypher",
    show_default=True,
    help="cypher: one batched query per step in Neo4j; numpy: the in-memory reference sampler.",
)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("walks.jsonl"), show_default=True)
@click.option("--coverage", is_flag=True, help="Also report the share of values and edges the walks visit.")
@graph_options
def walk(walks: int, strategy: str, length: int, min_length: int, doc_types: tuple[str, ...], seed: int,
         engine: str, out: Path, coverage: bool, uri: str | None, user: str, password: str | None,
         database: str) -> None:  # fmt: skip
    """Sample walks over the co-occurrence graph and write them as JSONL, one walk per line.

    Each line: walk_id, doc_type, node_ids, fields, values, weights, strategy, seed.
    Example: wildlong walk -n 500 --length 6 --seed 1 -o runs/walks.jsonl --coverage
    """
    from wildlong.graph import GraphSettings, connect
    from wildlong.synth.walk_io import coverage_table, sample_to_file
    from wildlong.synth.walks import WalkConfig

    cfg = WalkConfig(strategy=strategy, length=length, min_length=min_length, walks=walks,
                     doc_types=list(doc_types) or None, seed=seed)  # fmt: skip
    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        stats = sample_to_file(g.driver, g.database, cfg, out, engine=engine)
        click.echo(f"wrote {stats.kept} walks to {out}")
        for name, n in sorted(stats.per_doc_type.items()):
            click.echo(f"  {name}: {n}")
        if stats.dropped:
            click.echo("dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.dropped.items())))
        if coverage:
            click.echo(coverage_table(g.driver, g.database, out).to_string(index=False))
