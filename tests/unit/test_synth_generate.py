"""Adaptive generation against the scripted server: rejections counted by reason, map-reduce in the window."""

from __future__ import annotations

from pathlib import Path

from tests.doubles.llm_helpers import client_for
from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from tests.doubles.synth_responder import synth_responder
from wildlong.llm import count_messages
from wildlong.records import Counts
from wildlong.synth.generate import GenerateConfig, Templates, generate, grounding
from wildlong.synth.records import Document, Instruction, Pair

TEXT = "The treaty of Ghent ended the war. Commerce resumed between the nations and tariffs were reduced. "


def _inst(i: int, text: str) -> Instruction:
    return Instruction(
        instruction_id=f"i{i}",
        walk_id=f"w{i}",
        doc_type="speech",
        node_ids=[],
        fields=[],
        values=[],
        strategy="weighted",
        text=text,
        prompt="instruct",
        prompt_version="v",
        model="m",
    )


def _doc(i: int, repeat: int) -> Document:
    return Document(doc_id=f"d{i}", text=TEXT * repeat, source="t", tokens=20 * repeat, doc_type="speech")


def test_rejections_are_counted_by_reason(tmp_path: Path) -> None:
    texts = [
        "Summarize the treaty.",
        "SKIPME please",
        "REFUSEME now",
        "SHORTME now",
        "OFFTOPICME now",
        "EMPTYME now",
        "List the tariffs.",
    ]
    insts = {f"i{i}": _inst(i, t) for i, t in enumerate(texts)}
    docs = {"d0": _doc(0, 5)}
    pairs = [
        Pair(
            pair_id=f"p{i}",
            instruction_id=f"i{i}",
            doc_type="speech",
            document_ids=["d0"],
            multi_document=False,
            tokens=100,
        )
        for i in range(len(texts))
    ]
    tally = Counts("generate")
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        samples = generate(
            pairs, insts, docs, client_for(server, tmp_path), Templates.load(), GenerateConfig(), tally
        )
    assert [s.instruction_id for s in samples] == ["i0", "i6"]
    assert tally.seen == 7 and tally.kept == 2
    assert dict(tally.dropped) == {"skip": 1, "refusal": 1, "too_short": 1, "not_grounded": 1, "empty": 1}
    assert all(s.mode == "direct" and s.grounding >= 0.3 for s in samples)
    assert samples[0].instruction == "Summarize the treaty. Focus on what the document says."


def test_long_material_goes_through_map_reduce_within_the_window(tmp_path: Path) -> None:
    insts = {"i0": _inst(0, "Summarize the commerce clauses.")}
    docs = {"d0": _doc(0, 150), "d1": _doc(1, 120)}  # ~5,400 tokens together
    pairs = [
        Pair(
            pair_id="p0",
            instruction_id="i0",
            doc_type="speech",
            document_ids=["d0", "d1"],
            multi_document=True,
            tokens=5400,
        )
    ]
    cfg = GenerateConfig(context_window=1500, answer_max_tokens=200, notes_max_tokens=120)
    tally = Counts("generate")
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        samples = generate(pairs, insts, docs, client_for(server, tmp_path), Templates.load(), cfg, tally)
        bodies = server.bodies()
    assert len(samples) == 1 and samples[0].mode == "map_reduce" and samples[0].chunks >= 4
    assert samples[0].answer.startswith("From the notes:")
    for body in bodies:  # no request exceeds the generator's window
        assert count_messages(body["messages"], cfg.token_model) + body["max_tokens"] <= cfg.context_window
    maps = [b for b in bodies if "Write short notes" in b["messages"][-1]["content"]]
    assert len(maps) == samples[0].chunks


def test_grounding_share() -> None:
    docs = [_doc(0, 1)]
    assert grounding("The treaty ended the war and commerce resumed.", docs) == 1.0
    assert grounding("Gluons confine quarks.", docs) == 0.0


def test_a_map_note_without_an_answer_leaves_the_job_for_resume(tmp_path: Path) -> None:
    from tests.doubles.scripted_openai_server import Reply

    insts = {"i0": _inst(0, "Summarize the commerce clauses.")}
    docs = {"d0": _doc(0, 150), "d1": _doc(1, 120)}
    pairs = [
        Pair(pair_id="p0", instruction_id="i0", doc_type="speech", document_ids=["d0", "d1"],
             multi_document=True, tokens=5400)
    ]  # fmt: skip
    cfg = GenerateConfig(context_window=1500, answer_max_tokens=200, notes_max_tokens=120)
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        clean = generate(pairs, insts, docs, client_for(server, tmp_path / "a"), Templates.load(), cfg,
                         Counts("generate"))  # fmt: skip
        # one note gets 500 on both of its attempts
        server.on("(id: d0), part 2 of", Reply.error(), Reply.error())
        tally = Counts("generate")
        client = client_for(server, tmp_path / "b", max_retries=1)
        first = generate(pairs, insts, docs, client, Templates.load(), cfg, tally)
        assert first == [] and tally.kept == 0
        assert dict(tally.unanswered) == {"map_server_error": 1}  # not a drop, and no partial reduce
        assert not tally.dropped
        client.close()
        sent = server.chat_count
        again = generate(pairs, insts, docs, client_for(server, tmp_path / "b"), Templates.load(), cfg,
                         Counts("generate"))  # fmt: skip
        assert again == clean and len(again) == 1
        assert server.chat_count - sent == 2  # the missing note and the reduce: nothing else paid twice
