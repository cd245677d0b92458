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

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from memcli.base.config import Config
from memcli.base.errors import InvalidInput, NotFound
from memcli.base.records import MemoryItem
from memcli.base.text import clean_text, content_hash
from memcli.base.vocab import Event
from memcli.engine.cold import ColdTier
from memcli.engine.embedding import Embedding
from memcli.engine.indexes import Indexes
from memcli.engine.screening import Screening
from memcli.models.embedder import Embedder
from memcli.storage import Clock, Store, utc_now
from memcli.storage.index import Progress, UserIndex

if TYPE_CHECKING:
    from datetime import datetime

# SQLite integers are signed 64-bit: a larger id can name no row.
MAX_ID = 2**63 - 1


class Core:
    """Shared state of one open store (see the module docstring). Its collaborators
    each have one job: ``embedding`` (texts into vectors), ``indexes`` (each user's
    HNSW cache), ``cold`` (the cold tier's vectors and counts) and ``privacy``
    (the policy on what is stored and logged)."""

    def __init__(self, config: Config, *, embedder: Embedder | None = None, progress: Progress | None = None,
                 llm: Any = None, clock: Clock | None = None) -> None:
        self.config = config
        self.path = config.db_path
        self.index_dir = self.path.with_name(self.path.name + ".index")
        self.progress = progress
        self.llm = llm  # the chat model, when one is loaded (extraction and summaries may use it)
        # calibration verdicts of the loaded chat model, by id (memcli.services.calibration)
        self.verdicts: dict[int, Any] = {}
        self._write: Write | None = None
        self.store = Store(self.path, clock or utc_now)
        self.embedding = Embedding(config, embedder)
        self.indexes = Indexes(self.store, self.index_dir, self.embedding, progress)
        self.cold = ColdTier(self.store, self.embedding)
        self.privacy = Screening(config)

    def close(self) -> None:
        """Save changed indexes and close the database."""
        try:
            self.indexes.save_changed()
        finally:
            self.embedding.close()
            self.store.close()

    def now(self) -> "datetime":
        return self.store.clock()

    def now_iso(self) -> str:
        return self.store.now()

    # checked arguments ---------------------------------------------------------------

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

    @property
    def instruction_tuned(self) -> bool:
        return self.llm is not None and bool(getattr(self.llm, "has_chat_template", False))

    # indexes ---------------------------------------------------------------------------

    def index(self, user_id: str) -> UserIndex:
        """The user's index, loaded and consistent with the database (inside a write
        that changed the user: as it was before the write, until the commit)."""
        if self._write is not None and user_id in self._write.users:
            return self._write.users[user_id]
        return self.indexes.get(user_id)

    def nearest_both_tiers(self, user_id: str, vector: Any, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest memories of the user in either tier, (id, cosine), best first."""
        from memcli.storage.index import exact_top

        hot = self.index(user_id).search(vector, k)
        ids, vectors = self.cold.vectors(user_id)
        return sorted(hot + exact_top(ids, vectors, vector, k), key=lambda h: -h[1])[:k]

    def reindex(self, user_id: str | None = None) -> dict[str, Any]:
        """Rebuild the index of one user (or of every user) from stored vectors."""
        users = [self.user(user_id)] if user_id is not None else self.store.lists.users()
        return self.indexes.reindex(users)

    def drop_index(self, user_id: str) -> None:
        """Shred a user's index files and what is kept of their cold tier."""
        self.cold.forget(user_id)
        self.indexes.drop(user_id)

    def drop_all_indexes(self) -> None:
        self.cold.forget()
        self.indexes.drop_all()

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
        item.embedder = self.core.embedding.embedder.id
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
                                              self.core.embedding.embedder.id, actor, reason=reason, fields=fields)
        self._vector(user, memory_id, vector)
        return old

    def set_vector(self, item: MemoryItem, vector: Any, *, drop_context: bool = False) -> None:
        """A new vector for a memory whose text stays (its context dropped, say)."""
        self._user(item.user_id)
        self.store.memories.set_embedding(item.id, vector.tobytes(), self.core.embedding.embedder.id,
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
        for user, cold in self.store.vectors.cold_among(ids).items():
            self.warm(user, cold)

    def warm(self, user_id: str, ids: Sequence[int]) -> list[int]:
        """Bring the user's cold memories among ``ids`` back to the hot tier (into
        the HNSW index and the default keyword ranking); returns those moved."""
        import numpy as np

        if not ids:
            return []
        self._user(user_id)
        moved = self.store.memories.set_cold(ids, user_id, False)
        for memory_id, blob in self.store.vectors.embeddings(moved, user_id):
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
            metadata: dict[str, Any] | None = None, created_at: str | None = None,
            import_key: str | None = None) -> int:
        """Write one message to a session's log; returns its id."""
        return self.store.sessions.add_message(session_id, user_id, role, content, metadata, created_at,
                                               import_key)

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
                self.core.indexes.rebuild(index)
                continue
            if added:
                index.add(list(added), np.stack(list(added.values())))
            if self._removed[user]:
                index.remove(self._removed[user])
            index.generation = generations[user]
            if index.needs_compaction(self.core.config.compact_ratio):
                self.core.indexes.rebuild(index)
            elif self._removed[user]:
                index.save()  # a deleted memory's vector must not wait in the file
