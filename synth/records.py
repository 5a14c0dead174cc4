"""Records of stage 2: documents, instructions, pairs (read and written with :mod:`wildlong.records`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Document(BaseModel):
    """A long document, token-counted and classified into a stage-1 doc type."""

    doc_id: str
    text: str
    source: str
    tokens: int
    doc_type: str | None = None
    doc_type_score: float | None = None
    truncated_from: int | None = Field(None, description="original token count when cut to the maximum")
    kind_hint: str | None = None


class Instruction(BaseModel):
    """An instruction written from a walk, before it meets any document."""

    instruction_id: str
    walk_id: str
    doc_type: str
    node_ids: list[str]
    fields: list[str]
    values: list[str]
    strategy: str
    text: str
    prompt: str
    prompt_version: str
    model: str


class Pair(BaseModel):
    """An instruction with the document(s) it will be answered from."""

    pair_id: str
    instruction_id: str
    doc_type: str
    document_ids: list[str]
    multi_document: bool
    tokens: int = Field(description="tokens of the documents together")
