"""`wildlong run CONFIG`: the whole synthesis, resumable; `--dry-run` first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wildlong.cli.layers import (
    PRECEDENCE_HELP,
    all_keys,
    common_options,
    llm_flag_options,
    option_layers,
    show_progress,
)
from wildlong.cli.options import HELP, graph_options
from wildlong.run.registry import STAGES, names


class StageChoice(click.Choice):
    """The declared stages, read when the command runs (a stage added to the list shows up at once)."""

    def __init__(self) -> None:
        super().__init__(names())

    @property  # type: ignore[override]
    def choices(self) -> list[str]:
        return names()

    @choices.setter
    def choices(self, value: object) -> None:
        pass


@click.command(context_settings=HELP, epilog=PRECEDENCE_HELP)
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common_options
@click.option("--limit", type=click.IntRange(1), default=None, help="Cap the walks (so the records) at this.")
@click.option("--until", type=StageChoice(), default=None, help="Stop after this stage.")
@click.option(
    "--force", is_flag=True,
    help="Write into an output folder that holds files but is not a WildLong run folder.",
)  # fmt: skip
@graph_options
@llm_flag_options
def run(config: Path, overrides: tuple[str, ...], dry_run: bool, limit: int | None, until: str | None,
        force: bool, **_: Any) -> None:  # fmt: skip
    """Run a whole synthesis: conversations → graph → walks → instructions → documents → dataset.

    \b
    Resumable: after a crash or kill -9, the same command goes on where it stopped; finished stages
    are skipped and paid LLM calls come from the reply cache. The resolved config and a manifest of
    what is complete are written into the run folder.
    Examples:
      wildlong run configs/quickstart.yaml --dry-run
      wildlong run configs/quickstart.yaml
      wildlong run my.yaml --set walk.strategy=independent -o runs/independent
    """
    ctx = click.get_current_context()
    cfg = resolve_cli_config(ctx, config, overrides, llm=True, graph=True)
    if limit is not None:
        cfg = cfg.model_copy(
            update={"walk": cfg.walk.model_copy(update={"walks": min(cfg.walk.walks, limit)})}
        )
    execute(cfg, dry_run=dry_run, until=until, foreign_ok=force)


def resolve_cli_config(
    ctx: click.Context, config: Path | None, overrides: tuple[str, ...], *, llm: bool, graph: bool,
    extra: Any = None, base: Path | None = None,
) -> Any:  # fmt: skip
    """The run config of a command: ``base`` (a run folder's resolved config) counts as defaults."""
    from wildlong.run.config import model_for, resolve

    env, flags = option_layers(ctx, all_keys(llm, graph))
    if extra is not None:
        for dotted, (value, where) in extra.items():
            flags.set(dotted, value, where)
    return resolve(model_for(STAGES), config, overrides, env=env, flags=flags, base=base)


def execute(cfg: Any, *, dry_run: bool, until: str | None = None, only: str | None = None,
            force: bool = False, foreign_ok: bool = False,
            imports: dict[str, Path] | None = None) -> None:  # fmt: skip
    import shlex
    import sys
    import time

    t0 = time.monotonic()
    if dry_run:
        from wildlong.run.dry_run import dry_run as plan

        click.echo(plan(cfg, STAGES, until=until, only=only))
        return
    from wildlong.run.pipeline import RESUME
    from wildlong.run.pipeline import run as run_pipeline

    resume = "wildlong " + shlex.join(sys.argv[1:]) if len(sys.argv) > 1 else RESUME
    result = run_pipeline(cfg, STAGES, echo=click.echo, until=until, only=only, force=force,
                          foreign_ok=foreign_ok or force, resume=resume, imports=imports,
                          progress=show_progress())  # fmt: skip
    click.echo(f"run folder: {result.run_dir}")
    if result.dataset.exists() and ((until is None and only is None) or "dataset" in result.ran):
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
