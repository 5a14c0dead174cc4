"""Structured output: schema -> response_format, validation, one repair, counted failures, format fallback."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from tests.doubles.llm_helpers import client_for, scripted, user
from tests.doubles.scripted_openai_server import Reply, ScriptedOpenAIServer
from wildlong.llm import LLMRequest
from wildlong.llm.structured import parse_reply, strict_schema

__all__ = ["scripted"]


class Place(BaseModel):
    name: str
    kind: str = "city"


class Need(BaseModel):
    task: str = Field(description="what the user wants")
    places: list[Place]
    urgency: int | None = None


def test_the_schema_is_made_strict() -> None:
    schema = strict_schema(Need)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["task", "places", "urgency"]
    place = schema["$defs"]["Place"]
    assert place["required"] == ["name", "kind"] and place["additionalProperties"] is False
    assert "default" not in json.dumps(schema)


def test_a_valid_reply_becomes_the_model(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.script(Reply.ok('{"task": "sum up", "places": [{"name": "Oslo"}], "urgency": null}'))
    client = client_for(scripted, tmp_path)
    [result] = client.run([LLMRequest(user("need"), stage="extract", schema=Need)])
    assert result.ok and result.value == Need(task="sum up", places=[Place(name="Oslo")], urgency=None)
    [body] = scripted.bodies()
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Need", "schema": strict_schema(Need), "strict": True},
    }


def test_invalid_json_gets_one_repair_then_fails(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.on("broken", Reply.invalid_json(), Reply.invalid_json('{"task": '))
    client = client_for(scripted, tmp_path)
    texts = ("ok 1", "broken", "ok 2")
    results = client.run([LLMRequest(user(t), stage="extract", schema=Place) for t in texts])
    assert [r.ok for r in results] == [True, False, True]
    failed = results[1]
    assert (failed.reason, failed.attempts, failed.value) == ("invalid_json", 2, None)
    assert failed.detail.startswith("after one repair: invalid JSON")
    assert scripted.chat_count == 4  # 3 records + 1 repair
    repair = next(body for body in scripted.bodies() if len(body["messages"]) == 3)
    assert repair["messages"][0] == user("broken")[0]
    assert repair["messages"][1] == {"role": "assistant", "content": '{"name": "unfinished", '}
    assert "invalid JSON: Expecting property name enclosed" in repair["messages"][2]["content"]
    stats = client.accounting.stats("extract", "scripted-model")
    assert (stats.ok, dict(stats.failures), stats.responses) == (2, {"invalid_json": 1}, 4)


def test_a_repair_that_works_gives_a_valid_record(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.script(Reply.ok('{"name": 5}'), Reply.ok('{"name": "Oslo", "kind": "city"}'))
    client = client_for(scripted, tmp_path)
    [result] = client.run([LLMRequest(user("x"), schema=Place)])
    assert result.ok and result.value == Place(name="Oslo") and result.attempts == 2
    assert "name: Input should be a valid string" in scripted.bodies()[1]["messages"][2]["content"]


def test_truncated_output_and_schema_mismatch_are_their_own_reasons(
    scripted: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    scripted.on("cut", Reply.truncated(), Reply.truncated())
    scripted.on("wrong", Reply.ok('{"kind": "x"}'), Reply.ok('{"kind": "y"}'))
    client = client_for(scripted, tmp_path)
    cut, wrong = client.run([LLMRequest(user("cut"), schema=Place), LLMRequest(user("wrong"), schema=Place)])
    assert (cut.reason, cut.finish_reason) == ("truncated", "length")
    assert wrong.reason == "schema_mismatch" and "name: Field required" in wrong.detail


def test_servers_without_json_schema_fall_back_to_json_mode_then_to_prompting(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(supports=(), responder=lambda body: '```json\n{"name": "Oslo"}\n```') as server:
        client = client_for(server, tmp_path, max_concurrency=1)
        requests = [LLMRequest(user(f"place {i}"), schema=Place) for i in range(3)]
        results = client.run(requests[:1]) + client.run(requests[1:])
        assert [r.value for r in results] == [Place(name="Oslo")] * 3
        formats = [(body.get("response_format") or {}).get("type") for body in server.bodies()]
        assert formats == ["json_schema", "json_object", None, None, None]  # the client remembers
        prompt = server.bodies()[2]["messages"]
        assert prompt[0]["role"] == "system" and '"required":["name","kind"]' in prompt[0]["content"]
        assert prompt[1] == user("place 0")[0]


def test_json_mode_puts_the_schema_into_an_existing_system_message(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(supports=("json_object",), responder=lambda body: '{"name": "Oslo"}') as server:
        client = client_for(server, tmp_path)
        messages = [{"role": "system", "content": "You are terse."}, *user("where?")]
        [result] = client.run([LLMRequest(messages, schema=Place)])
        assert result.ok
        final = server.bodies()[-1]
        assert final["response_format"] == {"type": "json_object"}
        assert final["messages"][0]["content"].startswith("You are terse.\n\nReply with a single JSON object")
        assert len(final["messages"]) == 2


def test_parse_reply_accepts_fenced_or_wrapped_json() -> None:
    assert parse_reply('Sure! {"name": "A"} Done.', "stop", Place)[0] == Place(name="A")
    assert parse_reply("", "length", Place)[1] == "truncated"
    assert parse_reply("   ", "stop", Place)[1] == "empty"
