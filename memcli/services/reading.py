"""Reading what is stored: one memory, lists, history, provenance, counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from memcli.engine.core import Core
from memcli.base.errors import NotFound
from memcli.base.filters import as_of_moment, meta_match, since_moment, split_filters, valid_at
from memcli.base.records import HistoryEvent, MemoryItem


# What a profile holds, in the order it is shown: who the person is, where they
# live, what they do, who and what they live with, and what they must not eat.
PROFILE = ("name", "age", "birthday", "location", "hometown", "job", "employer", "study", "school", "relationship",
           "family", "pet", "diet", "allergy", "avoids", "health", "language")


class Reader:
    """The read-only half of :class:`memcli.Memory`."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def get(self, memory_id: Any, user_id: str | None = None) -> MemoryItem:
        return self.core.owned(memory_id, user_id)

    def get_all(self, user: str, limit: int | None, filters: Mapping[str, Any] | None, *,
                since: str | datetime | None, as_of: str | datetime | None, include_past: bool,
                sensitive: bool) -> list[MemoryItem]:
        """See :meth:`memcli.Memory.get_all`."""
        columns, meta = split_filters(filters)
        self.core.check_limit(limit)
        moment = as_of_moment(as_of)
        post = bool(meta) or moment is not None or sensitive
        items = self.core.store.lists.select(
            user, since=since_moment(since), limit=None if post else limit, newest_first=True,
            current_only=not include_past and moment is None, **columns)
        if post:
            items = [i for i in items if meta_match(i.metadata, meta) and valid_at(i, moment, include_past)
                     and (not sensitive or i.sensitivity)]
            if limit is not None:
                items = items[:limit]
        return items

    def profile(self, user: str, limit: int) -> list[MemoryItem]:
        """See :meth:`memcli.Memory.profile`."""
        found: dict[str, MemoryItem] = {}
        for item in self.core.store.memories.current_facts_about(user, PROFILE):
            found.setdefault(item.attribute or "", item)  # the newest of each attribute
        order = {head: n for n, head in enumerate(PROFILE)}
        items = sorted(found.values(), key=lambda i: (order[(i.attribute or "").split(":")[0]], i.attribute or ""))
        return items[:limit]

    def history(self, memory_id: Any, user_id: str | None = None) -> list[HistoryEvent]:
        """Every change to a memory, oldest first (also after it was deleted)."""
        events = self.core.store.history.of(self.core.memory_id(memory_id))
        if not events or (user_id is not None and events[0].user_id != self.core.user(user_id)):
            raise NotFound(f"no memory with id {memory_id}")
        return events

    def why(self, memory_id: Any, user_id: str | None = None) -> dict[str, Any]:
        """Where a memory came from: the messages it was extracted from, and its history."""
        item = self.get(memory_id, user_id)
        messages = []
        for m in self.core.store.sessions.by_ids(item.message_ids, item.user_id):
            said: dict[str, Any] = {"id": m.id, "session_id": m.session_id, "role": m.role, "content": m.content,
                                    "said_at": m.created_at}
            if m.metadata.get("name"):
                said["speaker"] = m.metadata["name"]
            if isinstance(m.metadata.get("source"), dict):  # an imported chat: its file and conversation
                said["source"] = m.metadata["source"]
            messages.append(said)
        return {"memory": item.to_dict(), "messages": messages,
                "history": [e.to_dict() for e in self.history(item.id)]}

    def stats(self, user_id: str | None) -> dict[str, Any]:
        """Counts and sizes: memories per user and kind, sessions, messages, files."""
        counts = self.core.store.counts(user_id)
        cold = self.core.store.vectors.count(user_id, cold=True)
        return {
            "memories": sum(counts["users"].values()),
            "hot": sum(counts["users"].values()) - cold,
            "cold": cold,
            **counts,
            "database": str(self.core.path),
            "database_bytes": sum(self.core.store.file_sizes().values()),
            "index_dir": str(self.core.index_dir),
            "index_bytes": self.core.indexes.size_bytes(),
            "embedder": self.core.config.embedder,
            "schema": self.core.store.schema(),
        }
