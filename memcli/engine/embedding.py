"""The embedder of one open store: built on first use, with a worker thread for
embedders whose work runs outside the GIL."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Sequence

from memcli.base.config import Config
from memcli.base.records import MemoryItem
from memcli.base.text import embedding_input
from memcli.models.embedder import Embedder, make_embedder

if TYPE_CHECKING:
    import numpy as np


class Embedding:
    """Texts and memories into vectors."""

    def __init__(self, config: Config, embedder: Embedder | None = None) -> None:
        self.config = config
        self._embedder = embedder
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    @property
    def embedder(self) -> Embedder:
        """The embedder, built on first use (the real one loads its model lazily too)."""
        if self._embedder is None:
            self._embedder = make_embedder(self.config.embedder)
        return self._embedder

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self.embedder.embed(list(texts))

    def embed_soon(self, texts: Sequence[str]) -> "Future[np.ndarray]":
        """Vectors for ``texts``, to be collected with ``.result()``. An embedder
        that says it is ``concurrent`` (its work runs outside the GIL, as ONNX
        Runtime's does) embeds on a worker thread meanwhile, so a search's
        keyword side costs no wall time; any other embeds here and now."""
        if getattr(self.embedder, "concurrent", False):
            # a forked child inherits the pool but not its thread: it needs its own
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memcli-embed")
                self._pool_pid = os.getpid()
            return self._pool.submit(self.embed, texts)
        done: Future[np.ndarray] = Future()
        try:
            done.set_result(self.embed(texts))
        except BaseException as error:
            done.set_exception(error)
        return done

    def embed_pieces(self, items: Sequence[MemoryItem], *, conversation: bool = False) -> "np.ndarray":
        """Vectors for memories about to be stored, each embedded with its
        context. With ``conversation`` (the pieces of a conversation stored as
        given, in the order said) they go to the embedder's
        ``embed_conversation`` where it has one: shared windows
        (:mod:`memcli.models.windows`)."""
        windows = getattr(self.embedder, "embed_conversation", None) if conversation else None
        if windows is not None:
            return windows([(i.context, i.memory) for i in items])
        return self.embed([embedding_input(i.memory, i.context) for i in items])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
