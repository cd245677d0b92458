"""The schema, as numbered migrations applied on open.

A migration is never edited once released: a change is a new function at the
end of :data:`MIGRATIONS`. sqlite-utils' ``Migrations`` records what has been
applied (its own table, read only through its API); memcli also sets
``PRAGMA user_version`` to the number of migrations applied, so opening an
up-to-date database costs one pragma instead of importing sqlite-utils (which
pulls in numpy and costs a few tenths of a second, too slow for ``memcli list``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

MIGRATION_SET = "memcli"
# A memory's speaker, as the speakers index holds it: queries must write the
# same expression for SQLite to use that index. json_valid first, so a row
# with broken metadata (an old import) cannot make the migration fail.
SPEAKER = "CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.name') END"


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
    # BM25 weight of the context against the text's 1.0: KEYWORD_CONTEXT in
    # memcli/base/tuning.py, written as a literal (a migration never changes once
    # released; tests/test_tuning.py checks the two agree).
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


def _m0008_identity_imports_changes(db: Any) -> None:
    # The database's identity, written into every index manifest: an index file
    # copied over from another database is then known as foreign and rebuilt.
    db.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))))")
    # The documents imported, by content digest and user: importing one again,
    # at once from two processes or a year later, adds nothing. Erasing a user
    # removes their rows here too (the table has a user_id).
    db.execute(
        "CREATE TABLE imports (digest TEXT NOT NULL, user_id TEXT NOT NULL, imported_at TEXT NOT NULL,"
        " memories INTEGER NOT NULL, PRIMARY KEY (digest, user_id))"
    )
    # What each generation changed in a user's vectors ('set': added or
    # replaced, 'remove', 'none'), written in the same transaction as the bump:
    # another process's index catches up from here instead of rebuilding. Only
    # the recent past is kept; an index further behind is rebuilt.
    db.execute(
        "CREATE TABLE index_changes (user_id TEXT NOT NULL, generation INTEGER NOT NULL,"
        " memory_id INTEGER NOT NULL, change TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_index_changes ON index_changes(user_id, generation)")


def _m0009_cold_tier(db: Any) -> None:
    # The cold tier: memories whose retention faded are out of the user's HNSW
    # index and out of the keyword index searched by default; their vectors
    # stay here and are searched exactly, and their words sit in a keyword
    # index of their own, both consulted when hot results are weak. Keeping
    # cold rows out of memories_fts (rather than filtering them after ranking)
    # keeps a hot keyword query as cheap as if the cold rows did not exist:
    # with 80% of 100k memories cold, filtering cost twice the time of ranking
    # 100k hot ones.
    db.execute("ALTER TABLE memories ADD COLUMN cold INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX idx_memories_cold ON memories(user_id, cold, id)")
    # cold_generation: bumped whenever the user's cold set changes (a cache of
    # cold vectors is valid while it holds); tiered_at: when tiers were last
    # reviewed (the chat does it at most once a day).
    db.execute("ALTER TABLE index_state ADD COLUMN cold_generation INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE index_state ADD COLUMN tiered_at TEXT")
    db.execute(
        "CREATE VIRTUAL TABLE memories_fts_cold USING fts5(text, fts_owner, context, content='memories',"
        " content_rowid='id', tokenize='porter unicode61')"
    )
    db.execute("INSERT INTO memories_fts_cold(memories_fts_cold, rank) VALUES ('rank', 'bm25(1.0, 0.0, 0.3)')")
    for trigger in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER memories_fts_{trigger}")
    columns = "text, fts_owner, context"
    for table, tier in (("memories_fts", 0), ("memories_fts_cold", 1)):
        db.execute(
            f"CREATE TRIGGER {table}_insert AFTER INSERT ON memories WHEN new.cold = {tier} BEGIN"
            f" INSERT INTO {table}(rowid, {columns}) VALUES (new.id, new.text, new.fts_owner, new.context); END"
        )
        db.execute(
            f"CREATE TRIGGER {table}_delete AFTER DELETE ON memories WHEN old.cold = {tier} BEGIN"
            f" INSERT INTO {table}({table}, rowid, {columns})"
            f" VALUES ('delete', old.id, old.text, old.fts_owner, old.context); END"
        )
    # An update takes the row out of its old tier's index and puts it in its new one's.
    db.execute(
        "CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, user_id, context, cold ON memories BEGIN"
        f" INSERT INTO memories_fts(memories_fts, rowid, {columns})"
        " SELECT 'delete', old.id, old.text, old.fts_owner, old.context WHERE old.cold = 0;"
        f" INSERT INTO memories_fts_cold(memories_fts_cold, rowid, {columns})"
        " SELECT 'delete', old.id, old.text, old.fts_owner, old.context WHERE old.cold = 1;"
        f" INSERT INTO memories_fts(rowid, {columns})"
        " SELECT new.id, new.text, new.fts_owner, new.context WHERE new.cold = 0;"
        f" INSERT INTO memories_fts_cold(rowid, {columns})"
        " SELECT new.id, new.text, new.fts_owner, new.context WHERE new.cold = 1; END"
    )


def _m0010_speakers(db: Any) -> None:
    # The names messages were said under, so a search can ask which speakers a
    # user's memories have without reading them all (memcli/names.py); only
    # rows with a name are in it.
    db.execute(
        f"CREATE INDEX idx_memories_speaker ON memories(user_id, {SPEAKER}) WHERE {SPEAKER} IS NOT NULL"
    )


def _m0011_message_import_keys(db: Any) -> None:
    # A message brought in from a chat export keeps the export's own key for it,
    # so importing the same export again, or a later one, adds only what is new.
    db.execute("ALTER TABLE messages ADD COLUMN import_key TEXT")
    db.execute("CREATE UNIQUE INDEX idx_messages_import ON messages(user_id, session_id, import_key)"
               " WHERE import_key IS NOT NULL")


MIGRATIONS: list[tuple[str, Any]] = [
    ("0001_memories", _m0001_memories),
    ("0002_sessions_messages", _m0002_sessions_messages),
    ("0003_facts_over_time", _m0003_facts_over_time),
    ("0004_keyword_index", _m0004_keyword_index),
    ("0005_forgetting_and_privacy", _m0005_forgetting_and_privacy),
    ("0006_keyword_index_per_user", _m0006_keyword_index_per_user),
    ("0007_embedding_context", _m0007_embedding_context),
    ("0008_identity_imports_changes", _m0008_identity_imports_changes),
    ("0009_cold_tier", _m0009_cold_tier),
    ("0010_speakers", _m0010_speakers),
    ("0011_message_import_keys", _m0011_message_import_keys),
]


def migrations() -> Any:
    """sqlite-utils' ``Migrations`` holding every migration, in order."""
    from sqlite_utils.migrations import Migrations

    found = Migrations(MIGRATION_SET)
    for name, fn in MIGRATIONS:
        found(name=name)(fn)
    return found


def schema_version(conn: sqlite3.Connection) -> int:
    """How many of :data:`MIGRATIONS` this database has (its ``user_version``)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, stop_before: str | None = None) -> None:
    """Apply the pending migrations, all in one write transaction.

    Two processes opening a new database at once must not both create its
    tables: the first takes the write lock (BEGIN IMMEDIATE; the other waits
    for it, up to the busy timeout), and the list of pending migrations is
    read only once the lock is held, so the second finds nothing to do.
    ``stop_before`` (for upgrade tests) leaves a migration and those after it
    pending.
    """
    if stop_before is None and schema_version(conn) >= len(MIGRATIONS):
        return
    from sqlite_utils import Database

    conn.execute("BEGIN IMMEDIATE")
    try:
        db = Database(conn)
        found = migrations()
        found.apply(db, stop_before=stop_before)
        applied = {m.name for m in found.applied(db)}
        done = 0
        for name, _ in MIGRATIONS:
            if name not in applied:
                break
            done += 1
        conn.execute(f"PRAGMA user_version = {done}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def applied_names(conn: sqlite3.Connection) -> list[str]:
    """The names of the migrations this database has, in order."""
    return [name for name, _ in MIGRATIONS[: schema_version(conn)]]
