"""The SQLite file: opening it, transactions, and the per-user index generation.

Reads and writes use the plain ``sqlite3`` connection (sqlite-utils is imported
only when the schema needs migrating; see :mod:`.migrations`). Every SQL
statement memcli runs lives in this package, one module per group of tables:
:mod:`.memories`, :mod:`.keywords` (the FTS5 index), :mod:`.history`,
:mod:`.sessions` (sessions and messages). Each group holds the :class:`Store`
it belongs to, as a sqlite-utils ``Table`` holds its ``Database``.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from memcli.base.errors import StorageError
from memcli.base.files import touch_private
from memcli.storage import migrations

Clock = Callable[[], datetime]
# Generations of vector changes kept per user for other processes to catch up from.
CHANGES_KEPT = 2000
# Seconds a process waits for another that is setting up a new database file.
OPEN_PATIENCE = 30.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def now_iso() -> str:
    """Current UTC time as ISO 8601 with microseconds (sorts as text)."""
    return utc_now().isoformat(timespec="microseconds")


SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_is_sqlite(path: Path) -> None:
    """Refuse any existing, non-empty file that is not an SQLite database: SQLite
    would otherwise turn a short file of anything into a database over it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there yet (a missing folder is reported when it is created)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise StorageError(f"{path} is not a memcli database (not an SQLite file); nothing was changed")


