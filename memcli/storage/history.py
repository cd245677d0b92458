"""The ``history`` table: every change to every memory, oldest first.

A deleted memory's history keeps its events (kind, time, who, why) but loses
their text, and ends with a DELETE tombstone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memcli.base.records import HistoryEvent

if TYPE_CHECKING:
    from memcli.storage.owner import Owner


class History:
    """Queries on the ``history`` table of one :class:`Store`."""

    def __init__(self, store: "Owner") -> None:
        self.store = store

    def add(self, memory_id: int, user_id: str, event: str, old_text: str | None, new_text: str | None,
            actor: str, reason: str | None, created_at: str | None = None) -> None:
        self.store.conn.execute(
            "INSERT INTO history (memory_id, user_id, event, old_text, new_text, actor, reason, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [memory_id, user_id, event, old_text, new_text, actor, reason, created_at or self.store.now()])

    def forget_text(self, memory_id: int) -> None:
        """Erase the texts of a memory's events (its deletion keeps their dates only)."""
        self.store.conn.execute("UPDATE history SET old_text = NULL, new_text = NULL WHERE memory_id = ?",
                                [memory_id])

    def of(self, memory_id: int) -> list[HistoryEvent]:
        return [HistoryEvent.from_row(r) for r in self.store.conn.execute(
            "SELECT * FROM history WHERE memory_id = ? ORDER BY id", [memory_id])]

    def of_user(self, user_id: str | None) -> list[HistoryEvent]:
        sql, args = "SELECT * FROM history", []
        if user_id is not None:
            sql, args = sql + " WHERE user_id = ?", [user_id]
        return [HistoryEvent.from_row(r) for r in self.store.conn.execute(sql + " ORDER BY id", args)]
