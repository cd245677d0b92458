"""Forgetting on a curve: the retention maths, ranking, pin, prune."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from memcli import Config, Memory, MemoryItem
from memcli.services.forgetting import half_life_days, rank_factor, retention

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def item(days_ago: float, *, importance: float = 0.5, accesses: int = 0, reinforced: int = 0,
         pinned: bool = False, last_access_days_ago: float | None = None) -> MemoryItem:
    stamp = (NOW - timedelta(days=days_ago)).isoformat()
    last = (NOW - timedelta(days=last_access_days_ago)).isoformat() if last_access_days_ago is not None else None
    return MemoryItem(id=1, memory="x", user_id="u", created_at=stamp, updated_at=stamp, importance=importance,
                      access_count=accesses, reinforced=reinforced, pinned=pinned, last_accessed=last)


def test_retention_decays_monotonically_from_one() -> None:
    values = [retention(item(d), NOW) for d in (0, 1, 7, 30, 90, 365)]
    assert values[0] == pytest.approx(1.0)
    assert all(a > b for a, b in zip(values, values[1:]))
    assert all(0.0 < v <= 1.0 for v in values)


def test_half_life_is_where_half_is_left() -> None:
    h = half_life_days(30.0, 0.5, 0, 0)
    assert retention(item(h), NOW) == pytest.approx(0.5)


def test_use_and_importance_slow_the_fading() -> None:
    base = retention(item(60), NOW)
    assert retention(item(60, accesses=3), NOW) > base
    assert retention(item(60, reinforced=3), NOW) > base
    assert retention(item(60, importance=0.9), NOW) > base > retention(item(60, importance=0.1), NOW)
    # more uses keep helping, less each time
    r = [retention(item(60, accesses=n), NOW) for n in (0, 1, 2, 4, 8)]
    assert all(a < b for a, b in zip(r, r[1:]))
    assert r[1] - r[0] > r[4] - r[3]


def test_a_recent_access_refreshes_an_old_memory() -> None:
    assert retention(item(400, accesses=1, last_access_days_ago=1), NOW) > 0.9


def test_pinned_never_fades() -> None:
    assert retention(item(10_000, pinned=True), NOW) == 1.0


def test_rank_factor_bounds() -> None:
    assert rank_factor(1.0, 0.3) == pytest.approx(1.0)
    assert rank_factor(0.0, 0.3) == pytest.approx(0.7)
    assert rank_factor(0.0, 0.0) == pytest.approx(1.0)


def aged(m: Memory, text: str, days: int, **kw) -> int:
    """Add ``text`` as if it had been said and stored ``days`` ago (a second Memory
    on the same file, with its clock set back)."""
    then = datetime.now(timezone.utc) - timedelta(days=days)
    with Memory(path=m.path, config=m.config, clock=lambda: then) as past:
        [r] = past.add(text, timestamp=then.isoformat(), **kw)
    return r.id


def test_a_faded_memory_loses_to_a_fresh_one_of_equal_relevance(tmp_path) -> None:
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="u")) as m:
        stale = aged(m, "I like green tea in the morning", 400)
        fresh = aged(m, "I like green tea in the morning!", 1)
        assert [h.id for h in m.search("green tea morning", limit=2)] == [fresh, stale]
        m.config.retention_weight = 0.0  # without retention the two tie on relevance
        ids = [h.id for h in m.search("green tea morning", limit=2)]
        assert set(ids) == {fresh, stale}


def test_prompts_count_as_use_listings_do_not(tmp_path) -> None:
    from memcli.chat import ChatSession
    from memcli.models.scripted import ScriptedLLM

    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="u")) as m:
        [r] = m.add("I play the cello every weekend")
        m.get_all()
        m.search("cello")
        assert m.get(r.id).access_count == 0
        chat = ChatSession(m, ScriptedLLM(["ok"]), m.config.chat, "u")
        "".join(chat.turn("what instrument do I play, the cello?"))
        after = m.get(r.id)
        assert after.access_count == 1 and after.last_accessed is not None


def test_prune_dry_run_then_apply_keeps_pinned_and_tombstones(tmp_path) -> None:
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="u")) as m:
        old_trivia = aged(m, "I had toast for breakfast once", 500)
        old_pinned = aged(m, "My mother's birthday is May 4th", 500)
        fresh = aged(m, "I started a pottery class", 2)
        m.pin(old_pinned)
        dry = m.prune(threshold=0.05)
        assert [i.id for i, _ in dry] == [old_trivia]
        assert len(m.get_all()) == 3  # a dry run changes nothing
        applied = m.prune(threshold=0.05, apply=True)
        assert [i.id for i, _ in applied] == [old_trivia]
        assert {i.id for i in m.get_all()} == {old_pinned, fresh}
        events = m.history(old_trivia)
        assert events[-1].event == "DELETE" and all(e.new_memory is None for e in events)
        assert "pruned" in events[-1].reason


def test_prune_and_pin_from_the_cli(cli, home) -> None:
    with Memory() as m:
        gone = aged(m, "I once ate a very dull sandwich", 900)
        kept = aged(m, "My blood type is O negative", 900)
    assert cli("pin", str(kept)).exit_code == 0
    dry = json.loads(cli("prune", "--json").stdout)
    assert dry["applied"] is False and [r["id"] for r in dry["results"]] == [gone]
    assert cli("prune", "--apply").exit_code == 1  # asks, and stdin is not a terminal
    assert "would delete" in cli("prune").stdout
    done = json.loads(cli("prune", "--apply", "--yes", "--json").stdout)
    assert [r["id"] for r in done["results"]] == [gone]
    assert [r["id"] for r in json.loads(cli("list", "--json").stdout)["results"]] == [kept]
    assert cli("unpin", str(kept)).exit_code == 0
    assert "nothing has faded" in cli("prune", "--threshold", "0.0").stderr


HIKES = ["I went hiking on Mount Seorak with my brother", "I went hiking near Jirisan in the rain",
         "I went hiking on Hallasan"]


def test_consolidation_replaces_related_faded_memories_by_one_summary(tmp_path) -> None:
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="u")) as m:
        hikes = [aged(m, text, 400 + n) for n, text in enumerate(HIKES)]
        toast = aged(m, "I had toast for breakfast once", 450)
        pinned = aged(m, "I went hiking on Mount Seorak at dawn", 450)
        m.pin(pinned)
        fresh = aged(m, "I went hiking near Jirisan last weekend", 1)
        [dry] = m.consolidate(threshold=0.05, similarity=0.3)
        assert sorted(g.id for g in dry.members) == sorted(hikes) and dry.memory_id is None
        assert dry.written_by == "extractive" and all(text in dry.summary for text in HIKES)
        assert len(m.get_all()) == 6  # a dry run changes nothing

        [done] = m.consolidate(threshold=0.05, similarity=0.3, apply=True)
        summary = m.get(done.memory_id)
        assert summary.kind == "summary" and summary.memory == dry.summary
        assert summary.source["consolidated_from"] == [g.id for g in done.members]
        assert summary.metadata["consolidated_from"] == summary.source["consolidated_from"]
        # the summary keeps the originals' span, but its own fading starts now
        assert summary.valid_from == min(g.valid_from for g in done.members)
        assert m.retention(summary) > 0.99 and summary.id not in [i.id for i, _ in m.prune()]
        assert {i.id for i in m.get_all()} == {toast, pinned, fresh, summary.id}
        for old in hikes:
            events = m.history(old)
            assert events[-1].event == "DELETE" and f"consolidated into #{summary.id}" in events[-1].reason
            assert all(e.new_memory is None for e in events)  # tombstones keep no text
        assert "consolidated from" in m.history(summary.id)[0].reason
        assert summary.id in [h.id for h in m.search("hiking Hallasan", limit=3)]
        assert m.consolidate(threshold=0.05, similarity=0.3) == []  # nothing left to group


def test_consolidation_needs_a_group_and_valid_settings(tmp_path) -> None:
    from memcli import InvalidInput

    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="u")) as m:
        aged(m, HIKES[0], 400)
        aged(m, "I had toast for breakfast once", 400)
        aged(m, "My cousin sells insurance in Daegu", 400)
        assert m.consolidate(similarity=0.3) == []  # faded, but unrelated: left to prune
        assert len(m.prune()) == 3
        for bad in ({"similarity": 0.0}, {"min_group": 1}, {"min_group": 4, "max_group": 3}):
            with pytest.raises(InvalidInput):
                m.consolidate(**bad)


def test_consolidation_summary_by_an_instruction_tuned_model_falls_back_on_failure(tmp_path) -> None:
    from memcli.models.scripted import ScriptedLLM

    # summaries = "llm": the model writes them without being measured first (see test_calibration.py)
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="u", summaries="llm")) as m:
        for n, text in enumerate(HIKES):
            aged(m, text, 400 + n)
        m.llm = ScriptedLLM(["Went hiking on Seorak, Jirisan and Hallasan."], chat_template=True)
        [group] = m.consolidate(similarity=0.3)
        assert group.written_by == "llm" and group.summary == "Went hiking on Seorak, Jirisan and Hallasan."
        assert all(h in m.llm.prompts[0] for h in HIKES)
        m.llm = ScriptedLLM([TimeoutError()], chat_template=True)
        [group] = m.consolidate(similarity=0.3)
        assert group.written_by == "extractive" and HIKES[0] in group.summary
        m.llm = ScriptedLLM(["sure"], chat_template=False)  # a base model is not asked
        [group] = m.consolidate(similarity=0.3)
        assert group.written_by == "extractive" and m.llm.prompts == []


def test_consolidate_from_the_cli(cli, home) -> None:
    with Memory() as m:
        hikes = [aged(m, text, 400 + n) for n, text in enumerate(HIKES)]
    dry = cli("prune", "--consolidate", "--similarity", "0.3")
    assert dry.exit_code == 0 and "would consolidate" in dry.stdout
    assert cli("prune", "--consolidate", "--similarity", "0.3", "--apply").exit_code == 1  # asks first
    done = json.loads(cli("prune", "--consolidate", "--similarity", "0.3", "--apply", "--yes", "--json").stdout)
    [group] = done["results"]
    assert done["applied"] is True and sorted(r["id"] for r in group["members"]) == sorted(hikes)
    listed = json.loads(cli("list", "--json").stdout)["results"]
    assert [r["id"] for r in listed] == [group["id"]] and listed[0]["kind"] == "summary"
    assert "no group" in cli("prune", "--consolidate").stderr


def test_a_summary_points_to_the_messages_its_originals_came_from() -> None:
    from memcli.services.consolidation import merged_source

    a = MemoryItem(id=4, memory="Went hiking", user_id="u", source={"message_ids": [10, 11], "session_id": "s1"})
    b = MemoryItem(id=9, memory="Went hiking again", user_id="u", source={"message_ids": [11, 30]}, session_id="s2")
    assert merged_source([a, b]) == {"consolidated_from": [4, 9], "message_ids": [10, 11, 30],
                                     "session_ids": ["s1", "s2"]}
