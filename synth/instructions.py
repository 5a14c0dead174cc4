"""Walks become instructions: the LLM combines a walk's values into one natural user request.

Near-duplicate instructions (MinHash over word 3-grams, then exact Jaccard) are dropped and counted.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from wildlong.llm import LLM, LLMRequest, PromptTemplate
from wildlong.records import Counts
from wildlong.synth.records import Instruction
from wildlong.synth.walks import Walk

_PREFIX = re.compile(r"^\s*(?:instruction|request|user)\s*:\s*", re.IGNORECASE)


class InstructConfig(BaseModel):
    """Instruction writing (stage 1b)."""

    model_config = ConfigDict(extra="forbid")

    min_chars: int = Field(20, ge=1, description="instructions shorter than this (characters) are dropped")
    max_tokens: int = Field(160, ge=16, description="output tokens per instruction call at most")
    near_duplicate_jaccard: float = Field(
        0.7,
        gt=0,
        le=1,
        description="word 3-gram Jaccard similarity (0-1) at which an instruction duplicates an earlier one",
    )
    temperature: float = Field(0.7, description="sampling temperature of the instruction calls")


def needs_text(walk: Walk) -> str:
    return "\n".join(
        f"- {field.replace('_', ' ')}: {value}" for field, value in zip(walk.fields, walk.values, strict=True)
    )


def requests_for(walks: list[Walk], template: PromptTemplate, cfg: InstructConfig) -> list[LLMRequest]:
    return [
        LLMRequest(
            template.render(doc_type=w.doc_type, needs=needs_text(w)),
            stage="instruct",
            template=template,
            params={"max_tokens": cfg.max_tokens, "temperature": cfg.temperature, "seed": w.seed},
        )
        for w in walks
    ]


def write_instructions(
    walks: list[Walk],
    client: LLM,
    template: PromptTemplate,
    cfg: InstructConfig,
    counts: Counts,
    model: str,
) -> list[Instruction]:
    """One instruction per walk, in walk order; failures and duplicates are counted, not raised."""
    results = client.run(requests_for(walks, template, cfg), desc="instructions")
    dedup = NearDuplicates(cfg.near_duplicate_jaccard)
    kept: list[Instruction] = []
    for walk, result in zip(walks, results, strict=True):
        counts.seen += 1
        if result.unanswered:  # sent again on resume; the stage is not complete
            counts.miss(str(result.reason))
            continue
        whole_first = result.reason == "truncated" and "\n\n" in result.text.strip()
        if not result.ok and not whole_first:  # cut inside the first paragraph: the request itself is cut
            counts.drop("truncated" if result.reason == "truncated" else f"llm_{result.reason}")
            continue
        if whole_first:
            counts.note("cut_after_first_paragraph")
        text = clean(result.text)
        if len(text) < cfg.min_chars:
            counts.drop("too_short")
            continue
        if not dedup.add(text):
            counts.drop("near_duplicate")
            continue
        counts.keep()
        kept.append(
            Instruction(
                instruction_id=f"i-{walk.walk_id}",
                walk_id=walk.walk_id,
                doc_type=walk.doc_type,
                node_ids=walk.node_ids,
                fields=walk.fields,
                values=walk.values,
                strategy=walk.strategy,
                text=text,
                prompt=template.name,
                prompt_version=template.short_version,
                model=model,
            )
        )
    return kept


def clean(text: str) -> str:
    """Strip the wrapping a small model adds: quotes, 'Instruction:' prefixes, trailing notes."""
    text = text.strip().split("\n\n")[0].strip()
    text = _PREFIX.sub("", text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return " ".join(text.split())


def shingles(text: str, n: int = 3) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


class NearDuplicates:
    """MinHash LSH (16 bands x 4 rows) to find candidates, exact Jaccard to decide."""

    def __init__(self, threshold: float, bands: int = 16, rows: int = 4) -> None:
        self.threshold, self.bands, self.rows = threshold, bands, rows
        rng = np.random.default_rng(0)
        # 32-bit hashes times 31-bit multipliers stay below 2**63: no overflow in int64.
        self._a = rng.integers(1, 1 << 31, size=bands * rows, dtype=np.int64)
        self._b = rng.integers(0, 1 << 31, size=bands * rows, dtype=np.int64)
        self._buckets: dict[tuple[int, bytes], list[int]] = {}
        self._sets: list[set[str]] = []

    def add(self, text: str) -> bool:
        """True when ``text`` is new (and remember it); False when it nearly duplicates one seen."""
        grams = shingles(text)
        sig = self._signature(grams)
        keys = [(b, sig[b * self.rows : (b + 1) * self.rows].tobytes()) for b in range(self.bands)]
        candidates = {i for key in keys for i in self._buckets.get(key, [])}
        for i in candidates:
            other = self._sets[i]
            if len(grams & other) / max(1, len(grams | other)) >= self.threshold:
                return False
        index = len(self._sets)
        self._sets.append(grams)
        for key in keys:
            self._buckets.setdefault(key, []).append(index)
        return True

    def _signature(self, grams: set[str]) -> np.ndarray:
        hashes = np.array(
            [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") for g in grams],
            dtype=np.int64,
        )
        prime = np.int64((1 << 61) - 1)
        values = (np.outer(hashes, self._a) % prime + self._b) % prime
        return values.min(axis=0)
