"""Pairing is seeded and type-consistent, multi-document shares hold; chunks never exceed the window."""

from __future__ import annotations

import random

import pytest

from wildlong.llm.tokens import count_text
from wildlong.records import Counts
from wildlong.synth.chunking import chunk_budget, split
from wildlong.synth.pairing import PairConfig, pair
from wildlong.synth.records import Document, Instruction


def _docs() -> list[Document]:
    docs = []
    for t, n in (("contract", 8), ("email", 5), ("paper", 1)):
        for i in range(n):
            docs.append(Document(doc_id=f"{t}-{i}", text="x", source="t", tokens=1000 + 100 * i, doc_type=t))
    return docs


def _instructions(n: int) -> list[Instruction]:
    types = ["contract", "email", "paper", "novel"]
    return [
        Instruction(instruction_id=f"i{k}", walk_id=f"w{k}", doc_type=types[k % 4], node_ids=[], fields=[],
                    values=[], strategy="weighted", text="do it", prompt="p", prompt_version="v", model="m")
        for k in range(n)
    ]  # fmt: skip


def test_seeded_type_consistent_and_counted() -> None:
    docs, insts = _docs(), _instructions(400)
    t1, t2, t3 = Counts("a"), Counts("b"), Counts("c")
    a = list(pair(insts, docs, PairConfig(seed=1), t1))
    b = list(pair(insts, docs, PairConfig(seed=1), t2))
    c = list(pair(insts, docs, PairConfig(seed=2), t3))
    assert a == b and a != c
    doc_type = {d.doc_id: d.doc_type for d in docs}
    by_inst = {i.instruction_id: i for i in insts}
    for p in a:
        assert {doc_type[d] for d in p.document_ids} == {by_inst[p.instruction_id].doc_type}
        assert len(set(p.document_ids)) == len(p.document_ids)
        assert p.tokens == sum(1000 + 100 * int(d.rsplit("-", 1)[1]) for d in p.document_ids)
    assert t1.dropped["no_document_of_type"] == 100  # every "novel" instruction
    assert t1.kept == 300 and t1.seen == 400
    # "paper" has one document: never a bundle
    assert all(not p.multi_document for p in a if p.doc_type == "paper")


def test_multi_document_share_and_bundle_sizes() -> None:
    docs = [
        Document(doc_id=f"d{i}", text="x", source="t", tokens=500, doc_type="contract") for i in range(10)
    ]
    insts = [i.model_copy(update={"doc_type": "contract"}) for i in _instructions(3000)]
    tally = Counts("p")
    pairs = list(pair(insts, docs, PairConfig(seed=3, multi_share=0.3, max_bundle_tokens=10_000), tally))
    share = sum(p.multi_document for p in pairs) / len(pairs)
    assert share == pytest.approx(0.3, abs=0.03)
    sizes = {len(p.document_ids) for p in pairs if p.multi_document}
    assert sizes == {2, 3, 4, 5}


def test_bundles_respect_the_token_budget() -> None:
    docs = [
        Document(doc_id=f"d{i}", text="x", source="t", tokens=3000, doc_type="contract") for i in range(6)
    ]
    insts = [i.model_copy(update={"doc_type": "contract"}) for i in _instructions(200)]
    tally = Counts("p")
    pairs = list(pair(insts, docs, PairConfig(seed=4, multi_share=1.0, max_bundle_tokens=7000), tally))
    assert all(p.tokens <= 7000 for p in pairs)
    assert all(len(p.document_ids) == 2 for p in pairs)


@pytest.mark.parametrize("window", [300, 700, 2000])
def test_chunks_never_exceed_the_window(window: int) -> None:
    rng = random.Random(window)
    words = ["alpha", "beta", "gamma", "delta", "Ω", "naïve", "1234", "tokenisation", "—", "x" * 40]
    paragraphs = []
    for _ in range(60):
        line_count = rng.randint(1, 6)
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 120))) for _ in range(line_count)]
        paragraphs.append("\n".join(lines))
    paragraphs.append(" ".join(rng.choice(words) for _ in range(3000)))  # one huge line
    text = "\n\n".join(paragraphs)
    chunks = split(text, window, "gpt-4o")
    assert len(chunks) > 1
    assert max(count_text(c, "gpt-4o") for c in chunks) <= window
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_chunk_budget_leaves_room_for_prompt_and_reply() -> None:
    assert chunk_budget(8192, 500, 512) == int((8192 - 500 - 512) * 0.9)
    with pytest.raises(ValueError, match="too small to chunk"):
        chunk_budget(1000, 600, 300)
