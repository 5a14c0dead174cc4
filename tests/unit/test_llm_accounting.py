"""Accounting per stage and model, prices, the --max-cost budget and the dry-run estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import quicktok

from tests.doubles.llm_helpers import client_for, scripted, user
from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from wildlong.errors import ConfigError
from wildlong.llm import LLMRequest, PriceTable
from wildlong.llm.accounting import StageStats
from wildlong.llm.tokens import count_messages

__all__ = ["scripted"]

PROMPTS = [
    "Summarize the attached 40-page contract and list every termination clause.",
    "Écris un résumé du rapport annuel en trois phrases.",
    "What changed between version 2 and version 3 of the API? Answer with a table.",
    "",
]


def _expected_tokens(encoding: str, messages_per_request: list[list[dict[str, str]]]) -> int:
    """OpenAI's chat accounting, computed here straight from the tokenizer."""
    enc = quicktok.get_encoding(encoding)
    total = 0
    for messages in messages_per_request:
        total += 3 + sum(3 + len(enc.encode(m["role"])) + len(enc.encode(m["content"])) for m in messages)
    return total


@pytest.mark.parametrize(("model", "encoding"), [("gpt-4o-mini", "o200k_base"), ("gpt-4", "cl100k_base")])
def test_the_dry_run_estimate_equals_the_tokenizer_count(tmp_path: Path, model: str, encoding: str) -> None:
    server = ScriptedOpenAIServer()  # never started: a dry-run sends nothing
    client = client_for(server, tmp_path, model=model, max_tokens=200)
    messages = [[{"role": "system", "content": "Be brief."}, *user(p)] for p in PROMPTS]
    estimate = client.estimate([LLMRequest(m, stage="instruct") for m in messages])
    assert estimate.calls == 4 and estimate.cached == 0
    assert estimate.input_tokens == _expected_tokens(encoding, messages)
    assert estimate.output_tokens == 4 * 200
    price = PriceTable.load().price_for(model)
    assert price is not None
    cost = estimate.input_tokens * price.input / 1e6 + estimate.output_tokens * price.output / 1e6
    assert estimate.cost_usd == pytest.approx(cost)
    assert count_messages(messages[0], model) == _expected_tokens(encoding, messages[:1])


def test_the_dry_run_counts_cached_calls_as_free(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    requests = [LLMRequest(user(p), stage="s") for p in PROMPTS]
    client_for(scripted, tmp_path).run(requests[:2])
    estimate = client_for(scripted, tmp_path, expected_output_tokens=50).estimate(requests)
    assert (estimate.calls, estimate.cached, estimate.output_tokens) == (2, 2, 100)
    assert estimate.input_tokens == _expected_tokens("o200k_base", [r.messages for r in requests[2:]])
    assert estimate.cost_usd is None  # the scripted model has no price
    assert "unpriced" in estimate.format()


def _counts(s: StageStats) -> tuple[int, ...]:
    return (s.requests, s.responses, s.cache_hits, s.ok, s.input_tokens, s.output_tokens)


def test_accounting_counts_per_stage_and_model(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"scripted-model": {"input": 1.0, "output": 2.0}}), encoding="utf-8")
    client = client_for(scripted, tmp_path, prices_path=prices)
    one, two = LLMRequest(user("one two three"), stage="a"), LLMRequest(user("four five"), stage="b")
    client.run([one, two, one])  # the second `one` shares the first's reply (in flight or cached)
    client.run([one])
    assert scripted.chat_count == 2
    a, b = client.accounting.stats("a", "scripted-model"), client.accounting.stats("b", "scripted-model")
    # the double counts words as tokens: "one two three" -> "echo: one two three"
    assert _counts(a) == (1, 1, 2, 3, 3, 4)
    assert _counts(b) == (1, 1, 0, 1, 2, 3)
    assert a.cost_usd == pytest.approx((3 * 1.0 + 4 * 2.0) / 1e6)
    assert b.cost_usd == pytest.approx((2 * 1.0 + 3 * 2.0) / 1e6)
    assert client.accounting.cost_usd == pytest.approx(19 / 1e6)
    report = client.accounting.to_dict()
    assert [row["stage"] for row in report["stages"]] == ["a", "b"] and report["stages"][0]["failures"] == {}


def test_max_cost_stops_sending_cleanly(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"  # $1 per output token, input free: each call costs exactly $1
    prices.write_text(json.dumps({"scripted-model": {"input": 0, "output": 1e6}}), encoding="utf-8")
    with ScriptedOpenAIServer(responder=lambda body: "ok", latency_s=0.02) as server:
        settings = {"prices_path": prices, "max_cost": 5.0, "max_tokens": 1, "max_concurrency": 3}
        client = client_for(server, tmp_path, **settings)
        results = client.run([LLMRequest(user(f"q{i}"), stage="s") for i in range(9)])
        assert server.chat_count == 5
        assert [r.ok for r in results].count(True) == 5
        assert [r.reason for r in results if not r.ok] == ["budget_exceeded"] * 4
        assert client.budget_exceeded and client.accounting.cost_usd == pytest.approx(5.0)
        assert dict(client.accounting.stats("s", "scripted-model").failures) == {}


def test_max_cost_needs_a_price(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a price for model 'scripted-model'"):
        client_for(ScriptedOpenAIServer(), tmp_path, max_cost=1.0)


def test_prices_match_exactly_then_by_the_longest_prefix(tmp_path: Path) -> None:
    override = tmp_path / "prices.json"
    override.write_text(json.dumps({"gpt-4o": {"input": 9, "output": 9}}), encoding="utf-8")
    table = PriceTable.load(override)
    assert table.price_for("gpt-4o-2024-08-06") == table.price_for("gpt-4o")
    assert table.price_for("openai/GPT-4o-mini") == PriceTable.load().price_for("gpt-4o-mini")
    assert table.cost("gpt-4o", 1_000_000, 0) == 9.0
    assert table.price_for("llama-3-70b") is None
    assert table.price_for("gpt-4.5-preview") is None  # not gpt-4's price
    override.write_text(json.dumps({"x": {"input": "free"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="needs numeric 'input' and 'output'"):
        PriceTable.load(override)
