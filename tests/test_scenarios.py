"""Conversations over time through Memory.add(infer=True) with the rules extractor:
what is current, what was superseded and when, duplicates, retractions, and
nothing taken from questions or from the assistant."""

from __future__ import annotations

from typing import Any

import pytest

from memcli import Config, Memory


@pytest.fixture
def m(tmp_path) -> Memory:
    # keep_messages off: these tests look at the facts alone
    memory = Memory(path=tmp_path / "s.db", config=Config(embedder="fake", user="mina", extractor="rules",
                                                          keep_messages=False))
    yield memory
    memory.close()


def say(m: Memory, when: str, *lines: str, **kwargs: Any) -> list:
    return m.add([{"role": "user", "content": line} for line in lines], infer=True, timestamp=when, **kwargs)


def current(m: Memory, kind: str = "fact") -> set[str]:
    return {i.memory for i in m.get_all(filters={"kind": kind}, limit=None)}


def past(m: Memory) -> dict[str, tuple[str, str]]:
    return {i.memory: ((i.valid_from or "")[:10], (i.valid_to or "")[:10])
            for i in m.get_all(include_past=True, limit=None) if i.valid_to}


def test_moving_supersedes_the_old_city_with_dates(m: Memory) -> None:
    say(m, "2024-05-01", "I live in Seoul.")
    results = say(m, "2026-03-10", "I moved to Busan last year.")
    assert current(m) == {"Lives in Busan"}
    assert past(m) == {"Lives in Seoul": ("2024-05-01", "2025-01-01")}
    event = next(r for r in results if r.event == "SUPERSEDE")
    assert event.previous_memory == "Lives in Seoul"
    assert [i.memory for i in m.search("where do I live", as_of="2024-12-31")][:1] == ["Lives in Seoul"]
    assert [i.memory for i in m.search("where do I live")][:1] == ["Lives in Busan"]


def test_a_move_dated_before_an_undated_statement_is_still_the_news(m: Memory) -> None:
    # "I live in Seoul" carries no start date: a later "moved last month" wins,
    # and the old fact cannot end before it was said.
    say(m, "2026-11-24T09:00:00", "I live in Seoul.")
    results = say(m, "2026-11-24T10:00:00", "I moved to Busan last month.")
    assert "SUPERSEDE" in [r.event for r in results]
    assert current(m) == {"Lives in Busan"}
    assert past(m) == {"Lives in Seoul": ("2026-11-24", "2026-11-24")}


def test_dates_decide_between_dated_facts(m: Memory) -> None:
    say(m, "2026-01-01", "I moved to Seoul in 2023.")
    results = say(m, "2026-02-01", "I moved to Paris in 2019.")
    assert [r.event for r in results if r.kind == "fact"] == ["ADD"]
    assert current(m) == {"Lives in Seoul"}
    assert past(m) == {"Lives in Paris": ("2019-01-01", "2023-01-01")}


def test_an_older_statement_added_later_becomes_history(m: Memory) -> None:
    say(m, "2026-05-01", "I live in Busan.")
    say(m, "2024-05-01", "I live in Seoul.")
    assert current(m) == {"Lives in Busan"}
    assert set(past(m)) == {"Lives in Seoul"}


def test_saying_the_same_thing_twice_reinforces(m: Memory) -> None:
    say(m, "2026-01-01", "I'm a nurse.")
    results = say(m, "2026-02-01", "I work as a nurse.")
    assert [r.event for r in results] == ["NONE"]
    [fact] = m.get_all()
    assert fact.reinforced == 1 and len(fact.source["message_ids"]) == 2


def test_retraction_ends_the_fact(m: Memory) -> None:
    say(m, "2025-01-01", "I'm vegetarian.")
    results = say(m, "2026-06-01", "I'm not vegetarian anymore.")
    assert [r.event for r in results] == ["DELETE"]
    assert current(m) == set()
    assert past(m) == {"Is vegetarian": ("2025-01-01", "2026-06-01")}
    assert [e.event for e in m.history(results[0].id)] == ["ADD", "DELETE"]


