"""Servers die with their run: after `kill -9` of the process that started the embedded server, it exits.

The real `wildlong run` on a tiny config (read 6 ShareGPT queries, extract them through the embedded
SmolLM2) starts the server, is killed with SIGKILL while the server decodes for it, and the server must be
gone.
The watchdog (``os.getppid()`` polled against the parent's pid) and the keeper thread (PDEATHSIG follows the
forking *thread*) are checked on their own with small child processes. Outcomes, never timings: each wait
has a generous limit and fails with what it saw.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from wildlong.llm import embedded

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SERVER_MODULE = "wildlong.llm.embedded_server"


def _start_time(pid: int) -> str | None:
    """The pid's start time (field 22 of /proc/PID/stat), None once it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _until(check: Callable[[], bool], limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _gone(pid: int, started: str, limit_s: float = 60.0) -> bool:
    """The process ``pid`` that started at ``started`` no longer runs (a recycled pid counts as gone)."""
    return _until(lambda: _start_time(pid) != started, limit_s)


def _busy(info: dict[str, Any]) -> bool:
    """The server decodes a request now (llama.cpp's ``/slots``)."""
    url = f"http://127.0.0.1:{info['port']}/slots"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {info['api_key']}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return any(slot["is_processing"] for slot in json.loads(response.read()))
    except (OSError, ValueError):
        return False


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "WILDLONG_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    for name in ("WILDLONG_LLM_BASE_URL", "OPENAI_BASE_URL", "WILDLONG_LLM_MODEL", "OPENAI_API_KEY"):
        env.pop(name, None)
    return env


@pytest.mark.llm
def test_the_server_of_a_killed_run_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    cfg = {
        "name": "parent-death",
        "out": str(tmp_path / "run"),
        "seed": 0,
        "llm": {"temperature": 0.0, "max_tokens": 256},
        "read": {"sources": [str(SHARED / "conversations" / "sharegpt_sample.jsonl")], "limit": 6},
    }
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    command = [sys.executable, "-m", "wildlong.cli", "run", str(config), "--until", "extract"]
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        run = subprocess.Popen(command, env=_env(home), stdout=out, stderr=subprocess.STDOUT)
    state = home / "llm" / "server.json"
    try:
        assert _until(lambda: state.exists() or run.poll() is not None, 240), "no server within 240 s"
        assert run.poll() is None, log.read_text(errors="replace")
        info = json.loads(state.read_text("utf-8"))
        pid, started = info["pid"], _start_time(info["pid"])
        assert started is not None and SERVER_MODULE in Path(f"/proc/{pid}/cmdline").read_text()
        assert info["owner"] == run.pid == _parent(pid)
        server_log = Path(info["log"])
        assert _until(lambda: _busy(info), 120), f"no request reached the server: {log.read_text()}"
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
        assert _gone(pid, started), f"the server (pid {pid}) outlived its run: {server_log.read_text()}"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    monkeypatch.setenv("WILDLONG_HOME", str(home))
    assert embedded.running() is None and not state.exists()  # the stale state file is cleared


@pytest.mark.llm
def test_a_server_started_by_llm_start_outlives_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = [sys.executable, "-m", "wildlong.cli", "llm", "start", "--ctx-per-slot", "2048"]
    done = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.setenv("WILDLONG_HOME", str(tmp_path))
    try:
        info = embedded.status()  # the command has exited: its server still answers
        assert info is not None and info.owner is None
        assert "--parent-pid" not in Path(f"/proc/{info.pid}/cmdline").read_text()
    finally:
        assert embedded.stop() is True


WATCHED = f"""
import sys, time
from {SERVER_MODULE} import watch_parent
watch_parent(int(sys.argv[1]), interval_s=0.05)
print("watching", flush=True)
time.sleep(600)
"""

# The middle process: starts the watched child, prints its pid, then waits to be killed.
MIDDLE = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
print(child.pid, flush=True)
time.sleep(600)
"""


def test_the_watchdog_exits_when_the_parent_dies() -> None:
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE, WATCHED], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert middle.stdout is not None
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "watching"
        started = _start_time(child)
        assert started is not None
        middle.kill()
        assert middle.wait(timeout=30) == -signal.SIGKILL
        assert _gone(child, started), f"the watched child {child} outlived its parent"
        rest = middle.stdout.read()  # the child held the pipe: its last words are there
        assert f"parent pid {middle.pid} is gone, exiting" in rest
    finally:
        if middle.poll() is None:
            middle.kill()
            middle.wait()


# A child that dies with its parent as the server does, then echoes stdin lines (proof of life).
DYING = f"""
import sys
from {SERVER_MODULE} import die_with_parent
die_with_parent(int(sys.argv[1]))
print("ready", flush=True)
for line in sys.stdin:
    print(line.strip(), flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_server_forked_from_a_short_lived_thread_outlives_that_thread() -> None:
    spawned: list[subprocess.Popen[bytes]] = []

    def spawn() -> None:  # like a worker thread that starts the server, then ends
        command = [sys.executable, "-c", DYING, str(os.getpid())]
        process = embedded.popen_kept(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"  # PDEATHSIG is set
        spawned.append(process)

    worker = threading.Thread(target=spawn)
    worker.start()
    worker.join()
    [process] = spawned
    assert process.stdin is not None and process.stdout is not None
    try:
        assert _until(lambda: not Path(f"/proc/self/task/{worker.native_id}").exists(), 30)
        try:
            process.stdin.write(b"still here\n")
            process.stdin.flush()
            reply = process.stdout.readline()
        except BrokenPipeError:
            reply = b""
        assert reply == b"still here\n", "the child died with the thread that forked it"
    finally:
        process.kill()
        process.wait()
