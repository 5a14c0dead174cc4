"""Seed a run folder with finished upstream stages (fixture files), so that one stage command can be
tested alone: the files are copied to the stage's outputs and the manifest marks them complete with the
fingerprints the stage command will compute from the same config."""

from __future__ import annotations

import shutil
from pathlib import Path

from wildlong.run.config import load_config, write_resolved
from wildlong.run.manifest import Manifest
from wildlong.run.pipeline import fingerprints
from wildlong.run.registry import STAGES
from wildlong.run.stage import by_name


def seed_run(run_dir: Path, config: Path, files: dict[str, list[Path]]) -> None:
    """``files``: stage name -> its output files in order (for a one-file stage, concatenated)."""
    cfg = load_config(config).model_copy(update={"out": run_dir}).seeded()
    run_dir.mkdir(parents=True, exist_ok=True)
    write_resolved(cfg, run_dir / "config.resolved.yaml")
    prints = fingerprints(cfg, STAGES)
    manifest = Manifest(run_dir / "manifest.json")
    for name, sources in files.items():
        stage = by_name(STAGES, name)
        if len(stage.outputs) > 1:  # one file per output
            for output, source in zip(stage.outputs, sources, strict=False):
                shutil.copy(source, run_dir / output)
        else:  # one output: the files one after the other
            with (run_dir / stage.outputs[0]).open("wb") as out:
                for source in sources:
                    out.write(source.read_bytes())
        manifest.record(name, prints[name], [stage.outputs[0]], {"seeded": True}, 0.0)
