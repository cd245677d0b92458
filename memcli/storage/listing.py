"""Lists of a user's memories: by filter, episodes, a session's, a day's, and the
names their lines were said under."""

from __future__ import annotations

from typing import Any, Iterator

from memcli.base.records import MEMORY_COLUMNS, MemoryItem
from memcli.base.vocab import Kind
from memcli.storage.memories import Table
from memcli.storage.migrations import SPEAKER


class MemoryLists(Table):
    """Queries that list rows of the ``memories`` table."""

    def select(self, user_id: str | None, *, kind: str | None = None, since: str | None = None,
               agent_id: str | None = None, session_id: str | None = None, limit: int | None = None,
               newest_first: bool = False, current_only: bool = False) -> list[MemoryItem]:
        """Memories matching every filter given, by id (newest first if asked)."""
        where: list[str] = []
        args: list[Any] = []
        if current_only:
            where.append("valid_to IS NULL")
        for column, value in (("user_id", user_id), ("kind", kind), ("agent_id", agent_id),
                              ("session_id", session_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("created_at >= ?")
            args.append(since)
        sql = f"SELECT {MEMORY_COLUMNS} FROM memories"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._items(sql, args)

    def episodes(self, user_id: str, *, type: str | None = None, since: str | None = None,
                 limit: int | None = None) -> list[MemoryItem]:
        """The user's episodes, most recent first by when they happened."""
        sql = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND kind = ?"
        args: list[Any] = [user_id, Kind.EPISODE]
        if type is not None:
            sql += " AND attribute = ?"
            args.append(type)
        if since is not None:
            sql += " AND COALESCE(valid_from, created_at) >= ?"
            args.append(since)
        sql += " ORDER BY COALESCE(valid_from, created_at) DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._items(sql, args)

    def unpinned(self, user_id: str) -> Iterator[MemoryItem]:
        """Every memory of the user that may fade (in either tier)."""
        for row in self.conn.execute(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND pinned = 0",
                                     [user_id]):
            yield MemoryItem.from_row(row)

    def ids_in_session(self, user_id: str, session_id: str, *, kind: str | None = None,
                       attribute: str | None = None) -> list[int]:
        sql = "SELECT id FROM memories WHERE user_id = ? AND session_id = ?"
        args: list[Any] = [user_id, session_id]
        for column, value in (("kind", kind), ("attribute", attribute)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        return [int(r[0]) for r in self.conn.execute(sql, args)]

    def ids_before(self, user_id: str, cutoff: str) -> list[int]:
        """The user's memories stored before ``cutoff``."""
        return [int(r[0]) for r in self.conn.execute(
            "SELECT id FROM memories WHERE user_id = ? AND created_at < ?", [user_id, cutoff])]

    def stored_at(self, user_id: str, created_at: str) -> list[MemoryItem]:
        """The user's memories stored at ``created_at``, in the order they were
        stored (all memories of one add call share their created_at)."""
        return self._items(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND created_at = ?"
                           " ORDER BY id", [user_id, created_at])

    def speakers(self, user_id: str, limit: int = 64) -> list[str]:
        """The names the user's memories were said under (``metadata["name"]``),
        in order, at most ``limit``: one index seek per name, however many
        memories each has."""
        sql = (f"SELECT {SPEAKER} FROM memories WHERE user_id = ? AND {SPEAKER} > ?"
               f" ORDER BY {SPEAKER} LIMIT 1")
        found: list[str] = []
        last: Any = ""
        while len(found) < limit:
            row = self.conn.execute(sql, [user_id, last]).fetchone()
            if row is None:
                break
            last = row[0]
            if isinstance(last, str):
                found.append(last)
        return found

    def users(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT user_id FROM memories ORDER BY user_id")]
