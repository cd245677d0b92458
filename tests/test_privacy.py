"""Sensitive data: each class, each policy, and where the policy applies."""

from __future__ import annotations

import io
import json

import pytest

from memcli import Config, InvalidInput, Memory
from memcli.base.privacy import classify, luhn_ok, redact


@pytest.mark.parametrize(
    "text, cls",
    [
        ("My password for the bank is hunter2!", "credentials"),
        ("my api key is sk-abcdefghijklmnop1234", "credentials"),
        ("my PIN is 4821", "credentials"),
        ("My SSN is 123-45-6789", "government_id"),
        ("my passport number is M12345678", "government_id"),
        ("my card number is 4111 1111 1111 1111", "financial"),
        ("I earn $85,000 a year", "financial"),
        ("I still owe 12000 dollars on my student loan", "financial"),
        ("I was diagnosed with type 2 diabetes", "health"),
        ("I take medication for anxiety", "health"),
        ("email me at mina@example.com", "contact"),
        ("my number is +82 10-1234-5678", "contact"),
        ("I live at 42 Baker Street", "contact"),
    ],
)
def test_each_class_is_recognised(text: str, cls: str) -> None:
    assert cls in classify(text).classes


@pytest.mark.parametrize("text", ["I live in Busan", "I have 2 kids and 3 cats", "the pin is lost",
                                  "My secret is that I love cheese", "I ran 10 km in 55 minutes"])
def test_ordinary_text_is_not_sensitive(text: str) -> None:
    assert classify(text).classes == set()


def test_cards_must_pass_luhn() -> None:
    assert luhn_ok("4111 1111 1111 1111") and luhn_ok("5500-0000-0000-0004")
    assert not luhn_ok("4111 1111 1111 1112")
    assert "financial" in classify("card 4111 1111 1111 1111").classes
    assert classify("card 4111 1111 1111 1112").classes == set()


def test_redaction_keeps_the_sentence() -> None:
    text = "My SSN is 123-45-6789 and my email is a@b.co"
    assert redact(text, classify(text)) == "My SSN is [government_id] and my email is [contact]"


@pytest.fixture
def m(tmp_path):
    memory = Memory(path=tmp_path / "p.db", config=Config(embedder="fake", user="u"))
    yield memory
    memory.close()


def test_default_policies(m: Memory) -> None:
    [refused] = m.add("My password is hunter2")
    assert refused.event == "REFUSED" and "credentials" in refused.reason
    [card] = m.add("My card number is 4111 1111 1111 1111")
    assert card.event == "ADD" and card.memory == "My card number is [financial]"
    assert m.get(card.id).sensitivity == "financial"
    [pending] = m.add("I was diagnosed with asthma last year")
    assert pending.event == "PENDING" and "health" in pending.reason
    assert [i.memory for i in m.get_all()] == ["My card number is [financial]"]
    [stored] = m.resolve(pending, accept=True)
    assert stored.event == "ADD" and m.get(stored.id).sensitivity == "health"
    [contact] = m.add("Email me at mina@example.com")
    assert contact.event == "ADD" and m.get(contact.id).memory == "Email me at mina@example.com"
    assert {i.memory for i in m.get_all(sensitive=True)} == {
        "My card number is [financial]", "I was diagnosed with asthma last year", "Email me at mina@example.com"}


def test_policies_come_from_the_config(tmp_path) -> None:
    cfg = Config.from_dict({"embedder": "fake", "privacy": {"health": "store", "contact": "never",
                                                              "credentials": "redact"}})
    with Memory(path=tmp_path / "c.db", config=cfg) as m:
        assert m.add("I have asthma")[0].event == "ADD"
        assert m.add("call me on 010-1234-5678")[0].event == "REFUSED"
        assert m.add("my password is hunter2")[0].memory == "my password is [credentials]"
    with pytest.raises(Exception, match="privacy"):
        Config.from_dict({"privacy": {"health": "maybe"}})


def test_policy_applies_to_extracted_facts_and_the_log(m: Memory) -> None:
    results = m.add("My wifi password is correct-horse-battery. I live in Busan.", infer=True)
    assert [r.memory for r in results if r.event == "ADD"] == ["Lives in Busan", "I live in Busan."]
    assert "correct-horse" not in json.dumps(m.export())
    logged = [r.content for r in m.messages("u")]
    assert logged == ["My wifi password is [credentials]. I live in Busan."]
    with pytest.raises(InvalidInput):
        m.update(results[0].id, "my password is hunter2")


def test_chat_lines_with_secrets_are_masked_everywhere(m: Memory) -> None:
    from memcli.chat import ChatSession
    from memcli.frontends.cli.repl import Repl
    from memcli.models.scripted import ScriptedLLM

    chat = ChatSession(m, ScriptedLLM(["ok", "ok"]), m.config.chat, "u")
    Repl(chat, interactive=False, out=io.StringIO()).run(["my password is hunter2", "/remember my pin is 4821"])
    everything = json.dumps(m.export(all_users=True))
    assert "hunter2" not in everything and "4821" not in everything


def test_export_redact(m: Memory) -> None:
    m.add("Email me at mina@example.com")
    m.log_message("s", "u", "user", "my address is 42 Baker Street")
    plain = json.dumps(m.export())
    shared = m.export(redact=True)
    assert "mina@example.com" in plain
    text = json.dumps(shared)
    assert "mina@example.com" not in text and "42 Baker Street" not in text
    assert shared["redacted"] is True and all(x["embedding"] is None for x in shared["memories"])


def test_cli_sensitive_commands(cli, home) -> None:
    r = cli("add", "my password is hunter2")
    assert r.exit_code == 1 and "never stored" in r.stderr
    r = cli("add", "I have asthma")
    assert r.exit_code == 1 and "confirm" in r.stderr  # stdin is not a terminal: not stored
    assert cli("add", "my card is 4111 1111 1111 1111").exit_code == 0
    listed = json.loads(cli("list", "--sensitive", "--json").stdout)["results"]
    assert [(x["memory"], x["sensitivity"]) for x in listed] == [("my card is [financial]", "financial")]
    assert "[financial]" in cli("list").stdout
    out = cli("export", "--redact").stdout
    assert json.loads(out)["redacted"] is True
