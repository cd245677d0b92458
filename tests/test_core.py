"""The core alone: the one write path, savepoints, and the index kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from memcli import Config, MemoryItem
from memcli.engine.core import Core
from memcli.storage import Store


def item(text: str, user: str = "alice") -> MemoryItem:
    return MemoryItem(0, text, user)


@pytest.fixture
def core(tmp_path: Path):
    c = Core(Config(embedder="fake", user="alice", db=str(tmp_path / "m.db")))
    yield c
    c.close()


def test_a_write_reaches_the_index_on_commit(core: Core) -> None:
    [vector] = core.embedding.embed(["I keep bees"])
    with core.write() as w:
        new_id = w.insert(item("I keep bees"), vector, actor="api")
        assert new_id not in core.index("alice").live  # not before the commit
    index = core.index("alice")
    assert new_id in index.live and index.generation == core.store.generation("alice")
    assert core.store.memories.get(new_id).hash  # filled in by the write path


def test_a_failed_write_changes_neither_the_database_nor_the_index(core: Core) -> None:
    [kept] = core.embedding.embed(["kept"])
    with core.write() as w:
        first = w.insert(item("kept"), kept, actor="api")
    before = set(core.index("alice").live)
    with pytest.raises(RuntimeError):
        with core.write() as w:
            w.insert(item("lost"), core.embedding.embed(["lost"])[0], actor="api")
            w.delete(first, actor="api")
            raise RuntimeError("boom")
    assert [i.memory for i in core.store.lists.select("alice")] == ["kept"]
    assert core.index("alice").live == before


def test_nested_writes_join_the_outer_transaction(core: Core) -> None:
    vectors = core.embedding.embed(["one", "two"])
    with core.write() as outer:
        a = outer.insert(item("one"), vectors[0], actor="api")
        with core.write() as inner:
            assert inner is outer
            b = inner.insert(item("two"), vectors[1], actor="api")
    assert {a, b} <= core.index("alice").live


def test_a_failed_savepoint_undoes_only_its_own_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with store.transaction():
        store.sessions.create("outer", "alice")
        with pytest.raises(ValueError):
            with store.transaction():
                store.sessions.create("inner", "alice")
                raise ValueError("undo the inner block")
        store.sessions.create("after", "alice")
    assert sorted(s.id for s in store.sessions.of_user("alice")) == ["after", "outer"]
    store.close()


def test_another_process_catches_the_index_up_inside_a_write(core: Core, tmp_path: Path) -> None:
    [vector] = core.embedding.embed(["mine"])
    with core.write() as w:
        w.insert(item("mine"), vector, actor="api")
    other = Core(Config(embedder="fake", user="alice", db=str(tmp_path / "m.db")))
    with other.write() as w:
        theirs = w.insert(item("theirs"), other.embedding.embed(["theirs"])[0], actor="api")
    other.close()
    with core.write() as w:
        ours = w.insert(item("ours"), core.embedding.embed(["ours"])[0], actor="api")
    assert {theirs, ours} <= core.index("alice").live


def test_ids_sqlite_cannot_hold_are_unknown_not_crashes(core: Core) -> None:
    from memcli import InvalidInput, NotFound

    for bad in (2**63, 10**20, 0, -4):
        with pytest.raises(NotFound):
            core.memory_id(bad)
    for bad in ("abc", None, 1.5j, True):
        with pytest.raises(InvalidInput):
            core.memory_id(bad)
