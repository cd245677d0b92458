"""Erasure: forgetting a memory, a session, everything before a date, or a user.

Forgetting leaves no trace of the words: the row goes, its history keeps a
tombstone without text, its vector is overwritten in the index file (saved at
once), the keyword index is merged so the tokens leave old segments, the WAL
is truncated, and SQLite's ``secure_delete`` zeroes freed pages. A sentence
kept after a forgotten one, whose context held the forgotten words, loses
that context and is re-embedded from its own text; where the sentences of a
conversation were embedded in shared windows (:mod:`memcli.models.windows`),
those that could have shared one with it are re-embedded each on its own.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

from memcli.engine.core import Core
from memcli.base.errors import NotFound
from memcli.base.files import shred
from memcli.base.records import MemoryItem
from memcli.base.text import iso, parse_when, said_in
from memcli.base.vocab import Kind


class Eraser:
    """The forgetting half of :class:`memcli.Memory`."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def delete_many(self, ids: Sequence[Any], *, actor: str, reason: str | None = None,
                    user_id: str | None = None) -> int:
        """See :meth:`memcli.Memory.delete_many`."""
        by_user: dict[str, list[MemoryItem]] = {}
        for memory_id in ids:
            item = self.core.owned(memory_id, user_id)  # all are checked before any is deleted
            by_user.setdefault(item.user_id, []).append(item)
        for user, items in by_user.items():
            calls = {stamp: self.core.store.lists.stored_at(user, stamp) for stamp in {i.created_at for i in items}}
            rewritten = self._contexts_holding(calls, items)
            recomputed = {r.id for r in rewritten}
            neighbours = [i for i in self._windows_holding(calls, items) if i.id not in recomputed]
            vectors: Any = self.core.embedding.embed([i.memory for i in rewritten]) if rewritten else []
            # each alone: embedded in windows again they would share one with nothing forgotten
            alone: Any = self.core.embedding.embed_pieces(neighbours) if neighbours else []
            with self.core.write() as w:
                for item in items:
                    w.delete(item.id, actor=actor, reason=reason)
                for kept, vector in zip(rewritten, vectors):
                    w.set_vector(kept, vector, drop_context=True)
                for kept, vector in zip(neighbours, alone):
                    w.set_vector(kept, vector)
        if by_user:
            self.core.store.scrub()
        return sum(len(v) for v in by_user.values())

    def _contexts_holding(self, calls: dict[str, list[MemoryItem]], items: Sequence[MemoryItem]) -> list[MemoryItem]:
        """The memories whose stored context holds words of the ``items`` being
        deleted, leaving those out. Context never crosses one add call (``calls``:
        the memories of each add call the items came from, by their shared
        created_at)."""
        gone: dict[str, list[str]] = {}
        for item in items:
            gone.setdefault(item.created_at, []).append(item.memory)
        leaving = {item.id for item in items}
        found: dict[int, MemoryItem] = {}
        for stamp, texts in gone.items():
            for other in calls[stamp]:
                if other.id not in leaving and other.context and any(said_in(t, other.context) for t in texts):
                    found[other.id] = other
        return list(found.values())

    def _windows_holding(self, calls: dict[str, list[MemoryItem]], items: Sequence[MemoryItem]) -> list[MemoryItem]:
        """The memories that may have shared an embedding window with the
        ``items`` being deleted, leaving those out: stored in the same add call
        within a window's length of one of them (counted in words, of which a
        window holds at most as many as tokens). None when the embedder does not
        embed in windows."""
        if getattr(self.core.embedding.embedder, "embed_conversation", None) is None:
            return []
        from memcli.models.windows import WINDOW

        leaving = {item.id for item in items}
        found: dict[int, MemoryItem] = {}
        for call in calls.values():
            for n, item in enumerate(call):
                if item.id not in leaving:
                    continue
                for step in (-1, 1):  # what came before it in the window, then after
                    k, words = n + step, 0
                    while 0 <= k < len(call) and words < WINDOW:
                        if call[k].id not in leaving:
                            found[call[k].id] = call[k]
                        words += len(call[k].memory.split())
                        k += step
        return list(found.values())

    def delete_all(self, user: str) -> int:
        """See :meth:`memcli.Memory.delete_all`."""
        with self.core.write() as w:
            count = w.erase_user(user)
        self.core.drop_index(user)
        shred(self.core.config.user_history_file(user))
        self.core.store.scrub()
        return count

    def forget_session(self, session_id: str, user: str, actor: str) -> dict[str, int]:
        """See :meth:`memcli.Memory.forget_session`."""
        session = self.core.store.sessions.get(session_id)
        if session is None or session.user_id != user:
            raise NotFound(f"no session {session_id!r} for user {user!r}")
        ids = self.core.store.lists.ids_in_session(user, session_id)
        removed = self.delete_many(ids, actor=actor, reason=f"session {session_id} forgotten")
        with self.core.write() as w:
            messages = w.erase_session(session_id, user)
        self.core.store.checkpoint()
        return {"memories": removed, "messages": messages}

    def forget_before(self, before: str | datetime, user: str, actor: str) -> dict[str, int]:
        """See :meth:`memcli.Memory.forget_before`."""
        cutoff = iso(before if before.tzinfo else before.replace(tzinfo=timezone.utc)) \
            if isinstance(before, datetime) else iso(parse_when(before, what="before date"))
        ids = self.core.store.lists.ids_before(user, cutoff)
        removed = self.delete_many(ids, actor=actor, reason=f"forgotten: everything before {cutoff[:10]}")
        with self.core.write() as w:
            messages = w.erase_messages_before(user, cutoff)
        self.core.store.checkpoint()
        return {"memories": removed, "messages": messages}

    def forget_session_summaries(self, session_id: str, user: str, actor: str, reason: str) -> None:
        """Delete a session's summary episodes (before it gets a new one)."""
        ids = self.core.store.lists.ids_in_session(user, session_id, kind=Kind.EPISODE, attribute="session")
        if ids:
            self.delete_many(ids, actor=actor, reason=reason)

    def reset(self) -> None:
        """See :meth:`memcli.Memory.reset`."""
        with self.core.write() as w:
            w.erase_everything()
        self.core.drop_all_indexes()
        history = self.core.config.history_dir
        if history.exists():
            for path in history.iterdir():
                shred(path)
        self.core.store.vacuum()
