"""The HNSW sidecar: reuse when valid, rebuild when missing, stale or damaged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from memcli import Config, Memory
from memcli.storage import Store


class Recorder:
    """A progress callback that remembers what was reported."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, label: str, done: int, total: int) -> None:
        self.calls.append((label, done, total))

    @property
    def rebuilt(self) -> bool:
        return any(label == "indexing" for label, _, _ in self.calls)


FACTS = [
    "I live in Busan",
    "My dog is called Pixel",
    "I work as a nurse",
    "I am allergic to peanuts",
    "My sister lives in Toronto",
]


def seed(config: Config) -> None:
    with Memory(config=config) as m:
        for fact in FACTS:
            m.add(fact)


def index_files(config: Config) -> list[Path]:
    folder = config.db_path.with_name(config.db_path.name + ".index")
    return sorted(folder.glob("*.hnsw"))


def reopen_and_search(config: Config) -> tuple[Recorder, str]:
    rec = Recorder()
    with Memory(config=config, progress=rec) as m:
        top = m.search("where does my sister live", limit=1)[0].memory
    return rec, top


def test_a_valid_index_is_reused(config: Config) -> None:
    seed(config)
    rec, top = reopen_and_search(config)
    assert top == "My sister lives in Toronto"
    assert not rec.rebuilt


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage", "manifest"])
def test_a_damaged_or_missing_index_is_rebuilt(config: Config, damage: str) -> None:
    seed(config)
    [path] = index_files(config)
    if damage == "delete":
        path.unlink()
    elif damage == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff" * 5000)
    else:
        path.with_suffix(".json").write_text("{not json")
    rec, top = reopen_and_search(config)
    assert rec.rebuilt
    assert top == "My sister lives in Toronto"
    # and the rebuilt index was saved: the next open reuses it
    rec2, _ = reopen_and_search(config)
    assert not rec2.rebuilt


def test_a_stale_index_is_rebuilt_after_a_crash(config: Config) -> None:
    seed(config)
    # the process dies after the commit, before the index is saved
    crash = ("import os; from memcli import Memory; m = Memory(); m.add('My sister moved to Vancouver'); "
             "os._exit(0)")
    subprocess.run([sys.executable, "-c", crash], check=True)
    rec, _ = reopen_and_search(config)
    assert rec.rebuilt
    with Memory(config=config) as m:
        hits = [h.memory for h in m.search("sister moved Vancouver", limit=2)]
    assert "My sister moved to Vancouver" in hits


def test_another_process_writing_is_noticed(config: Config) -> None:
    with Memory(config=config) as first, Memory(config=config) as second:
        first.add("I play the cello")
        first.search("cello")
        second.add("I play the drums")  # first's loaded index is now behind
        hits = {h.memory for h in first.search("what instrument do I play", limit=5)}
        assert hits == {"I play the cello", "I play the drums"}


def test_reindex_rebuilds_every_user(config: Config) -> None:
    with Memory(config=config) as m:
        m.add("a fact of alice", user_id="alice")
        m.add("a fact of bob", user_id="bob")
        report = m.reindex()
    assert report["users"] == {"alice": 1, "bob": 1}


def test_compaction_after_many_deletions(config: Config) -> None:
    with Memory(config=config) as m:
        ids = [r.id for r in m.add([{"role": "user", "content": f"note number {n}"} for n in range(200)])]
        for memory_id in ids[:150]:
            m.delete(memory_id)
        index = m._core.index("alice")
        # compaction rebuilt the graph without the dead entries
        assert index.deleted < 64
        assert len(index.live) == 50
        assert {h.memory for h in m.search("note number 170", limit=50)} == {
            f"note number {n}" for n in range(150, 200)
        }


def test_changing_the_embedder_reembeds_on_next_use(config: Config) -> None:
    from memcli.models.fake import HashEmbedder

    class OtherFake(HashEmbedder):
        id = "fake-other"

    seed(config)
    rec = Recorder()
    with Memory(config=config, embedder=OtherFake(), progress=rec) as m:
        assert m.search("nurse", limit=1)[0].memory == "I work as a nurse"
    assert any(label == "re-embedding" for label, _, _ in rec.calls)


