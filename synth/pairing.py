"""Instructions meet documents of their doc type: seeded, single or multi-document bundles."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wildlong.loader.doctype_names import OTHER
from wildlong.records import Counts
from wildlong.synth.records import Document, Instruction, Pair


class PairConfig(BaseModel):
    """How instructions are paired with documents (the paper: 2–5 documents for multi-doc tasks)."""

    model_config = ConfigDict(extra="forbid")

    multi_share: float = Field(
        0.3, ge=0.0, le=1.0, description="share (0-1) of instructions given a multi-document bundle"
    )
    min_bundle: int = Field(2, ge=2, description="fewest documents in a bundle")
    max_bundle: int = Field(5, ge=2, description="most documents in a bundle (>= min_bundle)")
    max_bundle_tokens: int = Field(
        8000,
        ge=1,
        description="tokens of a bundle's documents together at most (a bundle that cannot reach "
        "min_bundle within it becomes a single document)",
    )
    seed: int = Field(0, description="seed of the document draws")
    use_other: bool = Field(
        False,
        description="pair documents of doc type 'other' (near no doc type) with instructions whose doc type "
        "has no documents of its own; false = they are set aside (and such instructions dropped)",
    )

    @model_validator(mode="after")
    def _sizes(self) -> PairConfig:
        if self.max_bundle < self.min_bundle:
            raise ValueError("max_bundle must be >= min_bundle")
        return self


def pair(
    instructions: list[Instruction], documents: list[Document], cfg: PairConfig, counts: Counts
) -> Iterator[Pair]:
    """One pair per instruction, in instruction order; the draws depend only on the seed and the order.
    Documents of doc type ``other`` serve only instructions whose doc type has none, with ``use_other``
    (noted ``paired_with_other``); else they are counted as ``other_documents_set_aside``."""
    by_type: dict[str, list[Document]] = {}
    for doc in sorted(documents, key=lambda d: d.doc_id):
        if doc.doc_type is not None:
            by_type.setdefault(doc.doc_type, []).append(doc)
    others = by_type.pop(OTHER, [])
    if others and not cfg.use_other:
        counts.note("other_documents_set_aside", len(others))
    rng = np.random.default_rng([cfg.seed, 2])
    for inst in instructions:
        counts.seen += 1
        pool = by_type.get(inst.doc_type, [])  # 'other' is not among them
        if not pool and cfg.use_other and others:
            pool = others
            counts.note("paired_with_other")
        if not pool:
            counts.drop("no_document_of_type")
            continue
        draw_multi, draw_size = rng.random(), rng.random()
        order = [int(i) for i in rng.permutation(len(pool))]
        multi = draw_multi < cfg.multi_share and len(pool) >= cfg.min_bundle
        chosen = _bundle(pool, order, draw_size, cfg) if multi else [pool[order[0]]]
        if multi and len(chosen) < cfg.min_bundle:
            chosen, multi = [pool[order[0]]], False
            counts.note("bundle_over_budget_became_single")
        counts.keep()
        yield Pair(
            pair_id=f"p-{inst.instruction_id}",
            instruction_id=inst.instruction_id,
            doc_type=inst.doc_type,
            document_ids=[d.doc_id for d in chosen],
            multi_document=multi,
            tokens=sum(d.tokens for d in chosen),
        )


def _bundle(pool: list[Document], order: list[int], draw: float, cfg: PairConfig) -> list[Document]:
    """``k`` documents in drawn order, skipping any that would push the bundle past its token budget."""
    top = min(cfg.max_bundle, len(pool))
    k = cfg.min_bundle + min(int(draw * (top - cfg.min_bundle + 1)), top - cfg.min_bundle)
    chosen: list[Document] = []
    total = 0
    for i in order:
        doc = pool[i]
        if total + doc.tokens <= cfg.max_bundle_tokens:
            chosen.append(doc)
            total += doc.tokens
        if len(chosen) == k:
            break
    return chosen
