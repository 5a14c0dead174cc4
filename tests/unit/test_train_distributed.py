"""Two processes (DDP over gloo, on the CPU) train exactly like one process accumulating two micro-batches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("accelerate")
pytest.importorskip("datasets")

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "train" / "tiny_cpu.yaml"
SCRIPT = "import sys\nfrom wildlong.cli.train_cmd import train\ntrain(sys.argv[1:])\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _losses(folder: Path) -> list[tuple[float, float, int]]:
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return [(r["loss"], r["grad_norm"], r["target_tokens"]) for r in rows]


def test_two_processes_equal_one_process_with_two_micro_batches(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    common = ["sft", str(CONFIG), "--max-steps", "2", "--no-resume"]
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    single = [sys.executable, str(script), *common, "-o", str(tmp_path / "one"), "--grad-accum", "2"]
    one = subprocess.run(single, env=env, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                "--master_addr", "127.0.0.1", "--master_port", str(_free_port())]  # fmt: skip
    double = [*launcher, str(script), *common, "-o", str(tmp_path / "two"), "--grad-accum", "1"]
    two = subprocess.run(double, env=env, capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-2000:]
    assert "1 x 2 micro-batches" in two.stdout and "2 x 1 micro-batches" in one.stdout
    for a, b in zip(_losses(tmp_path / "one"), _losses(tmp_path / "two"), strict=True):
        assert a[2] == b[2]
        assert a[0] == pytest.approx(b[0], abs=1e-6) and a[1] == pytest.approx(b[1], abs=1e-5)
