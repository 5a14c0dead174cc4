"""The optional merge of near-duplicate values inside a field ("job posting" / "job postings").

Greedy and deterministic: a field's distinct values are taken by frequency (most queries first, then
alphabetically); each becomes an alias of the most similar canonical value already chosen when their
cosine similarity reaches the threshold, else a canonical value itself. Aliases never chain. The result is
an :data:`AliasMap` (field -> {alias: canonical}) kept in the doc-type model and applied by the load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from wildlong.loader.embed import Embedder
from wildlong.loader.normalize import AliasMap
from wildlong.loader.records import ExtractionRecord

_BLOCK = 512


def value_counts(
    records: Iterable[ExtractionRecord], fields: Iterable[str] | None = None
) -> dict[str, Counter[str]]:
    """field -> value -> number of records that have it."""
    wanted = set(fields) if fields is not None else None
    counts: dict[str, Counter[str]] = {}
    for record in records:
        for name, values in record.fields.items():
            if wanted is None or name in wanted:
                counts.setdefault(name, Counter()).update(set(values))
    return counts


def near_duplicate_aliases(
    counts: Mapping[str, Counter[str]], embedder: Embedder, threshold: float
) -> AliasMap:
    """Aliases for every field of ``counts`` (fields without any merge are left out)."""
    aliases: AliasMap = {}
    for name in sorted(counts):
        values = sorted(counts[name], key=lambda v: (-counts[name][v], v))
        table = _merge(values, embedder.encode(values), threshold)
        if table:
            aliases[name] = table
    return aliases


def _merge(values: list[str], vectors: np.ndarray, threshold: float) -> dict[str, str]:
    canonical: list[int] = []
    aliases: dict[str, str] = {}
    for start in range(0, len(values), _BLOCK):
        block = list(range(start, min(len(values), start + _BLOCK)))
        vecs = vectors[block]
        previous = vecs @ vectors[canonical].T if canonical else np.zeros((len(block), 0), dtype=np.float32)
        inside = vecs @ vecs.T
        fresh: list[int] = []  # positions in ``block`` that became canonical
        for j, index in enumerate(block):
            best, best_sim = -1, -2.0
            if previous.shape[1]:
                k = int(np.argmax(previous[j]))
                best, best_sim = canonical[k], float(previous[j, k])
            if fresh:
                sims = inside[j, fresh]
                k = int(np.argmax(sims))
                if float(sims[k]) > best_sim:
                    best, best_sim = block[fresh[k]], float(sims[k])
            if best >= 0 and best_sim >= threshold:
                aliases[values[index]] = values[best]
            else:
                fresh.append(j)
        canonical.extend(block[j] for j in fresh)
    return aliases
