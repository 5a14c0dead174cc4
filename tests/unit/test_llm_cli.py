"""`wildlong llm` commands, the shared endpoint options, and how settings resolve to an endpoint."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.doubles.llm_helpers import scripted
from tests.doubles.scripted_openai_server import Reply, ScriptedOpenAIServer
from wildlong.cli.llm_cmd import llm
from wildlong.errors import ConfigError
from wildlong.llm import LLMClient, LLMRequest, LLMSettings, resolve_settings
from wildlong.llm.options import llm_options
from wildlong.llm.settings import OPENAI_BASE_URL

__all__ = ["scripted"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WILDLONG_HOME", str(tmp_path / "home"))
    for name in ("WILDLONG_LLM_BASE_URL", "OPENAI_BASE_URL", "WILDLONG_LLM_MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("WILDLONG_LLM_API_KEY", raising=False)


def test_chat_sends_one_completion_and_prints_the_reply(scripted: ScriptedOpenAIServer) -> None:
    args = ["chat", "--base-url", scripted.base_url, "-m", "scripted-model", "-s", "Be brief.", "Hello!"]
    result = CliRunner().invoke(llm, args, env={"OPENAI_API_KEY": "sk-test"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "echo: Hello!"
    [body] = scripted.bodies()
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello!"},
    ]
    assert (body["max_tokens"], body["temperature"]) == (256, 0.0)
    assert scripted.chat_requests[0].headers["authorization"] == "Bearer sk-test"
    again = CliRunner().invoke(llm, args, env={"OPENAI_API_KEY": "sk-test"})  # never cached: a real check
    assert again.exit_code == 0 and scripted.chat_count == 2


def test_chat_reports_a_failure_in_one_line(scripted: ScriptedOpenAIServer) -> None:
    scripted.script(Reply.error(401, "bad key"))
    env = {"WILDLONG_LLM_BASE_URL": scripted.base_url, "WILDLONG_LLM_MODEL": "scripted-model"}
    result = CliRunner().invoke(llm, ["chat", "hi"], env=env)
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "bad key" in line and "check the API key" in line and "Traceback" not in result.output


def test_status_and_stop_without_a_server() -> None:
    assert (
        CliRunner().invoke(llm, ["status"]).output
        == "embedded LLM: not running (`wildlong llm start` starts it)\n"
    )
    assert CliRunner().invoke(llm, ["stop"]).output == "embedded LLM was not running\n"


@pytest.mark.parametrize("command", [[], ["start"], ["status"], ["stop"], ["chat"]])
def test_every_command_has_a_summary_and_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(llm, [*command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_the_options_build_settings_and_only_set_what_was_given(tmp_path: Path) -> None:
    seen: list[LLMSettings] = []

    @click.command()
    @llm_options
    def stage(llm_settings: LLMSettings) -> None:
        seen.append(llm_settings)

    cache = tmp_path / "c.sqlite"
    args = ["--base-url", "http://h:1/v1", "-m", "m", "--max-concurrency", "32", "--fixed-concurrency"]
    args += ["--request-timeout", "5", "--max-cost", "2.5", "--cache-path", str(cache)]
    result = CliRunner().invoke(stage, args, env={"OPENAI_API_KEY": "sk-x"})
    assert result.exit_code == 0, result.output
    settings = seen[0]
    assert (settings.base_url, settings.model, settings.key()) == ("http://h:1/v1", "m", "sk-x")
    assert (settings.max_concurrency, settings.adaptive, settings.request_timeout_s) == (32, False, 5.0)
    assert (settings.max_cost, settings.cache_path, settings.cache) == (2.5, cache, True)
    assert "sk-x" not in str(settings.public_dict()) and settings.public_dict()["api_key_set"] is True
    CliRunner().invoke(stage, ["--no-cache"], env={"OPENAI_BASE_URL": "http://o:2/v1"})
    assert seen[1].base_url == "http://o:2/v1" and seen[1].resolved_cache_path() is None
    assert seen[1].model_fields_set == {"base_url", "cache"}


def test_settings_resolve_to_openai_a_given_server_or_the_embedded_one() -> None:
    openai = resolve_settings(LLMSettings(model="gpt-4o-mini", api_key="sk-x"))
    assert openai.base_url == OPENAI_BASE_URL
    with pytest.raises(ConfigError, match="needs a key"):
        resolve_settings(LLMSettings(model="gpt-4o-mini"))
    with pytest.raises(ConfigError, match="needs --model"):
        resolve_settings(LLMSettings(base_url="http://localhost:8000/v1"))
    vllm = LLMSettings(base_url="http://localhost:8000/v1", model="Qwen/Qwen2.5-7B-Instruct")
    assert resolve_settings(vllm) == vllm
    # A dry-run resolves the embedded model's name without starting it, and estimates offline.
    dry = resolve_settings(LLMSettings(), start_embedded=False)
    assert (dry.model, dry.base_url) == ("SmolLM2-135M-Instruct", None)
    estimate = LLMClient(dry).estimate([LLMRequest([{"role": "user", "content": "hi"}])])
    assert (estimate.calls, estimate.input_tokens, estimate.cost_usd) == (1, 3 + 3 + 1 + 1, 0.0)
    with pytest.raises(ConfigError, match="not resolved"):
        LLMClient(dry).run([LLMRequest([{"role": "user", "content": "hi"}])])


def test_a_server_that_runs_but_does_not_answer_is_never_doubled(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys
    import time

    from wildlong.errors import LLMError
    from wildlong.llm import embedded
    from wildlong.paths import llm_home

    # A process whose command line looks like the server's, listening nowhere.
    marker = "wildlong.llm.embedded_server"
    fake = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    cmdline = Path(f"/proc/{fake.pid}/cmdline")
    for _ in range(500):  # until exec has replaced the forked copy of this process
        if marker.encode() in cmdline.read_bytes():
            break
        time.sleep(0.01)
    try:
        llm_home().mkdir(parents=True)
        state = {"pid": fake.pid, "port": 9, "api_key": "k", "parallel": 2, "ctx_per_slot": 8192}
        state |= {"log": str(tmp_path / "server.log"), "started_at": 0.0}
        (llm_home() / "server.json").write_text(json.dumps(state), encoding="utf-8")
        assert embedded.status() is None and embedded.running() is not None
        assert "runs but does not answer" in CliRunner().invoke(llm, ["status"]).output
        with pytest.raises(LLMError, match=f"pid {fake.pid}"):
            embedded.start(timeout_s=0.5)
        assert embedded.stop(timeout_s=10) is True
        fake.wait(10)  # already reaped by stop(), which waited for it to exit
        assert embedded.running() is None
    finally:
        fake.kill()
