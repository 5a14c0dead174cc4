"""The persistent cache: a re-run pays nothing, a run resumed after kill -9 pays only the rest, and a
template edit invalidates exactly its own calls."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from pydantic import BaseModel

from tests.doubles.llm_helpers import client_for, scripted, user
from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from wildlong.llm import LLMRequest, PromptTemplate
from wildlong.llm.cache import cache_key

__all__ = ["scripted"]


class Tag(BaseModel):
    name: str


def test_a_cached_call_reaches_the_server_zero_times(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    requests = [LLMRequest(user(f"q{i}"), stage="s") for i in range(5)]
    requests += [LLMRequest(user(f"t{i}"), stage="t", schema=Tag) for i in range(3)]
    first = client_for(scripted, tmp_path).run(requests)
    assert scripted.chat_count == 8
    scripted.reset()
    again = client_for(scripted, tmp_path)  # a new process would do the same: the cache is a file
    second = again.run(requests)
    assert scripted.chat_count == 0
    assert [r.value for r in second] == [r.value for r in first]
    assert all(r.cached and r.attempts == 0 for r in second)
    assert again.accounting.stats("s", "scripted-model").cache_hits == 5
    assert again.accounting.stats("t", "scripted-model").cache_hits == 3
    assert again.accounting.stats("s", "scripted-model").requests == 0


def test_editing_a_template_invalidates_exactly_its_own_calls(
    scripted: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    a_path, b_path = tmp_path / "a.tmpl", tmp_path / "b.tmpl"
    a_path.write_text("# Template A.\n# variables: x\n### user\nA says $x\n", encoding="utf-8")
    b_path.write_text("# Template B.\n# variables: x\n### user\nB says $x\n", encoding="utf-8")

    def requests() -> list[LLMRequest]:
        a, b = PromptTemplate.from_file(a_path), PromptTemplate.from_file(b_path)
        return [LLMRequest(t.render(x=i), stage=t.name, template=t) for t in (a, b) for i in range(3)]

    client_for(scripted, tmp_path).run(requests())
    assert scripted.chat_count == 6
    # Only a comment changes: the rendered messages are identical, the template's version is not.
    a_path.write_text("# Template A, reworded.\n# variables: x\n### user\nA says $x\n", encoding="utf-8")
    scripted.reset()
    client_for(scripted, tmp_path).run(requests())
    assert sorted(scripted.last_user_messages()) == ["A says 0", "A says 1", "A says 2"]


def test_the_key_covers_model_messages_parameters_schema_and_templates() -> None:
    base = {
        "model": "m",
        "messages": user("x"),
        "params": {"temperature": 0},
        "response_format": None,
        "template_versions": ["v1"],
    }
    variants = [
        {"model": "m2"},
        {"messages": user("y")},
        {"params": {"temperature": 0.5}},
        {"response_format": {"type": "json_object"}},
        {"template_versions": ["v2"]},
    ]
    keys = {cache_key(**base)} | {cache_key(**{**base, **variant}) for variant in variants}  # type: ignore[arg-type]
    assert len(keys) == 6
    assert cache_key(**base) == cache_key(**{**base, "params": {"temperature": 0}})  # type: ignore[arg-type]


CHILD = textwrap.dedent(
    """
    import sys
    from wildlong.llm import LLMClient, LLMRequest, LLMSettings

    base_url, cache, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings = LLMSettings(base_url=base_url, model="scripted-model", api_key="k", cache_path=cache,
                           max_concurrency=2, adaptive=False)
    results = LLMClient(settings).run(
        [LLMRequest([{"role": "user", "content": f"item {i}"}]) for i in range(n)], progress=False)
    print(sum(r.ok for r in results), sum(r.cached for r in results))
    """
)


def _cached_items(cache: Path) -> set[str]:
    with sqlite3.connect(cache) as db:
        replies = [json.loads(row[0])["content"] for row in db.execute("SELECT reply FROM replies")]
    return {reply.removeprefix("echo: ") for reply in replies}


def test_after_kill_9_the_rerun_sends_only_the_uncached_calls(tmp_path: Path) -> None:
    n, cache = 40, tmp_path / "cache.sqlite"
    command = [sys.executable, "-c", CHILD]
    with ScriptedOpenAIServer(latency_s=0.05) as server:
        child = subprocess.Popen([*command, server.base_url, str(cache), str(n)], stdout=subprocess.DEVNULL)
        assert server.wait_until(lambda s: s.completed >= 8, timeout_s=60), "the child made no progress"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        server.wait_until(lambda s: s.in_flight == 0, timeout_s=10)
        cached = _cached_items(cache)
        assert 6 <= len(cached) < n  # at most the 2 in flight (concurrency 2) were paid but not stored
        server.reset()
        rerun = subprocess.run(
            [*command, server.base_url, str(cache), str(n)], capture_output=True, text=True, timeout=120
        )
        assert rerun.returncode == 0, rerun.stderr
        assert rerun.stdout.split() == [str(n), str(len(cached))]
        expected = {f"item {i}" for i in range(n)} - cached
        assert server.chat_count == n - len(cached)
        assert sorted(server.last_user_messages()) == sorted(expected)
