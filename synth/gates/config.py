"""The thresholds of every answer/instruction quality gate, in one strict config (``gates.*``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

GATES = (
    "truncated",
    "repetition",
    "prompt_leak",
    "refusal",
    "echo",
    "verbatim_copy",
    "wrong_language",
    "ungrounded_numbers",
)

# Meta-instructions a model must never say to the user (case and whitespace are normalised).
LEAK_PHRASES = (
    "Rewrite the request so that it fits the document(s)",
    "You are a helpful assistant",
    "You are a careful assistant",
    "As an AI language model",
    "Reply with the instruction only",
    "Reply as JSON with the fields",
    "Answer only from the documents the user provides",
    "Here is the rewritten request",
    "Here is the rewritten instruction",
)


class GateConfig(BaseModel):
    """Thresholds of the quality gates; each gate returns a reason, or None when the text passes."""

    model_config = ConfigDict(extra="forbid")

    disabled: list[str] = Field(
        default_factory=list, description="gates not run, by name (truncated, repetition, echo, ...)"
    )
    # truncated
    truncated_max_bare_words: int = Field(
        6,
        ge=0,
        description="a last line without final punctuation passes when it has at most this many words "
        "(a heading, a signature, 'Label: value')",
    )
    # repetition: Gopher (Rae et al. 2021, table A1) as datatrove's GopherRepetitionFilter measures it
    dup_line_frac: float = Field(0.3, ge=0, le=1, description="duplicate lines / lines at most")
    dup_para_frac: float = Field(0.3, ge=0, le=1, description="duplicate paragraphs / paragraphs at most")
    dup_line_char_frac: float = Field(0.2, ge=0, le=1, description="characters in duplicate lines at most")
    dup_para_char_frac: float = Field(
        0.2, ge=0, le=1, description="characters in duplicate paragraphs / characters at most"
    )
    top_ngram_char_frac: dict[int, float] = Field(
        default_factory=lambda: {2: 0.2, 3: 0.18, 4: 0.16},
        description="n -> characters of the most frequent word n-gram (times its count) / characters at most",
    )
    dup_ngram_char_frac: dict[int, float] = Field(
        default_factory=lambda: {5: 0.30, 6: 0.28, 7: 0.26, 8: 0.24, 9: 0.22, 10: 0.20},
        description="n -> characters in repeated word n-grams / characters at most (Gopher's web values "
        "doubled: list-shaped answers repeat phrases, loops measure 0.5 and more)",
    )
    repetition_min_words: int = Field(
        50, ge=1, description="n-gram measures only for texts of at least this many words (short ones vary)"
    )
    compression_min_ratio: float = Field(
        0.2, ge=0, le=1, description="zlib-compressed bytes / bytes at least (lower = a loop)"
    )
    compression_min_chars: int = Field(
        400, ge=1, description="the compression check only for texts of at least this many characters"
    )
    # prompt_leak
    leak_shingle_words: int = Field(
        8, ge=3, description="a run of this many words of a prompt template in the text is a leak"
    )
    leak_phrases: list[str] = Field(
        default_factory=lambda: list(LEAK_PHRASES),
        description="meta-instructions that are a leak wherever they appear (besides the templates)",
    )
    # echo
    echo_min_overlap: float = Field(
        0.75,
        ge=0,
        le=1,
        description="an echo: at least this share of the answer's content words are the instruction's",
    )
    echo_min_words: int = Field(
        10, ge=1, description="answers with fewer content words than this are not judged ('OKAY', a date)"
    )
    echo_max_new_words: int = Field(
        6, ge=0, description="an echo adds at most this many distinct content words of its own"
    )
    # verbatim_copy
    copy_ngram_words: int = Field(
        13, ge=3, description="runs of this many words shared with the documents count as copied"
    )
    copy_max_coverage: float = Field(
        0.7, ge=0, le=1, description="share of the answer's words inside copied n-grams at most"
    )
    copy_min_words: int = Field(
        40, ge=1, description="answers shorter than this (words) are not judged: one quoted sentence is fine"
    )
    # wrong_language
    language_min_chars: int = Field(
        40, ge=1, description="answers shorter than this (characters, code removed) are not judged"
    )
    language_min_confidence: float = Field(
        0.5, ge=0, le=1, description="a detection below this probability is undetermined (not judged)"
    )
    # ungrounded_numbers
    numbers_max_ungrounded: int = Field(
        2, ge=0, description="distinct numbers found neither in the documents nor the instruction, at most"
    )
    numbers_min_value: int = Field(
        11, ge=0, description="whole numbers below this are not judged (counts, list markers, 'step 3')"
    )

    @field_validator("disabled")
    @classmethod
    def _known_gates(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(GATES))
        if unknown:
            raise ValueError(f"unknown gates {unknown}; the gates are {', '.join(GATES)}")
        return value
