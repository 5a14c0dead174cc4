"""The generate stage's plan: the requests it would send, built by the functions the stage itself uses.

Rewrites are exact for known pairs. Answers are planned on the original instruction (the rewrite is not
known yet): a direct answer when the material fits the window, else one map call per chunk and one reduce
whose notes are counted at ``notes_max_tokens`` per chunk. Before pairing has run, pairs are forecast by
the pairing function itself over the documents read, with a placeholder instruction.
"""

from __future__ import annotations

from collections.abc import Sequence

from wildlong.llm import LLMRequest
from wildlong.records import Counts
from wildlong.synth.documents import cut_to_tokens
from wildlong.synth.generate import (
    GenerateConfig,
    Templates,
    _Job,
    _plan_answer,
    _rewrite_request,
)
from wildlong.synth.pairing import PairConfig, pair
from wildlong.synth.records import Document, Instruction, Pair

FORECAST_TYPE = "forecast"


def forecast_pairs(
    n: int, documents: Sequence[Document], cfg: PairConfig, text: str
) -> tuple[list[Pair], dict[str, Instruction], dict[str, Document]]:
    """``n`` pairs drawn by :func:`pair` over ``documents`` as if they were all of one doc type."""
    docs = [d.model_copy(update={"doc_type": FORECAST_TYPE}) for d in documents]
    insts = [
        Instruction(
            instruction_id=f"i{k}",
            walk_id=f"w{k}",
            doc_type=FORECAST_TYPE,
            node_ids=[],
            fields=[],
            values=[],
            strategy="weighted",
            text=text,
            prompt="instruct",
            prompt_version="",
            model="",
        )
        for k in range(n)
    ]
    pairs = list(pair(insts, docs, cfg, Counts("pair"))) if docs else []
    return pairs, {i.instruction_id: i for i in insts}, {d.doc_id: d for d in docs}


def plan_requests(
    pairs: Sequence[Pair],
    instructions: dict[str, Instruction],
    documents: dict[str, Document],
    templates: Templates,
    cfg: GenerateConfig,
) -> tuple[list[LLMRequest], list[str]]:
    """Every first-round request of the pairs (rewrite, answer or map + reduce), and notes on them."""
    jobs = [_Job(p, instructions[p.instruction_id], [documents[d] for d in p.document_ids]) for p in pairs]
    requests = [_rewrite_request(j, templates, cfg) for j in jobs]
    batch: list[LLMRequest] = []
    reduce: list[LLMRequest] = []
    for job in jobs:
        job.rewritten = job.inst.text
        _plan_answer(job, templates, cfg, batch)
        if job.mode == "map_reduce":
            reduce.append(_reduce_forecast(job, templates, cfg))
    notes = []
    if reduce:
        notes.append(f"generate: {len(reduce)} pairs exceed the window: map over chunks, then reduce")
    return [*requests, *batch, *reduce], notes


def _reduce_forecast(job: _Job, t: Templates, cfg: GenerateConfig) -> LLMRequest:
    """The reduce request with notes of ``notes_max_tokens`` per chunk (cut as the stage cuts them)."""
    filler = " ".join(["note"] * (cfg.notes_max_tokens * job.chunks))
    room = cfg.context_window - cfg.answer_max_tokens - 64 - 200
    messages = t.reduce_answer.render(
        notes=cut_to_tokens(filler, room, cfg.token_model), instruction=job.rewritten
    )
    params = {"max_tokens": cfg.answer_max_tokens, "temperature": cfg.temperature}
    return LLMRequest(messages, stage="reduce", template=t.reduce_answer, params=params)
