"""The stored vectors of a user's memories, and which tier each is in."""

from __future__ import annotations

from typing import Any, Sequence

from memcli.storage.memories import Table, chunks


class MemoryVectors(Table):
    """Vector and tier reads of the ``memories`` table (the index is rebuilt from these)."""

    def ids(self, user_id: str, *, cold: bool = False) -> list[int]:
        """The ids of the user's memories in one tier (default: the hot one, which
        the HNSW index holds), ascending."""
        return [int(r[0]) for r in self.conn.execute(
            "SELECT id FROM memories WHERE user_id = ? AND cold = ? ORDER BY id", [user_id, 1 if cold else 0])]

    def count(self, user_id: str | None = None, *, cold: bool | None = None) -> int:
        """How many memories (of one user; in one tier when ``cold`` is given)."""
        sql, args = "SELECT COUNT(*) FROM memories WHERE 1", list[Any]()
        if user_id is not None:
            sql, args = sql + " AND user_id = ?", [user_id]
        if cold is not None:
            sql, args = sql + " AND cold = ?", [*args, 1 if cold else 0]
        return int(self.conn.execute(sql, args).fetchone()[0])

    def cold_among(self, ids: Sequence[int]) -> dict[str, list[int]]:
        """The cold memories among ``ids``, by user."""
        out: dict[str, list[int]] = {}
        for chunk in chunks(ids):
            for memory_id, user in self.conn.execute(
                    f"SELECT id, user_id FROM memories WHERE cold = 1 AND id IN ({','.join('?' * len(chunk))})",
                    list(chunk)):
                out.setdefault(str(user), []).append(int(memory_id))
        return out

    def cold_pinned(self, user_id: str) -> list[int]:
        """Cold memories that are pinned (pinning warms them; an import or an old
        process may still leave some)."""
        return [int(r[0]) for r in self.conn.execute(
            "SELECT id FROM memories WHERE user_id = ? AND cold = 1 AND pinned = 1", [user_id])]

    def embeddings(self, ids: Sequence[int], user_id: str) -> list[tuple[int, bytes]]:
        """(id, embedding) of the user's memories among ``ids`` that have one."""
        out: list[tuple[int, bytes]] = []
        for chunk in chunks(ids):
            out += [(int(r[0]), r[1]) for r in self.conn.execute(
                f"SELECT id, embedding FROM memories WHERE user_id = ? AND id IN ({','.join('?' * len(chunk))})"
                " AND embedding IS NOT NULL", [user_id, *chunk])]
        return out

    def vectors(self, user_id: str, *, cold: bool | None = False) -> list[tuple[int, bytes | None, str | None]]:
        """(id, embedding BLOB, embedder id) of the user's memories in one tier
        (default: hot; None: both), by id."""
        sql, args = "SELECT id, embedding, embedder FROM memories WHERE user_id = ?", list[Any]([user_id])
        if cold is not None:
            sql, args = sql + " AND cold = ?", [*args, 1 if cold else 0]
        return [(int(r[0]), r[1], r[2]) for r in self.conn.execute(sql + " ORDER BY id", args)]
