"""Step 2 (``wildlong extract``): each query -> its meta-information fields, through the LLM interface.

    counts = Counts("extract")
    for item in extract_queries(queries, client, ExtractConfig(), counts):
        ...   # ExtractionRecord, or ExtractionFailure (reason from wildlong.llm.FAILURE_REASONS)

The client brings concurrency, retries, the reply cache (a re-run pays nothing), accounting and the
``--max-cost`` budget. Queries go in chunks of ``chunk_size`` so that records are written as they come.
:func:`extract_file` adds the files: it appends to the output, skips queries already in it (resume) and
writes this run's failures to ``<output>.failed.jsonl``; its :class:`ExtractSummary` says what was done
with which prompt and field schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm import tqdm

from wildlong.errors import ConfigError
from wildlong.llm import LLM, Estimate, LLMRequest, LLMResult, PromptTemplate, load_template
from wildlong.loader.config import ExtractConfig
from wildlong.loader.normalize import normalise_fields
from wildlong.loader.records import ExtractionFailure, ExtractionRecord, QueryRecord
from wildlong.loader.schema import DOCUMENT_TYPE, FieldSchema
from wildlong.records import Counts, append_jsonl, read_jsonl, write_jsonl

STAGE = "extract"


@dataclass(frozen=True)
class Extractor:
    """The prompt, the field schema and the config: queries become LLM requests, replies become records."""

    template: PromptTemplate
    schema: FieldSchema
    config: ExtractConfig

    @classmethod
    def from_config(cls, config: ExtractConfig) -> Extractor:
        if config.prompt_path is not None:
            template = PromptTemplate.from_file(config.prompt_path)
        else:
            template = load_template("extract", package="wildlong.loader")
        if template.variables != {"fields", "query"}:
            raise ConfigError(
                f"prompt template {template.source} must declare exactly the variables: fields, query"
            )
        schema = FieldSchema.load(config.fields_path, max_values=config.normalize.max_values)
        return cls(template, schema, config)

    def request(self, query: QueryRecord) -> LLMRequest:
        messages = self.template.render(
            fields=self.schema.prompt_text(), query=clip(query.text, self.config.max_query_chars)
        )
        return LLMRequest(
            messages,
            stage=STAGE,
            template=self.template,
            schema=self.schema.response_model(self.config.phrase_max_chars),
            params={"temperature": self.config.temperature, "max_tokens": self.config.max_tokens},
        )

    def record(
        self, query: QueryRecord, result: LLMResult[Any], model: str, counts: Counts
    ) -> ExtractionRecord | ExtractionFailure:
        if not result.ok or result.value is None:
            return ExtractionFailure(
                query_id=query.query_id,
                source=query.source,
                conversation_id=query.conversation_id,
                model=model,
                prompt_version=self.template.short_version,
                reason=result.reason or "empty",
                detail=result.detail,
            )
        raw: dict[str, list[str]] = {k: list(v) for k, v in result.value.model_dump().items()}
        fields = normalise_fields(raw, self.schema.names, self.config.normalize, counts)
        if not fields.get(DOCUMENT_TYPE):
            counts.note("no_document_type")
        return ExtractionRecord(
            query_id=query.query_id,
            source=query.source,
            conversation_id=query.conversation_id,
            language=query.language,
            model=model,
            prompt_name=self.template.name,
            prompt_version=self.template.short_version,
            schema_version=self.schema.version,
            fields=fields,
            raw=raw if self.config.keep_raw else None,
            text=query.text if self.config.keep_text else None,
        )


def clip(text: str, limit: int) -> str:
    """At most about ``limit`` characters: the head and the tail (the request often follows a document)."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}\n[... {len(text) - head - tail} characters omitted ...]\n{text[-tail:]}"


