"""The dataset: chat ``messages`` (user = documents + instruction, assistant = answer) with provenance,
as JSONL and Parquet that ``datasets.load_dataset`` and TRL's SFT trainer read as they are."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import neo4j
import pyarrow as pa
import pyarrow.parquet as pq

from wildlong import cypher
from wildlong.graph import lost_as_unavailable
from wildlong.llm import count_messages
from wildlong.llm.tokens import count_text
from wildlong.records import atomic_path
from wildlong.synth.documents import bucket_of
from wildlong.synth.generate import Sample, render_documents
from wildlong.synth.records import Document, Instruction

cypher.require("synth/queries_behind_values")


@lost_as_unavailable
def query_ids_for(
    driver: neo4j.Driver, database: str, keys: Sequence[str], per_value: int = 20
) -> dict[str, list[str]]:
    """The real query ids behind each value key (read from the graph)."""
    if not keys:
        return {}
    records, _, _ = driver.execute_query(
        cypher.query("synth/queries_behind_values").text,
        keys=sorted(set(keys)),
        per_value=per_value,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return {r["key"]: list(r["query_ids"]) for r in records}


def build_records(
    samples: Sequence[Sample],
    instructions: dict[str, Instruction],
    documents: dict[str, Document],
    query_ids: dict[str, list[str]],
    meta: dict[str, Any],
) -> list[dict[str, Any]]:
    """One dataset record per sample; ``meta`` holds models, seed, token model and length buckets."""
    records = []
    for s in samples:
        inst = instructions[s.instruction_id]
        docs = [documents[d] for d in s.document_ids]
        user = f"{render_documents(docs)}\n\n{s.instruction}"
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": s.answer}]
        tm = meta["token_model"]
        user_tokens = count_messages(messages[:1], tm)
        provenance = {
            "walk_id": inst.walk_id,
            "strategy": inst.strategy,
            "node_ids": inst.node_ids,
            "fields": inst.fields,
            "values": inst.values,
            "query_ids": sorted({q for k in inst.node_ids for q in query_ids.get(k, [])}),
            "document_ids": s.document_ids,
            "document_sources": [d.source for d in docs],
            "original_instruction": s.original_instruction,
            "mode": s.mode,
            "chunks": s.chunks,
            "grounding": s.grounding,
            "tokens": {
                "documents": sum(d.tokens for d in docs),
                "instruction": count_text(s.instruction, tm),
                "answer": count_text(s.answer, tm),
                "user_turn": user_tokens,
            },
            "bucket": bucket_of(user_tokens, meta["length_buckets"]),
            "models": {"instruct": inst.model, "generate": meta["generate_model"]},
            "prompts": {inst.prompt: inst.prompt_version, **s.prompts},
            "seed": meta["seed"],
        }
        records.append(
            {
                "id": s.sample_id,
                "messages": messages,
                "doc_type": inst.doc_type,
                "multi_document": s.multi_document,
                "provenance": provenance,
            }
        )
    return records


def write_dataset(records: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    """``train.jsonl`` and ``train.parquet`` in ``out`` (written to temp names, then renamed)."""
    jsonl, parquet = out / "train.jsonl", out / "train.parquet"
    # Plain dicts with sorted keys (what `datasets` and TRL read), not a pydantic model: written through the
    # same atomic <name>.part path as every other record file.
    with atomic_path(jsonl) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    table = pa.Table.from_pylist(records) if records else pa.table({"id": pa.array([], pa.string())})
    with atomic_path(parquet) as tmp:
        pq.write_table(table, tmp)
    return {"jsonl": jsonl, "parquet": parquet}
