"""A search's word finds the messages that misspell it, and only misspellings."""

from __future__ import annotations

import pytest

from memcli import Memory
from memcli.language.spelling import english, looked_for, misspellings, one_edit, stems

TURNS = [
    "Jess gave me a recomendation for a thriller, The Silent Patient.",
    "The book club meets on Thursdays at the library.",
    "I finished the novel about the lighthouse keeper last week.",
    "My sister lent me three paperbacks for the holiday.",
    "I want to read more poetry this year.",
    "The bookshop on Elm Street closed down in March.",
    "We argued about the ending of the mystery for an hour.",
    "A friend suggested I try audiobooks on my commute.",
]


@pytest.fixture
def reader(mem: Memory) -> Memory:
    mem.add([{"role": "user", "content": t} for t in TURNS], user_id="reader", infer=False)
    return mem


def test_a_word_finds_the_message_that_misspells_it(reader: Memory) -> None:
    found = reader.search("Any recommendation for my reading list?", user_id="reader", limit=1)
    assert "recomendation" in found[0].memory


def test_a_misspelt_question_finds_the_word_spelt_right(mem: Memory) -> None:
    mem.add([{"role": "user", "content": t.replace("recomendation", "recommendation")} for t in TURNS],
            user_id="reader", infer=False)
    found = mem.search("Any recomendation for my reading list?", user_id="reader", limit=1)
    assert "recommendation" in found[0].memory


def test_another_users_misspelling_is_not_read(mem: Memory) -> None:
    mem.add([{"role": "user", "content": TURNS[0]}], user_id="other", infer=False)
    mem.add([{"role": "user", "content": t} for t in TURNS[1:]], user_id="reader", infer=False)
    found = mem.search("Any recommendation for my reading list?", user_id="reader", limit=10)
    assert found and all("recomendation" not in r.memory for r in found)
    assert all(r.user_id == "reader" for r in found)


def test_one_edit_is_a_letter_dropped_added_struck_or_two_swapped() -> None:
    for slip in ("recomend", "reccommend", "recommemd", "recommedn", "ercommend"):
        assert one_edit("recommend", slip) and one_edit(slip, "recommend")
    assert not one_edit("recommend", "recommend")
    assert not one_edit("recommend", "reccomend")  # two edits: a c added, an m dropped
    assert not one_edit("recommend", "recomendd")


def test_a_misspelling_is_one_edit_away_and_no_english_word() -> None:
    assert english() >= {"paint", "point", "recommend", "reward"}  # stems, as the index writes them
    index_terms = ["piant", "pant", "paaint", "painy", "point", "faint", "saint", "paint", "painter"]
    # swapped, dropped, doubled, struck; not "point" or "faint", which are other words
    assert misspellings("paint", index_terms) == ["paaint", "painy", "piant"]
    # a misspelt question ("recomendation"): the index's English stem one edit away is its spelling
    asked = stems(["recomendation"])["recomendation"]
    assert misspellings(asked, ["recommend", "reckon"]) == ["recommend"]


def test_only_longer_words_are_looked_for() -> None:
    assert looked_for(["books", "recommendation", "dog", "it's"]) == {"books": "book", "recommendation": "recommend"}


def test_past_the_size_bound_misspellings_are_not_looked_for(reader: Memory, monkeypatch) -> None:
    import memcli.services.search

    monkeypatch.setattr(memcli.services.search, "SPELLING_UP_TO", len(TURNS) - 1)  # the file holds more than that
    found = reader.search("Any recommendation for my reading list?", user_id="reader", limit=1)
    assert "recomendation" not in found[0].memory


def test_stems_are_the_index_stems_in_its_vocabulary_order_asked_once_or_again() -> None:
    expected = {"cats": "cat", "hiking": "hike", "running": "run", "zebras": "zebra"}
    first = stems(["running", "zebras", "cats", "running", "hiking"])
    assert first == expected and list(first) == list(expected)
    # words already stemmed, mixed with new ones, come back the same way
    again = stems(["hiking", "bakeries", "running", "zebras", "cats"])
    assert again == {**expected, "bakeries": "bakeri"} and list(again) == ["bakeries", "cats", "hiking", "running", "zebras"]
    assert stems([]) == {}
