"""TEST DOUBLE: a scripted OpenAI-compatible HTTP server for the LLM client's tests and benchmark.

Not a model and not a mock of our code: a small asyncio HTTP/1.1 server (stdlib only, keep-alive) that
speaks ``GET /v1/models`` and ``POST /v1/chat/completions`` like OpenAI, vLLM or llama.cpp do, answers
after a fixed latency, injects faults on cue and records what it received.

    with ScriptedOpenAIServer(latency_s=0.05) as server:
        server.script(Reply.rate_limit(retry_after=1), Reply.ok())       # consumed in arrival order
        server.on("broken", Reply.invalid_json(), Reply.invalid_json())  # rule: a message contains "broken"
        client = LLMClient(LLMSettings(base_url=server.base_url, model="scripted", ...))
        ...
        server.chat_count, server.max_in_flight, server.arrivals(), server.bodies()

``capacity=N`` plays a self-hosted server that never answers 429: beyond N requests at once, they queue
and the latency grows. Without a script the reply is ``echo: <last user message>``, or, when
``response_format`` carries a JSON schema, the smallest instance of that schema. Usage tokens are
whitespace-separated words (deterministic).
Run it alone (the benchmark does, to keep it off the client's core)::

    python -m tests.doubles.scripted_openai_server --latency 0.2     # prints "PORT <n>", stops on SIGTERM
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.doubles.scripted_content import default_content, last_user


@dataclass(frozen=True)
class Reply:
    """One scripted behaviour for one chat request."""

    kind: str = "ok"  # ok | status | hang | truncated
    content: str | None = None  # None: the default responder's content
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""
    delay_s: float = 0.0  # on top of the server's latency

    @classmethod
    def ok(cls, content: str | None = None, *, delay_s: float = 0.0) -> Reply:
        return cls("ok", content, delay_s=delay_s)

    @classmethod
    def rate_limit(cls, retry_after: float | str | None = 1, *, status: int = 429) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls("status", status=status, headers=headers, message="Rate limit reached (scripted)")

    @classmethod
    def error(cls, status: int = 500, message: str = "internal error (scripted)") -> Reply:
        return cls("status", status=status, message=message)

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Say nothing for ``seconds``, then drop the connection."""
        return cls("hang", delay_s=seconds)

    @classmethod
    def invalid_json(cls, text: str = '{"name": "unfinished", ') -> Reply:
        return cls("ok", text)

    @classmethod
    def truncated(cls, text: str | None = '{"name": "cut off mid-str') -> Reply:
        """A reply with ``finish_reason: length``; ``None``: the responder's content, cut off."""
        return cls("truncated", text)


