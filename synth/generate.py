"""Adaptive generation: rewrite each instruction to fit its document(s) (or SKIP), then answer from the
documents only — directly when the material fits the generator's window, else by map (notes per chunk)
and reduce (an answer from the notes). Every rejection is counted by reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from wildlong.llm import LLM, LLMRequest, LLMResult, PromptTemplate, count_messages
from wildlong.records import Counts
from wildlong.synth.chunking import chunk_budget, split
from wildlong.synth.documents import cut_to_tokens
from wildlong.synth.records import Document, Instruction, Pair

REFUSAL = re.compile(
    r"^\W*(I'?m sorry|I am sorry|sorry, (but )?I|I cannot|I can'?t|I can not|I am unable|I'?m unable|"
    r"as an AI|I do not have access|I don'?t have access)",
    re.IGNORECASE,
)
NOTHING = re.compile(r"^\W*nothing relevant\W*$", re.IGNORECASE)
WORD = re.compile(r"[a-z][a-z'-]{3,}")
STOP = frozenset(
    (
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "among",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "could",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "from",
        "further",
        "have",
        "having",
        "here",
        "into",
        "itself",
        "just",
        "more",
        "most",
        "much",
        "must",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "very",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "whom",
        "will",
        "with",
        "would",
        "your",
        "yours",
    )
)


class GenerateConfig(BaseModel):
    """Adaptive generation (stage 2)."""

    model_config = ConfigDict(extra="forbid")

    context_window: int = Field(
        8192,
        ge=1024,
        description="the generator's window in tokens: material that does not fit is answered by map-reduce",
    )
    token_model: str = Field("gpt-4o", description="tokenizer used for every token count (offline BPE)")
    rewrite_max_tokens: int = Field(256, ge=16, description="output tokens of the rewrite call at most")
    answer_max_tokens: int = Field(700, ge=16, description="output tokens of an answer at most")
    notes_max_tokens: int = Field(300, ge=16, description="output tokens of one chunk's notes (map) at most")
    min_answer_chars: int = Field(40, ge=1, description="answers shorter than this (characters) are rejected")
    grounding_min: float = Field(
        0.3,
        ge=0,
        le=1,
        description="answers with a smaller share (0-1) of content words found in the documents are "
        "rejected (not_grounded)",
    )
    temperature: float = Field(0.3, description="sampling temperature of every generation call")


class RewriteReply(BaseModel):
    # The rewrite comes first: a model writes the adapted request, then judges whether to skip it.
    instruction: str = Field(description="the rewritten request, empty when skipping")
    skip: bool = Field(description="true only when the documents have nothing to do with the request")


class Sample(BaseModel):
    """An accepted instruction–response pair with what produced it."""

    sample_id: str
    pair_id: str
    instruction_id: str
    original_instruction: str
    instruction: str
    answer: str
    document_ids: list[str]
    multi_document: bool
    mode: str = Field(description="direct | map_reduce")
    chunks: int
    grounding: float
    prompts: dict[str, str]


@dataclass
class Templates:
    rewrite: PromptTemplate
    answer: PromptTemplate
    map_notes: PromptTemplate
    reduce_answer: PromptTemplate

    @classmethod
    def load(cls) -> Templates:
        from wildlong.llm import load_template

        return cls(
            *(
                load_template(n, package="wildlong.synth")
                for n in ("rewrite", "answer", "map_notes", "reduce_answer")
            )
        )

    def versions(self) -> dict[str, str]:
        return {
            t.name: t.short_version for t in (self.rewrite, self.answer, self.map_notes, self.reduce_answer)
        }


def render_documents(docs: Sequence[Document]) -> str:
    """Documents, delimited and numbered, as the user turn carries them."""
    if len(docs) == 1:
        return f"=== Document (id: {docs[0].doc_id}) ===\n{docs[0].text}\n=== End of document ==="
    parts = [
        f"=== Document {i} of {len(docs)} (id: {d.doc_id}) ===\n{d.text}\n=== End of document {i} ==="
        for i, d in enumerate(docs, 1)
    ]
    return "\n\n".join(parts)


@dataclass
class _Job:
    pair: Pair
    inst: Instruction
    docs: list[Document]
    rewritten: str = ""
    mode: str = "direct"
    answer_request: int | None = None
    map_requests: list[int] = field(default_factory=list)
    chunks: int = 1


def generate(
    pairs: list[Pair],
    instructions: dict[str, Instruction],
    documents: dict[str, Document],
    client: LLM,
    templates: Templates,
    cfg: GenerateConfig,
    counts: Counts,
) -> list[Sample]:
    """Samples for the pairs that survive every check, in pair order."""
    jobs = [_Job(p, instructions[p.instruction_id], [documents[d] for d in p.document_ids]) for p in pairs]
    counts.seen += len(jobs)
    rewrites = client.run([_rewrite_request(j, templates, cfg) for j in jobs], desc="rewrite")
    live = [j for j, r in zip(jobs, rewrites, strict=True) if _accept_rewrite(j, r, counts)]
    batch: list[LLMRequest] = []
    for job in live:
        _plan_answer(job, templates, cfg, batch)
    first = client.run(batch, desc="answer")
    reduce_batch: list[LLMRequest] = []
    reduce_for: dict[int, int] = {}
    for i, job in enumerate(live):
        if job.mode == "map_reduce":
            notes = [first[k] for k in job.map_requests]
            missed = next((r for r in notes if r.unanswered), None)
            if missed is not None:  # reduced from some notes only, the answer would differ on resume
                counts.miss(f"map_{missed.reason}")
                continue
            request = _reduce_request(job, notes, templates, cfg)
            if request is None:
                counts.drop("no_relevant_notes")
                continue
            reduce_for[i] = len(reduce_batch)
            reduce_batch.append(request)
    reduced = client.run(reduce_batch, desc="reduce") if reduce_batch else []
    samples: list[Sample] = []
    for i, job in enumerate(live):
        if job.mode == "map_reduce":
            if i not in reduce_for:
                continue
            result = reduced[reduce_for[i]]
        else:
            assert job.answer_request is not None
            result = first[job.answer_request]
        sample = _accept_answer(job, result, templates, cfg, counts)
        if sample is not None:
            samples.append(sample)
    return samples


def _rewrite_request(job: _Job, t: Templates, cfg: GenerateConfig) -> LLMRequest:
    room = cfg.context_window - cfg.rewrite_max_tokens - 400
    per_doc = max(200, room // max(1, len(job.docs)))
    preview = [
        d.model_copy(update={"text": cut_to_tokens(d.text, per_doc, cfg.token_model)}) for d in job.docs
    ]
    messages = t.rewrite.render(documents=render_documents(preview), instruction=job.inst.text)
    params = {"max_tokens": cfg.rewrite_max_tokens, "temperature": cfg.temperature}
    return LLMRequest(messages, stage="rewrite", template=t.rewrite, schema=RewriteReply, params=params)


def _accept_rewrite(job: _Job, result: LLMResult[object], counts: Counts) -> bool:
    if result.unanswered:
        counts.miss(f"rewrite_{result.reason}")
        return False
    if not result.ok or not isinstance(result.value, RewriteReply):
        counts.drop(f"rewrite_{result.reason or 'invalid'}")
        return False
    reply = result.value
    text = " ".join(reply.instruction.split())
    if reply.skip or text.upper().startswith("SKIP"):
        counts.drop("skip")
        return False
    if len(text) < 10:
        counts.drop("rewrite_empty")
        return False
    job.rewritten = text
    return True


def _plan_answer(job: _Job, t: Templates, cfg: GenerateConfig, batch: list[LLMRequest]) -> None:
    messages = t.answer.render(documents=render_documents(job.docs), instruction=job.rewritten)
    params = {"max_tokens": cfg.answer_max_tokens, "temperature": cfg.temperature}
    if count_messages(messages, cfg.token_model) + cfg.answer_max_tokens <= cfg.context_window:
        job.answer_request = len(batch)
        batch.append(LLMRequest(messages, stage="answer", template=t.answer, params=params))
        return
    job.mode = "map_reduce"
    overhead = count_messages(
        t.map_notes.render(label="Document 1 of 5, part 10 of 10", chunk="", instruction=job.rewritten),
        cfg.token_model,
    )
    budget = chunk_budget(cfg.context_window, overhead, cfg.notes_max_tokens)
    job.chunks = 0
    for i, doc in enumerate(job.docs, 1):
        parts = split(doc.text, budget, cfg.token_model)
        for j, part in enumerate(parts, 1):
            label = f"Document {i} of {len(job.docs)} (id: {doc.doc_id}), part {j} of {len(parts)}"
            notes = t.map_notes.render(label=label, chunk=part, instruction=job.rewritten)
            job.map_requests.append(len(batch))
            batch.append(
                LLMRequest(
                    notes,
                    stage="map",
                    template=t.map_notes,
                    params={"max_tokens": cfg.notes_max_tokens, "temperature": cfg.temperature},
                )
            )
            job.chunks += 1


def _reduce_request(
    job: _Job, notes: list[LLMResult[object]], t: Templates, cfg: GenerateConfig
) -> LLMRequest | None:
    kept = [r.text.strip() for r in notes if r.ok and r.text.strip() and not NOTHING.match(r.text)]
    if not kept:
        return None
    joined = "\n\n".join(f"[{k}] {text}" for k, text in enumerate(kept, 1))
    overhead = count_messages(t.reduce_answer.render(notes="", instruction=job.rewritten), cfg.token_model)
    joined = cut_to_tokens(
        joined, cfg.context_window - overhead - cfg.answer_max_tokens - 64, cfg.token_model
    )
    messages = t.reduce_answer.render(notes=joined, instruction=job.rewritten)
    params = {"max_tokens": cfg.answer_max_tokens, "temperature": cfg.temperature}
    return LLMRequest(messages, stage="reduce", template=t.reduce_answer, params=params)


def grounding(answer: str, docs: Sequence[Document]) -> float:
    """Share of the answer's content words that occur in the documents (1.0 for an answer without any)."""
    words = {w for w in WORD.findall(answer.lower()) if w not in STOP}
    if not words:
        return 1.0
    source = set(WORD.findall(" ".join(d.text for d in docs).lower()))
    return len(words & source) / len(words)


