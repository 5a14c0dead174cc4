"""The quality gates: each on its own cases, and the labelled fixture (every good record passes with the
default config, every bad one is caught by the gate its label names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from wildlong.synth.gates import (
    GATES,
    GateConfig,
    audit_record,
    echo,
    prompt_leak,
    refusal,
    repetition,
    split_user_turn,
    truncated,
    ungrounded_numbers,
    verbatim_copy,
    wrong_language,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "records.jsonl"
RECORDS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
CONFIG = GateConfig()


def by_id(record_id: str) -> dict:
    return next(r for r in RECORDS if r["id"] == record_id)


def parts(record_id: str) -> tuple[str, str, str]:
    """(documents, instruction, answer) of a fixture record."""
    messages = by_id(record_id)["messages"]
    documents, instruction = split_user_turn(messages[0]["content"])
    return documents, instruction, messages[1]["content"]


# ------------------------------------------------------------------------------------------- fixture


def test_the_fixture_has_every_shape() -> None:
    labels = [r["label"] for r in RECORDS]
    assert labels.count("good") >= 6
    assert set(labels) - {"good"} == set(GATES)
    assert labels.count("refusal") >= 3 and labels.count("wrong_language") >= 3
    assert FIXTURE.stat().st_size < 200_000


@pytest.mark.parametrize("record", [r for r in RECORDS if r["label"] == "good"], ids=lambda r: r["id"])
def test_every_good_record_passes_the_default_config(record: dict) -> None:
    assert audit_record(record["messages"], CONFIG) == []


@pytest.mark.parametrize("record", [r for r in RECORDS if r["label"] != "good"], ids=lambda r: r["id"])
def test_every_bad_record_is_caught_by_its_gate(record: dict) -> None:
    gates = [reason.split(":")[0] for reason in audit_record(record["messages"], CONFIG)]
    assert record["label"] in gates


def test_a_disabled_gate_is_not_run_and_an_unknown_one_is_refused() -> None:
    record = by_id("bad-echo")
    assert audit_record(record["messages"], GateConfig(disabled=["echo"])) == []
    with pytest.raises(ValidationError, match="unknown gates"):
        GateConfig(disabled=["echoes"])
    with pytest.raises(ValidationError):
        GateConfig(echo_min_overal=0.5)  # type: ignore[call-arg]


# -------------------------------------------------------------------------------------- the user turn


def test_our_user_turn_splits_at_the_last_end_of_document_line() -> None:
    documents, instruction = split_user_turn(by_id("good-multi-document")["messages"][0]["content"])
    assert instruction.startswith("Compare the tone of these two documents")
    assert "=== " not in documents
    assert "Staff Review of the Economic Situation" in documents and "Every realist knows" in documents


def test_a_foreign_user_turn_ends_with_its_instruction_paragraph() -> None:
    documents, instruction = split_user_turn("Some text.\n\nMore text.\n\nWhat does it say?")
    assert (documents, instruction) == ("Some text.\n\nMore text.", "What does it say?")
    assert split_user_turn("Just a question?") == ("", "Just a question?")


def test_documents_text_replaces_the_user_turns_documents() -> None:
    messages = by_id("bad-verbatim")["messages"]
    documents, _ = split_user_turn(messages[0]["content"])
    gates = lambda docs: [r.split(":")[0] for r in audit_record(messages, CONFIG, documents_text=docs)]  # noqa: E731
    assert "verbatim_copy" in gates(documents)
    assert "verbatim_copy" not in gates("An unrelated text about something else entirely.")


def test_no_answer_is_truncated() -> None:
    assert audit_record([{"role": "user", "content": "Hi?"}], CONFIG) == ["truncated: no answer"]


# ------------------------------------------------------------------------------------------- truncated


@pytest.mark.parametrize(
    "text",
    [
        "The court affirmed the sentence.",
        "Here is the list:\n\n- Payment terms\n- Termination for convenience",
        "| State | Seats |\n|---|---|\n| Virginia | 10 |",
        "See the announcement:\nhttps://mail.python.org/pipermail/python-dev/2018-July/154601.html",
        "Total PCE price inflation was 5.7",
        "Use it like this:\n\n```python\nif (n := len(a)) > 10:\n    print(n)\n```",
        "He said “no security” (for us or our neighbours).",
        "这个运算符被称为“海象运算符”。",
        "Electron: Charged atom component\nHiggs-Boson: Mass giving particle",
        "Sincerely,\n\n[Your Name]\nDocument Management Task Force",
        "Run it:\n```./hello_world```\nIt prints Hello World!",
    ],
)
def test_clean_endings_are_not_truncated(text: str) -> None:
    assert truncated(text, CONFIG) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("The court held that the enhancement applies whenever the", "ends mid-sentence"),
        ("The court held that the enhancement applies,", "ends mid-sentence"),
        ("The sentence was affirmed and the court went on to discuss", "ends mid-sentence"),
        ("This class sets up the logger object and adds a console and file", "ends mid-sentence"),
        ("```python\nx = 1\n", "unclosed code block"),
        ("The statute says (in section 5-8-1", "unclosed bracket"),
        ("The indictment alleged that he “personally discharged a firearm", "unclosed quote"),
    ],
)
def test_cut_endings_are_truncated(text: str, why: str) -> None:
    reason = truncated(text, CONFIG)
    assert reason is not None and reason.startswith(why)


def test_a_cut_word_is_told_by_the_documents_vocabulary() -> None:
    text = "- Earnings rose 6.2 percent over the last three mon"
    assert (
        truncated(text, CONFIG, ["months", "percent"])
        == "ends mid-word ('…rose 6.2 percent over the last three mon')"
    )
    assert truncated("- Earnings rose 6.2 percent over the last three months", CONFIG, ["months"]) is None


# ------------------------------------------------------------------------------------------ repetition


def test_a_looping_sentence_and_a_looping_phrase_are_repetition() -> None:
    for record_id in ("bad-sentence-loop", "bad-phrase-loop"):
        assert repetition(parts(record_id)[2], CONFIG) is not None
    # the Gopher measures alone catch them too, without the compression check
    no_zlib = GateConfig(compression_min_ratio=0)
    assert repetition(parts("bad-sentence-loop")[2], no_zlib) == (
        "top 4-gram 'the unemployment rate declined' covers 21%"
    )
    assert repetition(parts("bad-phrase-loop")[2], no_zlib) == "top 3-gram 'the value can' covers 26%"


def test_duplicate_lines_and_paragraphs_are_repetition() -> None:
    assert repetition("Yes.\nYes.\nYes.\nNo.", CONFIG) == "duplicate lines 2/4"
    paragraph = "The committee met in January and reviewed the outlook."
    assert (
        repetition(f"{paragraph}\n\n{paragraph}\n\nThen it adjourned.", CONFIG) == "duplicate paragraphs 1/3"
    )


def test_the_compression_ratio_catches_a_loop_too_short_for_ngrams() -> None:
    text = "ok then " * 60
    assert repetition(text, GateConfig(repetition_min_words=1000)) == "compresses to 4% of its size"


def test_a_long_varied_answer_is_not_repetition() -> None:
    assert repetition(parts("good-long-summary")[2], CONFIG) is None


def test_repeated_lines_of_code_are_not_repetition() -> None:
    code = "\n".join(
        f"    def {name}(self, message):\n        self.log(message)\n    }}" for name in "abcdef"
    )
    assert repetition(f"Here is the class:\n\n```python\n{code}\n```\n\nEach method logs.", CONFIG) is None


# ----------------------------------------------------------------------------------------- prompt_leak


def test_a_template_sentence_is_a_leak_in_any_case_and_spacing() -> None:
    text = "Sure.  WRITE SHORT NOTES with the facts from this part\nthat help answer the request."
    assert prompt_leak(text, CONFIG) == (
        "repeats the prompt 'write short notes with the facts from this part that help a…'"
    )


def test_eight_words_of_a_template_are_a_leak_but_seven_are_not() -> None:
    assert prompt_leak("keep its intent, task and output format, and so on", CONFIG) is not None
    assert prompt_leak("We keep its intent, task and output in mind", CONFIG) is None


def test_meta_phrases_are_leaks() -> None:
    assert prompt_leak("As an AI language model, I think so.", CONFIG) == "says 'As an AI language model'"
    assert prompt_leak("You are a helpful assistant. The answer is 4.", CONFIG) is not None


def test_an_ordinary_answer_about_the_document_is_not_a_leak() -> None:
    assert prompt_leak(parts("good-paraphrase")[2], CONFIG) is None


# --------------------------------------------------------------------------------------------- refusal


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I’m sorry, but I cannot provide legal advice.",
        "I cannot help with writing that request.",
        "As an AI, I do not have opinions.",
        "Unfortunately, I am unable to predict policy decisions.",
        "I must respectfully decline to draft this argument.",
    ],
)
def test_refusals_in_several_wordings(text: str) -> None:
    assert refusal(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "The document does not say when Python 3.8 was released.",
        "The provided text does not mention who approved the PEP.",
        "I'm sorry, but I can't find the release date in the document; it only gives the target version.",
        "Unfortunately, the minutes do not record the vote.",
    ],
)
def test_grounded_answers_about_what_the_document_lacks_are_not_refusals(text: str) -> None:
    assert refusal(text) is None


# ------------------------------------------------------------------------------------------------ echo


def test_an_echo_restates_the_instruction() -> None:
    _, instruction, answer = parts("bad-echo")
    assert echo(answer, instruction, CONFIG) == (
        "restates the instruction (85% of its words are the instruction's, 4 new)"
    )


def test_a_short_answer_that_adds_the_facts_is_no_echo() -> None:
    _, instruction, answer = parts("good-short-factual")
    assert echo(answer, instruction, CONFIG) is None
    assert echo("Yes, the licensee must pay royalties.", "Must the licensee pay royalties?", CONFIG) is None
    assert (
        echo("February 07, 2023 22:00 in Moscow time.", "Convert February 07, 2023 to Moscow time", CONFIG)
        is None
    )


# --------------------------------------------------------------------------------------- verbatim_copy


def test_a_copied_span_is_caught_and_a_quoted_sentence_is_not() -> None:
    documents, _, answer = parts("bad-verbatim")
    assert verbatim_copy(answer, documents, CONFIG) == (
        "97% of its words are copied from the documents (13-word runs)"
    )
    documents, _, answer = parts("good-quote-inside")
    assert verbatim_copy(answer, documents, CONFIG) is None


def test_a_short_copied_answer_is_not_judged() -> None:
    sentence = "The evidence at trial showed Clark died of multiple gunshot wounds and nothing else at all."
    assert verbatim_copy(sentence, sentence, CONFIG) is None


# -------------------------------------------------------------------------------------- wrong_language


@pytest.mark.parametrize(("record_id", "code"), [("bad-lang-french", "fr"), ("bad-lang-german", "de"),
                                                  ("bad-lang-chinese", "zh")])  # fmt: skip
def test_an_answer_in_another_language_is_caught(record_id: str, code: str) -> None:
    documents, instruction, answer = parts(record_id)
    assert wrong_language(answer, instruction, documents, CONFIG) == f"answer in {code}, instruction in en"


def test_short_answers_and_code_are_not_judged() -> None:
    assert wrong_language("Oui, 65 ans.", "How long was the sentence?", "", CONFIG) is None
    code = "```python\nresultats = [y for x in donnees if (y := f(x)) is not None]\n```"
    assert wrong_language(code, "Show me an example of the new syntax.", "", CONFIG) is None


# ---------------------------------------------------------------------------------- ungrounded_numbers


def test_invented_numbers_are_caught() -> None:
    documents, instruction, answer = parts("bad-invented-numbers")
    assert ungrounded_numbers(answer, f"{documents}\n{instruction}", CONFIG) == (
        "5 numbers not in the documents: 3.7, 4.6, 5.9, 510000, 6.8"
    )


def test_list_markers_small_numbers_and_numbers_of_the_sources_are_grounded() -> None:
    answer = "1. In 2003 the grand jury met.\n2. The sentence was 65 years.\n3. It had 4 counts, 1,200 pages."
    assert ungrounded_numbers(answer, "August 2003 ... 65 years ... 1200 pages", CONFIG) is None
    assert ungrounded_numbers("It was 17, 18 and 19.", "", GateConfig(numbers_max_ungrounded=3)) is None
    assert ungrounded_numbers("It was 17, 18 and 19.", "", CONFIG) == (
        "3 numbers not in the documents: 17, 18, 19"
    )


def test_numbers_are_not_judged_without_documents() -> None:
    messages = [
        {"role": "user", "content": "How big is the market?"},
        {"role": "assistant", "content": "It was worth 512 billion in 2021 and grows 13.5 percent a year."},
    ]
    assert audit_record(messages, CONFIG) == []
