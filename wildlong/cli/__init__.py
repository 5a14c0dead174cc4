"""The ``wildlong`` command line: a thin face over the stages.

Subcommands live in their own modules and are imported only when used, so ``wildlong --help``
stays fast (no torch, no driver import).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from wildlong import __version__
from wildlong.cli.options import HELP
from wildlong.errors import WildLongError

# name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "neo4j": "wildlong.cli.neo4j_cmd:neo4j",
    "llm": "wildlong.cli.llm_cmd:llm",
    "read": "wildlong.cli.loader_cmd:read",
    "extract": "wildlong.cli.loader_cmd:extract",
    "doctypes": "wildlong.cli.load_cmd:doctypes",
    "load": "wildlong.cli.load_cmd:load",
    "train": "wildlong.cli.train_cmd:train",
    "eval": "wildlong.cli.train_cmd:eval_group",
    "graph": "wildlong.cli.graph_cmd:graph",
    "walk": "wildlong.cli.walk_cmd:walk",
    "run": "wildlong.cli.run_cmd:run",
    "report": "wildlong.cli.run_cmd:report",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; ``WildLongError`` becomes one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WildLongError as exc:
            raise click.ClickException(exc.one_line()) from None


@click.group(cls=LazyGroup, context_settings=HELP)
@click.version_option(__version__, "--version", prog_name="wildlong")
def main() -> None:
    """Synthesize realistic long-context instruction data from real user needs.

    \b
    Quick start (no Docker, no API key; Neo4j and a small LLM run on this machine):
      wildlong run configs/quickstart.yaml --dry-run   # what it would send, and cost
      wildlong run configs/quickstart.yaml             # conversations -> graph -> dataset
      wildlong graph query --list                      # questions to ask the graph
    \b
    Stage by stage:
      wildlong read | extract | doctypes | load        # stage 1a: real queries -> Neo4j
      wildlong walk                                    # weighted walks in Cypher
      wildlong report RUN_DIR...                       # data quality, side by side
      wildlong train sft CONFIG / wildlong eval ruler  # fine-tune, evaluate
    \b
    Servers: `wildlong neo4j start|status|stop`, `wildlong llm start|status|stop`. Any other
    Neo4j through NEO4J_URI (NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE); any OpenAI-compatible
    LLM through --base-url/--model (WILDLONG_LLM_BASE_URL, OPENAI_API_KEY).
    """
