"""The core every part of memcli's memory holds: settings, the store, each user's
index, the embedder, the privacy policy, and the one write path.

The parts (search, learning, forgetting, consolidation, transfer, erasure ...)
are separate objects that each hold this core; :class:`memcli.Memory` is the
facade that builds them and delegates to them.

The write path: every change to memories runs inside ``with core.write() as w``.
The block is one SQLite transaction (nested blocks are savepoints of it). The
first time a block touches a user, that user's index is made consistent with
the database (loaded, or rebuilt if another process changed the user since);
inside the transaction no other process can commit, so the index then stays in
step with what the block does. Vector changes are collected and applied to the
in-memory index only after the commit, with the generation the transaction
wrote, so a rollback leaves the index as it was, and a crash before the index
file is saved leaves a file whose generation is behind the database: it is
rebuilt from the stored vectors on next use. Indexes that lost vectors are
saved at once (a deleted memory's vector must not linger in the file);
others when the Memory is closed.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from memcli.base.config import Config
from memcli.base.errors import InvalidInput, NotFound
from memcli.base.files import shred
from memcli.storage.index import Progress, UserIndex, ids_digest
from memcli.models.embedder import Embedder, make_embedder
from memcli.base.records import MemoryItem
from memcli.storage import Clock, Store, utc_now
from memcli.base.text import clean_text, content_hash, embedding_input
from memcli.base.vocab import Event, Policy

if TYPE_CHECKING:
    from datetime import datetime

    import numpy as np

    from memcli.base.privacy import Screened

# SQLite integers are signed 64-bit: a larger id can name no row.
MAX_ID = 2**63 - 1


class Core:
    """Shared state of one open store (see the module docstring)."""

    def __init__(self, config: Config, *, embedder: Embedder | None = None, progress: Progress | None = None,
                 llm: Any = None, clock: Clock | None = None) -> None:
        self.config = config
        self.path = config.db_path
        self.index_dir = self.path.with_name(self.path.name + ".index")
        self.progress = progress
        self.llm = llm  # the chat model, when one is loaded (extraction and summaries may use it)
        self._embedder = embedder
        self._indexes: dict[str, UserIndex] = {}
        self._write: Write | None = None
        # calibration verdicts of the loaded chat model, by id (memcli.services.calibration)
        self.verdicts: dict[int, Any] = {}
        self._cold: dict[str, tuple[int, Any, Any]] = {}
        self._cold_counts: dict[str, tuple[int, int]] = {}
        self._embedding: ThreadPoolExecutor | None = None
        self._embedding_pid = 0
        self.store = Store(self.path, clock or utc_now)

    def close(self) -> None:
        """Save changed indexes and close the database."""
        try:
            for index in self._indexes.values():
                if index.dirty:
                    index.save()
        finally:
            if self._embedding is not None:
                self._embedding.shutdown(wait=True)
            self.store.close()

    # shared services -----------------------------------------------------------------

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
            if self._embedding is None or self._embedding_pid != os.getpid():
                self._embedding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memcli-embed")
                self._embedding_pid = os.getpid()
            return self._embedding.submit(self.embed, texts)
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
        ``embed_conversation`` where it has one: shared windows, 1.5x as fast
        (:mod:`memcli.models.windows`)."""
        windows = getattr(self.embedder, "embed_conversation", None) if conversation else None
        if windows is not None:
            return windows([(i.context, i.memory) for i in items])
        return self.embed([embedding_input(i.memory, i.context) for i in items])

    def now(self) -> "datetime":
        return self.store.clock()

    def now_iso(self) -> str:
        return self.store.now()

    def user(self, user_id: str | None) -> str:
        """A checked user id (default: the configured user)."""
        return clean_text(self.config.user if user_id is None else user_id, "user id")

    @staticmethod
    def memory_id(value: Any) -> int:
        """A checked memory id: a whole number SQLite can hold."""
        if isinstance(value, bool):
            raise InvalidInput(f"memory id must be a number, not {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            raise InvalidInput(f"memory id must be a number, not {value!r}") from None
        if number <= 0 or number > MAX_ID:
            raise NotFound(f"no memory with id {value}")
        return number

    def owned(self, memory_id: Any, user_id: str | None = None) -> MemoryItem:
        """The memory with this id; with ``user_id``, only if it is that user's
        (another user's memory is NotFound, with the same words as a missing one)."""
        item = self.store.memories.get(self.memory_id(memory_id))
        if user_id is not None and item.user_id != self.user(user_id):
            raise NotFound(f"no memory with id {memory_id}")
        return item

    @staticmethod
    def check_limit(limit: int | None) -> None:
        """A result limit: a whole number from 0 to what SQLite can count."""
        if limit is None:
            return
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InvalidInput(f"limit must be a whole number, not {limit!r}")
        if limit < 0 or limit > MAX_ID:
            raise InvalidInput(f"limit must be from 0 to {MAX_ID}, not {limit}")

    def require_long_term(self) -> None:
        """Refuse a long-term write when the config keeps none (the chat strategy)."""
        if not self.config.long_term:
            raise InvalidInput(f"long-term memory is off (strategy {self.config.strategy!r}, long_term = false): "
                               "nothing was stored")

    def screen(self, text: str) -> "Screened":
        """The privacy policy's decision on text about to be stored as a memory:
        store, redact (the text comes back masked), ask, or never."""
        from memcli.base.privacy import screen

        return screen(text, self.config.privacy.as_dict())

    def storable(self, text: str) -> str | None:
        """``text`` as it may be stored without asking (masked where the policy
        says), or None when the policy refuses it or wants the person's yes."""
        screened = self.screen(text)
        return screened.text if screened.action in (Policy.STORE, Policy.REDACT) else None

    def log_text(self, text: str) -> str:
        """What the message log keeps of a line: values of classes whose policy is
        ``never`` or ``redact`` are masked there too."""
        from memcli.base.privacy import mask_for_log

        return mask_for_log(text, self.config.privacy.as_dict())

    # the chat model ------------------------------------------------------------------

    @property
    def instruction_tuned(self) -> bool:
        return self.llm is not None and bool(getattr(self.llm, "has_chat_template", False))

    # indexes ---------------------------------------------------------------------------

    def index(self, user_id: str) -> UserIndex:
        """The user's index, loaded and consistent with the database (inside a write
        that changed the user: as it was before the write, until the commit)."""
        if self._write is not None and user_id in self._write.users:
            return self._write.users[user_id]
        generation = self.store.generation(user_id)
        index = self._indexes.get(user_id)
        if index is not None and index.loaded and index.generation == generation:
            return index
        if index is not None and index.loaded and 0 <= index.generation < generation and self._catch_up(index):
            return index
        if index is None:
            index = self._new_index(user_id)
            self._indexes[user_id] = index
            if index.try_load(generation, ids_digest(self.store.memories.ids(user_id))) is None:
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
        vectors = dict(self.store.memories.embeddings(wanted, index.user_id))
        if len(vectors) != len(wanted):
            return False  # deleted since, or another user's: the log and the rows disagree
        if wanted:
            index.add(wanted, np.stack([np.frombuffer(vectors[i], dtype=np.float32) for i in wanted]))
        index.remove([i for i, c in final.items() if c == "remove"])
        index.generation = max(g for g, _, _ in changes) if changes else index.generation
        return True

    def _new_index(self, user_id: str) -> UserIndex:
        return UserIndex(self.index_dir, user_id, self.embedder.dim, self.embedder.id, self.store.identity())

    def rebuild(self, index: UserIndex) -> None:
        """Rebuild a user's index from the BLOBs in SQLite, re-embedding only rows
        whose vectors came from another embedder."""
        import numpy as np

        every = self.store.memories.vectors(index.user_id, cold=None)  # cold vectors must match the embedder too
        foreign = [r[0] for r in every if r[1] is None or r[2] != self.embedder.id]
        if foreign:
            self._reembed(foreign)
        rows = self.store.memories.vectors(index.user_id)
        ids = [r[0] for r in rows]
        vectors = (np.frombuffer(b"".join(r[1] or b"" for r in rows), dtype=np.float32).reshape(len(rows), index.dim)
                   if rows else np.zeros((0, index.dim), dtype=np.float32))
        index.build(ids, vectors, self.store.generation(index.user_id), self.progress)
        index.save()

    def nearest_both_tiers(self, user_id: str, vector: Any, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest memories of the user in either tier, (id, cosine), best first."""
        from memcli.storage.index import exact_top

        hot = self.index(user_id).search(vector, k)
        ids, vectors = self.cold_vectors(user_id)
        return sorted(hot + exact_top(ids, vectors, vector, k), key=lambda h: -h[1])[:k]

    def cold_count(self, user_id: str) -> int:
        """How many memories the user has in the cold tier (kept while the tier is unchanged)."""
        generation = self.store.cold_generation(user_id)
        cached = self._cold_counts.get(user_id)
        if cached is None or cached[0] != generation:
            cached = (generation, self.store.memories.count(user_id, cold=True))
            self._cold_counts[user_id] = cached
        return cached[1]

    def cold_vectors(self, user_id: str) -> tuple["np.ndarray", "np.ndarray"]:
        """(ids, unit vectors) of the user's cold memories, read from the database
        and kept while the user's cold tier is unchanged (its cold generation)."""
        import numpy as np

        generation = self.store.cold_generation(user_id)
        cached = self._cold.get(user_id)
        if cached is not None and cached[0] == generation:
            return cached[1], cached[2]
        rows = [(i, blob) for i, blob, embedder in self.store.memories.vectors(user_id, cold=True)
                if blob is not None and embedder == self.embedder.id]  # others wait for the next rebuild
        ids = np.asarray([i for i, _ in rows], dtype=np.int64)
        vectors = (np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(len(rows), -1)
                   if rows else np.zeros((0, self.embedder.dim), dtype=np.float32))
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self._cold = {user_id: (generation, ids, vectors)}  # one user's at a time: they can be large
        return ids, vectors

    def _reembed(self, ids: Sequence[int]) -> None:
        batch = 256
        for start in range(0, len(ids), batch):
            items = [self.store.memories.get(i) for i in ids[start:start + batch]]
            vectors = self.embed([embedding_input(i.memory, i.context) for i in items])
            with self.store.transaction():
                for item, vec in zip(items, vectors):
                    # the generation is not bumped: the index is being rebuilt from these
                    self.store.memories.set_embedding(item.id, vec.tobytes(), self.embedder.id)
            if self.progress:
                self.progress("re-embedding", min(start + batch, len(ids)), len(ids))

    def reindex(self, user_id: str | None = None) -> dict[str, Any]:
        """Rebuild the index of one user (or of every user) from stored vectors."""
        users = [self.user(user_id)] if user_id is not None else self.store.memories.users()
        report: dict[str, Any] = {"users": {}, "seconds": 0.0}
        started = time.perf_counter()
        for user in users:
            index = self._indexes.get(user) or self._new_index(user)
            self._indexes[user] = index
            self.rebuild(index)
            report["users"][user] = len(index.live)
        report["seconds"] = round(time.perf_counter() - started, 3)
        return report

    def drop_index(self, user_id: str) -> None:
        """Shred a user's index files (their memories are gone)."""
        self._cold.pop(user_id, None)
        index = self._indexes.pop(user_id, None) or UserIndex(self.index_dir, user_id, 0, "")
        index.destroy()

    def drop_all_indexes(self) -> None:
        self._cold.clear()
        for index in self._indexes.values():
            index.destroy()
        self._indexes.clear()
        if self.index_dir.exists():
            for path in self.index_dir.iterdir():
                shred(path)

    def index_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.index_dir.glob("*")) if self.index_dir.exists() else 0

    # the write path ----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator["Write"]:
        """One transaction of changes, applied to the indexes when it commits (see
        the module docstring). Nested blocks join the outermost one."""
        if self._write is not None:
            with self.store.transaction():
                yield self._write
            return
        write = Write(self)
        self._write = write
        try:
            with self.store.transaction():
                yield write
                generations = {user: self.store.generation(user) for user in write.users}
        finally:
            self._write = None
        write.apply(generations)


class Write:
    """The changes of one :meth:`Core.write` block. Every method writes to the
    database at once; vector changes reach the indexes on commit."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store
        self.users: dict[str, UserIndex] = {}
        self._added: dict[str, dict[int, Any]] = {}
        self._removed: dict[str, list[int]] = {}

    def _user(self, user_id: str) -> None:
        # Before the first change of a user: their index must reflect the database
        # as it is, so the changes below can be applied to it as a delta.
        if user_id not in self.users:
            self.users[user_id] = self.core.index(user_id)
            self._added[user_id] = {}
            self._removed[user_id] = []

    def _vector(self, user_id: str, memory_id: int, vector: Any) -> None:
        self._added[user_id][memory_id] = vector

    # memories ------------------------------------------------------------------------

    def insert(self, item: MemoryItem, vector: Any, *, actor: str, reason: str | None = None,
               event: Event = Event.ADD) -> int:
        """Store a new memory (``item.id`` is set); its hash and embedder are
        filled in here, so they always match its text and vector."""
        self._user(item.user_id)
        item.hash = content_hash(item.memory)
        item.embedder = self.core.embedder.id
        item.cold = False  # new (and imported) memories start hot
        memory_id = self.store.memories.insert(item, vector.tobytes(), actor=actor, reason=reason, event=event)
        self._vector(item.user_id, memory_id, vector)
        return memory_id

    def update_text(self, memory_id: int, text: str, vector: Any, *, actor: str, reason: str | None = None,
                    fields: dict[str, Any] | None = None) -> MemoryItem:
        """Replace a memory's text and vector; returns the memory as it was."""
        user = self.store.memories.get(memory_id).user_id
        self._user(user)
        old = self.store.memories.update_text(memory_id, text, content_hash(text), vector.tobytes(),
                                              self.core.embedder.id, actor, reason=reason, fields=fields)
        self._vector(user, memory_id, vector)
        return old

    def set_vector(self, item: MemoryItem, vector: Any, *, drop_context: bool = False) -> None:
        """A new vector for a memory whose text stays (its context dropped, say)."""
        self._user(item.user_id)
        self.store.memories.set_embedding(item.id, vector.tobytes(), self.core.embedder.id,
                                          drop_context=drop_context)
        self.store.memories.set_cold([item.id], item.user_id, False)  # a changed vector is searched hot
        self.store.bump_generation(item.user_id, item.id, "set")
        self._vector(item.user_id, item.id, vector)

    def delete(self, memory_id: int, *, actor: str, reason: str | None = None) -> MemoryItem:
        """Delete a memory (its history keeps a tombstone); returns what was deleted."""
        user = self.store.memories.get(memory_id).user_id
        self._user(user)
        old = self.store.memories.delete(memory_id, actor, reason)
        self._added[user].pop(memory_id, None)
        self._removed[user].append(memory_id)
        return old

    def end_validity(self, memory_id: int, when: str, *, actor: str, event: Event, reason: str) -> None:
        """A fact stops being true at ``when`` (it stays, for as-of questions)."""
        self._user(self.store.memories.get(memory_id).user_id)
        self.store.memories.end_validity(memory_id, when, actor, event, reason)

    def reinforce(self, memory_id: int, source: dict[str, Any], *, actor: str, reason: str) -> None:
        """The memory was said again (a use: a cold one comes back)."""
        self.store.memories.reinforce(memory_id, source, actor, reason)
        self._warm_any([memory_id])

    def pin(self, memory_id: int, pinned: bool, *, actor: str) -> None:
        """Pinned memories never fade, so a cold one comes back to the hot tier."""
        self.store.memories.set_pinned(memory_id, pinned, actor)
        if pinned:
            self._warm_any([memory_id])

    def touch(self, ids: Sequence[int]) -> None:
        """These memories reached a prompt: an access each, and cold ones come back."""
        self.store.memories.touch(ids, self.store.now())
        self._warm_any(ids)

    def _warm_any(self, ids: Sequence[int]) -> None:
        for user, cold in self.store.memories.cold_among(ids).items():
            self.warm(user, cold)

    def warm(self, user_id: str, ids: Sequence[int]) -> list[int]:
        """Bring the user's cold memories among ``ids`` back to the hot tier (into
        the HNSW index and the default keyword ranking); returns those moved."""
        import numpy as np

        if not ids:
            return []
        self._user(user_id)
        moved = self.store.memories.set_cold(ids, user_id, False)
        for memory_id, blob in self.store.memories.embeddings(moved, user_id):
            self._vector(user_id, memory_id, np.frombuffer(blob, dtype=np.float32))
        return moved

    def cool(self, user_id: str, ids: Sequence[int]) -> list[int]:
        """Move the user's hot memories among ``ids`` to the cold tier: out of the
        HNSW index (their vectors stay in the database) and out of the default
        keyword ranking. Returns those moved."""
        if not ids:
            return []
        self._user(user_id)
        moved = self.store.memories.set_cold(ids, user_id, True)
        for memory_id in moved:
            self._added[user_id].pop(memory_id, None)
        self._removed[user_id] += moved
        return moved

    def note(self, memory_id: int, user_id: str, event: Event, reason: str, *, actor: str) -> None:
        """A history entry that changes nothing (e.g. a conflict the person rejected)."""
        self.store.history.add(memory_id, user_id, event, None, None, actor, reason)

    def import_history(self, memory_id: int, user_id: str, event: str, old_text: str | None,
                       new_text: str | None, actor: str, reason: str | None, created_at: str | None) -> None:
        self.store.history.add(memory_id, user_id, event, old_text, new_text, actor, reason, created_at)

    # sessions and messages (no vectors) ------------------------------------------------

    def open_session(self, session_id: str, user_id: str, started_at: str | None = None,
                     ended_at: str | None = None, title: str | None = None) -> None:
        self.store.sessions.create(session_id, user_id, started_at, ended_at, title)

    def end_session(self, session_id: str) -> None:
        self.store.sessions.end(session_id)

    def log(self, session_id: str, user_id: str, role: str, content: str,
            metadata: dict[str, Any] | None = None, created_at: str | None = None) -> int:
        """Write one message to a session's log; returns its id."""
        return self.store.sessions.add_message(session_id, user_id, role, content, metadata, created_at)

    def erase_session(self, session_id: str, user_id: str) -> int:
        return self.store.sessions.delete(session_id, user_id)

    def erase_messages_before(self, user_id: str, cutoff: str) -> int:
        return self.store.sessions.delete_before(user_id, cutoff)

    def erase_user(self, user_id: str) -> int:
        """Every row naming the user, in every table; returns how many memories went.
        The caller shreds their index files."""
        self.users.pop(user_id, None)
        return self.store.delete_user(user_id)

    def erase_everything(self) -> None:
        self.users.clear()
        self.store.delete_everything()

    # on commit -----------------------------------------------------------------------------

    def apply(self, generations: dict[str, int]) -> None:
        """Bring each touched user's index to the state just committed."""
        import numpy as np

        for user, index in self.users.items():
            added = self._added[user]
            removed = self._removed[user]
            if removed and index.needs_compaction(self.core.config.compact_ratio, len(removed)):
                # A bulk removal (a prune, a move to the cold tier): rebuilding from the
                # committed rows costs less than overwriting each vector in the graph.
                self.core.rebuild(index)
                continue
            if added:
                index.add(list(added), np.stack(list(added.values())))
            if self._removed[user]:
                index.remove(self._removed[user])
            index.generation = generations[user]
            if index.needs_compaction(self.core.config.compact_ratio):
                self.core.rebuild(index)
            elif self._removed[user]:
                index.save()  # a deleted memory's vector must not wait in the file
