"""The records that flow through stage 1a.

    conversations --read--> QueryRecord --extract--> ExtractionRecord (+ ExtractionFailure)
                  --doctypes--> DocTypeModel (doctypes.json + .npz) --load--> Neo4j

Each record type is one JSONL line (``model_dump_json()``), read and written with :mod:`wildlong.records`
(which also holds the stages' counter, :class:`wildlong.records.Counts`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QueryRecord(BaseModel):
    """One real user query: the first user turn of a conversation that passed the filters."""

    model_config = ConfigDict(extra="ignore")

    query_id: str = Field(description="'<source>:<conversation_id>', unique over a run")
    source: str = Field(description="named source, or the file (relative to its folder argument)")
    conversation_id: str
    language: str | None = Field(None, description="ISO 639-1 code (from the source, else detected)")
    text: str = Field(description="the first user message, verbatim")
    model: str | None = Field(None, description="the chatbot model of the conversation, when known")
    user_turns: int = Field(1, description="user turns in the whole conversation")


class ExtractionRecord(BaseModel):
    """The meta-information of one query: each field holds 0-3 normalised short phrases."""

    model_config = ConfigDict(extra="ignore")

    query_id: str
    source: str
    conversation_id: str
    language: str | None = None
    model: str = Field(description="the LLM that extracted the fields")
    prompt_name: str
    prompt_version: str = Field(description="content hash of the prompt template (12 hex)")
    schema_version: str = Field("", description="content hash of the field schema file (12 hex)")
    fields: dict[str, list[str]] = Field(description="field name -> normalised phrases (0-3)")
    raw: dict[str, list[str]] | None = Field(None, description="the phrases as the LLM wrote them")
    text: str | None = Field(None, description="the query text (only with extract.keep_text)")


class ExtractionFailure(BaseModel):
    """A query whose extraction failed (kept in ``<output>.failed.jsonl``, retried by the next run)."""

    query_id: str
    source: str
    conversation_id: str
    model: str
    prompt_version: str
    reason: str = Field(description="one of wildlong.llm.FAILURE_REASONS")
    detail: str = ""