@dataclass(frozen=True)
class Recorded:
    arrival: float  # time.monotonic() when the request was read
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class ScriptedOpenAIServer:
    """The test double. Start with ``with`` (or ``start()``/``stop()``); it runs in its own thread."""

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        capacity: int | None = None,
        model: str = "scripted-model",
        supports: tuple[str, ...] = ("json_schema", "json_object"),
        responder: Callable[[dict[str, Any]], str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency_s = latency_s
        self.capacity = capacity  # at most this many requests served at once; the rest queue (never a 429)
        self._capacity: asyncio.Semaphore | None = None
        self.model = model
        self.supports = supports
        self.responder = responder or default_content
        self.host, self.port = host, port
        self.records: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed = 0  # chat replies fully written
        self._script: deque[Reply] = deque()
        self._rules: list[tuple[str, deque[Reply]]] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._ids = itertools.count(1)
        self._connections: set[asyncio.Task[Any]] = set()

    # --- scripting ---------------------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Replies for the next chat requests (those no rule matches), in arrival order."""
        with self._lock:
            self._script.extend(replies)

    def on(self, contains: str, *replies: Reply) -> None:
        """Replies, one per request, for requests with a message that contains ``contains``."""
        with self._lock:
            self._rules.append((contains, deque(replies)))

    # --- records -----------------------------------------------------------------------------------------
    @property
    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.records if r.path.endswith("/chat/completions")]

    @property
    def chat_count(self) -> int:
        return len(self.chat_requests)

    def arrivals(self) -> list[float]:
        return [r.arrival for r in self.chat_requests]

    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.chat_requests]

    def last_user_messages(self) -> list[str]:
        return [last_user(r.body) for r in self.chat_requests]

    def reset(self) -> None:
        with self._lock:
            self.records.clear()
            self.max_in_flight = self.in_flight
            self.completed = 0

    def wait_until(self, predicate: Callable[[ScriptedOpenAIServer], bool], timeout_s: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.01)
        return predicate(self)

    # --- lifecycle ---------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> ScriptedOpenAIServer:
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="scripted-openai", daemon=True
        )
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the scripted server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, started: threading.Event) -> None:
        asyncio.run(self._serve(started))

    async def _serve(self, started: threading.Event | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._capacity = asyncio.Semaphore(self.capacity) if self.capacity else None
        server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        if started is not None:
            started.set()
        async with server:
            await self._stopped.wait()
            server.close()
            for task in list(self._connections):
                task.cancel()

    # --- HTTP --------------------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                method, path, headers, raw = request
                if not await self._handle(method, path, headers, raw, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False closes the connection."""
        if method == "GET" and path.rstrip("/").endswith("/models"):
            data = {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "scripted"}]}
            await _write(writer, 200, data)
            return True
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            await _write(
                writer, 404, {"error": {"message": f"no route {method} {path}", "type": "not_found"}}
            )
            return True
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            await _write(
                writer, 400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}}
            )
            return True
        with self._lock:
            self.records.append(Recorded(time.monotonic(), path, body, headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            reply = self._next_reply(body)
        try:
            return await self._answer(body, reply, writer)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        text = "\n".join(str(message.get("content", "")) for message in body.get("messages", []))
        for contains, replies in self._rules:
            if contains in text and replies:
                return replies.popleft()
        return self._script.popleft() if self._script else Reply.ok()

    async def _answer(self, body: dict[str, Any], reply: Reply, writer: asyncio.StreamWriter) -> bool:
        if self._capacity is not None:  # an overloaded self-hosted server: slower, never a 429
            async with self._capacity:
                await asyncio.sleep(self.latency_s + reply.delay_s)
        else:
            await asyncio.sleep(self.latency_s + reply.delay_s)
        if reply.kind == "hang":
            return False
        if reply.kind == "status":
            error = {"message": reply.message, "type": "scripted", "code": None}
            await _write(writer, reply.status, {"error": error}, reply.headers)
            return True
        kind = (body.get("response_format") or {}).get("type")
        if kind and kind not in self.supports:
            error = {"message": f"response_format {kind} is not supported", "type": "invalid_request_error"}
            await _write(writer, 400, {"error": error})
            return True
        content = reply.content if reply.content is not None else self.responder(body)
        finish = "length" if reply.kind == "truncated" else "stop"
        await _write(writer, 200, self._completion(body, content, finish))
        with self._lock:
            self.completed += 1
        return True

    def _completion(self, body: dict[str, Any], content: str, finish: str) -> dict[str, Any]:
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        completion_tokens = len(content.split())
        return {
            "id": f"chatcmpl-scripted-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    return method, path, headers, raw


async def _write(
    writer: asyncio.StreamWriter, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(data).encode("utf-8")
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(payload)}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
    await writer.drain()


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
_REASONS |= {502: "Bad Gateway", 503: "Service Unavailable", 401: "Unauthorized"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible server (a test double).")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each chat reply")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = ScriptedOpenAIServer(latency_s=args.latency, port=args.port)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(server._serve())
        while server._stopped is None or server.port == 0:
            await asyncio.sleep(0.01)
        print(f"PORT {server.port}", flush=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server._stopped.set)
        await task
        stats = {"chat_requests": server.chat_count, "max_in_flight": server.max_in_flight}
        print(f"STATS {json.dumps(stats)}", flush=True)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
