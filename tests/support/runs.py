"""Helpers of the `wildlong run` tests: a small run config on the shared data, the run as a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SESSION_SERVER
from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from wildlong.graph import Graph

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def run_config(tmp: Path, server: ScriptedOpenAIServer, out: Path) -> Path:
    cfg: dict[str, Any] = {
        "name": "e2e",
        "out": str(out),
        "seed": 11,
        "llm": {
            "base_url": server.base_url,
            "model": server.model,
            "api_key": "test-key",
            "max_concurrency": 2,
            "adaptive": False,
            "cache_path": str(tmp / f"{out.name}-cache.sqlite"),
            "backoff_base_s": 0.01,
        },
        "read": {"sources": [str(SHARED / "conversations" / "sharegpt_sample.jsonl")], "limit": 30},
        "doctypes": {"k": 3},
        "load": {"reset": True},
        "walk": {"walks": 12, "length": 4, "min_length": 2},
        "documents": {
            "sources": [str(SHARED / "documents" / "documents.jsonl")],
            "limit": 24,
            "min_tokens": 200,
            "max_tokens": 600,
        },
        "pair": {"max_bundle_tokens": 1500},
        "generate": {"grounding_min": 0.2},
    }
    path = tmp / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_env(graph: Graph) -> dict[str, str]:
    env = dict(os.environ)
    env["NEO4J_URI"] = graph.uri
    if SESSION_SERVER:
        env["NEO4J_PASSWORD"] = SESSION_SERVER[0].password()
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_run(config: Path, graph: Graph, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wildlong.cli", "run", str(config), *extra],
        env=run_env(graph),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> str:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return out


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
