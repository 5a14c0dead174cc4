"""The manifest: which stages of a run are complete, with what inputs, outputs and counts.

Written atomically after every stage, so a run killed at any moment resumes at the first stage that is
not complete (or whose config changed since), and the LLM cache repays nothing of what was done.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

FORMAT = 1  # the "wildlong" key: marks a run folder's manifest


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"wildlong": FORMAT, "stages": {}}
        if path.exists():
            try:
                self.data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                self.data = {"stages": {}}  # a torn write cannot happen (rename), but never trust blindly
            if not isinstance(self.data, dict) or not isinstance(self.data.get("stages"), dict):
                self.data = {"stages": {}}
            self.data.setdefault("wildlong", FORMAT)

    @staticmethod
    def is_run_folder(folder: Path) -> bool:
        """True when ``folder`` holds a WildLong manifest (a JSON object with its ``stages``)."""
        try:
            data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and isinstance(data.get("stages"), dict)

    def complete(self, stage: str, fingerprint: str) -> bool:
        entry = self.data["stages"].get(stage)
        if not entry or entry.get("fingerprint") != fingerprint or not entry.get("complete"):
            return False
        return all((self.path.parent / out).exists() for out in entry.get("outputs", []))

    def record(
        self, stage: str, fingerprint: str, outputs: list[str], counts: dict[str, Any], seconds: float
    ) -> None:
        self.data["stages"][stage] = {
            "complete": True,
            "fingerprint": fingerprint,
            "outputs": outputs,
            "counts": counts,
            "seconds": round(seconds, 2),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.save()

    def record_incomplete(self, stage: str, fingerprint: str, counts: dict[str, Any], seconds: float) -> None:
        """What a stage that could not finish did (never taken as complete; the next run runs it again)."""
        self.data["stages"][stage] = {
            "complete": False,
            "fingerprint": fingerprint,
            "outputs": [],
            "counts": counts,
            "seconds": round(seconds, 2),
            "stopped": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.save()

    def invalidate_from(self, stages: list[str]) -> None:
        for stage in stages:
            self.data["stages"].pop(stage, None)
        self.save()

    def counts(self, stage: str) -> dict[str, Any]:
        return dict(self.data["stages"].get(stage, {}).get("counts", {}))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.part")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.path)
