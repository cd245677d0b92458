"""The cold tier's vectors and counts, read from the database and kept while the
user's cold tier is unchanged (its cold generation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memcli.engine.embedding import Embedding
from memcli.storage import Store

if TYPE_CHECKING:
    import numpy as np


class ColdTier:
    """What search needs of the memories that left the hot index."""

    def __init__(self, store: Store, embedding: Embedding) -> None:
        self.store = store
        self.embedding = embedding
        self._vectors: dict[str, tuple[int, Any, Any]] = {}
        self._counts: dict[str, tuple[int, int]] = {}

    def count(self, user_id: str) -> int:
        """How many memories the user has in the cold tier."""
        generation = self.store.cold_generation(user_id)
        cached = self._counts.get(user_id)
        if cached is None or cached[0] != generation:
            cached = (generation, self.store.vectors.count(user_id, cold=True))
            self._counts[user_id] = cached
        return cached[1]

    def vectors(self, user_id: str) -> tuple["np.ndarray", "np.ndarray"]:
        """(ids, unit vectors) of the user's cold memories."""
        import numpy as np

        generation = self.store.cold_generation(user_id)
        cached = self._vectors.get(user_id)
        if cached is not None and cached[0] == generation:
            return cached[1], cached[2]
        embedder = self.embedding.embedder
        rows = [(i, blob) for i, blob, made_by in self.store.vectors.vectors(user_id, cold=True)
                if blob is not None and made_by == embedder.id]  # others wait for the next rebuild
        ids = np.asarray([i for i, _ in rows], dtype=np.int64)
        vectors = (np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(len(rows), -1)
                   if rows else np.zeros((0, embedder.dim), dtype=np.float32))
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self._vectors = {user_id: (generation, ids, vectors)}  # one user's at a time: they can be large
        return ids, vectors

    def forget(self, user_id: str | None = None) -> None:
        """Drop what is kept of a user's cold tier (every user's with None)."""
        if user_id is None:
            self._vectors.clear()
        else:
            self._vectors.pop(user_id, None)