def test_keyword_search_cost_is_bounded_for_big_users(mem: Memory, monkeypatch) -> None:
    import memcli.storage.keywords as keywords

    monkeypatch.setattr(keywords, "KEYWORD_BUDGET", 4)
    store = Store(mem.path)
    zebra = mem.add("I like zebras", user_id="alice")[0].id
    mem.add("Zebras are striped", user_id="bob")
    liked = [mem.add(f"I like tea number {i}", user_id="alice")[0].id for i in range(10)]

    # The common word would cost more than the budget: only the rare one is ranked.
    assert [i for i, _ in store.keywords.search("alice", ["like", "zebras"], 10)] == [zebra]
    # Only a common word: its newest matches, newest first.
    newest = [i for i, _ in store.keywords.search("alice", ["like"], 20)]
    assert newest == liked[::-1][:4]
    # A user known to be small is ranked in full.
    assert len(store.keywords.search("alice", ["like"], 20, population=3)) == 11
    assert store.keywords.search("alice", ["striped"], 10) == []


def test_when_every_word_is_past_the_budget_the_rarest_lately_gives_its_newest_matches(mem: Memory, monkeypatch) -> None:
    """Counts stop at the budget, so past it they tie; the word taken must then
    be the one whose newest matches reach back furthest, not the first by name."""
    import memcli.storage.keywords as keywords

    monkeypatch.setattr(keywords, "KEYWORD_BUDGET", 4)
    store = Store(mem.path)
    zebras = []
    for i in range(24):  # "apple" in every memory, "zebra" in one of four
        text = f"an apple and a zebra, day {i}" if i % 4 == 0 else f"an apple, day {i}"
        added = mem.add(text, user_id="alice", infer=False)[0].id
        if i % 4 == 0:
            zebras.append(added)
    found = [i for i, _ in store.keywords.search("alice", ["apple", "zebra"], 10)]
    assert found == zebras[::-1][:4]


def test_keyword_search_for_a_user_owning_most_of_the_file_stays_scoped(mem: Memory) -> None:
    # alice owns most rows, so her keyword query runs without the owner token;
    # bob's rows, which rank higher for "zebra", must still never come back.
    store = Store(mem.path)
    mine = mem.add("Saw a zebra once at a very long and dusty safari park far away", user_id="alice")[0].id
    for i in range(29):
        mem.add(f"I like tea number {i}", user_id="alice")
    for i in range(12):
        mem.add(f"zebra zebra {i}", user_id="bob")
    assert store.keywords._others_at_least("alice", 30) < 30  # the unscoped path is the one taken
    assert store.keywords.search("alice", ["zebra"], 1, population=30) == store.keywords.search(
        "alice", ["zebra"], 1)
    assert [i for i, _ in store.keywords.search("alice", ["zebra"], 5, population=30)] == [mine]
    tea = store.keywords.search("alice", ["tea", "zebra"], 40, population=30)
    assert len(tea) == 30 and tea == store.keywords.search("alice", ["tea", "zebra"], 40)
    assert all(mem.get(i).user_id == "bob" for i, _ in store.keywords.search("bob", ["zebra"], 20, 12))


def test_another_process_writes_are_caught_up_without_a_rebuild(config: Config) -> None:
    seed(config)
    rec = Recorder()
    with Memory(config=config, progress=rec) as first, Memory(config=config) as second:
        first.search("anything")  # loaded from the file
        assert not rec.rebuilt
        added = second.add("My sister moved to Vancouver")[0].id
        edited = second.add("I work as a nurse")[0].id
        second.update(edited, "I work as a paramedic")
        second.delete(second.search("dog Pixel", limit=1)[0].id)
        hits = [h.memory for h in first.search("sister moved Vancouver", limit=2)]
        assert hits[0] == "My sister moved to Vancouver" and added
        assert first.search("paramedic", limit=1)[0].memory == "I work as a paramedic"
        assert "My dog is called Pixel" not in {h.memory for h in first.search("dog Pixel", limit=10)}
        assert not rec.rebuilt  # caught up from the change log
