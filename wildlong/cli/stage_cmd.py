"""One command per stage (``wildlong read | extract | ... | dataset``), made from the stage declarations.

Each runs its one stage inside a run folder (``-o``), records it in the manifest like ``wildlong run``
does, and refuses (exit 2) when an upstream stage is not complete there. Without ``--config`` it starts
from the run folder's ``config.resolved.yaml``, so that stage after stage shares one config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wildlong.cli.layers import PRECEDENCE_HELP, common_options, llm_flag_options
from wildlong.cli.options import HELP, graph_options
from wildlong.run.stage import Flag, Stage


def _flag_param(flag: Flag) -> click.Parameter:
    name = flag.key.replace(".", "__")
    if flag.argument:
        return click.Argument([name], nargs=-1)
    kwargs: dict[str, Any] = {"help": f"{flag.help} [{flag.key}]", "default": None}
    if flag.is_flag:
        kwargs.update(is_flag=True, default=None)
    elif flag.multiple:
        kwargs.update(multiple=True, default=())
    elif flag.type is not None:
        kwargs["type"] = flag.type
    return click.Option([*flag.decls, name], **kwargs)


def make_command(stage: Stage) -> click.Command:
    """The ``wildlong STAGE`` command of one declared stage."""
    flags = {f.key.replace(".", "__"): f for f in stage.flags}

    def callback(config: Path | None, overrides: tuple[str, ...], dry_run: bool, force: bool,
                 **kwargs: Any) -> None:  # fmt: skip
        from wildlong.cli.run_cmd import execute, resolve_cli_config

        ctx = click.get_current_context()
        extra = {}
        for name, flag in flags.items():
            value = kwargs.get(name)
            if value is None or value == ():
                continue
            extra[flag.key] = (list(value) if isinstance(value, tuple) else value, flag.decls[0])
        base = _resolved_in(kwargs.get("out")) if config is None else None
        cfg = resolve_cli_config(ctx, config, overrides, llm=stage.llm, graph=stage.graph, extra=extra,
                                 base=base)  # fmt: skip
        source = kwargs.get("from_file")
        foreign = False
        if stage.takes and source is None:  # a folder holding only e.g. extractions.jsonl, made elsewhere
            source = _found_upstream(stage.takes, cfg.out)
            foreign = source is not None
        imports = {stage.takes: source} if stage.takes and source is not None else None
        execute(cfg, dry_run=dry_run, only=stage.name, force=force, foreign_ok=foreign, imports=imports)

    params = [_flag_param(f) for f in stage.flags]
    if stage.takes:
        params.insert(0, click.Argument(["from_file"], required=False, metavar="[FILE]",
                                        type=click.Path(dir_okay=False, path_type=Path)))  # fmt: skip
    command = click.Command(
        stage.name,
        callback=callback,
        params=params,
        help=_help(stage),
        short_help=stage.summary.split(";")[0][:80],
        epilog=PRECEDENCE_HELP,
        context_settings=HELP,
    )
    decorators: list[Any] = [common_options, _config_option, _force_option]
    if stage.graph:
        decorators.append(graph_options)
    if stage.llm:
        decorators.append(llm_flag_options)
    for decorate in decorators:
        decorate(command)
    return command


def _config_option(command: click.Command) -> click.Command:
    click.option(
        "-c",
        "--config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Run YAML (default: the run folder's config.resolved.yaml, if any).",
    )(command)
    return command


def _force_option(command: click.Command) -> click.Command:
    click.option(
        "--force",
        is_flag=True,
        help="Run the stage even when it is complete already (and write into a folder that is "
        "not a WildLong run folder).",
    )(command)
    return command


def _found_upstream(name: str, folder: Path) -> Path | None:
    """The upstream stage's output file in a folder that is not a WildLong run folder (no manifest)."""
    from wildlong.run.manifest import Manifest
    from wildlong.run.registry import STAGES
    from wildlong.run.stage import by_name

    if Manifest.is_run_folder(folder):
        return None
    candidate = folder / by_name(STAGES, name).outputs[0]
    return candidate if candidate.is_file() else None


def _resolved_in(out: Path | None) -> Path | None:
    from wildlong.run.config import RunConfig

    folder = out if out is not None else RunConfig.model_fields["out"].default
    resolved = folder / "config.resolved.yaml"
    return resolved if resolved.is_file() else None


def _help(stage: Stage) -> str:
    needs = f" Needs {', '.join(stage.depends)} complete in the run folder." if stage.depends else ""
    if stage.depends and set(stage.depends) <= set(stage.runs_first):
        needs = f" Runs {', '.join(stage.runs_first)} first when they are not complete in the run folder."
    outputs = ", ".join(stage.outputs)
    text = (
        f"Run the {stage.name} stage alone: {stage.summary}.\n\nWrites {outputs} into the run folder.{needs}"
    )
    if stage.takes:
        text += (
            f"\n\nFILE: start from your own {stage.takes} output (JSONL, one record per line as `wildlong "
            f"{stage.takes}` writes it) instead of the folder's {stage.takes} stage; bad lines are named and "
            f"skipped. In a folder that is no run folder but holds {stage.takes}'s output file, that file "
            "is the FILE."
        )
    if stage.example:
        text += f"\n\n\b\nExample:\n  {stage.example}"
        if stage.takes:
            text += f"\n  wildlong {stage.name} extractions.jsonl -o runs/mine"
    return text.replace("`", "")
