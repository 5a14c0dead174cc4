"""Document types: real all-MiniLM-L6-v2 embeddings (from the installed wheel, offline) and K-Means."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.doubles.llm_helpers import client_for
from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from wildlong.loader.config import DocTypeConfig
from wildlong.loader.doctypes import DocTypeModel, build_doctypes, classify, llm_namer
from wildlong.loader.embed import Embedder, model_path
from wildlong.loader.merge import near_duplicate_aliases, value_counts
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts

FREQUENCY = {
    "email": 5, "business email": 2, "email thread": 1, "job posting": 4, "job postings": 1,
    "job advertisement": 2, "legal contract": 3, "lease agreement": 1, "python script": 3,
    "javascript code": 1, "source code": 1,
}  # fmt: skip
GROUPS = [
    ("email", ["email", "business email", "email thread"], 8),
    ("job posting", ["job posting", "job advertisement", "job postings"], 7),
    ("python script", ["python script", "javascript code", "source code"], 5),
    ("legal contract", ["legal contract", "lease agreement"], 4),
]


def _records() -> list[ExtractionRecord]:
    records = []
    for value, n in FREQUENCY.items():
        for _ in range(n):
            i = len(records)
            records.append(_record(f"q{i}", [value]))
    records.append(_record("empty", []))
    return records


def _record(query_id: str, doc_types: list[str]) -> ExtractionRecord:
    return ExtractionRecord(
        query_id=query_id,
        source="t",
        conversation_id=query_id,
        model="m",
        prompt_name="extract",
        prompt_version="v",
        fields={"document_type": doc_types, "task_type": ["summarization"]},
    )


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


def test_model_ships_in_the_wheel() -> None:
    assert (model_path() / "model.safetensors").is_file()


def test_k4_clusters_sizes_names_silhouette(embedder: Embedder, tmp_path: Path) -> None:
    counts = Counts("doctypes")
    model = build_doctypes(_records(), DocTypeConfig(min_queries=1, k=4), embedder, counts)
    assert [(c.name, c.top, c.queries) for c in model.clusters] == GROUPS
    assert [c.k_index for c in model.clusters] == [0, 1, 2, 3]
    assert [c.size for c in model.clusters] == [8, 7, 5, 4]
    assert counts.kept == 24 and dict(counts.dropped) == {"no_document_type": 1}
    assert model.silhouette == pytest.approx(0.2886, abs=1e-3)
    assert model.centroids.shape == (4, 384)
    assert model.name_of("lease agreement") == "legal contract" and model.name_of("unseen") is None

    path = tmp_path / "doctypes.json"
    model.save(path)
    assert (tmp_path / "doctypes.npz").is_file()
    loaded = DocTypeModel.load(path)
    assert loaded.model_id == model.model_id and len(model.model_id) == 12
    assert np.array_equal(loaded.centroids, model.centroids)
    assert json.loads(path.read_text())["assignments"]["job postings"] == 1
    texts = [
        "Dear team, please find attached the minutes of our meeting. Best regards, Anna",
        "def main():\n    print('hello')\n",
        "We are hiring a senior data engineer. Requirements: 5 years of experience.",
    ]
    assert classify(texts, path, embedder) == ["email", "python script", "job posting"]
    assignments = loaded.assign(embedder.encode(["a rental agreement"]))
    assert assignments[0][0] == "legal contract" and 0 < assignments[0][1] <= 1


def test_k_auto_picks_the_best_silhouette(embedder: Embedder) -> None:
    model = build_doctypes(
        _records(), DocTypeConfig(min_queries=1, k="auto", k_min=2, k_max=8), embedder, Counts("d")
    )
    assert model.k_auto and model.k == 4
    assert sorted(model.silhouettes) == [2, 3, 4, 5, 6, 7, 8]
    assert model.silhouette == max(model.silhouettes.values())


def test_more_clusters_than_values(embedder: Embedder) -> None:
    records = [_record("a", ["email"]), _record("b", ["invoice"])]
    model = build_doctypes(records, DocTypeConfig(min_queries=1, k=10), embedder, Counts("d"))
    assert model.k == 2 and model.silhouette is None


def test_near_duplicate_merge_keeps_the_alias_map(embedder: Embedder) -> None:
    records = _records()
    aliases = near_duplicate_aliases(value_counts(records), embedder, 0.9)
    assert aliases == {"document_type": {"job postings": "job posting"}}
    model = build_doctypes(
        records, DocTypeConfig(min_queries=1, k=4, merge_threshold=0.9), embedder, Counts("d")
    )
    assert model.aliases == aliases
    assert model.clusters[1].top == ["job posting", "job advertisement"] and model.clusters[1].queries == 7


def test_llm_names_clusters(embedder: Embedder, tmp_path: Path) -> None:
    names = iter(["Correspondence", "correspondence", "Code"])

    def responder(body: dict[str, Any]) -> str:
        return json.dumps({"name": next(names, "")})

    with ScriptedOpenAIServer(responder=responder) as server:
        client = client_for(server, tmp_path, max_concurrency=1)
        model = build_doctypes(
            _records(),
            DocTypeConfig(min_queries=1, k=4, naming="llm"),
            embedder,
            Counts("d"),
            namer=llm_namer(client),
        )
        client.close()
    assert model.names == ["correspondence", "correspondence (2)", "code", "legal contract"]
    assert "- email\n- business email" in server.bodies()[0]["messages"][-1]["content"]


def test_k_is_lowered_when_the_queries_are_few(embedder: Embedder) -> None:
    """Too few queries for ten doc types of doctypes.min_queries each: K drops, and says so."""
    records = _records()
    counts = Counts("d")
    model = build_doctypes(records, DocTypeConfig(k=10, min_queries=4), embedder, counts)
    assert model.k == max(1, counts.kept // 4) and model.k_limit == model.k
    assert counts.notes["k_limited_by_queries"] == 1
    auto = build_doctypes(
        records, DocTypeConfig(k="auto", k_min=2, k_max=8, min_queries=100), embedder, Counts("d")
    )
    assert auto.k == 1 and len(auto.clusters) == 1 and auto.silhouette is None
    roomy = build_doctypes(records, DocTypeConfig(k=4, min_queries=1), embedder, Counts("d"))
    assert roomy.k == 4 and roomy.k_limit is None
