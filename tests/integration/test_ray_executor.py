"""The ``ray`` executor on a real local Ray cluster (2 CPUs, started here with README's `ray start` line).

Against the scripted OpenAI test double: the same results in the same order as the local client, a
restarted batch sends only the shards without a marker, and a whole `wildlong run` gives the byte-identical
dataset with ``local`` and ``ray``. Against the embedded SmolLM2: instructions written through Ray equal the
local ones from the same cache, and the local pass pays nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.doubles.llm_helpers import settings_for
from tests.doubles.scripted_openai_server import Reply, ScriptedOpenAIServer
from tests.doubles.synth_responder import synth_responder
from tests.support.neo4j_helpers import free_port
from tests.support.runs import finish, run_config, start_run
from wildlong.executor import ExecutorConfig, make_client
from wildlong.graph import Graph
from wildlong.llm import LLMClient, LLMRequest, LLMSettings, load_template, resolve_settings
from wildlong.loader.schema import FieldSchema
from wildlong.ray_exec import RayClient
from wildlong.records import Counts
from wildlong.synth.instructions import InstructConfig, write_instructions
from wildlong.synth.walks import Walk

RAY = str(Path(sys.executable).parent / "ray")


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A head node of 2 CPUs on loopback, as README's "Scaling out" starts one; stopped afterwards."""
    port = free_port()
    start = [RAY, "start", "--head", "--num-cpus", "2", "--port", str(port), "--node-ip-address", "127.0.0.1"]
    start += ["--include-dashboard", "false", "--disable-usage-stats", "--object-store-memory", "200000000"]
    done = subprocess.run(start, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        ray.shutdown()
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120)


def _requests() -> list[LLMRequest]:
    schema = FieldSchema.load(None, max_values=3).response_model(40)  # a model made at run time
    plain = [LLMRequest([{"role": "user", "content": f"say {i}"}], stage="plain") for i in range(9)]
    structured = [
        LLMRequest([{"role": "user", "content": f"fields of query {i}"}], stage="structured", schema=schema)
        for i in range(5)
    ]
    failing = [LLMRequest([{"role": "user", "content": "broken request"}], stage="plain")]
    return plain[:4] + structured + failing + plain[4:]


def test_ray_client_gives_the_local_results_and_resumes_by_shard(ray_address: str, tmp_path: Path) -> None:
    with ScriptedOpenAIServer() as server:
        server.on("broken", *[Reply.error(400, "scripted bad request")] * 4)
        settings = settings_for(server, tmp_path, cache=False)
        local = LLMClient(settings).run(_requests(), progress=False)
        sent_locally = server.chat_count
        executor = ExecutorConfig(kind="ray", address=ray_address, shard_size=4, actors=2)
        client = make_client(settings, executor, tmp_path / "shards")
        assert isinstance(client, RayClient)
        remote = client.run(_requests(), progress=False)
        assert server.chat_count == 2 * sent_locally
        assert [(r.ok, r.value, r.text, r.reason) for r in remote] == [
            (r.ok, r.value, r.text, r.reason) for r in local
        ]
        assert [r.reason for r in remote].count("bad_request") == 1
        assert type(remote[4].value).__name__ == "MetaInformation"
        # the driver's accounting holds what the actors did
        stats = {(s["stage"]): s for s in client.accounting.to_dict()["stages"]}
        assert stats["plain"]["ok"] == 9 and stats["plain"]["failures"] == {"bad_request": 1}
        assert stats["structured"]["ok"] == 5

        # 15 requests in shards of 4: 4 shards, each a file and a marker; drop one marker and run again
        markers = sorted((tmp_path / "shards").rglob("*.done"))
        assert sorted(m.parent.name for m in markers) == ["plain"] * 4
        assert [int(m.read_text()) for m in markers].count(4) == 3
        lost = next(m for m in markers if m.read_text().strip() == "4")
        lost.unlink()
        before = server.chat_count
        again = client.run(_requests(), progress=False)
        assert server.chat_count - before == 4  # only that shard's requests went out again
        assert [r.text for r in again] == [r.text for r in remote]
        client.close()


def test_wildlong_run_gives_the_same_dataset_local_and_ray(
    graph: Graph, ray_address: str, tmp_path: Path
) -> None:
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        local = tmp_path / "local"
        finish(start_run(run_config(tmp_path, server, local), graph))
        sent_locally = server.chat_count
        ray_out = tmp_path / "ray"
        text = finish(
            start_run(
                run_config(tmp_path, server, ray_out),  # its own, empty cache: every call is made again
                graph,
                "--set",
                "executor.kind=ray",
                "--set",
                f"executor.address={ray_address}",
                "--set",
                "executor.shard_size=8",
            )
        )
        assert server.chat_count == 2 * sent_locally, text
    data = (local / "dataset" / "train.jsonl").read_bytes()
    assert data and data == (ray_out / "dataset" / "train.jsonl").read_bytes()
    resolved = yaml.safe_load((ray_out / "config.resolved.yaml").read_text())
    assert resolved["executor"]["kind"] == "ray"
    done = list((ray_out / "shards").rglob("*.done"))
    assert {d.parent.name for d in done} >= {"extract", "instruct", "rewrite", "answer"}
    assert sum(int(d.read_text()) for d in done if d.parent.name == "extract") == 30


def _walks() -> list[Walk]:
    picks = [
        ("email", ["tone", "audience"], ["formal and polite", "a hiring manager"]),
        ("research paper", ["task", "output_format"], ["summarise the method", "five bullet points"]),
        ("legal contract", ["task", "constraint"], ["list the obligations", "plain English"]),
        ("recipe", ["task", "audience"], ["halve the quantities", "a beginner cook"]),
    ]
    return [
        Walk(
            walk_id=f"w{i}",
            doc_type=doc_type,
            node_ids=[f"{doc_type}|{f}|{v}" for f, v in zip(fields, values, strict=True)],
            fields=fields,
            values=values,
            weights=[1.0],
            strategy="weighted",
            seed=i,
            index=i,
        )
        for i, (doc_type, fields, values) in enumerate(picks)
    ]


def test_instructions_through_ray_with_the_embedded_llm_equal_the_local_ones(
    ray_address: str, tmp_path: Path
) -> None:
    settings = resolve_settings(LLMSettings(cache_path=tmp_path / "cache.sqlite"))
    template = load_template("instruct", package="wildlong.synth")
    cfg = InstructConfig()
    executor = ExecutorConfig(kind="ray", address=ray_address, shard_size=2, actors=2)
    remote_client = make_client(settings, executor, tmp_path / "shards")
    model = settings.model or ""
    remote = write_instructions(_walks(), remote_client, template, cfg, Counts("instruct"), model)
    sent = sum(s["requests"] for s in remote_client.accounting.to_dict()["stages"])
    assert sent == len(_walks())  # the actors called the embedded server (fresh cache)
    local_client = LLMClient(settings)
    local = write_instructions(_walks(), local_client, template, cfg, Counts("instruct"), model)
    stats = local_client.accounting.to_dict()["stages"]
    assert sum(s["requests"] for s in stats) == 0 and sum(s["cache_hits"] for s in stats) == len(_walks())
    assert [i.model_dump_json() for i in remote] == [i.model_dump_json() for i in local]
    assert local and all(len(i.text) >= cfg.min_chars for i in local)
    assert json.loads(local[0].model_dump_json())["walk_id"] == "w0"
    remote_client.close()
    local_client.close()