def extract_queries(
    queries: Iterable[QueryRecord],
    client: LLM,
    config: ExtractConfig,
    counts: Counts,
    *,
    extractor: Extractor | None = None,
    progress: bool | None = None,
    total: int | None = None,
) -> Iterator[ExtractionRecord | ExtractionFailure]:
    """Records (or failures) in input order. A reply that failed is a drop by reason; a request that got
    no answer (outage, timeout, budget) is counted as unanswered, and a budget stop ends the stream
    (``client.budget_exceeded``)."""
    extractor = extractor or Extractor.from_config(config)
    model = client.model
    stream = iter(queries)
    bar = tqdm(
        total=total, desc="extract", unit="query", disable=(not progress) if progress is not None else None
    )
    try:
        while chunk := list(islice(stream, config.chunk_size)):
            results = client.run([extractor.request(q) for q in chunk], progress=False)
            for query, result in zip(chunk, results, strict=True):
                counts.seen += 1
                item = extractor.record(query, result, model, counts)
                if isinstance(item, ExtractionFailure) and result.unanswered:  # sent again on resume
                    counts.miss(item.reason, f"{query.query_id}: {item.reason}: {item.detail[:200]}")
                elif isinstance(item, ExtractionFailure):
                    counts.drop(item.reason, f"{query.query_id}: {item.reason}: {item.detail[:200]}")
                else:
                    counts.keep()
                yield item
            bar.update(len(chunk))
            if client.budget_exceeded:
                return
    finally:
        bar.close()


def estimate(queries: Iterable[QueryRecord], client: LLM, config: ExtractConfig) -> Estimate:
    """The dry run: calls still to pay (cached ones are free), tokens and cost, nothing sent."""
    extractor = Extractor.from_config(config)
    return client.estimate([extractor.request(q) for q in queries])


@dataclass
class ExtractSummary:
    """What :func:`extract_file` did: its counts, the queries already done before it, its files, and the
    prompt and field schema (name or source, and version) the records were made with."""

    counts: Counts
    skipped_done: int
    output: Path
    failures: Path
    prompt: dict[str, str]
    schema: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts.to_dict(),
            "already_done": self.skipped_done,
            "output": str(self.output),
            "failures": str(self.failures),
            "prompt": self.prompt,
            "schema": self.schema,
        }


def pending_queries(
    queries_path: Path, output: Path, extractor: Extractor, model: str, counts: Counts, limit: int | None
) -> tuple[list[QueryRecord], int]:
    """Queries of ``queries_path`` not yet in ``output`` (at most ``limit``) and how many were done.

    A record in ``output`` made with another model, prompt or field schema is a :class:`ConfigError`:
    one file holds one extraction setup.
    """
    done: set[str] = set()
    if output.exists():
        for record in read_jsonl(output, ExtractionRecord, counts):
            setup = (record.model, record.prompt_version, record.schema_version)
            expected = (model, extractor.template.short_version, extractor.schema.version)
            if setup != expected:
                raise ConfigError(
                    f"{output} holds records of another setup (model, prompt, schema = {setup}; "
                    f"now {expected})",
                    hint="write to a new output file, or delete this one",
                )
            done.add(record.query_id)
    pending = []
    for query in read_jsonl(queries_path, QueryRecord, counts):
        if query.query_id in done:
            continue
        pending.append(query)
        if limit is not None and len(pending) >= limit:
            break
    return pending, len(done)


def extract_file(
    queries_path: Path,
    output: Path,
    client: LLM,
    config: ExtractConfig,
    *,
    progress: bool | None = None,
) -> ExtractSummary:
    """Extract every query of ``queries_path`` not yet in ``output``; see the module docstring."""
    counts = Counts(STAGE)
    extractor = Extractor.from_config(config)
    pending, done = pending_queries(queries_path, output, extractor, client.model, counts, config.limit)
    failures_path = output.with_name(output.name.removesuffix(".jsonl") + ".failed.jsonl")
    append_jsonl(output, [])  # the output exists even when nothing is extracted
    write_jsonl(failures_path, [])  # this run's failures only
    items = extract_queries(
        pending, client, config, counts, extractor=extractor, progress=progress, total=len(pending)
    )
    for item in items:  # each record is on disk before the next one comes (a crash loses nothing done)
        append_jsonl(output if isinstance(item, ExtractionRecord) else failures_path, [item])
    return ExtractSummary(
        counts,
        done,
        output,
        failures_path,
        prompt={"name": extractor.template.name, "version": extractor.template.short_version},
        schema={"source": extractor.schema.source, "version": extractor.schema.version},
    )
