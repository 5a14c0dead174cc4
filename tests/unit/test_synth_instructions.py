"""Instruction writing: cut-off replies, requests without an answer and real drops are told apart."""

from __future__ import annotations

from tests.doubles.fake_llm import Cut, Failed, FakeLLM, Reply
from wildlong.llm import LLMRequest, load_template
from wildlong.records import Counts
from wildlong.synth.instructions import InstructConfig, write_instructions
from wildlong.synth.walks import Walk

# Replies the way a small model writes them, keyed by a value of the walk.
REPLIES: dict[str, Reply] = {
    # a whole request, then a chatty note that hit max_tokens: the request itself is complete
    "refund": Cut(
        "Draft a polite email asking the airline for a refund of my cancelled flight, in under 150 words."
        "\n\nNote: I have tried to keep the tone friendly while making sure the key points about the"
    ),
    # cut inside the request: it must not be kept
    "contract": Cut("Please compare the termination clauses of the two contracts and tell me which one"),
    "thesis": "Summarise the main argument of my thesis chapter on urban heat islands in five bullet points.",
    "outage": Failed("server_error"),
    "filter": Failed("content_filter"),
}


def walk(value: str, i: int) -> Walk:
    return Walk(
        walk_id=f"w{i}",
        doc_type="email",
        node_ids=[f"n{i}a", f"n{i}b"],
        fields=["topic", "task_type"],
        values=[value, "writing"],
        weights=[1.0],
        strategy="weighted",
        seed=i,
        index=i,
    )


def script(request: LLMRequest) -> Reply:
    text = request.messages[-1]["content"]
    return next(reply for key, reply in REPLIES.items() if key in text)


def test_cut_replies_are_truncated_unless_the_request_came_whole() -> None:
    walks = [walk(value, i) for i, value in enumerate(REPLIES)]
    counts = Counts("instruct")
    template = load_template("instruct", package="wildlong.synth")
    kept = write_instructions(walks, FakeLLM(script), template, InstructConfig(), counts, "fake")
    texts = {i.values[0]: i.text for i in kept}
    assert set(texts) == {"refund", "thesis"}
    assert texts["refund"].endswith("in under 150 words.") and "Note" not in texts["refund"]
    assert counts.dropped == {"truncated": 1, "llm_content_filter": 1}
    assert counts.unanswered == {"server_error": 1}  # not a drop: the stage is not complete
    assert counts.notes["cut_after_first_paragraph"] == 1
    assert counts.seen == 5 and counts.kept == 2
