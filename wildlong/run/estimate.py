"""The dry-run: per stage, the calls, tokens and cost a run would spend, before anything is sent.

Extraction is counted exactly (its prompts are known once the conversations are read; cached calls are
free). Later stages depend on earlier replies, so they are forecast from the config: one instruction per
walk, one rewrite and one answer per instruction (or map calls per chunk plus a reduce when the material
exceeds the window), with document lengths measured on the configured documents.
"""

from __future__ import annotations

import math

from wildlong.llm import Estimate, LLMClient, load_template, resolve_settings
from wildlong.llm.tokens import count_messages
from wildlong.loader.extract import estimate as estimate_extract
from wildlong.loader.read import read_queries
from wildlong.loader.records import StageCounts
from wildlong.run.config import RunConfig
from wildlong.synth.documents import read_documents
from wildlong.synth.records import Tally


def dry_run(cfg: RunConfig) -> str:
    cfg = cfg.seeded()
    client = LLMClient(resolve_settings(cfg.llm, start_embedded=False))
    try:
        queries = list(read_queries(cfg.read, StageCounts("read")))
        est = estimate_extract(queries, client, cfg.extract)
        _forecast_instructions(cfg, client, est)
        _forecast_generation(cfg, client, est)
    finally:
        client.close()
    notes = [
        f"dry run of {cfg.name}: {len(queries)} queries read, {cfg.walk.walks} walks planned; "
        "nothing was sent.",
        "Counted exactly: extract (cached calls are free). Forecast: instruct, rewrite, answer, map, reduce.",
    ]
    return "\n".join([*notes, est.format()])


def _add(est: Estimate, client: LLMClient, stage: str, calls: int, tokens_in: int, tokens_out: int) -> None:
    row = est.row(stage, client.model)
    row.calls += calls
    row.input_tokens += calls * tokens_in
    row.output_tokens += calls * tokens_out
    cost = client.accounting.prices.cost(client.model, calls * tokens_in, calls * tokens_out)
    row.cost_usd = None if cost is None or row.cost_usd is None else row.cost_usd + cost


def _out(client: LLMClient, max_tokens: int) -> int:
    guess = client.settings.expected_output_tokens
    return guess if guess is not None else max_tokens


def _forecast_instructions(cfg: RunConfig, client: LLMClient, est: Estimate) -> None:
    template = load_template("instruct", package="wildlong.synth")
    needs = "\n".join(f"- field {i}: a short phrase of a few words" for i in range(cfg.walk.length))
    tokens = count_messages(template.render(doc_type="technical report", needs=needs), client.model)
    _add(est, client, "instruct", cfg.walk.walks, tokens, _out(client, cfg.instruct.max_tokens))


def _forecast_generation(cfg: RunConfig, client: LLMClient, est: Estimate) -> None:
    docs = list(read_documents(cfg.documents, Tally("documents")))
    if not docs:
        return
    mean = sum(d.tokens for d in docs) / len(docs)
    g, p = cfg.generate, cfg.pair
    bundle = min(p.max_bundle_tokens, mean * (p.min_bundle + p.max_bundle) / 2)
    n = cfg.walk.walks
    overhead = 350
    for share, material in ((1 - p.multi_share, mean), (p.multi_share, bundle)):
        calls = round(n * share)
        if calls == 0:
            continue
        preview = min(material, g.context_window - g.rewrite_max_tokens - 400)
        _add(est, client, "rewrite", calls, int(preview + overhead), _out(client, g.rewrite_max_tokens))
        if material + overhead + g.answer_max_tokens <= g.context_window:
            _add(est, client, "answer", calls, int(material + overhead), _out(client, g.answer_max_tokens))
            continue
        budget = int((g.context_window - overhead - g.notes_max_tokens) * 0.9)
        chunks = math.ceil(material / budget)
        _add(est, client, "map", calls * chunks, budget + overhead, _out(client, g.notes_max_tokens))
        notes = min(chunks * g.notes_max_tokens, g.context_window - g.answer_max_tokens - overhead)
        _add(est, client, "reduce", calls, notes + overhead, _out(client, g.answer_max_tokens))