def test_retracting_something_unknown_changes_nothing(m: Memory) -> None:
    results = say(m, "2026-01-01", "I don't live in Paris anymore.")
    assert results == [] or all(r.event == "NONE" for r in results)
    assert m.get_all(include_past=True) == []


def test_questions_and_hypotheticals_add_nothing(m: Memory) -> None:
    say(m, "2026-01-01", "Do I live in Seoul?", "If I lived in Paris I'd be happy.", "Maybe I'll get a cat.",
        "I wish I was a pilot.", "Where do I work?")
    assert m.get_all(include_past=True) == []


def test_the_assistant_is_never_a_source(m: Memory) -> None:
    m.add([{"role": "user", "content": "Tell me something"},
           {"role": "assistant", "content": "You live in Tokyo and you love sushi. I'm vegan."}],
          infer=True, timestamp="2026-01-01")
    assert m.get_all(include_past=True) == []
    assert len(m.messages("mina")) == 2  # both lines are in the log all the same


def test_third_parties_are_not_the_user(m: Memory) -> None:
    say(m, "2026-01-01", "My friend lives in Tokyo.", "John works as a lawyer.", "She loves hiking.")
    assert m.get_all(include_past=True) == []


def test_family_facts_are_about_the_family_member(m: Memory) -> None:
    say(m, "2025-01-01", "My sister lives in Toronto.")
    say(m, "2026-01-01", "My sister moved to Vancouver.")
    assert current(m) == {"Sister lives in Vancouver"}
    assert "Sister lives in Toronto" in past(m)


def test_likes_turning_into_dislikes_supersede(m: Memory) -> None:
    say(m, "2025-01-01", "I love coffee.")
    say(m, "2026-01-01", "I don't like coffee anymore.")
    assert current(m) == {"Dislikes coffee"}
    assert "Loves coffee" in past(m)


def test_many_likes_live_side_by_side(m: Memory) -> None:
    say(m, "2026-01-01", "I love hiking.", "I enjoy cooking Thai food.", "I like jazz.")
    assert current(m) == {"Loves hiking", "Enjoys cooking Thai food", "Likes jazz"}


def test_a_new_job_supersedes_and_quitting_retracts_the_employer(m: Memory) -> None:
    say(m, "2024-01-01", "I work as a teacher at Hillside School.")
    say(m, "2025-09-01", "I just got a new job at Spotify.")
    assert "Works at Spotify" in current(m) and "Works at Hillside School" in past(m)
    say(m, "2026-02-01", "I quit my job at Spotify.")
    assert "Works at Spotify" in past(m)
    assert {e.memory for e in m.episodes(type="event")} >= {"Started a new job at Spotify", "Quit their job at Spotify"}


def test_refinement_updates_in_place(m: Memory) -> None:
    [first] = say(m, "2026-01-01", "My favourite food is kimchi stew.")
    [again] = say(m, "2026-02-01", "My favourite food is kimchi stew with tofu.")
    assert again.event == "UPDATE" and again.id == first.id
    assert current(m) == {"Favourite food is kimchi stew with tofu"}
    assert m.history(first.id)[-1].old_memory == "Favourite food is kimchi stew"


def test_dated_events_become_episodes_at_the_right_time(m: Memory) -> None:
    say(m, "2026-03-10T09:00:00Z", "Yesterday I went to the dentist.", "Last week I ran my first half marathon.")
    episodes = {e.memory: e.valid_from[:10] for e in m.episodes(limit=None)}
    assert episodes == {"Went to the dentist": "2026-03-09", "Ran their first half marathon": "2026-03-02"}
    assert [e.memory for e in m.episodes(since="2026-03-05")] == ["Went to the dentist"]


def test_the_same_event_told_twice_is_one_episode(m: Memory) -> None:
    say(m, "2026-03-10", "Yesterday I went to the dentist.")
    say(m, "2026-03-10T20:00:00Z", "I went to the dentist yesterday.")
    assert len(m.episodes(limit=None)) == 1


def test_pets_come_and_go(m: Memory) -> None:
    say(m, "2020-01-01", "I have a cat named Luna.")
    say(m, "2026-01-10", "My cat Luna died last week.")
    assert current(m) == set()
    assert "Has a cat named Luna" in past(m)
    assert [e.memory for e in m.episodes()] == ["Their cat Luna died"]


