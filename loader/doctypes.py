"""Step 3 (``wildlong doctypes``): the free-text ``document_type`` values -> K named document types.

The distinct (normalised, alias-merged) values are embedded with all-MiniLM-L6-v2 and clustered with
K-Means (K = 10 by default, each value weighted by the queries that have it; ``k="auto"`` takes the best
silhouette over ``k_min..k_max``). Values that are field names, identifiers or placeholders are left
out (``drop_junk``; :mod:`wildlong.loader.doctype_names`). Clusters are numbered by size (queries, largest
first) and named by their most representative member, or by the LLM from their most frequent members (a
name that fails the same checks falls back). The model is two files::

    doctypes.json   clusters (k_index, name, values, queries, cohesion, top members), silhouette, the value
                    -> cluster map, the junk values left out, the alias map of the near-duplicate merge,
                    the embedding model's name
    doctypes.npz    the centroids (K x 384, float32)

Stage 2 classifies long documents by the nearest centroid: ``DocTypeModel.load(path).classify(texts)``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr

from wildlong.errors import ConfigError, InputError
from wildlong.loader.config import DocTypeConfig
from wildlong.loader.doctype_names import Namer, cohesion, junk_reason, representative, usable_name
from wildlong.loader.doctype_names import llm_namer as llm_namer  # re-exported
from wildlong.loader.doctype_names import name_requests as name_requests  # re-exported
from wildlong.loader.embed import Embedder
from wildlong.loader.merge import near_duplicate_aliases, value_counts
from wildlong.loader.normalize import AliasMap, apply_aliases
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts, content_hash


class DocTypeCluster(BaseModel):
    k_index: int = Field(description="0 = the cluster with the most queries")
    name: str
    values: int = Field(description="distinct document_type values in the cluster")
    queries: int = Field(description="queries whose document_type values fall in it (with multiplicity)")
    central: str = Field(description="the most representative member (see doctype_names)")
    cohesion: float | None = Field(None, description="mean cosine of the member values to the centroid")
    top: list[str] = Field(description="the most frequent members")

    @property
    def size(self) -> int:
        """The cluster's size as reported: its queries (``queries``)."""
        return self.queries


class DocTypeModel(BaseModel):
    """The clusters and everything needed to assign a value or a document to one of them."""

    format_version: int = 1
    field: str
    embedding_model: str
    k: int
    k_auto: bool = False
    k_limit: int | None = Field(
        None, description="the largest K the queries allowed (doctypes.min_queries per doc type), when lower"
    )
    silhouette: float | None = Field(description="mean silhouette over the distinct values (None when K < 2)")
    silhouettes: dict[int, float] = Field(default_factory=dict, description="K -> silhouette, for k=auto")
    naming: str
    clusters: list[DocTypeCluster]
    assignments: dict[str, int] = Field(description="canonical document_type value -> k_index")
    aliases: AliasMap = Field(default_factory=dict, description="field -> {alias: canonical} (the merge)")
    junk: dict[str, str] = Field(default_factory=dict, description="value left out of clustering -> why")
    model_id: str = ""
    _centroids: np.ndarray = PrivateAttr(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    @property
    def centroids(self) -> np.ndarray:
        return self._centroids

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clusters]

    def name_of(self, value: str) -> str | None:
        """The doc type of a canonical ``document_type`` value (None if the model never saw it)."""
        index = self.assignments.get(value)
        return None if index is None else self.clusters[index].name

    def nearest(self, vectors: np.ndarray) -> list[str]:
        """The doc type of each (normalised) embedding: the nearest centroid."""
        if len(vectors) == 0:
            return []
        centroids = self._centroids
        distances = (centroids**2).sum(axis=1)[None, :] - 2.0 * (vectors @ centroids.T)
        return [self.clusters[int(i)].name for i in np.argmin(distances, axis=1)]

    def assign(self, vectors: np.ndarray) -> list[tuple[str, float]]:
        """The nearest doc type of each embedding and its cosine similarity to that centroid."""
        names = self.nearest(vectors)
        index = {c.name: c.k_index for c in self.clusters}
        norms = np.linalg.norm(self._centroids, axis=1, keepdims=True)
        unit = self._centroids / np.where(norms == 0, 1.0, norms)
        return [(n, float(vectors[i] @ unit[index[n]])) for i, n in enumerate(names)]

    def classify(
        self,
        texts: Sequence[str],
        embedder: Embedder | None = None,
        *,
        chunk_chars: int = 1000,
        max_chunks: int = 4,
    ) -> list[str]:
        """The doc type of each text (a long document: the mean embedding of up to ``max_chunks``
        evenly spaced chunks of ``chunk_chars``; the model itself reads 256 word pieces at most)."""
        embedder = embedder or Embedder()
        return self.nearest(embed_documents(texts, embedder, chunk_chars=chunk_chars, max_chunks=max_chunks))

    def refresh_id(self) -> str:
        """Set ``model_id``: a hash of the model's content and centroids (the graph remembers it)."""
        self.model_id = _model_id(self)
        return self.model_id

    # --- files ---------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """``path`` (JSON) and the centroids next to it (same name, ``.npz``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.refresh_id()
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        np.savez(_npz(path), centroids=self._centroids)

    @classmethod
    def load(cls, path: Path) -> DocTypeModel:
        try:
            model = cls.model_validate_json(Path(path).read_text("utf-8"))
            with np.load(_npz(Path(path))) as data:
                model._centroids = np.asarray(data["centroids"], dtype=np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"cannot read the doc-type model {path} (+ .npz): {exc}", hint="run `wildlong doctypes` first"
            ) from None
        if model._centroids.shape[0] != len(model.clusters):
            raise InputError(
                f"{path}: {len(model.clusters)} clusters but {model._centroids.shape[0]} centroids"
            )
        return model


