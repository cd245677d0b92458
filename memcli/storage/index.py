"""The HNSW sidecar (hnswlib): one index file per user, a cache of the SQLite BLOBs.

Why one index per user rather than one shared index with a filter:
- isolation is structural: a query for user A only ever opens A's file, so no
  filter bug can leak B's neighbours (results are still re-checked against
  SQLite by user_id, as a second guard);
- HNSW with a restrictive filter degrades badly (the graph walk has to visit
  many foreign nodes to find k of yours); per-user graphs keep every query on
  the user's own data, so 100 users x 10k memories search like 10k;
- ``forget --user`` can shred one file instead of rewriting a shared one;
- a personal tool has few users, so the number of files stays small.

Labels are SQLite rowids (AUTOINCREMENT, so a label is never reused). A JSON
manifest beside each index records whose index it is (the user's key and the
database's identity), the embedder id, dimension, live ids and a digest of
them, the database generation it reflects, and the index file's size and
blake2b digest. A missing, stale (generation differs), mismatched (another
user's or another database's, or ids the database does not hold) or damaged
index is rebuilt from the stored BLOBs; the digest is checked before hnswlib
reads the file, because hnswlib can crash on a damaged file instead of raising.

A user with few memories is searched exactly (every stored vector, from the
index's own copy): at that size it costs no more than the graph walk, and
HNSW can leave near-duplicate memories unreachable.

Temporary files a killed process left behind (``.<key>.hnsw.<pid>.tmp``) are
shredded the next time the index is loaded or saved, and always on erasure.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from memcli.base.files import private_dir, private_tmp_path, shred, tmp_owner, user_key, write_private

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[str, int, int], None]

M = 16
EF_CONSTRUCTION = 100
EF_SEARCH = 64
MANIFEST_FORMAT = 2  # 2: the user's key, the database's identity and a digest of the ids
# Below this many memories a user is searched exactly: 0.2 ms for 5,000 vectors
# of 384 dimensions on 2 cores, the same as the graph walk.
EXACT_BELOW = 5000


def ids_digest(ids: Iterable[int]) -> str:
    """A digest of a set of labels (sorted), to compare an index with the database."""
    h = hashlib.blake2b(digest_size=16)
    for label in sorted(ids):
        h.update(label.to_bytes(8, "little", signed=True))
    return h.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while True:
            block = fh.read(1 << 22)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


class UserIndex:
    """The in-memory HNSW graph of one user's memories and its files on disk."""

    def __init__(self, folder: Path, user_id: str, dim: int, embedder_id: str, store_id: str = "") -> None:
        self.folder = folder
        self.user_id = user_id
        self.dim = dim
        self.embedder_id = embedder_id
        self.store_id = store_id
        self.key = user_key(user_id)
        self.path = folder / f"{self.key}.hnsw"
        self.manifest_path = folder / f"{self.key}.json"
        self._index: Any = None
        self._exact: tuple[Any, Any] | None = None  # (ids, vectors) for exact search, built on demand
        self.live: set[int] = set()
        self.deleted = 0
        self.generation = -1
        self.dirty = False

    # loading and building ------------------------------------------------------

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def try_load(self, generation: int, expected_ids: str | None = None) -> str | None:
        """Load the index from disk if it matches; return None on success or the
        reason it cannot be used ("missing", "stale", "damaged", ...).
        ``expected_ids``: the :func:`ids_digest` of the user's memories in the database."""
        import hnswlib

        self.clean_temporary_files()
        manifest = self.read_manifest()
        if manifest is None or not self.path.exists():
            return "missing"
        if manifest.get("format") != MANIFEST_FORMAT:
            return "old format"
        if manifest.get("user") != self.key or manifest.get("store") != self.store_id:
            return "another user's or another database's"
        if manifest.get("embedder") != self.embedder_id or manifest.get("dim") != self.dim:
            return "built with another embedder"
        if manifest.get("generation") != generation:
            return "stale"
        if expected_ids is not None and manifest.get("ids") != expected_ids:
            return "holds other ids than the database"
        if self.path.stat().st_size != manifest.get("size") or _file_digest(self.path) != manifest.get("digest"):
            return "damaged"
        index = hnswlib.Index(space="cosine", dim=self.dim)
        try:
            index.load_index(str(self.path), max_elements=int(manifest["capacity"]))
        except (RuntimeError, ValueError, KeyError, TypeError):
            return "damaged"
        live = set(int(x) for x in manifest.get("live", []))
        if len(live) != int(manifest.get("count", -1)) or ids_digest(live) != manifest.get("ids"):
            return "damaged"
        index.set_ef(EF_SEARCH)
        self._index = index
        self._exact = None
        self.live = live
        self.deleted = int(manifest.get("deleted", 0))
        self.generation = generation
        self.dirty = False
        return None

    def build(
        self, ids: Sequence[int], vectors: "np.ndarray", generation: int, progress: Progress | None = None
    ) -> None:
        """Create a fresh index from ``ids`` and their vectors."""
        import hnswlib
        import numpy as np

        capacity = max(1024, int(len(ids) * 1.25))
        index = hnswlib.Index(space="cosine", dim=self.dim)
        index.init_index(max_elements=capacity, ef_construction=EF_CONSTRUCTION, M=M)
        index.set_ef(EF_SEARCH)
        total = len(ids)
        step = 10_000
        for start in range(0, total, step):
            stop = min(total, start + step)
            index.add_items(vectors[start:stop], np.asarray(ids[start:stop], dtype=np.int64))
            if progress:
                progress("indexing", stop, total)
        if progress and total == 0:
            progress("indexing", 0, 0)
        self._index = index
        self._exact = None
        self.live = set(int(i) for i in ids)
        self.deleted = 0
        self.generation = generation
        self.dirty = True

    @property
    def loaded(self) -> bool:
        return self._index is not None

    # changes -------------------------------------------------------------------

    def add(self, ids: Sequence[int], vectors: "np.ndarray") -> None:
        """Add new labels, or replace the vectors of existing ones (an edit)."""
        import numpy as np

        if not len(ids):
            return
        index = self._index
        needed = index.get_current_count() + len(ids)
        if needed > index.get_max_elements():
            index.resize_index(max(needed, int(index.get_max_elements() * 1.5)))
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        labels = np.asarray(ids, dtype=np.int64)
        index.add_items(vectors, labels)
        self.live.update(int(i) for i in ids)
        if self._exact is not None:  # kept in step: rebuilding it from hnswlib costs 60 us a vector
            kept = ~np.isin(self._exact[0], labels)
            unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            self._exact = (np.concatenate([self._exact[0][kept], labels]),
                           np.concatenate([self._exact[1][kept], unit]))
        self.dirty = True

    def remove(self, ids: Sequence[int]) -> None:
        """Take labels out of search at once. The stored vector is first overwritten
        with a random one, so a deleted memory's embedding is not left in the file."""
        import numpy as np

        present = [int(i) for i in ids if int(i) in self.live]
        if not present:
            return
        rng = np.random.default_rng()
        noise = rng.standard_normal((len(present), self.dim)).astype(np.float32)
        self._index.add_items(noise, np.asarray(present, dtype=np.int64))
        for label in present:
            self._index.mark_deleted(label)
            self.live.discard(label)
        self.deleted += len(present)
        if self._exact is not None:
            kept = ~np.isin(self._exact[0], np.asarray(present, dtype=np.int64))
            self._exact = (self._exact[0][kept], self._exact[1][kept])
        self.dirty = True

    def needs_compaction(self, ratio: float, removing: int = 0) -> bool:
        """Whether deleted entries (with ``removing`` more) reach ``ratio`` of the
        index, so that rebuilding it beats keeping them."""
        deleted = self.deleted + removing
        total = len(self.live) + self.deleted
        return deleted >= 64 and total > 0 and deleted / total >= ratio

    # queries ---------------------------------------------------------------------

    def search(self, vector: "np.ndarray", k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest live labels with cosine similarity, best first."""
        import numpy as np

        k = min(k, len(self.live))
        if k <= 0:
            return []
        if len(self.live) < EXACT_BELOW:
            return self._search_exact(np.asarray(vector, dtype=np.float32).reshape(-1), k)
        index = self._index
        index.set_ef(max(EF_SEARCH, k))
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        while True:
            try:
                labels, distances = index.knn_query(query, k=k)
                break
            except RuntimeError:
                # Few live items among many deleted ones: ask for fewer.
                if k <= 1:
                    return []
                k = max(1, k // 2)
        return [(int(label), 1.0 - float(dist)) for label, dist in zip(labels[0], distances[0])]

    def _search_exact(self, query: "np.ndarray", k: int) -> list[tuple[int, float]]:
        import numpy as np

        if self._exact is None:
            ids = np.asarray(sorted(self.live), dtype=np.int64)
            vectors = np.asarray(self._index.get_items(ids), dtype=np.float32).reshape(len(ids), self.dim)
            self._exact = (ids, vectors)
        ids, vectors = self._exact
        return exact_top(ids, vectors, query, k)


    # persistence -------------------------------------------------------------------

    def temporary_files(self) -> list[Path]:
        """Files this index's writers leave while saving (``.<key>.hnsw.<pid>.tmp``)."""
        return sorted(self.folder.glob(f".{self.key}.*.tmp")) if self.folder.is_dir() else []

    def clean_temporary_files(self) -> None:
        """Shred what killed processes left half-written (their vectors included)."""
        for path in self.temporary_files():
            pid = tmp_owner(path)
            if pid != os.getpid() and not _alive(pid):
                shred(path)

    def save(self) -> None:
        """Write the index (temporary file, then rename) and its manifest, 0600."""
        if self._index is None:
            return
        private_dir(self.folder)
        self.clean_temporary_files()
        tmp = private_tmp_path(self.path)
        try:
            self._index.save_index(str(tmp))
            tmp.chmod(0o600)
            tmp.replace(self.path)
        finally:
            tmp.unlink(missing_ok=True)
        manifest = {
            "format": MANIFEST_FORMAT,
            "user": self.key,
            "store": self.store_id,
            "ids": ids_digest(self.live),
            "embedder": self.embedder_id,
            "dim": self.dim,
            "count": len(self.live),
            "deleted": self.deleted,
            "capacity": int(self._index.get_max_elements()),
            "generation": self.generation,
            "size": self.path.stat().st_size,
            "digest": _file_digest(self.path),
            "live": sorted(self.live),
        }
        write_private(self.manifest_path, json.dumps(manifest).encode("utf-8"))
        self.dirty = False

    def destroy(self) -> None:
        """Overwrite and delete this user's index files, half-written ones included."""
        self._index = None
        self._exact = None
        self.live = set()
        for path in [self.path, self.manifest_path, *self.temporary_files()]:
            shred(path)


def exact_top(ids: "np.ndarray", vectors: "np.ndarray", query: "np.ndarray", k: int) -> list[tuple[int, float]]:
    """The ``k`` rows of ``vectors`` (unit length) most similar to ``query``, as
    (id, cosine), best first; ties by id, so runs repeat."""
    import numpy as np

    k = min(k, len(ids))
    if k <= 0:
        return []
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    scores = vectors @ (query / max(float(np.linalg.norm(query)), 1e-12))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
    top = top[np.lexsort((ids[top], -scores[top]))]
    return [(int(ids[i]), float(scores[i])) for i in top]