def test_statements_about_the_past_do_not_replace_the_present(m: Memory) -> None:
    say(m, "2026-01-01", "I live in Busan.")
    say(m, "2026-01-02", "Back in 2019 I lived in Daegu.")  # past tense: not a location rule
    say(m, "2026-01-03", "I moved to Daegu in 2019.")  # a move dated before the current fact
    assert current(m) == {"Lives in Busan"}
    assert past(m)["Lives in Daegu"][0] == "2019-01-01"


def test_overwrite_policy_replaces_in_place(tmp_path) -> None:
    with Memory(path=tmp_path / "o.db", config=Config(embedder="fake", user="u", conflict="overwrite", keep_messages=False)) as m:
        [first] = say(m, "2025-01-01", "I live in Seoul.")
        [second] = say(m, "2026-01-01", "I live in Busan.")
        assert second.event == "UPDATE" and second.id == first.id
        assert [i.memory for i in m.get_all(include_past=True)] == ["Lives in Busan"]
        assert [e.event for e in m.history(first.id)] == ["ADD", "UPDATE"]


def test_ask_policy_returns_the_conflict_and_applies_it_on_request(tmp_path) -> None:
    with Memory(path=tmp_path / "a.db", config=Config(embedder="fake", user="u", conflict="ask", keep_messages=False)) as m:
        say(m, "2025-01-01", "I live in Seoul.")
        [conflict] = say(m, "2026-01-01", "I live in Busan.")
        assert conflict.event == "CONFLICT" and conflict.previous_memory == "Lives in Seoul"
        assert current(m) == {"Lives in Seoul"}  # nothing applied yet
        applied = m.resolve_conflict(conflict, accept=True)
        assert applied[0].event == "SUPERSEDE"
        assert current(m) == {"Lives in Busan"}
        [again] = say(m, "2026-02-01", "I live in Daegu.")
        assert m.resolve_conflict(again, accept=False) == []
        assert current(m) == {"Lives in Busan"}


def test_provenance_points_at_the_source_message(m: Memory) -> None:
    [result] = m.add("I speak Korean.", infer=True, timestamp="2026-01-05T10:00:00Z", session_id="s-7")
    why = m.why(result.id)
    assert [msg["content"] for msg in why["messages"]] == ["I speak Korean."]
    assert why["memory"]["source"]["session_id"] == "s-7"
    assert why["memory"]["source"]["said_at"].startswith("2026-01-05T10:00")
    assert "rules extractor" in why["history"][0]["reason"]


def test_named_speakers_keep_their_own_facts(m: Memory) -> None:
    m.add([{"role": "user", "name": "Caroline", "content": "I live in Boston."},
           {"role": "user", "name": "Melanie", "content": "I live in Sydney."}], infer=True, timestamp="2026-01-01")
    assert current(m) == {"Caroline lives in Boston", "Melanie lives in Sydney"}


def test_metadata_is_carried_to_the_facts(m: Memory) -> None:
    m.add([{"role": "user", "content": "I love chess.", "metadata": {"dia_id": "D1:3"}}], infer=True,
          metadata={"conversation": "c1"})
    [fact] = m.get_all()
    assert fact.metadata["dia_id"] == "D1:3" and fact.metadata["conversation"] == "c1"


def test_a_long_life_story(m: Memory) -> None:
    say(m, "2019-06-01", "Hi! My name is Mina Park.", "I live in Seoul and I work as a nurse.", "I'm single.")
    say(m, "2021-03-01", "I got engaged last month!", "I have a dog named Biscuit.")
    say(m, "2022-05-20", "We got married yesterday.")
    say(m, "2024-11-01", "We moved to Busan in September.", "I'm learning Japanese.")
    say(m, "2026-01-15", "I'm a nurse, still.", "Where do I live again?")
    assert current(m) == {"Name is Mina Park", "Lives in Busan", "Works as a nurse", "Is married",
                          "Has a dog named Biscuit", "Is learning Japanese"}
    assert past(m)["Lives in Seoul"] == ("2019-06-01", "2024-09-01")
    assert {"Is single", "Is engaged"} <= set(past(m))
    assert [i.memory for i in m.search("relationship status", as_of="2021-06-01") if i.attribute == "relationship"] \
        == ["Is engaged"]


