"""Emoji as people type them in chats: after a sentence, in place of its full
stop, after a word or for it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from memcli import Memory
from memcli.extraction.rules import RulesExtractor
from memcli.base.text import split_sentences, without_emoji


@pytest.mark.parametrize("typed, pieces", [
    # typed after a full stop, an emoji closes that sentence instead of opening the next
    ("So fun! 😂😂 We went to the beach.", ["So fun! 😂😂", "We went to the beach."]),
    ("Best day ever. 🥰", ["Best day ever. 🥰"]),
    # a face or a heart in place of the full stop ends the sentence
    ("we went hiking last weekend 😍 the view was amazing", ["we went hiking last weekend 😍",
                                                            "the view was amazing"]),
    ("proud of you 👍🏽 Let's celebrate soon", ["proud of you 👍🏽", "Let's celebrate soon"]),
    # ...unless fewer than three words come before it
    ("I ❤️ it so much", ["I ❤️ it so much"]),
    # an emoji for a thing stays inside its sentence
    ("off to the beach 🏖️ with the kids", ["off to the beach 🏖️ with the kids"]),
    ("😂", ["😂"]),
])
def test_sentences_keep_their_emoji(typed: str, pieces: list[str]) -> None:
    assert split_sentences(typed) == pieces


def test_what_is_embedded_leaves_emoji_out_unless_there_is_nothing_else() -> None:
    assert without_emoji("so proud of you 😍🎉 see you soon") == "so proud of you see you soon"
    assert without_emoji("a family 👨‍👩‍👧‍👦 trip ✈️") == "a family trip"
    assert without_emoji("😂😂") == "😂😂"
    assert without_emoji("no emoji here: 3 > 2") == "no emoji here: 3 > 2"


def test_a_message_with_emoji_is_stored_as_typed_sentence_by_sentence(mem: Memory) -> None:
    mem.add([{"role": "user", "name": "Jo", "content": "Adopted a puppy today!! 🐶😍 His name is Pepper 🥰"}],
            infer=False)
    assert sorted(m.memory for m in mem.get_all()) == ["Jo: Adopted a puppy today!! 🐶😍", "Jo: His name is Pepper 🥰"]
    assert mem.search("what is Jo's puppy's name", limit=1)[0].memory == "Jo: His name is Pepper 🥰"


@pytest.mark.parametrize("typed, facts", [
    ("I work as a graphic designer 🎨 at a small agency", {("job", "graphic designer"), ("employer", "agency")}),
    ("I'm a nurse 👩‍⚕️ night shifts are rough", {("job", "nurse")}),
    ("i'm 34 😬 feeling old", {("age", "34")}),
    ("do you remember where I live? 🤔", set()),
    ("my friend Ana just moved to Madrid 😭 gonna miss her", set()),  # a feeling, not a plan
])
def test_the_rules_read_through_emoji(typed: str, facts: set[tuple[str, str]]) -> None:
    found = RulesExtractor().extract(typed, datetime(2026, 3, 10, tzinfo=timezone.utc))
    assert {(f.attribute, f.value.lower().removeprefix("a small ")) for f in found} == facts


@pytest.mark.parametrize("line", ["do you remember where I live?", "do you remember where I live? 🤔"])
def test_a_question_with_an_emoji_after_it_is_still_a_question(mem: Memory, line: str) -> None:
    mem.add([{"role": "user", "content": line}], infer=True)
    assert mem.get_all() == []  # no fact in it, and a question is not kept as a memory of its own
