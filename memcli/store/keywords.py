"""The full-text index (SQLite FTS5, BM25) over memory text and context.

Every row carries its owner and tier as one token (``fts_scope``: 'u' + hex of
the user id, plus 'c' in the cold tier), and a query ANDs it in, so BM25 ranks
only that user's matches in one tier. A query's
cost is bounded: past :data:`KEYWORD_BUDGET` matching rows the commonest words
are left out.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .database import Store

# Most rows one keyword query ranks by BM25 (about 5 ms on a 2-core laptop).
# Measured with all six LoCoMo conversations in one user (9,023 memories):
# recall at 300 words 0.752 with 8,000 or 3,000, 0.745 with 2,000; a long
# query of common words at 10k memories took 12 ms with 8,000, 6 ms with 3,000.
KEYWORD_BUDGET = 3000
# Keyword queries look in a memory's text and its context.
MATCH_COLUMNS = "{text context}"


class KeywordIndex:
    """BM25 search over one :class:`Store`'s memories."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    def search(
        self, user_id: str, words: Sequence[str], limit: int, population: int | None = None, *, cold: bool = False
    ) -> list[tuple[int, float]]:
        """(id, bm25) of the user's memories in one tier (default: hot) holding any
        of ``words``, best first. BM25 statistics are the whole file's, so scores
        of the two tiers compare.

        ``population`` (the user's memory count, if known) lets small users skip
        the cost bound: BM25 costs about two microseconds per matching row, so
        past :data:`KEYWORD_BUDGET` matches the commonest words (the lowest BM25
        weight) are left out, and if even the rarest word matches more, only its
        newest matches are ranked."""
        words = [w.replace('"', "") for w in words if w.replace('"', "")]
        if not words:
            return []
        # The owner token keeps other users' rows out of the ranking, which
        # matters when they are many; when the user owns most of the file it
        # only costs (a seek per match in a doclist as long as the table: 3x at
        # 200k rows), so then the ranking runs on the words alone and the rows
        # are filtered by user below, over-fetching by the others' share.
        others = self._others_at_least(user_id, population, cold) if population else None
        scoped = others is None or others >= (population or 0)
        token = f'u{user_id.encode("utf-8").hex()}{"c" if cold else ""}'
        owner = f'fts_scope : "{token}" AND ' if scoped else ""
        fetch = limit if scoped else limit + limit * (others or 0) // max(1, population or 1) + 10
        floor = 0
        try:
            if population is None or population > KEYWORD_BUDGET:
                counted = sorted(
                    (self._count_matches(f'{owner}{MATCH_COLUMNS} : "{w}"', KEYWORD_BUDGET + 1), w) for w in words
                )
                counted = [(n, w) for n, w in counted if n]
                if not counted:
                    return []
                kept, total = [counted[0][1]], counted[0][0]
                for n, w in counted[1:]:
                    if total + n > KEYWORD_BUDGET:
                        break
                    kept.append(w)
                    total += n
                words = kept
                if total > KEYWORD_BUDGET:
                    row = self.store.conn.execute(
                        "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                        [f'{owner}{MATCH_COLUMNS} : "{words[0]}"', KEYWORD_BUDGET],
                    ).fetchone()
                    floor = int(row[0]) if row else 0
            quoted = " OR ".join(f'"{w}"' for w in words)
            top = self.store.conn.execute(
                "SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ? AND rowid > ?"
                " ORDER BY rank LIMIT ?",
                [f"{owner}{MATCH_COLUMNS} : ({quoted})", floor, fetch],
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a query FTS5 cannot parse finds nothing by keyword
        if not top:
            return []
        # Users stay unmixed by the database's word, whatever the index holds.
        own = {int(r[0]) for r in self.store.conn.execute(
            f"SELECT id FROM memories WHERE user_id = ? AND cold = ? AND id IN ({','.join('?' * len(top))})",
            [user_id, 1 if cold else 0, *[r[0] for r in top]],
        )}
        found = [(int(r[0]), float(r[1])) for r in top if int(r[0]) in own]
        if not scoped and len(found) < limit and len(top) == fetch:
            # others crowded the top: rank again, the user's rows only
            return self.search(user_id, words, limit, None, cold=cold)
        return found[:limit]

    def _others_at_least(self, user_id: str, population: int, cold: bool = False) -> int:
        """How many memories lie outside the searched scope (other users', and the
        user's other tier), counted up to ``population`` per range (index range
        scans, so it stays cheap)."""
        conn = self.store.conn
        others = sum(int(conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM memories WHERE user_id {op} ? LIMIT ?)", [user_id, population]
        ).fetchone()[0]) for op in ("<", ">"))
        return others + int(conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM memories WHERE user_id = ? AND cold = ? LIMIT ?)",
            [user_id, 0 if cold else 1, population]).fetchone()[0])

    def _count_matches(self, match: str, cap: int) -> int:
        return int(self.store.conn.execute(
            "SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)", [match, cap]
        ).fetchone()[0])

    def purge(self) -> None:
        """Merge the full-text index into one fresh segment, so deleted rows' tokens
        are not left in old segments (secure_delete then zeroes the freed pages)."""
        self.store.conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
