"""`wildlong run CONFIG`: the whole synthesis, resumable; `--dry-run` first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wildlong.cli.options import HELP, graph_options
from wildlong.llm.options import llm_options
from wildlong.run import STAGES


@click.command(context_settings=HELP)
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--out", type=click.Path(path_type=Path), default=None, help="Run folder (overrides out:)."
)
@click.option("--seed", type=int, default=None, help="Overrides seed: (walks, pairing, sampling).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Cap the walks (so the records) at this.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override any config value, e.g. --set walk.strategy=independent (YAML values).",
)
@click.option("--until", type=click.Choice(STAGES), default=None, help="Stop after this stage.")
@click.option("--dry-run", is_flag=True, help="Print the calls, tokens and cost per stage; send nothing.")
@graph_options
@llm_options
def run(
    config: Path,
    out: Path | None,
    seed: int | None,
    limit: int | None,
    overrides: tuple[str, ...],
    until: str | None,
    dry_run: bool,
    uri: str | None,
    user: str,
    password: str | None,
    database: str,
    llm_settings: Any,
    **_: Any,
) -> None:
    """Run a whole synthesis: conversations → graph → walks → instructions → documents → dataset.

    \b
    Resumable: after a crash or kill -9, the same command goes on where it stopped; finished stages
    are skipped and paid LLM calls come from the run's cache. The resolved config and a manifest of
    what is complete are written into the run folder.
    Examples:
      wildlong run configs/quickstart.yaml
      wildlong run configs/quickstart.yaml --dry-run
      wildlong run my.yaml --set walk.strategy=independent -o runs/independent
    """
    import time

    from wildlong.run.config import load_config

    t0 = time.monotonic()
    cfg = load_config(config, list(overrides))
    update: dict[str, Any] = {}
    if out is not None:
        update["out"] = out
    if seed is not None:
        update["seed"] = seed
    if limit is not None:
        update["walk"] = cfg.walk.model_copy(update={"walks": min(cfg.walk.walks, limit)})
    if uri:
        update["graph"] = cfg.graph.model_copy(
            update={"uri": uri, "user": user, "password": password, "database": database}
        )
    update["llm"] = cfg.llm.model_validate(
        {**cfg.llm.model_dump(exclude_unset=True), **llm_settings.model_dump(exclude_unset=True)}
    )
    cfg = cfg.model_copy(update=update)
    if dry_run:
        from wildlong.run.estimate import dry_run as estimate

        click.echo(estimate(cfg))
        return
    from wildlong.run.pipeline import run as run_pipeline

    result = run_pipeline(cfg, echo=click.echo, until=until)
    click.echo(f"run folder: {result.run_dir}")
    if result.dataset.exists():
        click.echo(f"dataset:    {result.dataset}  (+ train.parquet, README.md)")
    click.echo(f"wall time:  {time.monotonic() - t0:.0f} s")


@click.command(context_settings=HELP)
@click.argument(
    "run_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def report(run_dirs: tuple[Path, ...]) -> None:
    """Compare finished runs side by side: diversity, coverage, lengths, rejection rates.

    Example: wildlong report runs/weighted runs/independent
    """
    from wildlong.loader.embed import Embedder
    from wildlong.run.report import table

    click.echo(table(list(run_dirs), Embedder()))