def classify(texts: Sequence[str], model: DocTypeModel | Path, embedder: Embedder | None = None) -> list[str]:
    """The doc type name of each text by the nearest centroid (stage 2 uses this for long documents)."""
    loaded = model if isinstance(model, DocTypeModel) else DocTypeModel.load(model)
    return loaded.classify(texts, embedder)


def embed_documents(
    texts: Sequence[str], embedder: Embedder, *, chunk_chars: int = 1000, max_chunks: int = 4
) -> np.ndarray:
    pieces: list[str] = []
    owners: list[int] = []
    for index, text in enumerate(texts):
        chunks = _chunks(text, chunk_chars, max_chunks)
        pieces += chunks
        owners += [index] * len(chunks)
    vectors = embedder.encode(pieces)
    result = np.zeros(
        (len(texts), vectors.shape[1] if len(vectors) else embedder.dimension), dtype=np.float32
    )
    np.add.at(result, np.asarray(owners, dtype=np.int64), vectors)
    norms = np.linalg.norm(result, axis=1, keepdims=True)
    return result / np.where(norms == 0, 1.0, norms)


def _chunks(text: str, size: int, most: int) -> list[str]:
    text = text.strip() or " "
    starts = list(range(0, len(text), size))
    if len(starts) > most:
        step = (len(starts) - 1) / (most - 1) if most > 1 else 0
        starts = [starts[round(i * step)] for i in range(most)]
    return [text[s : s + size] for s in starts]


