"""The full-text index (SQLite FTS5, BM25) over memory text and context.

Every row carries its owner as one token (``fts_owner``: 'u' + hex of the user
id), and a query ANDs it in, so BM25 ranks only that user's matches. A query's
cost is bounded: past :data:`KEYWORD_BUDGET` matching rows the commonest words
are left out, and a word past it on its own gives its newest matches. Memories
in the cold tier are indexed in a table of their own (``memories_fts_cold``),
searched only when the cold tier is.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Sequence
from memcli.base.tuning import KEYWORD_BUDGET

if TYPE_CHECKING:
    from memcli.storage.owner import Owner

# At most KEYWORD_BUDGET rows are ranked by BM25 per query, which bounds its cost
# at any size (memcli/base/tuning.py).
# Keyword queries look in a memory's text and its context.
MATCH_COLUMNS = "{text context}"


def owner_match(user_id: str) -> str:
    """The start of a MATCH that keeps to the user's rows (their owner token)."""
    return f'fts_owner : "u{user_id.encode("utf-8").hex()}" AND '


class KeywordIndex:
    """BM25 search over one :class:`Store`'s memories."""

    def __init__(self, store: "Owner") -> None:
        self.store = store

    def search(
        self, user_id: str, words: Sequence[str], limit: int, population: int | None = None, *, cold: bool = False,
        unmatched: list[str] | None = None,
    ) -> list[tuple[int, float]]:
        """(id, bm25) of the user's memories in one tier (default: hot) holding any
        of ``words``, best first.

        ``population`` (the user's memory count, if known) lets small users skip
        the cost bound: BM25 costs about two microseconds per matching row, so
        past :data:`KEYWORD_BUDGET` matches the commonest words (the lowest BM25
        weight) are left out, and if even the rarest word matches more, the
        result is its newest matches, newest first. For the cold tier,
        ``population`` is the user's cold count. ``unmatched``, when given,
        receives the words no row holds (of the user's when the query is scoped
        to them)."""
        words = [w.replace('"', "") for w in words if w.replace('"', "")]
        if not words:
            return []
        table = "memories_fts_cold" if cold else "memories_fts"
        # The owner token keeps other users' rows out of the ranking, which
        # matters when they are many; when the user owns most of the file it
        # only costs (a seek per match in a doclist as long as the table: 3x at
        # 200k rows), so then the ranking runs on the words alone and the rows
        # are filtered by user below, over-fetching by the others' share.
        others = self._others_at_least(user_id, population, cold) if population else None
        scoped = others is None or others >= (population or 0)
        owner = owner_match(user_id) if scoped else ""
        fetch = limit if scoped else limit + limit * (others or 0) // max(1, population or 1) + 10
        floor: int | None = None  # set: the one word's newest matches, above this rowid
        try:
            if population is None or population > KEYWORD_BUDGET:
                words, floor = self._within_budget(table, owner, words, unmatched)
                if not words:
                    return []
            elif unmatched is not None:  # a small tier: an existence check per word is cheap
                unmatched += [w for w in words if not self._count_matches(table, f'{owner}{MATCH_COLUMNS} : "{w}"', 1)]
            quoted = " OR ".join(f'"{w}"' for w in words)
            if floor is not None:
                # One word, past the budget: its newest matches, newest first. BM25
                # would only order them by length (one word's weight is the same for
                # all), and its weight alone costs FTS5 a pass over every match of
                # the word (10-24 ms at 500k memories, growing with the file), for
                # the same recall as ranking them by BM25. The score, 0.0, is what BM25
                # gives a word that common, and sorts these after any cold-tier
                # match of a rarer word.
                top = [(r[0], 0.0) for r in self.store.conn.execute(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid > ?"
                    " ORDER BY rowid DESC LIMIT ?",
                    [f"{owner}{MATCH_COLUMNS} : ({quoted})", floor, fetch],
                )]
            else:
                top = self.store.conn.execute(
                    f"SELECT rowid, rank FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?",
                    [f"{owner}{MATCH_COLUMNS} : ({quoted})", fetch],
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

    def present(self, user_id: str, words: Sequence[str], *, cold: bool = False) -> set[str]:
        """The words that at least one of the user's memories in the tier holds
        (each a lookup that stops at the first of the user's matches)."""
        table = "memories_fts_cold" if cold else "memories_fts"
        found = set()
        for word in words:
            clean = word.replace('"', "")
            if not clean:
                continue
            try:
                # CROSS JOIN keeps the word's matches as the outer loop (SQLite would
                # otherwise walk the user's rows and probe the index for each: seconds)
                row = self.store.conn.execute(
                    f"SELECT 1 FROM {table} CROSS JOIN memories ON memories.id = {table}.rowid"
                    f" WHERE {table} MATCH ? AND memories.user_id = ? LIMIT 1",
                    [f'{MATCH_COLUMNS} : "{clean}"', user_id]).fetchone()
            except sqlite3.OperationalError:
                continue
            if row is not None:
                found.add(word)
        return found

    def count(self, user_id: str, word: str, cap: int) -> int:
        """How many of the user's hot memories hold ``word`` (counted up to ``cap``)."""
        try:
            return self._count_matches("memories_fts", f'{owner_match(user_id)}{MATCH_COLUMNS} : "{word.replace(chr(34), "")}"', cap)
        except sqlite3.OperationalError:
            return 0

    def span(self) -> int:
        """The highest memory id: a bound on the rows the index holds, read in
        one seek (a count would walk them)."""
        return int(self.store.conn.execute("SELECT coalesce(max(id), 0) FROM memories").fetchone()[0])

    def terms(self, prefix: str) -> list[str]:
        """The hot index's terms (stems, as the tokenizer wrote them, of every
        user's memories) that begin with ``prefix``: a range of its vocabulary,
        read in place. FTS5 counts each term's matches as it reads it, so the
        cost grows with the matches of the terms in the range (about 30 ns
        each: 3 ms for a range holding a word 100,000 memories say)."""
        conn = self.store.conn
        # a view of the index's own vocabulary, in this connection's temp schema
        # (nothing is written to the file)
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_terms USING fts5vocab(main, memories_fts, 'row')")
        return [r[0] for r in conn.execute(
            "SELECT term FROM temp.memories_terms WHERE term >= ? AND term < ?", [prefix, prefix + "\uffff"])]

    def holding(self, user_id: str, word: str, limit: int) -> list[int]:
        """The user's memories (either tier) whose own text holds ``word``,
        newest first, at most ``limit`` of each tier."""
        clean = word.replace('"', "")
        if not clean:
            return []
        found: list[int] = []
        for table in ("memories_fts", "memories_fts_cold"):
            try:
                # CROSS JOIN: the word's matches drive the loop (see present)
                found += [int(r[0]) for r in self.store.conn.execute(
                    f"SELECT memories.id FROM {table} CROSS JOIN memories ON memories.id = {table}.rowid"
                    f" WHERE {table} MATCH ? AND memories.user_id = ? ORDER BY {table}.rowid DESC LIMIT ?",
                    [f'text : "{clean}"', user_id, limit])]
            except sqlite3.OperationalError:
                continue
        return found

    def _others_at_least(self, user_id: str, population: int, cold: bool = False) -> int:
        """How many memories other users have (of the hot tier, when it is the one
        searched), counted up to ``population`` (index range scans either side of
        the user, so it stays cheap)."""
        tier = "" if cold else " AND cold = 0"
        return sum(int(self.store.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM memories WHERE user_id {op} ?{tier} LIMIT ?)", [user_id, population]
        ).fetchone()[0]) for op in ("<", ">"))

    def _within_budget(self, table: str, owner: str, words: Sequence[str],
                       unmatched: list[str] | None) -> tuple[list[str], int | None]:
        """The words to rank, rarest first, their matches at most
        :data:`KEYWORD_BUDGET` in all; or, when every word has more, the rarest
        lately alone with the rowid below its newest KEYWORD_BUDGET matches.
        Words no row holds go to ``unmatched``."""
        counted = sorted(
            (self._count_matches(table, f'{owner}{MATCH_COLUMNS} : "{w}"', KEYWORD_BUDGET + 1), w) for w in words
        )
        if unmatched is not None:
            unmatched += [w for n, w in counted if not n]
        counted = [(n, w) for n, w in counted if n]
        if not counted:
            return [], None
        kept, total = [counted[0][1]], counted[0][0]
        for n, w in counted[1:]:
            if total + n > KEYWORD_BUDGET:
                break
            kept.append(w)
            total += n
        if total <= KEYWORD_BUDGET:
            return kept, None
        # Every word is past the budget, so the capped counts tie. Take the word
        # whose newest KEYWORD_BUDGET matches reach back the furthest: the rarest
        # lately (the tie once went to the alphabetically first word, often the
        # commonest).
        floor, word = min((self._newest_floor(table, f'{owner}{MATCH_COLUMNS} : "{w}"'), w) for _, w in counted)
        return [word], floor

    def _newest_floor(self, table: str, match: str) -> int:
        """The rowid below the newest KEYWORD_BUDGET matches of ``match``."""
        row = self.store.conn.execute(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            [match, KEYWORD_BUDGET],
        ).fetchone()
        return int(row[0]) if row else 0

    def _count_matches(self, table: str, match: str, cap: int) -> int:
        return int(self.store.conn.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?)", [match, cap]
        ).fetchone()[0])

    def purge(self) -> None:
        """Merge each full-text index into one fresh segment, so deleted rows' tokens
        are not left in old segments (secure_delete then zeroes the freed pages)."""
        for table in ("memories_fts", "memories_fts_cold"):
            self.store.conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
