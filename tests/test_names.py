"""A question that names a speaker otherwise than the turns do still finds them."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

import pytest

from memcli import Config, Memory
from memcli.engine.core import Core
from memcli.language.names import NAME_WORD, first_person, handle, learnt, means, named, resolve
from memcli.services.search import STOPWORDS
from recording import RecordingEmbedder

DATA = Path(__file__).parent / "data"

CHAT = [
    {"role": "user", "name": "Caroline", "content": "Hey Mel, what did you do at the weekend, Mel?"},
    {"role": "user", "name": "Melanie", "content": "I painted a sunset over the lake."},
    {"role": "user", "name": "Caroline", "content": "I adopted a rescue dog called Biscuit."},
    {"role": "user", "name": "Andrew", "content": "I bought a mountain bike for the trail."},
]


@pytest.fixture
def chat(mem: Memory) -> Memory:
    mem.add(CHAT, user_id="group", infer=False)
    return mem


def speakers_of(results) -> list[str]:
    return [r.metadata.get("name") for r in results]


@pytest.mark.parametrize("asked", ["Mel", "Melanie"])
def test_a_nickname_finds_the_speaker_and_not_the_turns_that_call_her_by_it(chat: Memory, asked: str) -> None:
    # without resolution the keyword "mel" matches only Caroline's "Hey Mel" turn
    results = chat.search(f"What did {asked} do at the weekend?", user_id="group", limit=2)
    assert speakers_of(results)[0] == "Melanie"
    assert "sunset" in results[0].memory


def test_a_listed_nickname_finds_the_speaker(chat: Memory) -> None:
    results = chat.search("What did Andy buy?", user_id="group", limit=1)
    assert "mountain bike" in results[0].memory


def speakers(config: Config, user: str) -> list[str]:
    with closing(Core(config)) as core:
        return core.store.lists.speakers(user)


def test_speakers_come_from_the_users_own_memories(chat: Memory, config: Config) -> None:
    chat.add([{"role": "user", "name": "Melvin", "content": "I painted a fence."}], user_id="other", infer=False)
    assert speakers(config, "group") == ["Andrew", "Caroline", "Melanie"]
    assert speakers(config, "other") == ["Melvin"]
    assert speakers(config, "nobody") == []


def test_a_deleted_speaker_leaves_no_name_behind(chat: Memory, config: Config) -> None:
    for item in chat.get_all(user_id="group", limit=100):
        if item.metadata.get("name") == "Andrew":
            chat.delete(item.id)
    assert speakers(config, "group") == ["Caroline", "Melanie"]


@pytest.mark.parametrize("name, label, expected", [
    ("Mel", "Melanie", True),       # prefix of three letters or more
    ("Andy", "Andrew", True),        # listed nickname
    ("Jonathan", "Jon", True),       # the label is the nickname
    ("Nathan", "Nate", True),
    ("Jo", "Joanna", True),          # listed, though under three letters
    ("Al", "Alice", False),          # too short to be a prefix
    ("Georgina", "Gina", False),     # neither listed nor a prefix
    ("Carl", "Caroline", False),
])
def test_means(name: str, label: str, expected: bool) -> None:
    assert means(name, label) is expected


def test_resolve_replaces_only_names_that_mean_one_speaker() -> None:
    assert resolve("What did Mel paint?", ["Caroline", "Melanie"]) == "What did Melanie paint?"
    assert resolve("Where did Mel's dog go?", ["Melanie"]) == "Where did Melanie's dog go?"
    # "Mel" could be either of them: left alone
    assert resolve("What did Mel paint?", ["Melanie", "Melvin"]) == "What did Mel paint?"
    # a lower-case word is never taken for a name, and stop words are skipped
    assert resolve("what did mel paint?", ["Melanie"]) == "what did mel paint?"
    assert resolve("Can we meet?", ["Candice"], frozenset({"can"})) == "Can we meet?"
    assert resolve("What did Mel paint?", []) == "What did Mel paint?"


def test_a_name_typed_in_lower_case_is_read_when_the_chat_writes_it_as_one() -> None:
    said = {"mel": [("Caroline", "Hey Mel, how are you?"), ("Caroline", "Thanks, Mel!")],
            "car": [("Caroline", "I bought a car."), ("Melanie", "Nice car!")]}
    speakers = ["Caroline", "Melanie", "Andrew"]

    def said_with(word: str) -> list[tuple[str, str]]:
        return said.get(word, [])

    assert resolve("what did mel paint?", speakers, said_with=said_with) == "what did Melanie paint?"
    # "car" begins "Caroline", but the chat writes it as a word
    assert resolve("what car did she buy?", speakers, said_with=said_with) == "what car did she buy?"
    # never written: a nickname of the list is read, a prefix alone is not
    assert resolve("what did andy buy?", speakers, said_with=said_with) == "what did Andrew buy?"
    assert resolve("what did and buy?", speakers, said_with=said_with) == "what did and buy?"
    assert resolve("what did caro buy?", speakers, said_with=said_with) == "what did caro buy?"


def test_a_search_typed_in_lower_case_finds_the_speaker_by_nickname(chat: Memory) -> None:
    # Caroline's "Hey Mel" turn holds the word; Melanie's own turn does not
    results = chat.search("what did mel do at the weekend?", user_id="group", limit=2)
    assert speakers_of(results)[0] == "Melanie"


BAKING = [
    {"role": "user", "name": "Priya", "content": "Tom, your sourdough bread looked amazing, you should bake bread for a living."},
    {"role": "user", "name": "Tom", "content": "Thanks! This week I baked a rye loaf and some bread rolls."},
    {"role": "user", "name": "Priya", "content": "I baked banana bread on Sunday."},
]


@pytest.mark.parametrize("asked", ["What bread did Priya bake?", "what bread did priya bake?"])
def test_a_question_that_names_one_speaker_ranks_what_they_said_first(mem: Memory, asked: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    mem.add(BAKING, user_id="group", infer=False)
    assert speakers_of(mem.search(asked, user_id="group", limit=2)) == ["Priya", "Priya"]
    # the same search with what others said ranked as high: Tom's reply comes
    # between Priya's two lines (so the ranking above is the rule's doing)
    monkeypatch.setattr("memcli.services.search.OTHER_SPEAKER", 1.0)
    assert speakers_of(mem.search(asked, user_id="group", limit=2)) == ["Priya", "Tom"]


def test_a_question_that_names_no_one_or_both_ranks_everyone_alike(mem: Memory,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mem.add(BAKING, user_id="group", infer=False)
    for asked in ["What bread was baked?", "What bread did Priya and Tom bake?"]:
        now = [r.id for r in mem.search(asked, user_id="group", limit=3)]
        monkeypatch.setattr("memcli.services.search.OTHER_SPEAKER", 1.0)
        assert [r.id for r in mem.search(asked, user_id="group", limit=3)] == now
        monkeypatch.undo()


def test_named() -> None:
    assert named("What did Melanie paint?", ["Caroline", "Melanie"]) == "Melanie"
    assert named("what did melanie paint?", ["Caroline", "Melanie"]) == "Melanie"
    assert named("Where did Melanie's dog go?", ["Melanie"]) == "Melanie"
    assert named("What did user_a1 say?", ["user_a1", "user_b2"]) == "user_a1"
    # two speakers, or none, or a label inside another word
    assert named("Did Caroline and Melanie meet?", ["Caroline", "Melanie"]) is None
    assert named("What did Mel paint?", ["Melanie"]) is None
    assert named("What did Melanies paint?", ["Melanie"]) is None
    # a label that is also a word counts only as written
    assert named("What will you do?", ["Will"], STOPWORDS) is None
    assert named("What did Will do?", ["Will"], STOPWORDS) == "Will"


HANDLES = [
    {"role": "user", "name": "u1", "content": "Hey Sam! How was the climbing trip?"},
    {"role": "user", "name": "u2", "content": "Great, I reached the top of the north face."},
    {"role": "user", "name": "u1", "content": "So proud of you, Sam. I reached the top of the north face years ago."},
    {"role": "user", "name": "u2", "content": "Thanks Robin! I baked two loaves of bread."},
    {"role": "user", "name": "u1", "content": "Nice, I baked two loaves of bread as well."},
    {"role": "user", "name": "u2", "content": "Congrats, Robin!"},
]


def test_a_name_is_learnt_from_how_the_two_people_address_each_other(mem: Memory) -> None:
    mem.add(HANDLES, user_id="pair", infer=False)
    # the labels are handles: "Sam" is u2 (u1 greets Sam) and "Robin" is u1
    # what each one said, not the lines that call them by name
    assert speakers_of(mem.search("What did Sam tell?", user_id="pair", limit=2)) == ["u2"] * 2
    assert speakers_of(mem.search("What did Robin tell?", user_id="pair", limit=2)) == ["u1"] * 2


def test_a_name_is_learnt_where_people_type_in_lower_case(mem: Memory) -> None:
    typed = [{"role": "user", "name": name, "content": text} for name, text in [
        ("u1", "hey sam! how was the climbing trip?"),
        ("u2", "great, i reached the top of the north face."),
        ("u1", "thanks sam, i reached the top of the north face years ago."),
        ("u2", "i baked two loaves of bread."),
        ("u1", "nice, i baked two loaves of bread as well."),
    ]]
    mem.add(typed, user_id="pair", infer=False)
    # "Sam" is read as u2: u2's line comes first and the lines that greet Sam,
    # the only ones holding the word, no longer lead
    results = mem.search("What did Sam tell?", user_id="pair", limit=5)
    assert speakers_of(results)[0] == "u2" and results[-1].memory == "u1: hey sam!"


def test_a_learnt_name_is_read_in_a_search_typed_in_lower_case(mem: Memory) -> None:
    mem.add(HANDLES, user_id="pair", infer=False)
    assert speakers_of(mem.search("what did sam tell?", user_id="pair", limit=2)) == ["u2"] * 2


def test_forgetting_what_was_said_forgets_the_name_learnt_from_it(mem: Memory, config: Config) -> None:
    mem.add(HANDLES, user_id="pair", infer=False)
    for item in mem.get_all(user_id="pair", limit=100):
        if "Sam" in item.memory:
            mem.delete(item.id)
    with closing(Core(config)) as core:
        said = [(i.metadata["name"], i.memory) for i in core.store.memories.by_ids(
            core.store.keywords.holding("pair", "Sam", 10), "pair").values()]
    assert said == []


@pytest.mark.parametrize("said, expected", [
    ([("u1", "Hey Sam, how are you?"), ("u1", "Night, Sam.")], "u2"),         # greeted twice by u1
    ([("u2", "I'm Sam by the way."), ("u2", "Call me Sam.")], "u2"),          # introduces themselves
    ([("u1", "Hey Sam!")], None),                                             # once is not enough
    ([("u1", "Hey Sam!"), ("u1", "Thanks, Sam!"), ("u2", "Bye Sam!"), ("u2", "Sam, wait!")], None),  # split
    ([("u1", "I'm Sam's sister."), ("u1", "I met Sam at school.")], None),    # a third person
    ([("x9", "Hey Sam!"), ("x9", "Thanks, Sam!")], None),                     # not a speaker
])
def test_learnt(said: list[tuple[str, str]], expected: str | None) -> None:
    assert learnt("Sam", said, ["u1", "u2"]) == expected


def test_greetings_say_nothing_about_whom_when_more_than_two_talk() -> None:
    assert learnt("Sam", [("u1", "Hey Sam!"), ("u1", "Thanks, Sam!")], ["u1", "u2", "u3"]) is None
    assert learnt("Sam", [("u3", "I'm Sam."), ("u3", "my name is Sam")], ["u1", "u2", "u3"]) == "u3"


def test_a_place_after_an_exclamation_is_not_taken_for_a_name() -> None:
    said = [("u1", "Wow, Paris was lovely."), ("u1", "Oh Paris is so expensive.")]
    assert learnt("Paris", said, ["u1", "u2"]) is None
    assert learnt("Sam", [("u1", "Wow, Sam!"), ("u1", "Oh Sam, you did it!")], ["u1", "u2"]) == "u2"


def test_words_that_only_start_sentences_or_are_written_in_lower_case_are_no_names() -> None:
    labels = ["u1", "u2"]
    # "Absolutely!" twice: at a sentence's start only
    assert learnt("Absolutely", [("u1", "Absolutely!"), ("u1", "Absolutely, I agree.")], labels) is None
    # "Cool, ..." is said, but so is "that's cool"
    said = [("u1", "Cool, see you then."), ("u1", "Cool!"), ("u2", "That's cool."), ("u1", "So cool.")]
    assert learnt("Cool", said, labels) is None
    # a name is written capitalised inside sentences
    said = [("u1", "Sam, see you then."), ("u1", "Thanks, Sam!"), ("u2", "I told Sam.")]
    assert learnt("Sam", said, labels) == "u2"


@pytest.mark.parametrize("word, said, expected", [
    ("Sam", [("u1", "hey sam how are you"), ("u1", "thanks sam!")], "u2"),       # greeted twice by u1
    ("Sam", [("u2", "call me sam"), ("u2", "my name is sam.")], "u2"),           # introduces themselves
    ("Sam", [("u1", "hey sam"), ("u1", "Thanks, Sam!")], "u2"),                  # one typist of each kind
    # in lower case "i'm X" is mostly "i'm really tired", and a bare "paris!"
    # or "omg paris" may be said of anything
    ("Really", [("u2", "i'm really tired"), ("u2", "i'm really happy")], None),
    ("Paris", [("u1", "omg paris!"), ("u1", "paris, what a city")], None),
    ("Always", [("u1", "always here to help"), ("u1", "always here for you.")], None),
    # greeted in lower case, but written in lower case inside a capitalised sentence: a word
    ("Cool", [("u1", "hey cool"), ("u1", "thanks cool"), ("u2", "That's cool.")], None),
    ("Congrats", [("u1", "Congrats!"), ("u1", "Wow, congrats!"), ("u1", "So, Congrats!")], None),
])
def test_learnt_where_sentences_are_typed_in_lower_case(word: str, said: list[tuple[str, str]],
                                                        expected: str | None) -> None:
    assert learnt(word, said, ["u1", "u2"]) == expected


def learnt_in(chat: str, lower: bool = False) -> dict[str, str]:
    """What :func:`learnt` makes of every capitalised word of a chat file (with
    ``lower``, of the same chat typed in lower case)."""
    rows = [line.split("\t") for line in (DATA / chat).read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    labels = sorted({speaker for speaker, _ in rows})
    words = {w for _, text in rows for w in NAME_WORD.findall(text) if w.lower() not in STOPWORDS}
    found = {}
    for word in words:
        said = [(s, t.lower() if lower else t) for s, t in rows if re.search(rf"\b{word}\b", t, re.IGNORECASE)]
        speaker = learnt(word, said, labels)
        if speaker:
            found[word] = speaker
    return found


@pytest.mark.parametrize("chat, expected", [
    # Kev / Kevin are called so once each: not enough to learn them
    ("names_chat.txt", {"Priya": "dj.morrow"}),
    ("names_chat_b.txt", {"Tomasz": "0x5f3", "Tom": "0x5f3", "Funmi": "m.adeyemi"}),
])
def test_names_learnt_from_chats_and_no_places_friends_or_exclamations(chat: str, expected: dict[str, str]) -> None:
    # Lisbon, Maya, Ines, Marco, Europe, "Absolutely", "Cool"...: none of them a speaker
    assert learnt_in(chat) == expected


@pytest.mark.parametrize("chat, expected", [
    ("names_chat.txt", {"Priya": "dj.morrow"}),
    # "I'm Funmi btw", "nice to meet you Funmi", "Later, Funmi!": in lower case none of them counts
    ("names_chat_b.txt", {"Tomasz": "0x5f3", "Tom": "0x5f3"}),
])
def test_names_learnt_from_the_same_chats_typed_in_lower_case(chat: str, expected: dict[str, str]) -> None:
    assert learnt_in(chat, lower=True) == expected


@pytest.mark.parametrize("label, expected", [
    ("user_a1", True), ("@mina92", True), ("+44 7700 900123", True), ("mel_b", True), ("dog mom 🐶", True),
    ("Caroline", False), ("Anna K.", False), ("Mary-Jane", False), ("O'Neil", False), ("Zoë", False),
    ("mina", False),  # lower case is still a name to an uncased embedder
])
def test_handle(label: str, expected: bool) -> None:
    assert handle(label) is expected


@pytest.mark.parametrize("query, expected", [
    ("What did u2 bake?", "What did I bake?"),
    ("What is u2's dog called?", "What is my dog called?"),
    ("What did Robin give to u2?", "What did Robin give to me?"),
    ("Did u2 visit u2's sister?", "Did I visit my sister?"),
    ("What did u22 bake?", "What did u22 bake?"),  # another label that begins with this one
])
def test_first_person(query: str, expected: str) -> None:
    assert first_person(query, "u2") == expected


def test_a_question_about_a_speaker_labelled_by_a_handle_is_embedded_as_they_would_ask_it(config: Config) -> None:
    embedder = RecordingEmbedder()
    with Memory(config=config, embedder=embedder) as mem:
        mem.add(HANDLES, user_id="pair", infer=False)
        mem.add(CHAT, user_id="group", infer=False)
        # "Sam" is learnt to be u2, a handle: the vector is asked in the first
        # person, the keyword side still by the label, and u2's lines lead
        results = mem.search("What did Sam bake?", user_id="pair", limit=2)
        assert embedder.texts[-1] == "What did I bake?"
        assert speakers_of(results)[0] == "u2" and "bread" in results[0].memory
        # a speaker labelled by a name is embedded as asked
        mem.search("What did Mel paint?", user_id="group", limit=1)
        assert embedder.texts[-1] == "What did Melanie paint?"
        # a question with nothing but the handle in it stays as it is
        mem.search("Who is Sam?", user_id="pair", limit=1)
        assert embedder.texts[-1] == "Who is u2?"


def test_another_spelling_of_a_speakers_name_means_them() -> None:
    from memcli.language.names import means

    assert means("Aqib", "Akib") and means("Faheem", "Fahim Khan") and means("Mohammed", "Muhhamed")
    assert means("Akim", "Akib")  # one letter apart
    assert not means("Gina", "Jon") and not means("Tim", "Tom")  # too short to guess at
    assert not means("Paris", "Priya")
