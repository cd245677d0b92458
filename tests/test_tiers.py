"""The cold tier: faded memories leave the hot index but stay found, listed,
exported and erasable."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

from memcli import Config, Memory
from memcli.frontends.cli.environment import Environment
from memcli.storage import Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(days=300)
FRESH = ["I play the cello on Sundays", "My sister Hana lives in Daegu", "I drink green tea every morning",
         "I started a pottery class", "I work as a nurse at the city hospital", "I am reading a novel about ships"]
OLD = "The spare key is hidden under the blue flowerpot"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def planted(config: Config, clock: Clock, later: datetime = LATER) -> tuple[Memory, int]:
    """One memory said at T0 and never used, fresh ones said ``later``."""
    m = Memory(config=config, clock=clock)
    [old] = m.add(OLD)
    clock.now = later
    for text in FRESH:
        m.add(text)
    return m, old.id


def hot_ids(m: Memory, user: str = "alice") -> set[int]:
    with closing(Store(m.path)) as store:
        return set(store.vectors.ids(user))


def test_a_faded_memory_goes_cold_and_is_still_found_by_a_query_only_it_answers(config: Config) -> None:
    m, old = planted(config, Clock(T0))
    plan = m.tier()
    assert [item.id for item, _ in plan.to_cold] == [old] and not plan.applied
    assert old in hot_ids(m) and m.stats()["cold"] == 0  # a dry run moves nothing
    m.tier(apply=True)
    stats = m.stats()
    assert (stats["hot"], stats["cold"], stats["memories"]) == (len(FRESH), 1, len(FRESH) + 1)
    assert old not in hot_ids(m)
    assert m._core.index("alice").live == hot_ids(m)  # the HNSW index holds the hot tier only
    # nothing hot answers, so the cold tier is searched too
    found = m.search("where is the spare key hidden", limit=3)
    assert found[0].id == old and found[0].cold
    # still listed, shown and exported, marked cold
    assert any(i.id == old and i.cold for i in m.get_all())
    assert m.get(old).cold
    assert [r["cold"] for r in m.export()["memories"] if r["id"] == old] == [True]
    m.close()


def test_cold_memories_are_out_of_the_default_ranking_unless_needed_or_asked(home: Path) -> None:
    config = Config.from_dict({"user": "alice", "embedder": "fake", "cold_floor": 0.0})  # never for a weak match
    clock = Clock(T0)
    m, old = planted(config, clock)
    [office] = m.add("The spare key of the office is hidden at the reception desk")
    m.tier(apply=True)
    with closing(Store(m.path)) as store:  # the keyword index searched by default holds no cold row
        assert [i for i, _ in store.keywords.search("alice", ["flowerpot"], 10)] == []
        assert [i for i, _ in store.keywords.search("alice", ["flowerpot"], 10, cold=True)] == [old]
    # every word of this query is in a hot memory: the cold tier is not consulted
    query = "where is the spare key hidden"
    assert old not in [i.id for i in m.search(query)]
    assert m.search(query, include_cold=True)[0].id in (old, office.id)
    assert old in [i.id for i in m.search(query, include_cold=True)]
    # a word only a cold memory holds brings the cold tier in, however good the hot match
    assert old in [i.id for i in m.search("the spare key under the flowerpot", limit=3)]
    m.close()


def test_a_used_cold_memory_becomes_hot_again(home: Path) -> None:
    config = Config.from_dict({"user": "alice", "embedder": "fake", "cold_floor": 0.0})
    m, old = planted(config, Clock(T0))
    m.tier(apply=True)
    m.touch([old])  # it reached a prompt
    assert not m.get(old).cold and old in hot_ids(m)
    assert m.search("where is the spare key hidden")[0].id == old  # without the cold tier
    assert m.tier().to_cold == []  # its retention is back to full
    # editing or saying again warms too
    m.tier(apply=True, now=LATER + timedelta(days=600))
    assert m.get(old).cold
    m.update(old, "The spare key is now under the red flowerpot")
    assert not m.get(old).cold and old in hot_ids(m)
    m.close()


def test_pinned_memories_never_go_cold_and_pinning_warms(config: Config) -> None:
    clock = Clock(T0)
    m, old = planted(config, clock)
    [pinned] = m.add("My blood type is O negative", timestamp=T0)
    m.pin(pinned.id)
    with Memory(config=config, clock=Clock(T0)) as then:
        [other] = then.add("The wifi password hint is the dog's name")
    plan = m.tier(apply=True)
    assert {i.id for i, _ in plan.to_cold} == {old, other.id}
    assert not m.get(pinned.id).cold
    m.pin(old)
    assert not m.get(old).cold and old in hot_ids(m)
    assert m.tier().to_cold == []  # pinned never go back
    m.close()


def test_another_process_sees_the_move_through_the_change_log(config: Config) -> None:
    clock = Clock(T0)
    m, old = planted(config, clock)
    m.search("cello")  # this process's index is loaded before the other one moves memories
    with Memory(config=config, clock=clock) as other:
        other.tier(apply=True)
    assert m._core.index("alice").live == hot_ids(m)
    assert old not in m._core.index("alice").live
    with Memory(config=config, clock=clock) as third:  # and a rebuild from scratch holds the hot tier only
        report = third.reindex("alice")
        assert report["users"]["alice"] == len(FRESH)
        assert third.search("where is the spare key hidden")[0].id == old
    m.close()


def test_consolidation_groups_cold_memories(config: Config) -> None:
    clock = Clock(T0)
    with Memory(config=config, clock=clock) as m:
        for text in ["I went hiking at Bukhansan in spring", "I went hiking at Bukhansan with Jun",
                     "I went hiking at Bukhansan in the rain"]:
            m.add(text)
        clock.now = LATER + timedelta(days=400)
        m.tier(apply=True)
        assert m.stats()["cold"] == 3
        groups = m.consolidate(threshold=0.05)
        assert len(groups) == 1 and len(groups[0].members) == 3


def test_review_runs_at_most_once_a_day(config: Config) -> None:
    clock = Clock(T0)
    m, old = planted(config, clock)
    assert m.review_tiers() is not None and m.get(old).cold
    m.touch([old])
    assert m.review_tiers(now=LATER + timedelta(hours=20)) is None  # reviewed less than a day ago
    clock.now = LATER + timedelta(days=400)
    assert m.review_tiers() is not None and m.get(old).cold
    m.close()


def test_prune_shows_then_moves_tiers(cli, config: Config) -> None:
    # 100 days unused: faded below cold_below (0.2), not yet below prune's 0.05
    later = T0 + timedelta(days=100)
    m, old = planted(config, Clock(T0), later)
    m.close()
    env = Environment(clock=lambda: later)
    dry = cli("prune", "--json", env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["results"] == []
    tiers = json.loads(dry.stdout)["tiers"]
    assert [r["id"] for r in tiers["to_cold"]] == [old] and not tiers["applied"]
    assert 0.05 < tiers["to_cold"][0]["retention"] < 0.2
    text = cli("prune", env=env)
    assert "to cold" in text.stdout and "spare key" in text.stdout
    done = cli("prune", "--apply", "--yes", "--json", env=env)
    assert json.loads(done.stdout)["tiers"]["applied"]
    stats = json.loads(cli("stats", "--json").stdout)
    assert (stats["hot"], stats["cold"]) == (len(FRESH), 1)
    listed = json.loads(cli("list", "--json").stdout)["results"]
    assert [r["cold"] for r in listed if r["id"] == old] == [True]
    assert "(cold)" in cli("list").stdout
    found = json.loads(cli("search", "spare", "key", "--include-cold", "--json", env=env).stdout)["results"]
    assert found[0]["id"] == old


def test_the_chat_moves_faded_memories_in_the_background(cli, home: Path) -> None:
    (home / "config.toml").write_text('user = "alice"\nembedder = "fake"\n[chat]\nmodel = "fake"\n')
    config = Config.load()
    m, old = planted(config, Clock(T0))
    m.close()
    result = cli("chat", input="Hello there\n", env=Environment(clock=lambda: LATER))
    assert result.exit_code == 0, result.output
    with Memory(config=config, clock=lambda: LATER) as after:
        assert after.get(old).cold
        assert after.review_tiers() is None  # done for today


def test_erasure_covers_both_tiers(cli, config: Config) -> None:
    clock = Clock(T0)
    with Memory(config=config, clock=clock) as m:
        [cold] = m.add("my old locker code is zanzibar-quokka-7731", user_id="victim")
        clock.now = LATER
        m.add("I keep purple-tortoise-8842 stamps", user_id="victim")
        m.add("keeper likes ordinary-porridge-1234", user_id="keeper")
        m.tier("victim", apply=True)
        assert m.get(cold.id).cold
        m.search("locker code", user_id="victim")  # the cold vectors are read into memory too
        probes = [blob[64:96] for blob in
                  (__import__("base64").b64decode(r["embedding"]) for r in m.export("victim")["memories"])]
    assert cli("forget", "--user", "victim", "--yes").exit_code == 0
    for path in config.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for marker in (b"zanzibar-quokka-7731", b"purple-tortoise-8842", *probes):
                assert marker not in data, f"{marker!r} survives in {path.name}"
    assert cli("search", "porridge", "-u", "keeper", "--json").exit_code == 0
