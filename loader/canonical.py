"""The ``canonical`` stage: junk values rejected, then each field's surface forms merged into canonical
values, so that the real needs of different queries meet on one (:Value) node.

    extractions.jsonl --canonical--> canonical.jsonl (the same ExtractionRecord, canonical values)
                                     canonical.json  (per field: forms -> values, merges, junk by reason)

Junk (:mod:`wildlong.loader.junk`) is dropped first, counted as ``junk_<reason>`` per value; then the forms
of each field in ``fields`` are grouped (:mod:`wildlong.loader.merge`: lexical keys, then embedding
neighbours with guards against opposites) and every value is replaced by its group's most frequent form.
The report keeps every surface form of every canonical value with its count (the load puts them on the
Value node as ``forms`` / ``form_counts``). With ``enabled: false`` the records are copied unchanged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wildlong.loader.embed import Embedder
from wildlong.loader.junk import junk_reason, supported
from wildlong.loader.merge import Grouping, group_forms
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts

FORMAT_VERSION = 1
EXAMPLES = 5  # merged groups and junk values shown per field in the report


class CanonicalConfig(BaseModel):
    """Free-text values -> canonical values per field, junk rejected (``wildlong canonical``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True, description="merge surface forms into canonical values; false = records copied unchanged"
    )
    threshold: float | None = Field(
        0.8,
        gt=0,
        le=1,
        description="cosine (all-MiniLM-L6-v2) at which a group joins a more frequent canonical value; "
        "null = lexical merges only (case, punctuation, hyphens, articles, plurals)",
    )
    short_threshold: float | None = Field(
        0.9,
        gt=0,
        le=1,
        description="the cosine needed when either phrase is one word (single words sit closer); "
        "null = threshold",
    )
    neighbors: int = Field(20, ge=1, description="nearest forms looked at per form (k of the k-NN search)")
    fields: list[str] | None = Field(
        None, description="fields whose forms merge; null = every field (document_type included)"
    )
    drop_junk: bool = Field(
        True,
        description="reject field-name echoes, placeholders, numbers, identifiers, overlong phrases and "
        "unsupported prompt examples before merging (counted as junk_<reason>)",
    )
    max_chars: int = Field(60, ge=1, description="a value longer than this (characters) is junk (too_long)")
    max_words: int = Field(10, ge=1, description="a value of more words than this is junk (too_long)")
    prompt_copies: int = Field(
        4,
        ge=1,
        description="a record with at least this many values that are prompt examples (fields.yaml) "
        "unsupported by its query text copied the prompt: those values are junk (prompt_example); only "
        "records that carry their text (extract.keep_text) are checked",
    )
    fields_path: Path | None = Field(
        None,
        description="the field schema whose names and examples junk is checked against; null = the "
        "shipped fields.yaml",
    )


@dataclass
class CanonicalResult:
    records: list[ExtractionRecord]
    report: dict[str, Any]
    forms: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # field -> value -> forms


def canonicalise(
    records: Iterable[ExtractionRecord],
    config: CanonicalConfig,
    embedder: Embedder | None,
    counts: Counts,
    *,
    field_names: Sequence[str] = (),
    examples: Mapping[str, Sequence[str]] | None = None,
) -> CanonicalResult:
    """The records with junk dropped and canonical values (see the module docstring)."""
    records = list(records)
    counts.seen += len(records)
    counts.keep(len(records))
    if not config.enabled:
        return CanonicalResult(records, {"format_version": FORMAT_VERSION, "enabled": False, "fields": {}})
    junk: dict[str, Counter[str]] = {}
    junk_examples: dict[str, dict[str, str]] = {}
    cleaned: list[dict[str, list[str]]] = []
    examples = examples or {}
    verdicts: dict[tuple[str, str], str | None] = {}  # (field, value) -> reason, for records without text
    for record in records:
        kept: dict[str, list[str]] = {}
        text = record.text if _copies(record, examples) >= config.prompt_copies else None
        for name, values in record.fields.items():
            kept[name] = []
            for value in values:
                if text is None:
                    key = (name, value)
                    if key not in verdicts:
                        verdicts[key] = _junk(value, name, None, config, field_names, examples)
                    reason = verdicts[key]
                else:
                    reason = _junk(value, name, text, config, field_names, examples)
                if reason is None:
                    kept[name].append(value)
                    continue
                counts.note(f"junk_{reason}")
                junk.setdefault(name, Counter())[reason] += 1
                junk_examples.setdefault(name, {}).setdefault(value, reason)
        cleaned.append(kept)
    frequency: dict[str, Counter[str]] = {}
    for fields in cleaned:
        for name, values in fields.items():
            frequency.setdefault(name, Counter()).update(set(values))
    wanted = set(config.fields) if config.fields is not None else None
    groupings: dict[str, Grouping] = {}
    for name in sorted(frequency):
        if wanted is not None and name not in wanted:
            continue
        groupings[name] = group_forms(
            frequency[name],
            embedder,
            config.threshold,
            short_threshold=config.short_threshold,
            neighbors=config.neighbors,
        )
    out = [_apply(record, fields, groupings) for record, fields in zip(records, cleaned, strict=True)]
    forms = _forms(frequency, groupings)
    merged = sum(len(frequency[n]) - len(groups) for n, groups in forms.items())
    counts.note("merged_forms", merged)
    report = _report(config, frequency, groupings, forms, junk, junk_examples)
    return CanonicalResult(out, report, forms)


