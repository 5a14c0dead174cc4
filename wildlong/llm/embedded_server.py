"""The embedded LLM server process: xllamacpp's in-process llama.cpp server behind an OpenAI-compatible API.

Started detached by :mod:`wildlong.llm.embedded` (``wildlong llm start``); not meant to be run by hand::

    python -m wildlong.llm.embedded_server --model-path M.gguf --alias NAME --ready-file F [--port 0]

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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_SIGNALS = {signal.SIGTERM, signal.SIGINT}


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


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
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
