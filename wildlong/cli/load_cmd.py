"""Stage 1a on the command line, second half: ``wildlong doctypes | load`` (see ``loader_cmd``).

Same conventions as ``loader_cmd``: each reads the previous step's file, takes its section of a YAML
config (flags override) and writes ``<output>.meta.json`` with the resolved config and the counts.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from wildlong.cli.loader_cmd import CONFIG_HELP, RUNS, llm_section, print_counts, show_progress
from wildlong.cli.options import HELP, graph_options
from wildlong.errors import ConfigError
from wildlong.llm.options import llm_options
from wildlong.llm.settings import LLMSettings
from wildlong.loader.config import config_section as _section
from wildlong.loader.records import write_meta as _meta


# --- doctypes --------------------------------------------------------------------------------------------
def _k(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter("an integer or 'auto'", param_hint="--k") from None


@click.command(context_settings=HELP)
@click.argument("extractions", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=RUNS / "doctypes.json",
    show_default=True,
    help="Doc-type model (JSON; the centroids go to the .npz beside it).",
)
@click.option(
    "--k",
    "k",
    default=None,
    metavar="K|auto",
    help="Clusters [10]; 'auto' picks K by silhouette over --k-min..--k-max.",
)
@click.option("--k-min", type=click.IntRange(2), default=None, help="Smallest K tried by --k auto [4].")
@click.option("--k-max", type=click.IntRange(2), default=None, help="Largest K tried by --k auto [20].")
@click.option(
    "--naming",
    type=click.Choice(["central", "llm"]),
    default=None,
    help="Cluster names: the most central member, or the LLM's name for the top members [central].",
)
@click.option(
    "--merge-threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="Merge near-duplicate values of a field above this cosine similarity [off].",
)
@click.option("--seed", type=int, default=None, help="K-Means seed [0].")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=CONFIG_HELP.format("doctypes"),
)
@llm_options
def doctypes(
    extractions: tuple[Path, ...], output: Path, k: str | None, k_min: int | None, k_max: int | None,
    naming: str | None, merge_threshold: float | None, seed: int | None, config_path: Path | None,
    llm_settings: LLMSettings,
) -> None:  # fmt: skip
    """Cluster the document_type values into named document types (K-Means on MiniLM embeddings).

    Prints each cluster's size and members, and the silhouette. The centroids are kept: stage 2
    classifies long documents by the nearest one. The LLM options only matter with --naming llm.

    \b
    Example:
      wildlong doctypes runs/extractions.jsonl --k auto --k-min 5 --k-max 15
    """
    from wildlong.loader.config import DocTypeConfig
    from wildlong.loader.doctypes import build_doctypes, llm_namer
    from wildlong.loader.embed import Embedder
    from wildlong.loader.records import ExtractionRecord, StageCounts, read_jsonl

    overrides = {"k": _k(k), "k_min": k_min, "k_max": k_max, "naming": naming,
                 "merge_threshold": merge_threshold, "seed": seed}  # fmt: skip
    config = _section(config_path, "doctypes", DocTypeConfig, overrides)
    paths = list(extractions) or [RUNS / "extractions.jsonl"]
    counts = StageCounts("doctypes")
    records = [r for p in paths for r in read_jsonl(p, ExtractionRecord, counts)]
    client = None
    if config.naming == "llm":
        from wildlong.llm import LLMClient, resolve_settings

        client = LLMClient(resolve_settings(llm_section(config_path, llm_settings)))
    try:
        namer = llm_namer(client) if client is not None else None
        model = build_doctypes(
            records, config, Embedder(batch_size=config.embed_batch_size), counts, namer=namer
        )
    finally:
        if client is not None:
            client.close()
    model.save(output)
    _meta(output, {"stage": "doctypes", "config": config.model_dump(mode="json"), "counts": counts.to_dict()})
    print_counts(counts)
    sil = "n/a" if model.silhouette is None else f"{model.silhouette:.3f}"
    click.echo(f"K = {model.k}{' (auto)' if model.k_auto else ''}, silhouette {sil}")
    if model.silhouettes:
        click.echo("  tried: " + ", ".join(f"K={kk}: {s:.3f}" for kk, s in sorted(model.silhouettes.items())))
    click.echo(f"{'#':>3} {'name':<32} {'values':>7} {'queries':>8}  top members")
    for c in model.clusters:
        click.echo(f"{c.k_index:>3} {c.name[:32]:<32} {c.values:>7} {c.queries:>8}  {', '.join(c.top[:4])}")
    merged = sum(len(t) for t in model.aliases.values())
    if merged:
        click.echo(f"merged {merged:,} near-duplicate values into their canonical form")
    click.echo(f"wrote {output} and {output.with_suffix('.npz')}")


# --- load ------------------------------------------------------------------------------------------------
@click.command(context_settings=HELP)
@click.argument("extractions", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--doctypes",
    "doctypes_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=RUNS / "doctypes.json",
    show_default=True,
    help="Doc-type model from `wildlong doctypes`.",
)
@click.option(
    "--batch-size", type=click.IntRange(1), default=None, help="Queries per write transaction [5000]."
)
@click.option(
    "--store-text",
    is_flag=True,
    default=None,
    help="Store the query text on (:Query) (when the records carry it: extract.keep_text).",
)
@click.option(
    "--reset",
    is_flag=True,
    default=None,
    help="Delete every Query, Value and DocType node first (needed with a new doc-type model).",
)
@click.option(
    "--no-classify",
    is_flag=True,
    help="Ignore document_type values the doc-type model has not seen (default: nearest centroid).",
)
@click.option("--strict", is_flag=True, help="A malformed extraction line stops the load.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=CONFIG_HELP.format("load"),
)
@graph_options
def load(
    extractions: tuple[Path, ...], doctypes_path: Path, batch_size: int | None, store_text: bool | None,
    reset: bool | None, no_classify: bool, strict: bool, config_path: Path | None, uri: str | None, user: str,
    password: str | None, database: str,
) -> None:  # fmt: skip
    """Load extraction records into Neo4j as the graph of user needs.

    (:Query)-[:HAS]->(:Value {doc_type, field, value, count, key}), OF_TYPE / IN_TYPE to (:DocType),
    and CO_OCCURS {count, weight = ln(1 + count)} between values of one doc type that share queries,
    built in Cypher from the HAS facts. Loading the same records again changes nothing.

    \b
    Example:
      wildlong load runs/extractions.jsonl --doctypes runs/doctypes.json
    """
    from wildlong.graph import GraphSettings, connect
    from wildlong.loader import graph_load
    from wildlong.loader.config import LoadConfig
    from wildlong.loader.doctypes import DocTypeModel
    from wildlong.loader.embed import Embedder
    from wildlong.loader.records import StageCounts

    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)  # "no such property yet" on a new graph
    config = _section(config_path, "load", LoadConfig,
                      {"batch_size": batch_size, "store_text": True if store_text else None,
                       "reset": True if reset else None})  # fmt: skip
    paths = list(extractions) or [RUNS / "extractions.jsonl"]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"no extraction file {path}", hint="run `wildlong extract` first")
    model = DocTypeModel.load(doctypes_path)
    counts = StageCounts("load")
    with connect(GraphSettings(uri=uri, user=user, password=password, database=database)) as g:
        report = graph_load.load_extractions(
            g.driver, g.database, paths, model, config, counts,
            embedder=None if no_classify else Embedder(), strict=strict, progress=show_progress(),
        )  # fmt: skip
        summary = graph_load.summary(g.driver, g.database)
        per_type = graph_load.doctype_report(g.driver, g.database)
    print_counts(counts)
    click.echo(
        f"wrote {report.queries_written:,} queries ({report.queries_unchanged:,} unchanged), "
        f"{report.facts_written:,} HAS facts in {report.write_s:.1f} s ({report.facts_per_s:,.0f} facts/s); "
        f"rebuilt {len(report.rebuilt)} doc types in {report.cooccur_s:.1f} s"
    )
    click.echo("graph: " + ", ".join(f"{k} {v:,}" for k, v in summary.items()))
    click.echo(f"{'#':>3} {'doc type':<32} {'queries':>8} {'values':>7} {'edges':>8}")
    for row in per_type:
        name = str(row["name"])[:32]
        click.echo(f"{row['k_index']:>3} {name:<32} {row['size']:>8} {row['values']:>7} {row['edges']:>8}")