def _copies(record: ExtractionRecord, examples: Mapping[str, Sequence[str]]) -> int:
    """Values of the record that are prompt examples its query text does not support."""
    if record.text is None:
        return 0
    return sum(
        1
        for name, values in record.fields.items()
        for value in values
        if value in examples.get(name, ()) and not supported(value, record.text)
    )


def _junk(
    value: str,
    name: str,
    text: str | None,
    config: CanonicalConfig,
    field_names: Sequence[str],
    examples: Mapping[str, Sequence[str]],
) -> str | None:
    if not config.drop_junk:
        return None
    return junk_reason(
        value,
        name,
        field_names=field_names,
        examples=examples.get(name, ()),
        text=text,
        max_chars=config.max_chars,
        max_words=config.max_words,
    )


def _apply(
    record: ExtractionRecord, fields: dict[str, list[str]], groupings: Mapping[str, Grouping]
) -> ExtractionRecord:
    mapped: dict[str, list[str]] = {}
    for name, values in fields.items():
        table = groupings[name].canonical if name in groupings else {}
        mapped[name] = list(dict.fromkeys(table.get(v, v) for v in values))
    return record.model_copy(update={"fields": mapped})


def _forms(
    frequency: Mapping[str, Counter[str]], groupings: Mapping[str, Grouping]
) -> dict[str, dict[str, dict[str, int]]]:
    """field -> canonical value -> {surface form: queries}, forms by count (every field, every value)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for name, counter in frequency.items():
        table = groupings[name].canonical if name in groupings else {}
        groups: dict[str, dict[str, int]] = {}
        for form, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
            groups.setdefault(table.get(form, form), {})[form] = n
        out[name] = groups
    return out


def _report(
    config: CanonicalConfig,
    frequency: Mapping[str, Counter[str]],
    groupings: Mapping[str, Grouping],
    forms: Mapping[str, Mapping[str, Mapping[str, int]]],
    junk: Mapping[str, Counter[str]],
    junk_examples: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in sorted(set(frequency) | set(junk)):
        groups = forms.get(name, {})
        merged = sorted(
            ((v, f) for v, f in groups.items() if len(f) > 1), key=lambda vf: (-sum(vf[1].values()), vf[0])
        )
        grouping = groupings.get(name)
        fields[name] = {
            "forms": len(frequency.get(name, {})),
            "values": len(groups),
            "merged": grouping is not None,
            "lexical_merges": grouping.lexical_merges if grouping else 0,
            "embedding_merges": grouping.embedding_merges if grouping else 0,
            "examples": [{"value": v, "forms": f} for v, f in merged[:EXAMPLES]],
            "junk": dict(sorted(junk.get(name, Counter()).items())),
            "junk_examples": dict(list(junk_examples.get(name, {}).items())[:EXAMPLES]),
        }
    return {
        "format_version": FORMAT_VERSION,
        "enabled": True,
        "config": config.model_dump(mode="json"),
        "forms": sum(f["forms"] for f in fields.values()),
        "values": sum(f["values"] for f in fields.values()),
        "junk": sum(sum(f["junk"].values()) for f in fields.values()),
        "fields": fields,
        "groups": {name: {v: f for v, f in groups.items() if len(f) > 1} for name, groups in forms.items()},
    }


def write_report(report: Mapping[str, Any], path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_forms(path: Path) -> dict[str, dict[str, dict[str, int]]]:
    """field -> canonical value -> {form: count} for the values that merged forms (from canonical.json)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: dict(groups) for name, groups in (data.get("groups") or {}).items()}
