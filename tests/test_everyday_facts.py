"""Facts from everyday speech, through the Memory API: the classes an independent
check of unseen chat lines found missed, a retraction that ends what it
retracts, and the person's own name in a question."""

from __future__ import annotations

from pathlib import Path

import pytest

from memcli import Config, Memory


@pytest.fixture
def m(tmp_path: Path):
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="mina")) as memory:
        yield memory


def current_facts(m: Memory) -> set[str]:
    return {i.memory for i in m.get_all(user_id="mina", filters={"kind": "fact"})}


@pytest.mark.parametrize("line, fact", [
    ("I'm an optician, long story haha", "Works as an optician"),
    ("I'm a roofer btw, so I'm up early", "Works as a roofer"),
    ("I'm 37 years old, if that matters", "Is 37 years old"),
    ("We've been vegan since our honeymoon", "Is vegan"),
    ("I have been vegetarian since school", "Is vegetarian"),
    ("I studied geology at Aberdeen", "Studied geology"),
    ("I studied geology at Aberdeen", "Studied at Aberdeen"),
    ("We moved back home to Galway in spring", "Lives in Galway"),
    ("My boyfriend and I live in Tallinn", "Lives in Tallinn"),
    ("Me and my cousin live in Gdansk now", "Lives in Gdansk"),
])
def test_a_class_of_everyday_statement_becomes_its_fact(m: Memory, line: str, fact: str) -> None:
    m.add(line, user_id="mina", infer=True)
    assert fact in current_facts(m)


def test_a_retraction_ends_the_fact_and_the_sentence_that_said_it(m: Memory) -> None:
    m.add("I'm a nurse at the children's hospital.", user_id="mina", infer=True, timestamp="2025-01-10")
    said = [i for i in m.get_all(user_id="mina") if i.kind == "message"]
    assert said and "Works as a nurse" in current_facts(m)
    m.add("I'm not a nurse anymore.", user_id="mina", infer=True, timestamp="2025-06-01")
    assert "Works as a nurse" not in current_facts(m)
    current = {i.memory for i in m.get_all(user_id="mina")}
    assert "I'm a nurse at the children's hospital." not in current and "I'm not a nurse anymore." in current
    everything = {i.memory: i for i in m.get_all(user_id="mina", include_past=True)}
    assert everything["Works as a nurse"].valid_to.startswith("2025-06-01")
    [sentence] = [i for text, i in everything.items() if i.kind == "message" and "children's hospital" in text]
    assert sentence.valid_to.startswith("2025-06-01")
    assert any("no longer true" in (e.reason or "") for e in m.history(sentence.id))
    assert m.search("where do I work", user_id="mina", as_of="2025-03-01")  # history keeps both


def test_the_persons_own_name_in_a_question_means_the_person(m: Memory) -> None:
    m.add("Hi, I'm Mina.", user_id="mina", infer=True, timestamp="2025-01-01")
    m.add("I live in Busan.", user_id="mina", infer=True, timestamp="2025-01-02")
    m.add("My favourite food is bibimbap.", user_id="mina", infer=True, timestamp="2025-01-03")
    assert m.search("where does Mina live?", user_id="mina", limit=3)[0].memory == "Lives in Busan"
    assert m.search("where does mina live", user_id="mina", limit=3, as_of="2025-02-01")[0].memory == "Lives in Busan"
