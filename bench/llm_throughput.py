"""Benchmark: the LLM interface's throughput and overhead against a bare ``AsyncOpenAI`` loop.

    python bench/llm_throughput.py            # 2,000 requests, concurrency 64, server latency 200 ms

The scripted OpenAI server (a test double, ``tests/doubles``) runs in its own process and answers every
request after a fixed latency, so the ideal throughput is concurrency / latency = 320 requests/s. Printed:

  * throughput ratio: the interface's requests/s over the ideal (the bar: >= 0.90);
  * overhead ratio: the interface's wall time over the bare loop's, minus 1 (the bar: <= 0.05).

The interface runs as a stage would: SQLite cache on (every request a miss, each reply written), accounting,
retries armed, fixed concurrency 64 (the bare loop's). The adaptive limiter (slow start from 4 slots,
doubling per round trip) is measured too, for information. Each figure is the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wildlong.llm import LLMClient, LLMRequest, LLMSettings  # noqa: E402


def start_server(latency_s: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.doubles.scripted_openai_server", "--latency", str(latency_s)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise SystemExit(f"the scripted server did not start: {line!r}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}/v1"


def prompts(n: int, tag: str) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"{tag} request {i}: say something short."}] for i in range(n)]


async def bare_loop(base_url: str, n: int, concurrency: int, tag: str) -> float:
    """The baseline: a semaphore and ``chat.completions.create``, nothing else."""
    client = openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(messages: list[dict[str, str]]) -> str:
        async with semaphore:
            response = await client.chat.completions.create(
                model="scripted-model",
                messages=messages,
                max_tokens=64,  # type: ignore[arg-type]
            )
            return response.choices[0].message.content or ""

    started = time.perf_counter()
    results = await asyncio.gather(*(one(m) for m in prompts(n, tag)))
    elapsed = time.perf_counter() - started
    await client.close()
    assert len(results) == n and all(results)
    return elapsed


def interface(base_url: str, n: int, concurrency: int, adaptive: bool, tag: str, cache: Path) -> float:
    settings = LLMSettings(
        base_url=base_url,
        model="scripted-model",
        api_key="bench",
        max_concurrency=concurrency,
        adaptive=adaptive,
        max_tokens=64,
        cache_path=cache,
    )
    client = LLMClient(settings)
    requests = [LLMRequest(m, stage="bench") for m in prompts(n, tag)]
    started = time.perf_counter()
    results = client.run(requests, progress=False)
    elapsed = time.perf_counter() - started
    client.close()
    assert all(r.ok and not r.cached for r in results), "every request must reach the server"
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds, the server's fixed latency")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ideal = args.concurrency / args.latency
    server, base_url = start_server(args.latency)
    times: dict[str, list[float]] = {"bare": [], "fixed": [], "adaptive": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.repeats):  # interleaved, so drift hits every variant alike
                tag = f"run{run}"
                times["bare"].append(asyncio.run(bare_loop(base_url, args.requests, args.concurrency, tag)))
                cache = Path(tmp) / f"fixed{run}.sqlite"
                times["fixed"].append(interface(base_url, args.requests, args.concurrency, False, tag, cache))
                cache = Path(tmp) / f"adaptive{run}.sqlite"
                times["adaptive"].append(
                    interface(base_url, args.requests, args.concurrency, True, tag, cache)
                )
    finally:
        server.terminate()
        server.wait(10)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.requests} requests, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms")
    print(f"ideal throughput {ideal:.0f} req/s; median of {args.repeats} runs:")
    for name, seconds in median.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {name:<9} {seconds:6.2f} s  {args.requests / seconds:6.1f} req/s  (runs: {runs})")
    throughput_ratio = args.requests / median["fixed"] / ideal
    overhead_ratio = median["fixed"] / median["bare"] - 1
    adaptive_ratio = args.requests / median["adaptive"] / ideal
    print(f"throughput ratio, interface / ideal:         {throughput_ratio:.3f}  (bar >= 0.90)")
    print(f"overhead ratio, interface / bare loop - 1:   {overhead_ratio:+.3f}  (bar <= 0.05)")
    print(f"throughput ratio, adaptive limiter / ideal:  {adaptive_ratio:.3f}  (slow start included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
