"""The ``sessions`` and ``messages`` tables: the short-term memory.

Every line said in a chat session, and every message given to
``Memory.add(..., infer=True)``, is logged here before anything else happens.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from memcli.base.records import Message, Session

if TYPE_CHECKING:
    from memcli.storage.owner import Owner


class Sessions:
    """Queries on the ``sessions`` and ``messages`` tables of one :class:`Store`."""

    def __init__(self, store: "Owner") -> None:
        self.store = store

    # sessions ----------------------------------------------------------------------

    def create(self, session_id: str, user_id: str, started_at: str | None = None, ended_at: str | None = None,
               title: str | None = None) -> None:
        """A session, unless it exists already."""
        self.store.conn.execute(
            "INSERT OR IGNORE INTO sessions (id, user_id, started_at, ended_at, title) VALUES (?,?,?,?,?)",
            [session_id, user_id, started_at or self.store.now(), ended_at, title])

    def get(self, session_id: str) -> Session | None:
        row = self.store.conn.execute("SELECT * FROM sessions WHERE id = ?", [session_id]).fetchone()
        return Session.from_row(row) if row else None

    def last(self, user_id: str) -> Session | None:
        """The user's session with the newest message (or the newest session)."""
        row = self.store.conn.execute(
            "SELECT s.* FROM sessions s WHERE s.user_id = ?"
            " ORDER BY COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.session_id = s.id), 0) DESC,"
            " s.started_at DESC LIMIT 1", [user_id]).fetchone()
        return Session.from_row(row) if row else None

    def of_user(self, user_id: str | None = None) -> list[Session]:
        sql, args = "SELECT * FROM sessions", []
        if user_id is not None:
            sql, args = sql + " WHERE user_id = ?", [user_id]
        return [Session.from_row(r) for r in self.store.conn.execute(sql + " ORDER BY started_at", args)]

    def end(self, session_id: str) -> None:
        self.store.conn.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", [self.store.now(), session_id])

    def delete(self, session_id: str, user_id: str) -> int:
        """A session and its messages; returns how many messages went."""
        gone = self.store.conn.execute("DELETE FROM messages WHERE user_id = ? AND session_id = ?",
                                       [user_id, session_id]).rowcount
        self.store.conn.execute("DELETE FROM sessions WHERE id = ? AND user_id = ?", [session_id, user_id])
        return int(gone)

    def delete_before(self, user_id: str, cutoff: str) -> int:
        """Messages said before ``cutoff``, and sessions that started before it and
        are left empty; returns how many messages went."""
        gone = self.store.conn.execute("DELETE FROM messages WHERE user_id = ? AND created_at < ?",
                                       [user_id, cutoff]).rowcount
        self.store.conn.execute(
            "DELETE FROM sessions WHERE user_id = ? AND started_at < ? AND"
            " NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id)", [user_id, cutoff])
        return int(gone)

    # messages ------------------------------------------------------------------------

    def add_message(self, session_id: str, user_id: str, role: str, content: str,
                    metadata: dict[str, Any] | None = None, created_at: str | None = None,
                    import_key: str | None = None) -> int:
        cur = self.store.conn.execute(
            "INSERT INTO messages (session_id, user_id, role, content, created_at, metadata, import_key)"
            " VALUES (?,?,?,?,?,?,?)",
            [session_id, user_id, role, content, created_at or self.store.now(),
             json.dumps(metadata or {}, ensure_ascii=False), import_key])
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def import_keys(self, session_id: str, user_id: str) -> set[str]:
        """The export keys of the messages of a session brought in from a chat export."""
        return {r[0] for r in self.store.conn.execute(
            "SELECT import_key FROM messages WHERE user_id = ? AND session_id = ? AND import_key IS NOT NULL",
            [user_id, session_id])}

    def find_message(self, session_id: str, user_id: str, created_at: str, content: str) -> int | None:
        """The id of a message with exactly this session, time and text (imports)."""
        row = self.store.conn.execute(
            "SELECT id FROM messages WHERE session_id = ? AND created_at = ? AND content = ? AND user_id = ?",
            [session_id, created_at, content, user_id]).fetchone()
        return int(row[0]) if row else None

    def recent(self, session_id: str, limit: int, before_id: int | None = None) -> list[Message]:
        """The last ``limit`` messages of a session (older than ``before_id``), oldest first."""
        rows = self.store.conn.execute(
            "SELECT * FROM messages WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            [session_id, before_id if before_id is not None else 2**62, limit]).fetchall()
        return [Message.from_row(r) for r in reversed(rows)]

    def messages(self, user_id: str | None = None) -> list[Message]:
        sql, args = "SELECT * FROM messages", []
        if user_id is not None:
            sql, args = sql + " WHERE user_id = ?", [user_id]
        return [Message.from_row(r) for r in self.store.conn.execute(sql + " ORDER BY id", args)]

    def by_ids(self, ids: Sequence[int], user_id: str) -> list[Message]:
        if not ids:
            return []
        return [Message.from_row(r) for r in self.store.conn.execute(
            f"SELECT * FROM messages WHERE user_id = ? AND id IN ({','.join('?' * len(ids))}) ORDER BY id",
            [user_id, *ids])]