def test_messages_are_kept_sentence_by_sentence_beside_the_facts(tmp_path) -> None:
    with Memory(path=tmp_path / "k.db", config=Config(embedder="fake", user="u")) as m:
        results = m.add([{"role": "user", "name": "Mina", "metadata": {"dia_id": "D1:1"},
                          "content": "I live in Busan. I went to a pottery class yesterday and loved it. Wow! "
                                     "Do you like pottery?"}], infer=True, timestamp="2026-03-10")
        pieces = [r.memory for r in results if r.kind == "message"]
        # questions and fragments ("Wow!") stay in the log only
        assert pieces == ["Mina: I live in Busan.", "Mina: I went to a pottery class yesterday and loved it."]
        facts = {i.memory for i in m.get_all(filters={"kind": "fact"})}
        assert facts == {"Mina lives in Busan"}
        assert all(i.metadata["dia_id"] == "D1:1" for i in m.get_all(filters={"kind": "message"}))


def test_pastimes_are_kept_and_can_be_given_up(m: Memory) -> None:
    say(m, "2025-02-01", "I live in Seoul and I play the cello.", "I go hiking on weekends.",
        "My brother plays golf.", "Do you play chess?")
    assert current(m) == {"Lives in Seoul", "Plays the cello", "Goes hiking"}
    say(m, "2025-09-01", "I play the cello every Sunday with my teacher.")  # said again: reinforced, not doubled
    assert current(m) == {"Lives in Seoul", "Plays the cello", "Goes hiking"}
    say(m, "2026-01-15", "I don't play the cello anymore.")
    assert current(m) == {"Lives in Seoul", "Goes hiking"}
    assert past(m) == {"Plays the cello": ("2025-02-01", "2026-01-15")}


# --- ordinary speech: the classes of miss the rules used to have ----------------------


def facts_of(m: Memory, line: str) -> set[tuple[str | None, str | None]]:
    """(attribute, value) of what one line taught: stored, or waiting for a yes (health)."""
    found = set()
    for r in say(m, "2026-03-10", line):
        if r.event == "PENDING":
            found.add((r.pending["fact"]["attribute"], r.pending["fact"]["value"]))
        elif r.event in ("ADD", "SUPERSEDE", "UPDATE"):
            found.add((m.get(r.id).attribute, m.get(r.id).value))
    return found


@pytest.mark.parametrize("line, attribute, value", [
    ("Quick update: I moved to Leeds last month!", "location", "Leeds"),
    ("OMG, I just adopted a kitten named Pip 🐱", "pet:kitten:pip", "Pip"),
    ("Anyway, I'm a dentist, so Mondays are packed.", "job", "dentist"),
    ("Rough morning at the clinic. I'm a dentist, so I'm used to it.", "job", "dentist"),
    ("Caroline: I'm a counsellor at a youth centre.", "job", "counsellor"),
])
def test_a_lead_in_before_the_clause(m: Memory, line: str, attribute: str, value: str) -> None:
    assert (attribute, value) in facts_of(m, line)


@pytest.mark.parametrize("line, attribute, value", [
    ("I'm a welder, if you're curious.", "job", "welder"),
    ("I'm allergic to nuts, so no pesto", "allergy:nuts", "nuts"),
    ("i live in lisbon now lol", "location", "Lisbon"),
    ("I'm a nurse, you know? Night shifts are nothing new.", "job", "nurse"),
])
def test_a_tail_after_the_clause(m: Memory, line: str, attribute: str, value: str) -> None:
    assert (attribute, value) in facts_of(m, line)


def test_nothing_is_made_of_a_tail(m: Memory) -> None:
    values = {v for _, v in facts_of(m, "I'm allergic to nuts, so no pesto for me.")}
    assert values == {"nuts"}


