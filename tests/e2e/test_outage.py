"""Failures are not data: an LLM outage leaves a stage incomplete, bad replies are asked again, a run that
keeps nothing exits non-zero. The real `wildlong run` CLI against the scripted OpenAI test double.

Each case runs `--until extract` (read and extract need no graph) or, for cut-off answers, the whole run
on the session's Neo4j.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.doubles.scripted_openai_server import Reply, ScriptedOpenAIServer
from tests.doubles.synth_responder import synth_responder
from tests.support.runs import run_config, run_env
from wildlong.graph import Graph

QUERIES = 8
PROGRESS = re.compile(r"\d+%\|")  # a progress bar's line on stderr, not an error


def small_config(tmp: Path, server: ScriptedOpenAIServer, out: Path, **llm: Any) -> Path:
    path = run_config(tmp, server, out)
    cfg = yaml.safe_load(path.read_text())
    cfg["read"]["limit"] = QUERIES
    cfg["llm"].update({"max_retries": 1, **llm})
    path.write_text(yaml.safe_dump(cfg))
    return path


def wildlong(config: Path, graph: Graph, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wildlong.cli", "run", str(config), *extra],
        env=run_env(graph),
        capture_output=True,
        text=True,
        timeout=900,
    )


def stage(out: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((out / "manifest.json").read_text())["stages"].get(name, {}))


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def assert_one_line(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    errors = [line for line in proc.stderr.splitlines() if line.strip() and not PROGRESS.search(line)]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize("kind", ["server_error", "rate_limited", "timeout"])
def test_an_outage_leaves_extract_incomplete_and_resume_sends_only_the_missing(
    graph: Graph, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "run"
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        fault = {
            "server_error": Reply.error(500),
            "rate_limited": Reply.rate_limit(retry_after=0),
            "timeout": Reply.hang(3),
        }[kind]
        # the first 3 requests are answered; every later attempt (2 per query) fails
        server.script(*[Reply.ok()] * 3, *[fault] * (2 * (QUERIES - 3)))
        config = small_config(tmp_path, server, out, request_timeout_s=0.5)
        first = wildlong(config, graph, "--until", "extract")
        assert first.returncode == 1, first.stdout + first.stderr
        line = assert_one_line(first, "extract", f"{QUERIES - 3} of {QUERIES}", kind, "not complete")
        assert server.base_url in line
        assert stage(out, "extract")["complete"] is False
        assert stage(out, "extract")["counts"]["unanswered"] == {kind: QUERIES - 3}
        assert stage(out, "extract")["counts"]["dropped"] == {}  # failures are not drops
        assert lines(out / "extractions.jsonl") == 3

        sent = server.chat_count
        again = wildlong(config, graph, "--until", "extract")  # the endpoint is healthy again
        assert again.returncode == 0, again.stdout + again.stderr
        assert server.chat_count - sent == QUERIES - 3  # exactly the missing requests
        assert stage(out, "extract")["complete"] is True
        assert stage(out, "extract")["counts"]["kept"] == QUERIES
        assert lines(out / "extractions.jsonl") == QUERIES


class NotAnLLM(BaseHTTPRequestHandler):
    """A web server that is not an OpenAI-compatible endpoint: a page for every GET and POST."""

    def _page(self) -> None:
        body = b"<html><body>Welcome to nginx!</body></html>"
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("endpoint", ["web_page", "nothing_listening"])
def test_a_wrong_endpoint_fails_the_stage_and_the_right_one_completes_it(
    graph: Graph, tmp_path: Path, endpoint: str
) -> None:
    out = tmp_path / "run"
    page = ThreadingHTTPServer(("127.0.0.1", 0), NotAnLLM)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    port = page.server_address[1] if endpoint == "web_page" else free_port()
    try:
        with ScriptedOpenAIServer(responder=synth_responder) as server:
            config = small_config(tmp_path, server, out)
            wrong = wildlong(config, graph, "--until", "extract", "--base-url", f"http://127.0.0.1:{port}/v1")
            assert wrong.returncode == 1, wrong.stdout + wrong.stderr
            assert_one_line(wrong, f"127.0.0.1:{port}")
            assert stage(out, "extract").get("complete") is not True
            assert server.chat_count == 0

            right = wildlong(config, graph, "--until", "extract")
            assert right.returncode == 0, right.stdout + right.stderr
            assert server.chat_count == QUERIES
            assert stage(out, "extract")["complete"] is True
    finally:
        page.shutdown()


def test_unparseable_replies_are_not_replayed_from_the_cache(graph: Graph, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        server.script(*[Reply.invalid_json()] * (2 * QUERIES))  # each reply and its repair
        config = small_config(tmp_path, server, out)
        bad = wildlong(config, graph, "--until", "extract")
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert_one_line(bad, "extract kept no record", "invalid_json")
        assert stage(out, "extract")["counts"]["dropped"] == {"invalid_json": QUERIES}
        assert stage(out, "extract")["complete"] is False

        sent = server.chat_count
        good = wildlong(config, graph, "--until", "extract")
        assert good.returncode == 0, good.stdout + good.stderr
        assert server.chat_count - sent == QUERIES  # asked again, not served from the cache
        assert stage(out, "extract")["counts"]["kept"] == QUERIES


def test_a_run_whose_answers_are_all_cut_off_exits_non_zero(graph: Graph, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        server.on("You are a careful assistant. Answer only from", *[Reply.truncated(None)] * 500)
        config = run_config(tmp_path, server, out)
        cut = wildlong(config, graph)
        assert cut.returncode == 1, cut.stdout + cut.stderr
        assert_one_line(cut, "generate kept no record", "truncated")
        counts = stage(out, "generate")["counts"]
        assert counts["kept"] == 0 and counts["dropped"]["truncated"] >= 1
        assert "too_short" not in counts["dropped"]
        assert not (out / "dataset" / "train.jsonl").exists()
        sent = server.chat_count
        again = wildlong(config, graph)  # cut-off replies are real replies: cached, nothing paid twice
        assert again.returncode == 1
        assert server.chat_count == sent


def test_an_output_folder_that_is_not_a_run_is_refused(graph: Graph, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "queries.jsonl").write_text("my own file\n")
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        config = small_config(tmp_path, server, out)
        refused = wildlong(config, graph, "--until", "read")
        assert refused.returncode == 2
        assert_one_line(refused, str(out), "--force")
        assert (out / "queries.jsonl").read_text() == "my own file\n"
        assert not (out / "manifest.json").exists()
        forced = wildlong(config, graph, "--until", "read", "--force")
        assert forced.returncode == 0, forced.stderr
        assert stage(out, "read")["complete"] is True
