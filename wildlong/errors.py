"""One root exception with a few typed subclasses.

At the CLI every ``WildLongError`` becomes one clear line: what went wrong, where, and what to do.
"""

from __future__ import annotations


class WildLongError(Exception):
    """Root of every error the project raises on purpose.

    ``hint`` says what the user can do about it; the CLI prints ``message (hint)`` on one line.
    """

    exit_code = 1  # the run could not finish; a user's mistake (config, input) is 2

    def __init__(self, message: str, *, hint: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or [message]  # one line per problem (every config error, not just the first)

    def one_line(self) -> str:
        text = self.message if not self.hint else f"{self.message} — {self.hint}"
        return " ".join(text.split())

    def lines(self) -> list[str]:
        """Every problem on its own line, the hint on the last one."""
        out = [" ".join(d.split()) for d in self.details]
        if self.hint:
            out[-1] = f"{out[-1]} — {' '.join(self.hint.split())}"
        return out


class ConfigError(WildLongError):
    """A configuration value, file or flag is wrong."""

    exit_code = 2


class InputError(WildLongError):
    """Input data is malformed (file:line says where)."""

    exit_code = 2


class ToolMissingError(WildLongError):
    """A program the project needs (java, mvn) is missing or too old."""


class GraphError(WildLongError):
    """Neo4j could not be reached, started or queried."""


class QueryRefused(GraphError):
    """A user-supplied Cypher query was refused (for example: it writes)."""


class LLMError(WildLongError):
    """The LLM endpoint failed in a way that stops the run (not a single bad record)."""


class BudgetExceeded(LLMError):
    """The run reached its ``--max-cost`` limit and stopped cleanly."""


class GraphLost(GraphError):
    """Neo4j stopped answering while a stage ran; finished stages are kept and the run resumes."""


class StageIncomplete(WildLongError):
    """A stage could not do its work (requests that never got an answer); it is not marked complete."""


class KeptNothing(WildLongError):
    """A stage kept no record, so the stages after it have nothing to work on."""