class Store:
    """One SQLite file: WAL journal, secure_delete on, owner-only permissions.

    ``clock`` gives the time every stored timestamp is taken from (tests and
    benchmarks may pass their own).
    """

    def __init__(self, path: Path, clock: Clock = utc_now) -> None:
        from memcli.storage.history import History
        from memcli.storage.keywords import KeywordIndex
        from memcli.storage.listing import MemoryLists
        from memcli.storage.memories import Memories
        from memcli.storage.vectors import MemoryVectors
        from memcli.storage.sessions import Sessions

        self.path = Path(path)
        self.clock = clock
        if self.path.exists() and self.path.is_dir():
            raise StorageError(f"database path {self.path} is a folder")
        _check_is_sqlite(self.path)
        touch_private(self.path)
        self.conn = self._open()
        self._depth = 0
        self._identity: str | None = None
        self.memories = Memories(self)
        self.lists = MemoryLists(self)
        self.vectors = MemoryVectors(self)
        self.keywords = KeywordIndex(self)
        self.history = History(self)
        self.sessions = Sessions(self)

    def _open(self) -> sqlite3.Connection:
        """Connect, switch to WAL and migrate. Several processes opening a new file
        at once can find it locked while one of them sets it up (switching the
        journal takes an exclusive lock that SQLite's busy handler does not wait
        for): they try again, with growing pauses, for up to OPEN_PATIENCE seconds."""
        deadline = time.monotonic() + OPEN_PATIENCE
        pause = 0.02
        while True:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA busy_timeout = 5000")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageError(f"cannot use WAL journal for {self.path} (got {mode})")
                conn.execute("PRAGMA synchronous = NORMAL")
                # Deleted content is overwritten with zeros, so forgotten text does
                # not survive in free pages of the file.
                conn.execute("PRAGMA secure_delete = ON")
                migrations.migrate(conn)
                return conn
            except sqlite3.OperationalError as exc:
                conn.close()
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise StorageError(f"cannot open database {self.path}: {exc}") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise StorageError(f"cannot open database {self.path}: {exc}") from None
            except BaseException:
                conn.close()
                raise

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    def now(self) -> str:
        """The store's clock as stored ISO text (UTC, microseconds)."""
        return self.clock().astimezone(timezone.utc).isoformat(timespec="microseconds")

    # transactions ------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. A nested block is a
        savepoint: if it fails, its own writes are undone and the outer
        transaction goes on (or fails too, if the error is not caught)."""
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StorageError(f"cannot write to {self.path}: {exc}") from None

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    # the index generation ------------------------------------------------------

    def generation(self, user_id: str) -> int:
        """Bumped in the same transaction as any change to the user's vectors;
        the HNSW manifest records the value it reflects."""
        row = self.conn.execute("SELECT generation FROM index_state WHERE user_id = ?", [user_id]).fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self, user_id: str, memory_id: int, change: str) -> None:
        """A new generation for the user, and what it changed in their vectors
        (``set``, ``remove`` or ``none``). Call inside :meth:`transaction`."""
        generation = self.conn.execute(
            "INSERT INTO index_state (user_id, generation) VALUES (?, 1)"
            " ON CONFLICT(user_id) DO UPDATE SET generation = generation + 1 RETURNING generation",
            [user_id],
        ).fetchone()[0]
        self.conn.execute("INSERT INTO index_changes (user_id, generation, memory_id, change) VALUES (?,?,?,?)",
                          [user_id, generation, memory_id, change])
        if generation % CHANGES_KEPT == 0:
            self.conn.execute("DELETE FROM index_changes WHERE user_id = ? AND generation <= ?",
                              [user_id, generation - CHANGES_KEPT])

    def bump_generation_many(self, user_id: str, memory_ids: Sequence[int], change: str) -> None:
        """One new generation for a batch of the same change (a move between tiers)."""
        if not memory_ids:
            return
        first, *rest = memory_ids
        self.bump_generation(user_id, first, change)
        generation = self.generation(user_id)
        self.conn.executemany("INSERT INTO index_changes (user_id, generation, memory_id, change) VALUES (?,?,?,?)",
                              [(user_id, generation, int(i), change) for i in rest])

    def cold_generation(self, user_id: str) -> int:
        """Bumped whenever the user's cold tier changes (a cache of its vectors is
        valid while this holds)."""
        row = self.conn.execute("SELECT cold_generation FROM index_state WHERE user_id = ?", [user_id]).fetchone()
        return int(row[0]) if row else 0

    def bump_cold_generation(self, user_id: str) -> None:
        self.conn.execute(
            "INSERT INTO index_state (user_id, generation, cold_generation) VALUES (?, 0, 1)"
            " ON CONFLICT(user_id) DO UPDATE SET cold_generation = cold_generation + 1", [user_id])

    def tiered_at(self, user_id: str) -> str | None:
        """When the user's tiers were last reviewed (None: never)."""
        row = self.conn.execute("SELECT tiered_at FROM index_state WHERE user_id = ?", [user_id]).fetchone()
        return str(row[0]) if row and row[0] else None

    def set_tiered_at(self, user_id: str, when: str) -> None:
        self.conn.execute(
            "INSERT INTO index_state (user_id, generation, tiered_at) VALUES (?, 0, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET tiered_at = excluded.tiered_at", [user_id, when])

    def changes_since(self, user_id: str, generation: int) -> list[tuple[int, int, str]] | None:
        """(generation, memory id, change) after ``generation``, oldest first; None
        when the log no longer reaches back that far (the index must be rebuilt)."""
        rows = [(int(r[0]), int(r[1]), str(r[2])) for r in self.conn.execute(
            "SELECT generation, memory_id, change FROM index_changes WHERE user_id = ? AND generation > ?"
            " ORDER BY generation", [user_id, generation])]
        current = self.generation(user_id)
        if len({g for g, _, _ in rows}) != current - generation:
            return None
        return rows

    def identity(self) -> str:
        """This database's own random id (kept in index manifests)."""
        if self._identity is None:
            row = self.conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
            self._identity = str(row[0]) if row else ""
        return self._identity

    # imports ----------------------------------------------------------------------

    def imported(self, digest: str, user_id: str) -> str | None:
        """When this document was imported for this user, if it was."""
        row = self.conn.execute("SELECT imported_at FROM imports WHERE digest = ? AND user_id = ?",
                                [digest, user_id]).fetchone()
        return str(row[0]) if row else None

    def record_import(self, digest: str, user_id: str, memories: int) -> None:
        """Call inside :meth:`transaction`, with the import's own writes."""
        self.conn.execute("INSERT OR REPLACE INTO imports (digest, user_id, imported_at, memories) VALUES (?,?,?,?)",
                          [digest, user_id, self.now(), memories])

    # whole users and the whole file ---------------------------------------------

    def user_tables(self) -> list[str]:
        """Every table with a user_id column (so later migrations are covered too)."""
        tables = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return [t for t in tables if any(c[1] == "user_id" for c in self.conn.execute(f"PRAGMA table_info({t})"))]

    def delete_user(self, user_id: str) -> int:
        """Remove every row that names ``user_id``, in every table. Returns the
        number of memories removed. Call inside :meth:`transaction`."""
        count = self.vectors.count(user_id)
        for table in self.user_tables():
            self.conn.execute(f"DELETE FROM {table} WHERE user_id = ?", [user_id])
        return count

    def delete_everything(self) -> None:
        """Every user's rows, in every table. Call inside :meth:`transaction`."""
        for table in self.user_tables():
            self.conn.execute(f"DELETE FROM {table}")

    def counts(self, user_id: str | None = None) -> dict[str, Any]:
        """Rows per user and per kind of memory, and of sessions, messages and history."""
        where, args = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])

        def count(table: str) -> int:
            return int(self.conn.execute(f"SELECT COUNT(*) FROM {table} {where}", args).fetchone()[0])

        return {
            "users": dict(self.conn.execute(f"SELECT user_id, COUNT(*) FROM memories {where} GROUP BY user_id",
                                            args).fetchall()),
            "kinds": dict(self.conn.execute(f"SELECT kind, COUNT(*) FROM memories {where} GROUP BY kind",
                                            args).fetchall()),
            "sessions": count("sessions"),
            "messages": count("messages"),
            "history_events": count("history"),
        }

    def scrub(self) -> None:
        """Leave no trace of deleted rows: the keyword index merged into one fresh
        segment, then the WAL moved into the file and truncated."""
        self.keywords.purge()
        self.checkpoint()

    def checkpoint(self) -> None:
        """Move the WAL into the main file and truncate it to zero bytes, so text
        deleted a moment ago no longer sits in the WAL."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vacuum(self) -> None:
        """Rewrite the file without free pages (and without any deleted residue)."""
        self.checkpoint()
        self.conn.execute("VACUUM")
        self.checkpoint()

    def schema(self) -> list[str]:
        """The migrations this database has, in order."""
        return migrations.applied_names(self.conn)

    def file_sizes(self) -> dict[str, int]:
        out = {}
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                out[p.name] = p.stat().st_size
        return out
