"""Chat short forms ("bday", "tmrw", "pics") meet the words they stand for."""

from __future__ import annotations

import pytest

from memcli import Config, Memory
from memcli.language.shorthand import short_forms, spelt_out
from recording import RecordingEmbedder


@pytest.mark.parametrize("typed, read", [
    ("my bday pics r up", "my birthday pictures are up"),
    ("Im gonna go w/ my fam tmrw, idk", "i'm going to go with my family tomorrow, i don't know"),
    ("Congrats!! b-day party 2nite", "congratulations!! birthday party tonight"),
    ("u know", "you know"),
    # one-letter forms only in lower case, and never an initial or part of "R&R"
    ("U know", "U know"),
    ("J.K. Rowling and George R. R. Martin", "J.K. Rowling and George R. R. Martin"),
    ("Glad you got some R&R", "Glad you got some R&R"),
    ("j.k. rowling", "j.k. rowling"),
    # inside a word, a handle, a number or a contraction: as typed; a possessive is read
    ("user_a1: a 5k run, the uni's pool", "user_a1: a 5k run, the university's pool"),
    ("rock'n'roll, y'know", "rock'n'roll, y'know"),
    ("info@example.org", "info@example.org"),
    # words that stand for several things are not forms ("no prob": problem)
    ("no prob, I'm ill", "no prob, I'm ill"),
    ("nothing short here.", "nothing short here."),
])
def test_spelt_out(typed: str, read: str) -> None:
    assert spelt_out(typed) == read


def test_short_forms() -> None:
    assert "bday" in short_forms("birthday")
    assert set(short_forms("pictures")) >= {"pics", "pix"}
    assert short_forms("tomorrow") and all(spelt_out(f) == "tomorrow" for f in short_forms("tomorrow"))
    assert short_forms("lake") == ()


FILLER = "we talked for ages about the weather and the trains and the new neighbours and their noisy parrot"
CHAT = [
    {"role": "user", "name": "Jo", "content": "omg my bday is on the 4th of May"},
    {"role": "user", "name": "Sam", "content": FILLER},
    {"role": "user", "name": "Jo", "content": "I have a dentist appointment tomorrow morning"},
    {"role": "user", "name": "Sam", "content": FILLER.replace("parrot", "cat")},
    {"role": "user", "name": "Sam", "content": "my birthday cake recipe needs lemons"},
    {"role": "user", "name": "Jo", "content": FILLER.replace("parrot", "dog")},
    {"role": "user", "name": "Jo", "content": "here are the pics from the lake trip"},
]


def test_what_is_stored_and_embedded_stays_as_typed(config: Config) -> None:
    embedder = RecordingEmbedder()
    with Memory(config=config, embedder=embedder) as mem:
        mem.add(CHAT[:1], user_id="jo", infer=False)
        assert [m.memory for m in mem.get_all(user_id="jo")] == ["Jo: omg my bday is on the 4th of May"]
        assert any("omg my bday" in t for t in embedder.texts) and not any("birthday" in t for t in embedder.texts)
        mem.search("when is ur bday?", user_id="jo", limit=1)
        assert embedder.texts[-1] == "when is ur bday?"  # the keyword side alone reads short forms


def test_a_question_in_full_words_finds_what_was_typed_short(mem: Memory) -> None:
    mem.add(CHAT, user_id="pair", infer=False)
    assert "bday" in mem.search("When is Jo's birthday?", user_id="pair", limit=1)[0].memory
    assert "pics" in mem.search("Where are the pictures of the trip?", user_id="pair", limit=1)[0].memory


def test_a_question_typed_short_finds_what_was_written_in_full(mem: Memory) -> None:
    mem.add(CHAT, user_id="pair", infer=False)
    results = mem.search("what r Jo's plans tmrw", user_id="pair", limit=1)
    assert "dentist appointment tomorrow" in results[0].memory
    assert results[0].id == mem.search("what are Jo's plans tomorrow", user_id="pair", limit=1)[0].id
    # the word itself and its short forms are both found
    found = [r.memory for r in mem.search("bday", user_id="pair", limit=2)]
    assert any("my bday" in m for m in found) and any("birthday cake" in m for m in found)


def test_short_forms_stay_within_the_user(mem: Memory) -> None:
    mem.add(CHAT, user_id="pair", infer=False)
    mem.add([{"role": "user", "name": "Kim", "content": "planning my bday picnic"}], user_id="other", infer=False)
    assert all("Kim" not in r.memory for r in mem.search("birthday", user_id="pair", limit=10))


def test_a_fact_in_full_words_is_supported_by_the_short_forms_the_person_typed() -> None:
    from memcli.language.grounding import supported

    assert supported("Birthday is on 4 May", "omg my bday is on 4 may")
    assert supported("Posted pictures of the lake", "posted the pics from the lake")
    assert not supported("Birthday is on 4 May", "my dog is called Biscuit")


def test_a_speaker_labelled_by_a_short_form_keeps_the_label(mem: Memory) -> None:
    mem.add([{"role": "user", "name": "Hubby", "content": "I bought a new kettle for the kitchen"},
             {"role": "user", "name": "Anna", "content": FILLER},
             {"role": "user", "name": "Anna", "content": "My husband's sister bought a new kettle too"}],
            user_id="home", infer=False)
    assert spelt_out("What did Hubby buy?", keep={"hubby"}) == "What did Hubby buy?"
    assert mem.search("What kettle did Hubby buy?", user_id="home", limit=1)[0].memory.startswith("Hubby: ")


def test_facts_are_learnt_from_lines_typed_with_short_forms(mem: Memory) -> None:
    mem.add("my fav food is sushi and my sis lives in Paris", user_id="mina", infer=True)
    facts = {m.memory for m in mem.get_all(user_id="mina") if m.kind == "fact"}
    assert facts == {"Favourite food is sushi", "Sister lives in Paris"}
    # phrases stay as typed for the rules, which drop them as chat noise
    mem.add("omg i just adopted a puppy!!", user_id="mina", infer=True)
    assert any("puppy" in m.memory for m in mem.get_all(user_id="mina") if m.kind == "fact")
