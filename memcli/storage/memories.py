"""The ``memories`` table: every query on memories, returning typed :class:`MemoryItem`.

Each memory keeps its embedding as a float32 BLOB with the embedder's id, so
the HNSW sidecar can always be rebuilt from here without re-embedding. Every
change to a user's vectors bumps the user's index generation in the same
transaction, and every change is written to the history.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator, Protocol, Sequence

from memcli.base.errors import NotFound
from memcli.base.records import COLUMN_OF, MEMORY_COLUMNS, MemoryItem
from memcli.base.vocab import Event, Kind

if TYPE_CHECKING:
    import sqlite3

    from memcli.storage.history import History
    from memcli.storage.owner import Owner

    class _Owner(Owner, Protocol):
        history: History

_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
_INSERT_COLUMNS = [c for name, c in COLUMN_OF.items() if name != "id"]
_INSERT = (f"INSERT INTO memories ({', '.join(_INSERT_COLUMNS)}, embedding)"
           f" VALUES ({', '.join('?' * (len(_INSERT_COLUMNS) + 1))})")
# Columns a refinement may set besides the text (see :meth:`Memories.update_text`).
_REFINABLE = ("attribute", "value", "valid_from", "valid_to", "source")


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one ``IN (...)``."""
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


class Table:
    """A group of queries on the ``memories`` table of one :class:`Store`."""

    def __init__(self, store: "_Owner") -> None:
        self.store = store

    @property
    def conn(self) -> "sqlite3.Connection":
        return self.store.conn

    def _items(self, sql: str, args: Sequence[Any]) -> list[MemoryItem]:
        return [MemoryItem.from_row(r) for r in self.conn.execute(sql, list(args))]


