"""Benchmark: the answer stage with the ``local`` executor and with ``ray``, side by side.

    python bench/ray_answer.py          # 2,000 answer requests, server latency 200 ms, 64 in flight

The scripted OpenAI server (a test double, ``tests/doubles``) runs in its own process with a fixed latency.
The requests are the answer stage's: the shipped ``answer`` template over a slice (~600 tokens) of the
shared long documents and an instruction. ``local`` is one client with 64 requests in flight; ``ray`` is a
private Ray of 2 CPUs, ``--actors`` actors of 64 / actors slots each (the same 64 in flight), shards of
``--shard-size`` requests, each shard written with its marker. Ray's start-up (``ray.init``) is timed
apart and not counted in the stage. Printed: both throughputs, their ratio, and the per-record overhead
that Ray adds (wall-time difference over records). Each a fresh cache: every request reaches the server.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.llm_throughput import start_server  # noqa: E402
from wildlong.executor_config import ExecutorConfig  # noqa: E402
from wildlong.llm import LLMClient, LLMRequest, LLMSettings, load_template  # noqa: E402
from wildlong.ray_exec import RayClient, _ensure_ray  # noqa: E402
from wildlong.synth.documents import cut_to_tokens  # noqa: E402

DOCS = ROOT.parent / "shared" / "data" / "documents" / "documents.jsonl"


def answer_requests(n: int) -> list[LLMRequest]:
    template = load_template("answer", package="wildlong.synth")
    docs = [json.loads(line)["text"] for line in DOCS.read_text(encoding="utf-8").splitlines()]
    slices = [cut_to_tokens(d[5000:], 600, "gpt-4o") for d in docs[:20]]
    return [
        LLMRequest(
            template.render(
                documents=f"=== Document (id: d{i % 20}) ===\n{slices[i % 20]}\n=== End of document ===",
                instruction=f"Request {i}: list the three main points of the document in plain words.",
            ),
            stage="answer",
            template=template,
            params={"max_tokens": 64, "temperature": 0.3},
        )
        for i in range(n)
    ]


def settings(base_url: str, concurrency: int, cache: Path) -> LLMSettings:
    return LLMSettings(
        base_url=base_url,
        model="scripted-model",
        api_key="bench",
        max_concurrency=concurrency,
        adaptive=False,
        cache_path=cache,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight in all")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds, the server's fixed latency")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=100)
    args = parser.parse_args()
    requests = answer_requests(args.requests)
    server, base_url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = LLMClient(settings(base_url, args.concurrency, Path(tmp) / "local.sqlite"))
            started = time.perf_counter()
            results = local.run(requests, progress=False)
            t_local = time.perf_counter() - started
            assert all(r.ok and not r.cached for r in results)
            local.close()

            executor = ExecutorConfig(
                kind="ray", num_cpus=2, actors=args.actors, shard_size=args.shard_size, actor_cpus=0.5
            )
            started = time.perf_counter()
            _ensure_ray(executor)
            t_init = time.perf_counter() - started
            per_actor = max(1, args.concurrency // args.actors)
            remote = RayClient(
                settings(base_url, per_actor, Path(tmp) / "ray.sqlite"), executor, Path(tmp) / "shards"
            )
            started = time.perf_counter()
            again = remote.run(requests, progress=False)
            t_ray = time.perf_counter() - started
            assert all(r.ok and not r.cached for r in again)
            assert [r.text for r in again] == [r.text for r in results]
            remote.close()
    finally:
        server.terminate()
        server.wait(10)
    n = args.requests
    ideal = args.concurrency / args.latency
    print(f"answer stage: {n} requests, {args.concurrency} in flight, latency {args.latency * 1000:.0f} ms")
    print(f"ideal {ideal:.0f} req/s; ray: {args.actors} actors x {per_actor} slots,", end=" ")
    print(f"shards of {args.shard_size}")
    print(f"  local  {t_local:7.2f} s  {n / t_local:7.1f} req/s")
    print(f"  ray    {t_ray:7.2f} s  {n / t_ray:7.1f} req/s   (+ ray.init {t_init:.1f} s, not counted)")
    print(f"throughput ratio, ray / local:   {t_local / t_ray:.3f}")
    print(f"overhead Ray adds per record:    {(t_ray - t_local) / n * 1000:+.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
