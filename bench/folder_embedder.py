"""Another sentence-transformers model as memcli's embedder, for side-by-side
runs of the LoCoMo harness (``bench/locomo.py --model-dir DIR``).

Each piece is embedded with its context, one by one (memcli's MiniLM embeds a
conversation in shared windows instead: :mod:`memcli.models.windows`), through
sentence-transformers on the CPU, offline. Whatever folder is given must hold
a complete sentence-transformers model (``modules.json`` beside the weights).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from memcli.base.text import without_emoji


def is_model_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a sentence-transformers model (its ``modules.json``)."""
    return (folder / "modules.json").is_file()


class FolderEmbedder:
    """A sentence-transformers model loaded from ``folder`` (unit vectors, float32)."""

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        try:  # no "Loading weights" bar on the harness's output
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except ImportError:
            pass
        self._model: Any = SentenceTransformer(str(folder), device="cpu")
        self.batch_size = batch_size
        self.id = f"bench:{folder.resolve().name}"
        self.dim = int(self._model.get_embedding_dimension()
                       if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode([without_emoji(t) for t in texts], batch_size=self.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)
