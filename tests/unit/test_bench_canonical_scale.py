"""bench/canonical_scale.py at a tiny scale, so the benchmark cannot rot: its generator grows real phrases by
Heaps' law, and the stage it times (real all-MiniLM-L6-v2) counts forms, merges and junk, each lexical
head embedded once."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bench.canonical_scale import FIXTURE, Growth, TimedEmbedder, print_table, run_stage, summary
from wildlong.loader.merge import lexical_key
from wildlong.loader.records import ExtractionRecord
from wildlong.loader.schema import FieldSchema
from wildlong.records import read_jsonl

SEED = list(read_jsonl(FIXTURE, ExtractionRecord))[:12]
EXAMPLES = {f.name: f.examples for f in FieldSchema.load().fields}


def _forms(records: list[ExtractionRecord]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for record in records:
        for name, values in record.fields.items():
            out.setdefault(name, set()).update(values)
    return out


def test_the_generator_grows_phrases_from_the_seed() -> None:
    growth = Growth(SEED)
    records = growth.sample(300, 0, junk_rate=0.0, copy_rate=0.0)
    assert len(records) == 300
    assert records == growth.sample(300, 0, junk_rate=0.0, copy_rate=0.0)  # seeded
    assert all(set(r.fields) == set(growth.fields) for r in records) and len(growth.fields) == 13
    assert all(r.text in growth.texts for r in records)
    seed_forms = _forms(SEED)
    forms = _forms(records)
    new = {name: forms[name] - seed_forms.get(name, set()) for name in forms}
    assert sum(map(len, new.values())) > sum(map(len, seed_forms.values()))  # the vocabulary grew
    assert not any(re.search(r"\bnew \d+$", v) for vs in new.values() for v in vs)  # phrases, not counters
    lengths = Counter(len(v.split()) for vs in new.values() for v in vs)
    assert lengths[1] + lengths[2] + lengths[3] > 0 and max(lengths) <= 15


@pytest.mark.timeout(120)
def test_the_stage_at_a_tiny_scale_counts_forms_merges_and_junk(capsys: pytest.CaptureFixture[str]) -> None:
    growth = Growth(SEED)
    records = growth.sample(200, 1, junk_rate=0.03, copy_rate=0.01, examples=EXAMPLES)
    result, times = run_stage(records, TimedEmbedder())
    row = summary(records, result, times)

    kept = _forms(result.records)
    raw = _forms(records)
    assert row["queries"] == 200
    assert 0 < row["values"] <= row["forms"] < sum(map(len, raw.values()))  # junk left out before merging
    assert row["values"] == sum(map(len, kept.values()))
    assert row["lexical"] > 0 and row["embedding"] > 0
    assert row["lexical"] <= row["forms"] - row["values"] <= row["lexical"] + row["embedding"]
    assert row["junk"] > 0 and {"placeholder", "field_name"} <= set(row["junk_by_reason"])
    # each lexical head of each field is embedded once, no more
    heads = 0
    for forms in result.forms.values():
        keys = {lexical_key(f) for value in forms.values() for f in value}
        heads += len(keys) if len(keys) > 1 else 0
    assert row["embedded"] == heads
    phases = ("junk_s", "lexical_s", "embed_s", "search_s", "apply_s")
    assert all(row[p] >= 0 for p in phases) and row["embed_s"] > 0
    assert sum(row[p] for p in phases) == pytest.approx(row["total_s"], rel=0.05, abs=0.05)

    print_table([row, row])
    out = capsys.readouterr().out
    assert "values after merging" in out and "x1.00" in out and "junk by reason" in out
