"""SQLite storage: schema, migrations, transactions, and every query memcli runs.

SQLite is the source of truth. Each memory keeps its embedding as a float32
BLOB with the embedder's id, so the HNSW sidecar can always be rebuilt from
here without re-embedding.

Reads and writes use the plain ``sqlite3`` connection: importing sqlite-utils
pulls in numpy and costs ~0.4 s, which would make ``memcli list`` slow. So
sqlite-utils (its ``Migrations`` helper and table API) is imported only when
the schema actually needs migrating.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .errors import NotFound, StorageError
from .files import touch_private

MIGRATION_SET = "memcli"
# Most rows one keyword query ranks by BM25 (about 5 ms on a 2-core laptop).
# Measured with all six LoCoMo conversations in one user (9,023 memories):
# recall at 300 words 0.752 with 8,000 or 3,000, 0.745 with 2,000; a long
# query of common words at 10k memories took 12 ms with 8,000, 6 ms with 3,000.
KEYWORD_BUDGET = 3000
# Keyword queries look in a memory's text and its context.
MATCH_COLUMNS = "{text context}"


def now_iso() -> str:
    """Current UTC time as ISO 8601 with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# --- migrations -------------------------------------------------------------
# Numbered and never edited once released: add a new function instead.


def _m0001_memories(db: Any) -> None:
    db.execute(
        """
        CREATE TABLE memories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- HNSW label; AUTOINCREMENT: never reused
            user_id TEXT NOT NULL,
            agent_id TEXT,
            session_id TEXT,
            kind TEXT NOT NULL DEFAULT 'fact',
            text TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            hash TEXT NOT NULL,
            embedding BLOB,
            embedder TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_memories_user ON memories(user_id, id)")
    db.execute("CREATE INDEX idx_memories_hash ON memories(user_id, hash)")
    db.execute(
        """
        CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            memory_id INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            event TEXT NOT NULL,        -- ADD | UPDATE | DELETE | IMPORT
            old_text TEXT,
            new_text TEXT,
            actor TEXT,                 -- api | cli | import | chat
            reason TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_history_memory ON history(memory_id, id)")
    db.execute("CREATE INDEX idx_history_user ON history(user_id)")
    # One row per user: bumped in the same transaction as any change to that
    # user's vectors, and copied into the index manifest when the index is saved.
    db.execute(
        "CREATE TABLE index_state (user_id TEXT PRIMARY KEY, generation INTEGER NOT NULL DEFAULT 0)"
    )


def _m0002_sessions_messages(db: Any) -> None:
    db.execute(
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            title TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_sessions_user ON sessions(user_id, started_at)")
    db.execute(
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            role TEXT NOT NULL,         -- user | assistant
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute("CREATE INDEX idx_messages_session ON messages(session_id, id)")
    db.execute("CREATE INDEX idx_messages_user ON messages(user_id)")


def _m0003_facts_over_time(db: Any) -> None:
    # attribute/value: what a fact is about ("location") and its value ("Busan"),
    # so a new value can supersede an old one; valid_from/valid_to: when it was
    # true (valid_to NULL: still true; for episodes valid_from is when it
    # happened); source: provenance (message ids, session, time said).
    for column in ("attribute TEXT", "value TEXT", "valid_from TEXT", "valid_to TEXT",
                   "source TEXT NOT NULL DEFAULT '{}'", "reinforced INTEGER NOT NULL DEFAULT 0"):
        db.execute(f"ALTER TABLE memories ADD COLUMN {column}")
    db.execute("CREATE INDEX idx_memories_attribute ON memories(user_id, attribute)")
    # Episodes are memories of kind 'episode' (one vector space, one deletion
    # path, one index per user); this view gives them their own name.
    db.execute(
        "CREATE VIEW episodes AS SELECT id, user_id, session_id, attribute AS type, text AS summary,"
        " valid_from AS occurred_at, metadata, source, created_at FROM memories WHERE kind = 'episode'"
    )


def _m0004_keyword_index(db: Any) -> None:
    # Full-text index (BM25) over memory text, kept in step by triggers; fused
    # with the vector search. External content: the text itself lives only in
    # `memories`, the index holds tokens (cleared on erasure, see Store.purge_fts).
    db.execute(
        "CREATE VIRTUAL TABLE memories_fts USING fts5(text, content='memories', content_rowid='id',"
        " tokenize='porter unicode61')"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN"
        " INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN"
        " INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN"
        " INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);"
        " INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('rebuild')")


def _m0005_forgetting_and_privacy(db: Any) -> None:
    # Retention inputs (accesses that reached a prompt, importance, pin) and the
    # sensitive-data class found at write time.
    for column in ("access_count INTEGER NOT NULL DEFAULT 0", "last_accessed TEXT",
                   "importance REAL NOT NULL DEFAULT 0.5", "pinned INTEGER NOT NULL DEFAULT 0",
                   "sensitivity TEXT"):
        db.execute(f"ALTER TABLE memories ADD COLUMN {column}")
    db.execute(
        "UPDATE memories SET importance = json_extract(metadata, '$.importance')"
        " WHERE json_type(metadata, '$.importance') IN ('real', 'integer')"
    )


def _m0006_keyword_index_per_user(db: Any) -> None:
    # The user joins the full-text index as one token ('u' + hex of the id, so
    # any id is a single token), and each keyword query ANDs it in. Ranking
    # then touches only that user's matching rows: ranking every user's
    # matches and filtering afterwards cost a second per query on a file
    # shared by 100 users of 10,000 memories each.
    db.execute("ALTER TABLE memories ADD COLUMN fts_owner TEXT GENERATED ALWAYS AS ('u' || lower(hex(user_id))) VIRTUAL")
    for trigger in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER memories_fts_{trigger}")
    db.execute("DROP TABLE memories_fts")
    db.execute(
        "CREATE VIRTUAL TABLE memories_fts USING fts5(text, fts_owner, content='memories', content_rowid='id',"
        " tokenize='porter unicode61')"
    )
    # The owner token is in every row of the user, so it carries no weight in BM25.
    db.execute("INSERT INTO memories_fts(memories_fts, rank) VALUES ('rank', 'bm25(1.0, 0.0)')")
    db.execute(
        "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN"
        " INSERT INTO memories_fts(rowid, text, fts_owner) VALUES (new.id, new.text, new.fts_owner); END"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN"
        " INSERT INTO memories_fts(memories_fts, rowid, text, fts_owner)"
        " VALUES ('delete', old.id, old.text, old.fts_owner); END"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, user_id ON memories BEGIN"
        " INSERT INTO memories_fts(memories_fts, rowid, text, fts_owner)"
        " VALUES ('delete', old.id, old.text, old.fts_owner);"
        " INSERT INTO memories_fts(rowid, text, fts_owner) VALUES (new.id, new.text, new.fts_owner); END"
    )
    db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('rebuild')")


def _m0007_embedding_context(db: Any) -> None:
    # The words said just before a sentence kept from a conversation: embedded
    # with its text (so re-embedding gives the same vector) and keyword-indexed
    # at a lower weight; never shown in results. NULL for facts, episodes and
    # notes. Deleting a memory finds the sentences whose context holds its
    # words by the partial index.
    db.execute("ALTER TABLE memories ADD COLUMN context TEXT")
    db.execute("CREATE INDEX idx_memories_context ON memories(user_id, created_at) WHERE context IS NOT NULL")
    for trigger in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER memories_fts_{trigger}")
    db.execute("DROP TABLE memories_fts")
    db.execute(
        "CREATE VIRTUAL TABLE memories_fts USING fts5(text, fts_owner, context, content='memories',"
        " content_rowid='id', tokenize='porter unicode61')"
    )
    # BM25 weight of the context against the text's 1.0 (a literal: a migration
    # never changes once released). LoCoMo recall at 300 words, raw, context
    # embedded: 0.784 with no keyword context; 0.796 / 0.799 / 0.798 / 0.793 at
    # 0.15 / 0.3 / 0.45 / 0.6; higher on each of the six conversations at 0.3.
    db.execute("INSERT INTO memories_fts(memories_fts, rank) VALUES ('rank', 'bm25(1.0, 0.0, 0.3)')")
    db.execute(
        "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN"
        " INSERT INTO memories_fts(rowid, text, fts_owner, context)"
        " VALUES (new.id, new.text, new.fts_owner, new.context); END"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN"
        " INSERT INTO memories_fts(memories_fts, rowid, text, fts_owner, context)"
        " VALUES ('delete', old.id, old.text, old.fts_owner, old.context); END"
    )
    db.execute(
        "CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, user_id, context ON memories BEGIN"
        " INSERT INTO memories_fts(memories_fts, rowid, text, fts_owner, context)"
        " VALUES ('delete', old.id, old.text, old.fts_owner, old.context);"
        " INSERT INTO memories_fts(rowid, text, fts_owner, context)"
        " VALUES (new.id, new.text, new.fts_owner, new.context); END"
    )
    db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('rebuild')")


MIGRATIONS: list[tuple[str, Any]] = [
    ("0001_memories", _m0001_memories),
    ("0002_sessions_messages", _m0002_sessions_messages),
    ("0003_facts_over_time", _m0003_facts_over_time),
    ("0004_keyword_index", _m0004_keyword_index),
    ("0005_forgetting_and_privacy", _m0005_forgetting_and_privacy),
    ("0006_keyword_index_per_user", _m0006_keyword_index_per_user),
    ("0007_embedding_context", _m0007_embedding_context),
]


def _pending_migrations(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'"
    ).fetchone()
    applied: set[str] = set()
    if exists:
        applied = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
            )
        }
    return [name for name, _ in MIGRATIONS if name not in applied]


def _apply_migrations(conn: sqlite3.Connection) -> None:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name, fn in MIGRATIONS:
        migrations(name=name)(fn)
    migrations.apply(Database(conn))


# --- the store ----------------------------------------------------------------

MEMORY_COLUMNS = (
    "id, user_id, agent_id, session_id, kind, text, metadata, hash, embedder, created_at, updated_at,"
    " attribute, value, valid_from, valid_to, source, reinforced, access_count, last_accessed, importance,"
    " pinned, sensitivity, context"
)


class Store:
    """One SQLite file: WAL journal, secure_delete on, owner-only permissions."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise StorageError(f"database path {self.path} is a folder")
        touch_private(self.path)
        try:
            self.conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout = 5000")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"cannot use WAL journal for {self.path} (got {mode})")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # Deleted content is overwritten with zeros, so forgotten text does
            # not survive in free pages of the file.
            self.conn.execute("PRAGMA secure_delete = ON")
            if _pending_migrations(self.conn):
                _apply_migrations(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open database {self.path}: {exc}") from None
        self._tx_depth = 0

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    # transactions ------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all. Nested calls join the
        outer transaction."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield self.conn
            finally:
                self._tx_depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self._tx_depth = 1
        try:
            yield self.conn
        except BaseException:
            self._tx_depth = 0
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self._tx_depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StorageError(f"cannot write to {self.path}: {exc}") from None

    def keyword_search(
        self, user_id: str, words: Sequence[str], limit: int, population: int | None = None
    ) -> list[tuple[int, float]]:
        """(id, bm25) of the user's memories holding any of ``words``, best first.

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
        others = self._others_at_least(user_id, population) if population else None
        scoped = others is None or others >= (population or 0)
        owner = f'fts_owner : "u{user_id.encode("utf-8").hex()}" AND ' if scoped else ""
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
                    row = self.conn.execute(
                        "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                        [f'{owner}{MATCH_COLUMNS} : "{words[0]}"', KEYWORD_BUDGET],
                    ).fetchone()
                    floor = int(row[0]) if row else 0
            quoted = " OR ".join(f'"{w}"' for w in words)
            top = self.conn.execute(
                "SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ? AND rowid > ?"
                " ORDER BY rank LIMIT ?",
                [f"{owner}{MATCH_COLUMNS} : ({quoted})", floor, fetch],
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a query FTS5 cannot parse finds nothing by keyword
        if not top:
            return []
        # Users stay unmixed by the database's word, whatever the index holds.
        own = {int(r[0]) for r in self.conn.execute(
            f"SELECT id FROM memories WHERE user_id = ? AND id IN ({','.join('?' * len(top))})",
            [user_id, *[r[0] for r in top]],
        )}
        found = [(int(r[0]), float(r[1])) for r in top if int(r[0]) in own]
        if not scoped and len(found) < limit and len(top) == fetch:
            # others crowded the top: rank again, the user's rows only
            return self.keyword_search(user_id, words, limit, None)
        return found[:limit]

    def _others_at_least(self, user_id: str, population: int) -> int:
        """How many memories other users have, counted up to ``population``
        (an index range scan either side of the user, so it stays cheap)."""
        return sum(int(self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM memories WHERE user_id {op} ? LIMIT ?)", [user_id, population]
        ).fetchone()[0]) for op in ("<", ">"))

    def _count_matches(self, match: str, cap: int) -> int:
        return int(self.conn.execute(
            "SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)", [match, cap]
        ).fetchone()[0])

    def purge_fts(self) -> None:
        """Merge the full-text index into one fresh segment, so deleted rows' tokens
        are not left in old segments (secure_delete then zeroes the freed pages)."""
        self.conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")

    def checkpoint(self) -> None:
        """Move the WAL into the main file and truncate it to zero bytes, so text
        deleted a moment ago no longer sits in the WAL."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vacuum(self) -> None:
        """Rewrite the file without free pages (and without any deleted residue)."""
        self.checkpoint()
        self.conn.execute("VACUUM")
        self.checkpoint()

    # memories ----------------------------------------------------------------

    def insert_memory(self, row: dict[str, Any], actor: str, reason: str | None = None) -> int:
        """Insert one memory and its ADD history event; bumps the user's generation.
        Call inside :meth:`transaction`."""
        cur = self.conn.execute(
            "INSERT INTO memories (user_id, agent_id, session_id, kind, text, metadata, hash,"
            " embedding, embedder, created_at, updated_at, attribute, value, valid_from, valid_to, source,"
            " reinforced, importance, pinned, sensitivity, access_count, last_accessed, context)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                row["user_id"],
                row.get("agent_id"),
                row.get("session_id"),
                row.get("kind") or "fact",
                row["text"],
                json.dumps(row.get("metadata") or {}, ensure_ascii=False, sort_keys=True),
                row["hash"],
                row.get("embedding"),
                row.get("embedder"),
                row["created_at"],
                row.get("updated_at") or row["created_at"],
                row.get("attribute"),
                row.get("value"),
                row.get("valid_from"),
                row.get("valid_to"),
                json.dumps(row.get("source") or {}, ensure_ascii=False, sort_keys=True),
                int(row.get("reinforced") or 0),
                float(row["importance"]) if row.get("importance") is not None else 0.5,
                1 if row.get("pinned") else 0,
                row.get("sensitivity"),
                int(row.get("access_count") or 0),
                row.get("last_accessed"),
                row.get("context") or None,
            ],
        )
        memory_id = int(cur.lastrowid)  # type: ignore[arg-type]
        self.add_history(memory_id, row["user_id"], row.get("event") or "ADD", None, row["text"], actor, reason)
        self.bump_generation(row["user_id"])
        return memory_id

    def get_memory(self, memory_id: int) -> sqlite3.Row:
        row = self.conn.execute(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id = ?", [memory_id]
        ).fetchone()
        if row is None:
            raise NotFound(f"no memory with id {memory_id}")
        return row

    def memories_by_ids(self, ids: Sequence[int], user_id: str) -> dict[int, sqlite3.Row]:
        """Rows for ``ids`` that belong to ``user_id`` (others are silently dropped:
        this is the last guard of user isolation on the search path)."""
        out: dict[int, sqlite3.Row] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND id IN ({marks})",
                [user_id, *chunk],
            ):
                out[row["id"]] = row
        return out

    def embeddings(self, ids: Sequence[int], user_id: str) -> list[sqlite3.Row]:
        """(id, embedding) of the user's memories among ``ids``."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self.conn.execute(
            f"SELECT id, embedding FROM memories WHERE user_id = ? AND id IN ({marks}) AND embedding IS NOT NULL",
            [user_id, *ids],
        ).fetchall()

    def find_by_hash(self, user_id: str, digest: str) -> sqlite3.Row | None:
        return self.conn.execute(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND hash = ? LIMIT 1",
            [user_id, digest],
        ).fetchone()

    def current_facts(self, user_id: str, attribute: str, prefix: bool = False) -> list[sqlite3.Row]:
        """Facts of ``attribute`` (and, with ``prefix``, of its sub-attributes such as
        ``pet:cat:luna`` for ``pet:cat``) that are still true, newest first."""
        where = "(attribute = ? OR substr(attribute, 1, ?) = ?)" if prefix else "attribute = ?"
        args: list[Any] = [attribute, len(attribute) + 1, attribute + ":"] if prefix else [attribute]
        return self.conn.execute(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND {where} AND kind = 'fact'"
            " AND valid_to IS NULL ORDER BY COALESCE(valid_from, created_at) DESC, id DESC",
            [user_id, *args],
        ).fetchall()

    def end_validity(self, memory_id: int, when: str, actor: str, event: str, reason: str) -> None:
        """Mark a fact as no longer true from ``when`` (kept for as-of questions)."""
        row = self.get_memory(memory_id)
        self.conn.execute(
            "UPDATE memories SET valid_to = ?, updated_at = ? WHERE id = ?", [when, now_iso(), memory_id]
        )
        self.add_history(memory_id, row["user_id"], event, row["text"], None, actor, reason)
        self.bump_generation(row["user_id"])

    def reinforce(self, memory_id: int, source: dict[str, Any], actor: str, reason: str) -> None:
        """The same fact was said again: count it and remember where."""
        row = self.get_memory(memory_id)
        self.conn.execute(
            "UPDATE memories SET reinforced = reinforced + 1, source = ? WHERE id = ?",
            [json.dumps(source, ensure_ascii=False, sort_keys=True), memory_id],
        )
        self.add_history(memory_id, row["user_id"], "NONE", None, None, actor, reason)

    def touch(self, ids: Sequence[int], when: str) -> None:
        """These memories reached a prompt: count the access (slows their fading)."""
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                f"UPDATE memories SET access_count = access_count + 1, last_accessed = ? WHERE id IN ({marks})",
                [when, *chunk],
            )

    def set_pinned(self, memory_id: int, pinned: bool, actor: str) -> None:
        row = self.get_memory(memory_id)
        self.conn.execute("UPDATE memories SET pinned = ? WHERE id = ?", [1 if pinned else 0, memory_id])
        self.add_history(memory_id, row["user_id"], "PIN" if pinned else "UNPIN", None, None, actor, None)

    def messages_by_ids(self, ids: Sequence[int], user_id: str) -> list[sqlite3.Row]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self.conn.execute(
            f"SELECT * FROM messages WHERE user_id = ? AND id IN ({marks}) ORDER BY id", [user_id, *ids]
        ).fetchall()

    def list_memories(
        self,
        user_id: str | None,
        *,
        kind: str | None = None,
        since: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        current_only: bool = False,
    ) -> list[sqlite3.Row]:
        where: list[str] = []
        args: list[Any] = []
        if current_only:
            where.append("valid_to IS NULL")
        if user_id is not None:
            where.append("user_id = ?")
            args.append(user_id)
        for column, value in (("kind", kind), ("agent_id", agent_id), ("session_id", session_id)):
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
        return self.conn.execute(sql, args).fetchall()

    def update_memory(
        self,
        memory_id: int,
        text: str,
        digest: str,
        embedding: bytes | None,
        embedder: str | None,
        actor: str,
        metadata: dict[str, Any] | None = None,
        reason: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        old = self.get_memory(memory_id)
        stamp = now_iso()
        sql = "UPDATE memories SET text = ?, hash = ?, embedding = ?, embedder = ?, updated_at = ?"
        args: list[Any] = [text, digest, embedding, embedder, stamp]
        if metadata is not None:
            sql += ", metadata = ?"
            args.append(json.dumps(metadata, ensure_ascii=False, sort_keys=True))
        for column, value in (fields or {}).items():
            assert column in ("attribute", "value", "valid_from", "valid_to", "source")
            sql += f", {column} = ?"
            args.append(json.dumps(value, sort_keys=True) if column == "source" else value)
        self.conn.execute(sql + " WHERE id = ?", [*args, memory_id])
        self.add_history(memory_id, old["user_id"], "UPDATE", old["text"], text, actor, reason)
        self.bump_generation(old["user_id"])

    def delete_memory(self, memory_id: int, actor: str, reason: str | None = None) -> str:
        """Delete one memory; its history keeps the events but loses the text, and a
        DELETE tombstone is added. Returns the owner's user_id."""
        old = self.get_memory(memory_id)
        self.conn.execute("DELETE FROM memories WHERE id = ?", [memory_id])
        self.conn.execute(
            "UPDATE history SET old_text = NULL, new_text = NULL WHERE memory_id = ?", [memory_id]
        )
        self.add_history(memory_id, old["user_id"], "DELETE", None, None, actor, reason)
        self.bump_generation(old["user_id"])
        return str(old["user_id"])

    def delete_user(self, user_id: str) -> int:
        """Remove every row that names ``user_id``, in every table. Returns the
        number of memories removed."""
        count = self.conn.execute(
            "SELECT COUNT(*) FROM memories WHERE user_id = ?", [user_id]
        ).fetchone()[0]
        for table in self.user_tables():
            self.conn.execute(f"DELETE FROM {table} WHERE user_id = ?", [user_id])
        return int(count)

    def user_tables(self) -> list[str]:
        """Every table with a user_id column (so later migrations are covered too)."""
        tables = [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return [
            t
            for t in tables
            if any(c[1] == "user_id" for c in self.conn.execute(f"PRAGMA table_info({t})"))
        ]

    def vectors(self, user_id: str) -> Iterator[tuple[int, bytes | None, str | None]]:
        """(id, embedding BLOB, embedder id) for every memory of the user, by id."""
        yield from self.conn.execute(
            "SELECT id, embedding, embedder FROM memories WHERE user_id = ? ORDER BY id", [user_id]
        )

    def set_embedding(self, memory_id: int, embedding: bytes, embedder: str) -> None:
        self.conn.execute(
            "UPDATE memories SET embedding = ?, embedder = ? WHERE id = ?",
            [embedding, embedder, memory_id],
        )

    def with_context(self, user_id: str, created_at: str) -> list[sqlite3.Row]:
        """(id, text, context) of the user's memories stored at ``created_at`` that have a context."""
        return self.conn.execute(
            "SELECT id, text, context FROM memories WHERE user_id = ? AND created_at = ? AND context IS NOT NULL",
            [user_id, created_at]).fetchall()

    def drop_context(self, memory_id: int, embedding: bytes, embedder: str) -> None:
        """Forget a memory's context, with the vector of its text alone. Call inside :meth:`transaction`."""
        self.conn.execute("UPDATE memories SET context = NULL, embedding = ?, embedder = ? WHERE id = ?",
                          [embedding, embedder, memory_id])

    def count_memories(self, user_id: str | None = None) -> int:
        if user_id is None:
            return int(self.conn.execute("SELECT COUNT(*) FROM memories").fetchone()[0])
        return int(
            self.conn.execute("SELECT COUNT(*) FROM memories WHERE user_id = ?", [user_id]).fetchone()[0]
        )

    def users(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT user_id FROM memories ORDER BY user_id")]

    # history -------------------------------------------------------------------

    def add_history(
        self,
        memory_id: int,
        user_id: str,
        event: str,
        old_text: str | None,
        new_text: str | None,
        actor: str,
        reason: str | None,
        created_at: str | None = None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO history (memory_id, user_id, event, old_text, new_text, actor, reason, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [memory_id, user_id, event, old_text, new_text, actor, reason, created_at or now_iso()],
        )

    def history(self, memory_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM history WHERE memory_id = ? ORDER BY id", [memory_id]
        ).fetchall()

    def history_for(self, user_id: str | None) -> list[sqlite3.Row]:
        if user_id is None:
            return self.conn.execute("SELECT * FROM history ORDER BY id").fetchall()
        return self.conn.execute(
            "SELECT * FROM history WHERE user_id = ? ORDER BY id", [user_id]
        ).fetchall()

    # index bookkeeping ---------------------------------------------------------

    def generation(self, user_id: str) -> int:
        row = self.conn.execute(
            "SELECT generation FROM index_state WHERE user_id = ?", [user_id]
        ).fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self, user_id: str) -> None:
        self.conn.execute(
            "INSERT INTO index_state (user_id, generation) VALUES (?, 1)"
            " ON CONFLICT(user_id) DO UPDATE SET generation = generation + 1",
            [user_id],
        )

    # sessions and messages (the short-term memory) -----------------------------

    def create_session(self, session_id: str, user_id: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO sessions (id, user_id, started_at) VALUES (?,?,?)",
            [session_id, user_id, now_iso()],
        )

    def session(self, session_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM sessions WHERE id = ?", [session_id]).fetchone()

    def last_session(self, user_id: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT s.* FROM sessions s WHERE s.user_id = ?"
            " ORDER BY COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.session_id = s.id), 0) DESC,"
            " s.started_at DESC LIMIT 1",
            [user_id],
        ).fetchone()

    def sessions(self, user_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS messages"
            " FROM sessions s WHERE s.user_id = ? ORDER BY s.started_at",
            [user_id],
        ).fetchall()

    def end_session(self, session_id: str) -> None:
        self.conn.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", [now_iso(), session_id])

    def add_message(
        self, session_id: str, user_id: str, role: str, content: str, metadata: dict[str, Any] | None = None,
        created_at: str | None = None,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO messages (session_id, user_id, role, content, created_at, metadata)"
            " VALUES (?,?,?,?,?,?)",
            [session_id, user_id, role, content, created_at or now_iso(),
             json.dumps(metadata or {}, ensure_ascii=False)],
        )
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def recent_messages(self, session_id: str, limit: int, before_id: int | None = None) -> list[sqlite3.Row]:
        """The last ``limit`` messages of a session (older than ``before_id``), oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            [session_id, before_id if before_id is not None else 2**62, limit],
        ).fetchall()
        return list(reversed(rows))

    def messages(self, user_id: str | None = None) -> list[sqlite3.Row]:
        if user_id is None:
            return self.conn.execute("SELECT * FROM messages ORDER BY id").fetchall()
        return self.conn.execute(
            "SELECT * FROM messages WHERE user_id = ? ORDER BY id", [user_id]
        ).fetchall()

    def all_sessions(self, user_id: str | None = None) -> list[sqlite3.Row]:
        if user_id is None:
            return self.conn.execute("SELECT * FROM sessions ORDER BY started_at").fetchall()
        return self.conn.execute(
            "SELECT * FROM sessions WHERE user_id = ? ORDER BY started_at", [user_id]
        ).fetchall()

    # misc ------------------------------------------------------------------------

    def schema_migrations(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", [MIGRATION_SET]
            )
        ]

    def file_sizes(self) -> dict[str, int]:
        out = {}
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                out[p.name] = p.stat().st_size
        return out


def rows_to_dicts(rows: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]
