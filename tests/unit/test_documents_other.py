"""Documents near no doc type go to ``other`` and are paired only with ``pair.use_other`` (real embedder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wildlong.loader.config import DocTypeConfig
from wildlong.loader.doctypes import DocTypeModel, build_doctypes
from wildlong.loader.embed import Embedder
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts, write_jsonl
from wildlong.synth.documents import DocumentConfig, classify_documents
from wildlong.synth.pairing import PairConfig, pair
from wildlong.synth.records import Document, Instruction

VALUES = {
    "email": 4, "business email": 2, "email thread": 1, "python source code": 3, "python script": 2,
    "job posting": 3, "job advertisement": 2,
}  # fmt: skip
FOLKLORE = (
    "Once upon a time, in a village at the edge of a dark forest, there lived an old woodcutter and his "
    "wife who had no children. Every evening the woodcutter told stories by the fire of the spirits who "
    "lived among the birch trees: the fox who could speak with the voice of a man, the witch whose hut "
    "stood on chicken legs, and the golden bird that sang only for the pure of heart. One winter night a "
    "small girl made of snow came to their door and asked to be let in. The old woman wept with joy and "
    "called her Snegurochka. On midsummer night the girls of the village leapt over the fire, and the snow "
    "maiden leapt with them, and rose as a white mist into the sky, and was never seen again."
)
TREATISE = (
    "Of the nature of contracts. A contract is an agreement between two or more parties which the law will "
    "enforce. The essentials of a valid contract are offer and acceptance, consideration, capacity of the "
    "parties, and a lawful object. Where the consideration fails, the promisor is discharged, and courts of "
    "equity will not decree specific performance of an agreement made without consideration. The remedies "
    "for breach are damages, which are compensatory and not penal, specific performance, and injunction."
)
EMAIL = (
    "From: Michael Brown <m.brown@example.com>\nTo: Sarah Lee <sarah.lee@example.com>\n"
    "Subject: Re: your email about the shared inbox\n\nHi Sarah,\n\nThanks for your email. I have "
    "forwarded your message to the IT team and asked them to add you to the shared inbox. You should get "
    "an email from them today. Please reply to this email if you do not receive it.\n\nBest regards,\n"
    "Michael\n\n-----Original Message-----\nFrom: Sarah Lee\nSent: Tuesday 9:14 AM\nSubject: shared inbox\n"
    "Hi Michael, could you forward my request? I cannot read the team's email. Thanks, Sarah"
)
CODE = (
    "import argparse\nimport json\n\n\ndef load(path):\n    with open(path) as fh:\n"
    "        return [json.loads(line) for line in fh]\n\n\ndef main():\n"
    "    parser = argparse.ArgumentParser()\n"
    "    parser.add_argument('path')\n    args = parser.parse_args()\n    for row in load(args.path):\n"
    "        print(row['id'], len(row['text']))\n\n\nif __name__ == '__main__':\n    main()\n"
)


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


@pytest.fixture(scope="module")
def model(embedder: Embedder) -> DocTypeModel:
    records = [
        ExtractionRecord(query_id=f"{v}-{i}", source="t", conversation_id=f"{v}-{i}", model="m",
                         prompt_name="extract", prompt_version="v", fields={"document_type": [v]})
        for v, n in VALUES.items()
        for i in range(n)
    ]  # fmt: skip
    return build_doctypes(records, DocTypeConfig(min_queries=1, k=3), embedder, Counts("doctypes"))


def _doc(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, text=text, source="t", tokens=1000)


def _classified(
    model: DocTypeModel, embedder: Embedder, cfg: DocumentConfig, counts: Counts
) -> list[Document]:
    docs = [_doc("folklore", FOLKLORE), _doc("treatise", TREATISE), _doc("email", EMAIL), _doc("code", CODE)]
    return classify_documents(docs, model, embedder, cfg, counts)


def test_off_type_documents_land_in_other(model: DocTypeModel, embedder: Embedder) -> None:
    assert model.names == ["email", "job posting", "python source code"]
    counts = Counts("documents")
    docs = _classified(model, embedder, DocumentConfig(), counts)
    assert {d.doc_id: d.doc_type for d in docs} == {
        "folklore": "other", "treatise": "other", "email": "email", "code": "python source code",
    }  # fmt: skip
    scores = {d.doc_id: d.doc_type_score or 0.0 for d in docs}
    assert max(scores["folklore"], scores["treatise"]) < 0.1 < 0.15 < min(scores["email"], scores["code"])
    assert counts.per_doc_type == {"other": 2, "email": 1, "python source code": 1}
    assert counts.notes["doc_type_other"] == 2 and not counts.messages  # 50% is not "most"


def test_threshold_off_is_the_nearest_type(model: DocTypeModel, embedder: Embedder) -> None:
    docs = _classified(model, embedder, DocumentConfig(other_threshold=None), Counts("documents"))
    assert "other" not in {d.doc_type for d in docs}


def test_one_type_taking_most_documents_is_warned(model: DocTypeModel, embedder: Embedder) -> None:
    counts = Counts("documents")
    _classified(model, embedder, DocumentConfig(dominant_share=0.4), counts)
    assert counts.notes["dominant_doc_type:other"] == 1
    assert counts.messages == [
        "documents: 2 of 4 (50%) are doc type 'other'; no query asked about these documents' kinds: add "
        "documents that match the doc types, lower documents.other_threshold or set pair.use_other: true"
    ]


def _instruction(i: int, doc_type: str) -> Instruction:
    return Instruction(
        instruction_id=f"i{i}",
        walk_id=f"w{i}",
        doc_type=doc_type,
        node_ids=[],
        fields=[],
        values=[],
        strategy="weighted",
        text="do it",
        prompt="p",
        prompt_version="v",
        model="m",
    )


def test_other_documents_are_paired_only_with_use_other(model: DocTypeModel, embedder: Embedder) -> None:
    docs = _classified(model, embedder, DocumentConfig(), Counts("documents"))
    insts = [_instruction(0, "email"), _instruction(1, "job posting"), _instruction(2, "other")]

    off = Counts("pair")
    pairs = list(pair(insts, docs, PairConfig(multi_share=0.0), off))
    assert [(p.instruction_id, p.document_ids) for p in pairs] == [("i0", ["email"])]
    assert off.dropped["no_document_of_type"] == 2 and off.notes["other_documents_set_aside"] == 2

    on = Counts("pair")
    pairs = list(pair(insts, docs, PairConfig(multi_share=0.0, use_other=True), on))
    by_inst = {p.instruction_id: p.document_ids for p in pairs}
    assert by_inst["i0"] == ["email"]  # a doc type with documents of its own keeps them
    assert by_inst["i1"][0] in {"folklore", "treatise"} and by_inst["i2"][0] in {"folklore", "treatise"}
    assert (
        on.notes["paired_with_other"] == 2 and not on.dropped and "other_documents_set_aside" not in on.notes
    )


def test_dry_run_forecast_leaves_other_documents_unpaired(tmp_path: Path) -> None:
    """The generate forecast pairs only documents a run would pair: 'other' ones need pair.use_other."""
    from wildlong.run.config import RunConfig
    from wildlong.run.pipeline import open_context
    from wildlong.run.stage import Forecast
    from wildlong.run.stages_synth import plan_generate

    docs = [_doc(f"d{i}", EMAIL).model_copy(update={"doc_type": "other"}) for i in range(3)]
    write_jsonl(tmp_path / "documents.jsonl", docs)
    planned = {}
    for use_other in (False, True):
        cfg = RunConfig.model_validate({"out": str(tmp_path), "pair": {"use_other": use_other}})
        ctx = open_context(cfg, progress=False, echo=lambda _: None, dry=True)
        plan = plan_generate(ctx, Forecast(records={"pair": 4}, complete={"documents"}))
        planned[use_other] = (plan.records, [n for n in plan.notes if "'other'" in n])
    assert planned[False] == (0, ["generate: 3 documents in 'other' are not paired (pair.use_other: false)"])
    assert planned[True][0] == 4 and planned[True][1] == []