class Memories(Table):
    """Writes to the ``memories`` table, and reads of one memory or one fact's kin
    (lists: :mod:`.listing`; vectors and tiers: :mod:`.vectors`)."""

    # writing ---------------------------------------------------------------------

    def insert(self, item: MemoryItem, embedding: bytes | None, *, actor: str, reason: str | None = None,
               event: Event = Event.ADD) -> int:
        """Insert one memory (``item.id`` is ignored) and its history event; bumps
        the owner's generation. Call inside :meth:`Store.transaction`."""
        if not item.created_at:
            item.created_at = self.store.now()
        if not item.updated_at:
            item.updated_at = item.created_at
        row = item.to_row()
        cur = self.conn.execute(_INSERT, [*(row[c] for c in _INSERT_COLUMNS), embedding])
        memory_id = int(cur.lastrowid)  # type: ignore[arg-type]
        item.id = memory_id
        self.store.history.add(memory_id, item.user_id, event, None, item.memory, actor, reason)
        self.store.bump_generation(item.user_id, memory_id, "set")
        return memory_id

    def update_text(self, memory_id: int, text: str, digest: str, embedding: bytes, embedder: str, actor: str,
                    *, reason: str | None = None, fields: dict[str, Any] | None = None) -> MemoryItem:
        """Replace a memory's text and vector (and, for a refined fact, the fields
        in ``fields``); the old text goes to its history. Returns the old memory."""
        old = self.get(memory_id)
        # a memory edited (or refined) is in use again: it comes back to the hot tier
        sql = "UPDATE memories SET text = ?, hash = ?, embedding = ?, embedder = ?, updated_at = ?, cold = 0"
        args: list[Any] = [text, digest, embedding, embedder, self.store.now()]
        for column, value in (fields or {}).items():
            if column not in _REFINABLE:
                raise ValueError(f"{column} is not a column a refinement sets")
            sql += f", {column} = ?"
            args.append(json.dumps(value, sort_keys=True) if column == "source" else value)
        self.conn.execute(sql + " WHERE id = ?", [*args, memory_id])
        self.store.history.add(memory_id, old.user_id, Event.UPDATE, old.memory, text, actor, reason)
        self.store.bump_generation(old.user_id, memory_id, "set")
        if old.cold:
            self.store.bump_cold_generation(old.user_id)
        return old

    def end_validity(self, memory_id: int, when: str, actor: str, event: Event, reason: str) -> None:
        """Mark a fact as no longer true from ``when`` (kept for as-of questions)."""
        row = self.get(memory_id)
        self.conn.execute("UPDATE memories SET valid_to = ?, updated_at = ? WHERE id = ?",
                          [when, self.store.now(), memory_id])
        self.store.history.add(memory_id, row.user_id, event, row.memory, None, actor, reason)
        self.store.bump_generation(row.user_id, memory_id, "none")

    def reinforce(self, memory_id: int, source: dict[str, Any], actor: str, reason: str) -> None:
        """The same fact was said again: count it and remember where."""
        row = self.get(memory_id)
        self.conn.execute("UPDATE memories SET reinforced = reinforced + 1, source = ? WHERE id = ?",
                          [json.dumps(source, ensure_ascii=False, sort_keys=True), memory_id])
        self.store.history.add(memory_id, row.user_id, Event.NONE, None, None, actor, reason)

    def touch(self, ids: Sequence[int], when: str) -> None:
        """These memories reached a prompt: count the access (slows their fading)."""
        for chunk in chunks(ids):
            self.conn.execute(
                f"UPDATE memories SET access_count = access_count + 1, last_accessed = ?"
                f" WHERE id IN ({','.join('?' * len(chunk))})", [when, *chunk])

    def set_pinned(self, memory_id: int, pinned: bool, actor: str) -> None:
        row = self.get(memory_id)
        self.conn.execute("UPDATE memories SET pinned = ? WHERE id = ?", [1 if pinned else 0, memory_id])
        self.store.history.add(memory_id, row.user_id, Event.PIN if pinned else Event.UNPIN, None, None, actor, None)

    def set_embedding(self, memory_id: int, embedding: bytes, embedder: str, *, drop_context: bool = False) -> None:
        """A memory's vector (recomputed by another embedder, or without its context)."""
        context = ", context = NULL" if drop_context else ""
        self.conn.execute(f"UPDATE memories SET embedding = ?, embedder = ?{context} WHERE id = ?",
                          [embedding, embedder, memory_id])

    def delete(self, memory_id: int, actor: str, reason: str | None = None) -> MemoryItem:
        """Delete one memory; its history keeps the events but loses the text, and a
        DELETE tombstone is added. Returns what was deleted."""
        old = self.get(memory_id)
        self.conn.execute("DELETE FROM memories WHERE id = ?", [memory_id])
        self.store.history.forget_text(memory_id)
        self.store.history.add(memory_id, old.user_id, Event.DELETE, None, None, actor, reason)
        self.store.bump_generation(old.user_id, memory_id, "remove")
        if old.cold:
            self.store.bump_cold_generation(old.user_id)
        return old

    def set_cold(self, ids: Sequence[int], user_id: str, cold: bool) -> list[int]:
        """Move the user's memories among ``ids`` to the cold tier (or back to the
        hot one); returns those that moved. One index generation for the batch:
        'remove' from the hot index, or 'set' into it."""
        moved: list[int] = []
        for chunk in chunks(ids):
            moved += [int(r[0]) for r in self.conn.execute(
                f"UPDATE memories SET cold = ? WHERE user_id = ? AND cold = ? AND id IN ({','.join('?' * len(chunk))})"
                " RETURNING id", [1 if cold else 0, user_id, 0 if cold else 1, *chunk])]
        if moved:
            self.store.bump_generation_many(user_id, moved, "remove" if cold else "set")
            self.store.bump_cold_generation(user_id)
        return moved

    # reading -----------------------------------------------------------------------

    def find(self, memory_id: int) -> MemoryItem | None:
        row = self.conn.execute(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id = ?", [memory_id]).fetchone()
        return MemoryItem.from_row(row) if row is not None else None

    def get(self, memory_id: int) -> MemoryItem:
        item = self.find(memory_id)
        if item is None:
            raise NotFound(f"no memory with id {memory_id}")
        return item

    def by_ids(self, ids: Sequence[int], user_id: str) -> dict[int, MemoryItem]:
        """Memories among ``ids`` that belong to ``user_id`` (others are silently
        dropped: this is the last guard of user isolation on the search path)."""
        out: dict[int, MemoryItem] = {}
        for chunk in chunks(ids):
            for item in self._items(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ?"
                                    f" AND id IN ({','.join('?' * len(chunk))})", [user_id, *chunk]):
                out[item.id] = item
        return out

    def by_hash(self, user_id: str, digest: str) -> MemoryItem | None:
        found = self._items(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND hash = ? LIMIT 1",
                            [user_id, digest])
        return found[0] if found else None

    def episode_on(self, user_id: str, digest: str, day: str) -> MemoryItem | None:
        """The user's episode with this text dated on ``day`` (YYYY-MM-DD), if any."""
        found = self._items(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND kind = ? AND hash = ?"
            " AND substr(COALESCE(valid_from, ''), 1, 10) = ? LIMIT 1", [user_id, Kind.EPISODE, digest, day])
        return found[0] if found else None

    def holds(self, user_id: str, digest: str, valid_from: str | None, valid_to: str | None) -> bool:
        """Whether the user has this text with exactly this validity interval."""
        return self.conn.execute(
            "SELECT 1 FROM memories WHERE user_id = ? AND hash = ? AND valid_from IS ? AND valid_to IS ?",
            [user_id, digest, valid_from, valid_to]).fetchone() is not None

    def current_facts(self, user_id: str, attribute: str, prefix: bool = False) -> list[MemoryItem]:
        """Facts of ``attribute`` (and, with ``prefix``, of its sub-attributes such as
        ``pet:cat:luna`` for ``pet:cat``) that are still true, newest first."""
        where = "(attribute = ? OR substr(attribute, 1, ?) = ?)" if prefix else "attribute = ?"
        args: list[Any] = [attribute, len(attribute) + 1, attribute + ":"] if prefix else [attribute]
        return self._items(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND {where} AND kind = ?"
            " AND valid_to IS NULL ORDER BY COALESCE(valid_from, created_at) DESC, id DESC",
            [user_id, *args, Kind.FACT])

    def current_said_in(self, user_id: str, message_ids: Sequence[int]) -> list[MemoryItem]:
        """Kept sentences (kind message) still current that came from these messages."""
        if not message_ids:
            return []
        marks = ",".join("?" * len(message_ids))
        return self._items(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND kind = ? AND valid_to IS NULL"
            f" AND EXISTS (SELECT 1 FROM json_each(memories.source, '$.message_ids') WHERE value IN ({marks}))",
            [user_id, Kind.MESSAGE, *message_ids])

    def current_facts_about(self, user_id: str, heads: Sequence[str], limit: int = 200) -> list[MemoryItem]:
        """The user's facts still true whose attribute starts with one of ``heads``
        ("location", "family", ...), newest first."""
        marks = ",".join("?" * len(heads))
        return self._items(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND kind = ? AND valid_to IS NULL"
            f" AND substr(attribute, 1, instr(attribute || ':', ':') - 1) IN ({marks})"
            " ORDER BY COALESCE(valid_from, created_at) DESC, id DESC LIMIT ?",
            [user_id, Kind.FACT, *heads, limit])