def _accept_answer(
    job: _Job, result: LLMResult[object], t: Templates, cfg: GenerateConfig, counts: Counts
) -> Sample | None:
    if result.unanswered:
        counts.miss(f"answer_{result.reason}")
        return None
    if not result.ok:
        # a cut-off answer (finish_reason "length") is a real reply, rejected as "truncated"
        plain = result.reason in ("empty", "truncated")
        counts.drop(str(result.reason) if plain else f"answer_{result.reason}")
        return None
    text = result.text.strip()
    reason = None
    if not text:
        reason = "empty"
    elif REFUSAL.match(text):
        reason = "refusal"
    elif len(text) < cfg.min_answer_chars:
        reason = "too_short"
    score = grounding(text, job.docs) if text else 0.0
    if reason is None and score < cfg.grounding_min:
        reason = "not_grounded"
    if reason:
        counts.drop(reason)
        return None
    counts.keep()
    return Sample(
        sample_id=f"s-{job.inst.instruction_id}",
        pair_id=job.pair.pair_id,
        instruction_id=job.inst.instruction_id,
        original_instruction=job.inst.text,
        instruction=job.rewritten,
        answer=text,
        document_ids=job.pair.document_ids,
        multi_document=job.pair.multi_document,
        mode=job.mode,
        chunks=job.chunks,
        grounding=round(score, 4),
        prompts=t.versions(),
    )
