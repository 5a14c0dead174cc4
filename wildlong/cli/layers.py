"""The options shared by ``wildlong run`` and every stage command, turned into config layers.

A click option that maps onto a config key lands in the *flags* layer when it was typed and in the
*environment* layer when it came from its environment variable, so that the one precedence holds:
flags > --set > YAML > environment > defaults.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from wildlong.config import Layer
from wildlong.llm.options import NEGATED, OPTION_KEYS, OPTIONS

F = TypeVar("F", bound=Callable[..., Any])

GRAPH_KEYS = {
    "uri": "graph.uri",
    "user": "graph.user",
    "password": "graph.password",
    "database": "graph.database",
}
COMMON_KEYS = {"out": "out", "seed": "seed"}
PRECEDENCE_HELP = (
    "Settings, highest first: flags > --set > the YAML file > environment variables > defaults. "
    "`wildlong config keys [SECTION]` lists every key; `wildlong config show CONFIG` prints the resolved "
    "config."
)


def common_options(func: F) -> F:
    opts = [
        click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Run folder (overrides out:)."),
        click.option("--seed", type=int, default=None, help="Overrides seed: (walks, pairing, sampling)."),
        click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
                     help="Override any config value, e.g. --set walk.strategy=independent (YAML values)."),
        click.option("--dry-run", is_flag=True, help="Print the calls, tokens, cost and expected time per "
                     "stage; send nothing."),
    ]  # fmt: skip
    for opt in reversed(opts):
        func = opt(func)
    return func


def llm_flag_options(func: F) -> F:
    for opt in reversed(OPTIONS):
        func = opt(func)
    return func


def option_layers(ctx: click.Context, keys: dict[str, str]) -> tuple[Layer, Layer]:
    """(environment layer, flags layer) of the options in ``keys`` (param name -> dotted key)."""
    env, flags = Layer("environment"), Layer("flags")
    params = {p.name: p for p in ctx.command.params}
    for name, dotted in keys.items():
        if name not in ctx.params:
            continue
        value = ctx.params[name]
        source = ctx.get_parameter_source(name)
        if source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP) or value in (None, ()):
            continue
        if name in NEGATED:
            if not value:
                continue
            value = False
        if isinstance(value, tuple):
            value = list(value)
        param = params.get(name)
        if source is ParameterSource.ENVIRONMENT:
            env.set(dotted, value, f"env {_envvar(param)}")
        else:
            flag = param.opts[0] if isinstance(param, click.Option) and param.opts else name
            flags.set(dotted, value, flag)
    return env, flags


def _envvar(param: click.Parameter | None) -> str:
    names = getattr(param, "envvar", None) or []
    if isinstance(names, str):
        names = [names]
    for name in names:
        if name in os.environ:
            return str(name)
    return str(names[0]) if names else "?"


def all_keys(llm: bool, graph: bool) -> dict[str, str]:
    keys = dict(COMMON_KEYS)
    if llm:
        keys.update(OPTION_KEYS)
    if graph:
        keys.update(GRAPH_KEYS)
    return keys


def show_progress() -> bool | None:
    import sys

    return None if sys.stderr.isatty() else False
