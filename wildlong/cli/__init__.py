"""The ``wildlong`` command line: a thin face over the stages.

Subcommands live in their own modules and are imported only when used, so ``wildlong --help``
stays fast (no torch, no driver import). One command per stage is made from the stage declarations.
Exit codes: 0 done, 1 the run could not finish, 2 a user's mistake (usage, config, input), 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from wildlong import __version__
from wildlong.cli.options import HELP
from wildlong.errors import WildLongError
from wildlong.run.registry import STAGES

# name -> "module:attribute" of a click command or group (stage commands come from the registry).
COMMANDS: dict[str, str] = {
    "neo4j": "wildlong.cli.neo4j_cmd:neo4j",
    "llm": "wildlong.cli.llm_cmd:llm",
    "config": "wildlong.cli.config_cmd:config",
    "train": "wildlong.cli.train_cmd:train",
    "eval": "wildlong.cli.train_cmd:eval_group",
    "graph": "wildlong.cli.graph_cmd:graph",
    "run": "wildlong.cli.run_cmd:run",
    "report": "wildlong.cli.run_cmd:report",
    "audit": "wildlong.cli.audit_cmd:audit",
}
EXIT_INTERRUPTED = 130


class RunFailed(click.ClickException):
    """A ``WildLongError`` as the CLI shows it: one line per problem; exit 1 (the run could not finish)."""

    exit_code = 1

    def __init__(self, exc: WildLongError) -> None:
        super().__init__(exc.one_line())
        self.problems = exc.lines()

    def show(self, file: Any = None) -> None:
        for line in self.problems:
            click.echo(f"Error: {line}", err=True)


class UserMistake(RunFailed):
    """A config, usage or input mistake: exit 2."""

    exit_code = 2


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; ``WildLongError`` becomes one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS) | {s.name for s in STAGES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        for stage in STAGES:
            if stage.name == cmd_name:
                from wildlong.cli.stage_cmd import make_command

                return make_command(stage)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WildLongError as exc:
            raise (UserMistake if exc.exit_code == 2 else RunFailed)(exc) from None
        except KeyboardInterrupt:
            click.echo("interrupted: run the same command again to resume where it stopped", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=LazyGroup, context_settings=HELP)
@click.version_option(__version__, "--version", prog_name="wildlong")
def main() -> None:
    """Synthesize realistic long-context instruction data from real user needs.

    \b
    Quick start (no Docker, no API key; Neo4j and a small LLM run on this machine):
      wildlong run configs/quickstart.yaml --dry-run   # what it would send, cost and take
      wildlong run configs/quickstart.yaml             # conversations -> graph -> dataset
      wildlong graph query --list                      # questions to ask the graph
    \b
    Stage by stage (one command per stage, in one run folder):
      wildlong read | extract | doctypes | load | documents | walk | instruct | pair | generate | dataset
      wildlong config keys [SECTION]                   # every setting, its default and meaning
      wildlong report RUN_DIR...                       # data quality, side by side
      wildlong train sft CONFIG / wildlong eval ruler  # fine-tune, evaluate
    \b
    Servers: `wildlong neo4j start|status|stop`, `wildlong llm start|status|stop`. Any other
    Neo4j through NEO4J_URI (NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE); any OpenAI-compatible
    LLM through --base-url/--model (WILDLONG_LLM_BASE_URL, OPENAI_API_KEY).
    \b
    Exit codes: 0 done, 1 the run could not finish, 2 a usage/config/input mistake, 130 interrupted.
    """
