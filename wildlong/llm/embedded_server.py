"""The embedded LLM server process: xllamacpp's in-process llama.cpp server behind an OpenAI-compatible API.

Started by :mod:`wildlong.llm.embedded`; not meant to be run by hand::

    python -m wildlong.llm.embedded_server --model-path M.gguf --alias NAME --ready-file F [--port 0]
        [--parent-pid PID]

With ``--parent-pid`` (a server started by a run, a stage command, ``llm chat``) the server dies with that
process, abandoning its in-flight requests: on Linux at once (``PR_SET_PDEATHSIG`` = SIGKILL, sent when the
thread that forked the server exits, see :func:`wildlong.llm.embedded.popen_kept`), elsewhere and as a
second line of defence within a second (a watchdog thread that sees ``os.getppid()`` change). Without it
(``wildlong llm start``) the server is detached and outlives the command that started it.

SIGTERM and SIGINT are blocked before the server is created (llama.cpp's threads inherit the mask, so the
signal is not delivered to them and the process does not exit 143) and then awaited with ``sigwait``: the
server is shut down cleanly. The API key comes from ``WILDLONG_EMBEDDED_API_KEY``, not argv.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_SIGNALS = {signal.SIGTERM, signal.SIGINT}
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wildlong.llm.embedded_server")
    parser.add_argument("--model-path", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--ready-file", required=True, help="written (JSON: pid, port) once listening")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--parallel", type=int, default=2, help="slots decoded together")
    parser.add_argument("--ctx-per-slot", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    return parser.parse_args(argv)


def _params(args: argparse.Namespace) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model_path
    params.model_alias = {args.alias}
    params.hostnames = [args.host]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx_per_slot * args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    key = os.environ.get("WILDLONG_EMBEDDED_API_KEY")
    if key:
        params.api_keys = [key]
    return params


def die_with_parent(parent_pid: int) -> None:
    """Exit when the process ``parent_pid`` (which started this one) is gone; now if it already is.

    Call it with SIGTERM/SIGINT blocked: the watchdog thread inherits the mask.
    """
    _set_pdeathsig()
    watch_parent(parent_pid)
    if os.getppid() != parent_pid:  # it died before the prctl
        _orphaned(parent_pid)


def _set_pdeathsig() -> bool:
    """SIGKILL this process when the thread that forked it exits (Linux only; False elsewhere)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return False


def watch_parent(
    parent_pid: int, *, interval_s: float = 0.5, on_orphan: Callable[[int], object] | None = None
) -> threading.Thread:
    """A daemon thread that calls ``on_orphan(parent_pid)`` (default: exit now) once ``os.getppid()``
    is no longer ``parent_pid``, i.e. the parent died and this process was re-parented."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        (on_orphan or _orphaned)(parent_pid)

    thread = threading.Thread(target=watch, name="wildlong-parent-watchdog", daemon=True)
    thread.start()
    return thread


def _orphaned(parent_pid: int) -> None:
    print(f"wildlong embedded LLM: parent pid {parent_pid} is gone, exiting", flush=True)
    os._exit(1)  # no clean shutdown: it would finish the requests nobody waits for


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    if args.parent_pid is not None:
        die_with_parent(args.parent_pid)
    import xllamacpp

    server = xllamacpp.Server(_params(args))
    port = urlsplit(server.listening_address).port
    ready = Path(args.ready_file)
    tmp = ready.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "port": port}), encoding="utf-8")
    tmp.replace(ready)
    print(f"wildlong embedded LLM: listening on {server.listening_address}", flush=True)
    received = signal.sigwait(_SIGNALS)
    print(f"wildlong embedded LLM: {signal.Signals(received).name}, shutting down", flush=True)
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
