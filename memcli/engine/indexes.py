"""Each user's HNSW index of one open store: loaded, caught up with other
processes' writes from the change log, or rebuilt from the stored vectors."""

from __future__ import annotations

import time
from typing import Any, Sequence

from memcli.base.files import shred
from memcli.base.text import embedding_input
from memcli.engine.embedding import Embedding
from memcli.storage import Store
from memcli.storage.index import Progress, UserIndex, ids_digest


class Indexes:
    """The per-user index cache (the files are a cache of the database's vectors)."""

    def __init__(self, store: Store, index_dir: Any, embedding: Embedding, progress: Progress | None) -> None:
        self.store = store
        self.dir = index_dir
        self.embedding = embedding
        self.progress = progress
        self._loaded: dict[str, UserIndex] = {}

    def get(self, user_id: str) -> UserIndex:
        """The user's index, loaded and consistent with the database."""
        generation = self.store.generation(user_id)
        index = self._loaded.get(user_id)
        if index is not None and index.loaded and index.generation == generation:
            return index
        if index is not None and index.loaded and 0 <= index.generation < generation and self._catch_up(index):
            return index
        if index is None:
            index = self._new(user_id)
            self._loaded[user_id] = index
            if index.try_load(generation, ids_digest(self.store.vectors.ids(user_id))) is None:
                return index
        self.rebuild(index)
        return index

    def _catch_up(self, index: UserIndex) -> bool:
        """Apply what other processes changed since the index's generation, from
        the change log; False when the log does not reach back (then rebuild)."""
        import numpy as np

        changes = self.store.changes_since(index.user_id, index.generation)
        if changes is None:
            return False
        final: dict[int, str] = {}
        for _, memory_id, change in changes:
            if change != "none":
                final[memory_id] = change
        wanted = [i for i, c in final.items() if c == "set"]
        vectors = dict(self.store.vectors.embeddings(wanted, index.user_id))
        if len(vectors) != len(wanted):
            return False  # deleted since, or another user's: the log and the rows disagree
        if wanted:
            index.add(wanted, np.stack([np.frombuffer(vectors[i], dtype=np.float32) for i in wanted]))
        index.remove([i for i, c in final.items() if c == "remove"])
        index.generation = max(g for g, _, _ in changes) if changes else index.generation
        return True

    def _new(self, user_id: str) -> UserIndex:
        embedder = self.embedding.embedder
        return UserIndex(self.dir, user_id, embedder.dim, embedder.id, self.store.identity())

    def rebuild(self, index: UserIndex) -> None:
        """Rebuild a user's index from the BLOBs in SQLite, re-embedding only rows
        whose vectors came from another embedder."""
        import numpy as np

        embedder_id = self.embedding.embedder.id
        every = self.store.vectors.vectors(index.user_id, cold=None)  # cold vectors must match the embedder too
        foreign = [r[0] for r in every if r[1] is None or r[2] != embedder_id]
        if foreign:
            self._reembed(foreign)
        rows = self.store.vectors.vectors(index.user_id)
        ids = [r[0] for r in rows]
        vectors = (np.frombuffer(b"".join(r[1] or b"" for r in rows), dtype=np.float32).reshape(len(rows), index.dim)
                   if rows else np.zeros((0, index.dim), dtype=np.float32))
        index.build(ids, vectors, self.store.generation(index.user_id), self.progress)
        index.save()

    def _reembed(self, ids: Sequence[int]) -> None:
        batch = 256
        embedder_id = self.embedding.embedder.id
        for start in range(0, len(ids), batch):
            items = [self.store.memories.get(i) for i in ids[start:start + batch]]
            vectors = self.embedding.embed([embedding_input(i.memory, i.context) for i in items])
            with self.store.transaction():
                for item, vec in zip(items, vectors):
                    # the generation is not bumped: the index is being rebuilt from these
                    self.store.memories.set_embedding(item.id, vec.tobytes(), embedder_id)
            if self.progress:
                self.progress("re-embedding", min(start + batch, len(ids)), len(ids))

    def reindex(self, users: Sequence[str]) -> dict[str, Any]:
        """Rebuild the indexes of ``users`` from stored vectors."""
        report: dict[str, Any] = {"users": {}, "seconds": 0.0}
        started = time.perf_counter()
        for user in users:
            index = self._loaded.get(user) or self._new(user)
            self._loaded[user] = index
            self.rebuild(index)
            report["users"][user] = len(index.live)
        report["seconds"] = round(time.perf_counter() - started, 3)
        return report

    def drop(self, user_id: str) -> None:
        """Shred a user's index files (their memories are gone)."""
        index = self._loaded.pop(user_id, None) or UserIndex(self.dir, user_id, 0, "")
        index.destroy()

    def drop_all(self) -> None:
        for index in self._loaded.values():
            index.destroy()
        self._loaded.clear()
        if self.dir.exists():
            for path in self.dir.iterdir():
                shred(path)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*")) if self.dir.exists() else 0

    def save_changed(self) -> None:
        for index in self._loaded.values():
            if index.dirty:
                index.save()