@pytest.mark.parametrize("line, attribute, value", [
    ("I've been working as an electrician since 2015.", "job", "electrician"),
    ("For a year now I've been vegan.", "diet", "vegan"),
    ("We've been living in Denver for about six years.", "location", "Denver"),
    ("Been teaching high school maths for 12 years now.", "job", "high school maths teacher"),
    ("I've got two sisters and a brother.", "family:sister:count", "2"),
])
def test_tense_and_aspect(m: Memory, line: str, attribute: str, value: str) -> None:
    assert (attribute, value) in facts_of(m, line)


@pytest.mark.parametrize("line, attribute, value", [
    ("I lecture history at a college in York", "job", "history lecturer"),
    ("Blues is my favourite genre.", "favorite:genre", "Blues"),
    ("I was raised in a village near Galway.", "hometown", "Galway"),
    ("Pizza is my favourite food, hands down.", "favorite:food", "Pizza"),
    ("I run my own coffee shop.", "employer", "coffee shop"),
    ("As a teacher, I get summers off.", "job", "teacher"),
    ("I got a cat last week, her name is Miso.", "pet:cat:miso", "Miso"),
])
def test_other_verbs_and_orders(m: Memory, line: str, attribute: str, value: str) -> None:
    assert (attribute, value) in facts_of(m, line)


def test_a_compound_statement_keeps_job_and_place_apart_and_the_persons_casing(m: Memory) -> None:
    found = facts_of(m, "I just started a new job as a carpenter in Bristol.")
    assert ("job", "carpenter") in found
    assert {e.memory for e in m.episodes(type="event")} == {"Started a new job as a carpenter"}
    assert ("location", "Somerset") not in found
    assert ("hometown", "Ōsaka") in facts_of(m, "I'm from Ōsaka originally.")


def test_a_move_after_a_lead_in_supersedes_the_old_city_in_search_and_the_prompt(m: Memory) -> None:
    from memcli.chat import ChatSession
    from memcli.models.scripted import ScriptedLLM

    say(m, "2026-01-10", "I live in Seoul.")
    say(m, "2026-03-10", "Quick update: I moved to Leeds last month!")
    assert current(m) == {"Lives in Leeds"}
    assert [i.memory for i in m.search("where do I live", limit=1)] == ["Lives in Leeds"]
    chat = ChatSession(m, ScriptedLLM(["ok"]), m.config.chat, "mina")
    "".join(chat.turn("Where do I live?"))
    assert "Lives in Leeds" in chat.last.prompt and "Lives in Seoul" not in chat.last.prompt


@pytest.mark.parametrize("line", [
    "If I get the job I'll move to Leeds.",
    "I'm not sure where I'll live next year.",
    "My friend Sara just moved to Dublin.",
    "I'd love to live in Tokyo one day.",
    "Do you remember where I live?",
])
def test_no_fact_from_conditions_uncertainty_others_or_questions(m: Memory, line: str) -> None:
    assert facts_of(m, line) == set()


def test_a_kept_sentence_naming_the_old_city_leaves_with_it(tmp_path) -> None:
    config = Config(embedder="fake", user="mina", extractor="rules", keep_messages=True)
    with Memory(path=tmp_path / "k.db", config=config) as m:
        say(m, "2026-11-20T10:00:00", "I live in Seoul and I work as a nurse.", "My dog is called Biscuit.")
        assert any("Seoul" in s for s in current(m, "message"))
        say(m, "2026-11-25T10:00:00", "I moved to Busan last month.")
        said_now = current(m, "message")
        assert not any("Seoul" in s for s in said_now)  # recall no longer offers the old city
        assert "My dog is called Biscuit." in said_now  # sentences not about the old value stay
        assert {"Lives in Busan", "Works as a nurse"} <= current(m)
        hits = m.search("where do I live", user_id="mina", limit=10)
        assert not any("Seoul" in h.memory for h in hits)
        past = [i for i in m.get_all(filters={"kind": "message"}, limit=None, include_past=True)
                if "Seoul" in i.memory]
        assert len(past) == 1 and past[0].valid_to  # kept, with the date it stopped being current
        [event] = [e for e in m.history(past[0].id) if e.event == "SUPERSEDE"]
        assert "Seoul" in (event.reason or "")