def build_doctypes(
    records: Iterable[ExtractionRecord],
    config: DocTypeConfig,
    embedder: Embedder,
    counts: Counts,
    *,
    namer: Namer | None = None,
    progress: bool | None = False,
) -> DocTypeModel:
    """Cluster the records' ``config.field`` values (see the module docstring); ``progress`` shows the
    embedding's progress bar (None: on a terminal)."""
    from sklearn.cluster import KMeans

    records = list(records)
    counts.seen = len(records)
    aliases: AliasMap = {}
    if config.merge_threshold is not None:
        merge_counts = value_counts(records, config.merge_fields)
        aliases = near_duplicate_aliases(merge_counts, embedder, config.merge_threshold)
        counts.note("merged_values", sum(len(t) for t in aliases.values()))
    frequency, junk = _frequency(records, config, aliases, counts)
    values = sorted(frequency, key=lambda v: (-frequency[v], v))
    show = sys.stderr.isatty() if progress is None else progress
    vectors = embedder.encode(values, progress=show)
    weights = np.asarray([frequency[v] for v in values], dtype=np.float64) if config.weighted else None

    def fit(k: int) -> tuple[np.ndarray, np.ndarray]:
        km = KMeans(n_clusters=k, n_init=10, random_state=config.seed).fit(vectors, sample_weight=weights)
        return np.asarray(km.labels_), np.asarray(km.cluster_centers_, dtype=np.float32)

    silhouettes: dict[int, float] = {}
    limit = max(1, counts.kept // config.min_queries)  # fewer queries than K doc types can hold together
    asked = config.k_max if config.k == "auto" else config.k
    if config.k == "auto":
        if config.k_min > config.k_max:
            raise ConfigError(f"k_min ({config.k_min}) is larger than k_max ({config.k_max})")
        for k in range(config.k_min, min(config.k_max, limit, len(values) - 1) + 1):
            score = _silhouette(vectors, fit(k)[0], config)
            if score is not None:
                silhouettes[k] = score
        k = (
            max(silhouettes, key=lambda c: (silhouettes[c], -c))
            if silhouettes
            else min(config.k_min, limit, len(values))
        )
    else:
        k = min(config.k, limit, len(values))
    labels, centroids = fit(k)
    silhouette = silhouettes.get(k) if config.k == "auto" else _silhouette(vectors, labels, config)
    model = _assemble(values, frequency, vectors, labels, centroids, config, namer, counts)
    model.k, model.k_auto, model.silhouette, model.silhouettes = (
        k,
        config.k == "auto",
        silhouette,
        silhouettes,
    )
    model.aliases, model.junk = aliases, junk
    if limit < min(asked, len(values)):
        model.k_limit = limit
        counts.note("k_limited_by_queries")
    return model


def _frequency(
    records: list[ExtractionRecord], config: DocTypeConfig, aliases: AliasMap, counts: Counts
) -> tuple[Counter[str], dict[str, str]]:
    """Queries per usable value; junk values (``drop_junk``) are left out, noted as ``junk_value``."""
    frequency: Counter[str] = Counter()
    junk: dict[str, str] = {}
    for record in records:
        values = apply_aliases({config.field: record.fields.get(config.field, [])}, aliases)[config.field]
        if not values:
            counts.drop("no_document_type")
            continue
        usable = []
        for value in values:
            reason = junk_reason(value, [config.field]) if config.drop_junk else None
            if reason is None:
                usable.append(value)
            else:
                junk[value] = reason
                counts.note("junk_value")
        if not usable:
            counts.drop("junk_document_type")
            continue
        counts.keep()
        frequency.update(usable)
    if not frequency:
        raise InputError(
            f"no record has a usable '{config.field}' value to cluster ({len(junk)} junk values)",
            hint="see the extraction records; doctypes.drop_junk: false clusters every value",
        )
    return frequency, dict(sorted(junk.items()))


def _silhouette(vectors: np.ndarray, labels: np.ndarray, config: DocTypeConfig) -> float | None:
    from sklearn.metrics import silhouette_score

    k = len(set(labels.tolist()))
    if k < 2 or k > len(vectors) - 1:
        return None
    sample = min(len(vectors), config.silhouette_sample)
    return float(silhouette_score(vectors, labels, sample_size=sample, random_state=config.seed))


def _assemble(
    values: list[str],
    frequency: Counter[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    config: DocTypeConfig,
    namer: Namer | None,
    counts: Counts,
) -> DocTypeModel:
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(int(label), []).append(index)  # values are in frequency order
    extra = [config.field]
    centrals = {
        g: representative(m, values, vectors, centroids[g], frequency, extra) for g, m in groups.items()
    }
    order = sorted(groups, key=lambda g: (-sum(frequency[values[i]] for i in groups[g]), centrals[g]))
    tops = [[values[i] for i in groups[g][: config.name_members]] for g in order]
    names = [centrals[g] for g in order]
    if config.naming == "llm" and namer is not None:
        raw = namer(tops)
        proposed = [usable_name(p, extra) for p in raw]
        counts.note("llm_named", sum(1 for p in proposed if p))
        counts.note("llm_name_rejected", sum(1 for r, p in zip(raw, proposed, strict=True) if r and not p))
        names = [p or names[i] for i, p in enumerate(proposed)]
    names = _unique(names)
    clusters = [
        DocTypeCluster(
            k_index=position,
            name=names[position],
            values=len(groups[g]),
            queries=sum(frequency[values[i]] for i in groups[g]),
            central=centrals[g],
            cohesion=round(cohesion(vectors[groups[g]], centroids[g]), 4),
            top=tops[position][:10],
        )
        for position, g in enumerate(order)
    ]
    position_of = {g: position for position, g in enumerate(order)}
    model = DocTypeModel(
        field=config.field,
        embedding_model=Embedder.name,
        k=len(order),
        silhouette=None,
        naming=config.naming if namer is not None or config.naming == "central" else "central",
        clusters=clusters,
        assignments={values[i]: position_of[int(labels[i])] for i in range(len(values))},
    )
    model._centroids = np.ascontiguousarray(centroids[order], dtype=np.float32)
    return model


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    result = []
    for name in names:
        clean = " ".join(name.split()).strip().lower()[:60] or "unnamed"
        seen[clean] += 1
        result.append(clean if seen[clean] == 1 else f"{clean} ({seen[clean]})")
    return result


def _npz(path: Path) -> Path:
    return path.with_suffix(".npz")


def _model_id(model: DocTypeModel) -> str:
    body = model.model_dump(mode="json", exclude={"model_id"})
    blob = json.dumps(body, sort_keys=True).encode("utf-8") + model.centroids.tobytes()
    return content_hash(blob)
