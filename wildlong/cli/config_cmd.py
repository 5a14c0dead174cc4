"""`wildlong config keys | show`: the config reference, generated from the models, and a resolved config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wildlong.cli.layers import PRECEDENCE_HELP, llm_flag_options
from wildlong.cli.options import HELP, graph_options


@click.group(context_settings=HELP)
def config() -> None:
    """The run config: every key with its type, default and meaning; a config as a run would resolve it.

    \b
    Examples:
      wildlong config keys            # every key of every section
      wildlong config keys walk       # one section
      wildlong config show configs/quickstart.yaml --set walk.length=8
    """


def reference(section: str | None = None) -> list[str]:
    """The lines of ``wildlong config keys [SECTION]`` (README's reference is checked against them)."""
    from wildlong.config import keys
    from wildlong.run.config import model_for
    from wildlong.run.registry import STAGES

    rows = keys(model_for(STAGES)) + other_configs()
    if section is not None:
        every = rows
        rows = [k for k in rows if k.dotted == section or k.dotted.startswith(section + ".")]
        if not rows:
            from wildlong.errors import ConfigError

            sections = sorted({k.dotted.split(".")[0] for k in every if k.type == "section"})
            raise ConfigError(f"no config section {section!r}", hint=f"sections: {', '.join(sections)}")
    lines = []
    for k in rows:
        if k.type == "section":
            lines.append(f"{k.dotted}:  {k.description}")
            continue
        lines.append(f"  {k.dotted}  ({k.type}, default {k.default or 'null'})  {k.description}".rstrip())
    return lines


def other_configs() -> list[Any]:
    """The training and evaluation configs, as sections ``train`` and ``eval`` (their own YAML files)."""
    from wildlong.config import Key, keys
    from wildlong.train.config import SFTConfig
    from wildlong.train.ruler_run import RulerConfig

    train = Key(
        "train",
        "section",
        "",
        "wildlong train sft CONFIG: its own YAML; --set takes KEY=VALUE without 'train.'",
    )
    ruler = Key(
        "eval",
        "section",
        "",
        "wildlong eval ruler --config FILE: its own YAML; --set KEY=VALUE without 'eval.'",
    )
    return [train, *keys(SFTConfig, "train."), ruler, *keys(RulerConfig, "eval.")]


@config.command(context_settings=HELP)
@click.argument("section", required=False)
def keys(section: str | None) -> None:
    """List every config key with its type, default and description (one SECTION, or all).

    Example: wildlong config keys generate
    """
    click.echo("\n".join(reference(section)))


@config.command(context_settings=HELP, epilog=PRECEDENCE_HELP)
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override a value.")
@graph_options
@llm_flag_options
def show(config_file: Path, overrides: tuple[str, ...], **_: Any) -> None:
    """Print CONFIG as a run resolves it: defaults, environment, the file, --set and flags applied.

    Example: wildlong config show configs/quickstart.yaml --set walk.length=8
    """
    import yaml

    from wildlong.cli.run_cmd import resolve_cli_config

    cfg = resolve_cli_config(click.get_current_context(), config_file, overrides, llm=True, graph=True)
    click.echo(yaml.safe_dump(cfg.seeded().public_dict(), sort_keys=False, allow_unicode=True).rstrip())
