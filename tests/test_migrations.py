"""Upgrades: a database left at each earlier migration opens with its data,
keyword search and vector search intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from memcli import Config, Memory
from memcli.models.fake import HashEmbedder
from memcli.storage import Store
from memcli.storage.migrations import MIGRATIONS, migrate, schema_version

TEXTS = ["I keep bees in the garden", "My favourite tea is oolong", "The lighthouse keeper waved at me"]


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def fill(conn: sqlite3.Connection) -> None:
    """Rows as the schema of that time allows, written with plain SQL (as a memcli
    of that time would have)."""
    embedder = HashEmbedder()
    have = columns(conn, "memories")
    for n, text in enumerate(TEXTS):
        row = {"user_id": "alice", "kind": "fact", "text": text, "metadata": '{"n": %d}' % n, "hash": f"h{n}",
               "embedding": embedder.embed([text])[0].tobytes(), "embedder": embedder.id,
               "created_at": f"2024-0{n + 1}-01T00:00:00+00:00", "updated_at": f"2024-0{n + 1}-01T00:00:00+00:00"}
        if "valid_from" in have:
            row["valid_from"] = row["created_at"]
        names = ", ".join(row)
        conn.execute(f"INSERT INTO memories ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        conn.execute("INSERT INTO history (memory_id, user_id, event, new_text, actor, created_at)"
                     " VALUES (?, 'alice', 'ADD', ?, 'api', ?)", [n + 1, text, row["created_at"]])
    if "messages" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}:
        conn.execute("INSERT INTO sessions (id, user_id, started_at) VALUES ('s1', 'alice', '2024-01-01')")
        conn.execute("INSERT INTO messages (session_id, user_id, role, content, created_at)"
                     " VALUES ('s1', 'alice', 'user', 'hello bees', '2024-01-01')")


@pytest.mark.parametrize("stop", [name for name, _ in MIGRATIONS[1:]])
def test_a_database_from_an_earlier_schema_upgrades(tmp_path: Path, stop: str) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, stop_before=stop)
    assert schema_version(conn) == [name for name, _ in MIGRATIONS].index(stop)
    fill(conn)
    conn.close()

    store = Store(path)  # applies the rest
    assert store.schema() == [name for name, _ in MIGRATIONS]
    assert sorted(i.memory for i in store.lists.select("alice")) == sorted(TEXTS)
    assert store.memories.get(2).metadata == {"n": 1}
    assert [e.new_memory for e in store.history.of(1)] == [TEXTS[0]]
    [bees] = [i for i, _ in store.keywords.search("alice", ["bees"], 10)]
    assert store.memories.get(bees).memory == TEXTS[0]
    store.close()

    with Memory(path=path, config=Config(embedder="fake", user="alice")) as m:
        assert m.search("lighthouse", limit=1)[0].memory == TEXTS[2]
        assert m.search("oolong tea", limit=1)[0].memory == TEXTS[1]
        m.add("A new line after the upgrade about bees")
        assert {h.memory for h in m.search("bees", limit=2)} == {TEXTS[0], "A new line after the upgrade about bees"}
        if stop != "0002_sessions_messages":  # the log existed, and kept its line
            assert [msg.content for msg in m.messages("alice")] == ["hello bees"]


def test_an_up_to_date_database_opens_without_migrating(tmp_path: Path, monkeypatch) -> None:
    Store(tmp_path / "m.db").close()
    import memcli.storage.migrations as migrations

    def fail() -> None:
        raise AssertionError("sqlite-utils was consulted for an up-to-date database")

    monkeypatch.setattr(migrations, "migrations", fail)
    store = Store(tmp_path / "m.db")
    assert len(store.schema()) == len(MIGRATIONS)
    store.close()


def test_a_database_migrated_before_user_version_is_recognised(tmp_path: Path) -> None:
    """Files written before memcli set user_version have every migration recorded
    by sqlite-utils only: they open, and get the version."""
    path = tmp_path / "m.db"
    Store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    store = Store(path)
    assert schema_version(store.conn) == len(MIGRATIONS)
    store.close()
