"""Export and import: lossless round trips, Mem0 dumps, and every bad file."""

from __future__ import annotations

import json

import pytest

from memcli import Config, InvalidInput, Memory
from memcli.storage.export_format import load_json


def build(mem: Memory) -> None:
    mem.add("I live in Seoul", metadata={"source": "chat"})
    mem.add("My cat is called Mochi", session_id="s-1", agent_id="helper", kind="note")
    [moved] = mem.add("I work at a bakery")
    mem.update(moved.id, "I work at a bakery in Mapo")
    mem.add("Bob's secret is lemon cake", user_id="bob")
    mem.log_message("s-1", "alice", "user", "hello there")
    # fading state, a pin and a kept sentence embedded with what was said before it
    mem.pin(moved.id)
    mem.touch([moved.id])
    mem.touch([moved.id])
    mem.add([{"role": "assistant", "content": "Do you run?"}, {"role": "user", "content": "Twice a week."}])


def test_round_trip_is_lossless(mem: Memory, tmp_path) -> None:
    build(mem)
    doc = json.loads(json.dumps(mem.export("alice")))
    assert doc["format"] == "memcli-export" and doc["schema_version"] == 3
    with Memory(path=tmp_path / "copy.db", config=Config(embedder="fake", user="alice")) as copy:
        report = copy.import_data(doc)
        assert report.imported == 4 and report.reembedded == 0 and report.users == ["alice"]
        original = {i.memory: i for i in mem.get_all("alice")}
        copied = {i.memory: i for i in copy.get_all("alice")}
        assert original.keys() == copied.keys()
        for text, item in original.items():
            other = copied[text]
            for field in ("user_id", "agent_id", "session_id", "kind", "metadata", "created_at", "updated_at", "hash",
                          "importance", "pinned", "access_count", "last_accessed", "sensitivity"):
                assert getattr(item, field) == getattr(other, field), field
        assert copied["I work at a bakery in Mapo"].pinned and copied["I work at a bakery in Mapo"].access_count == 2
        twice = [r for r in doc["memories"] if r["memory"] == "Twice a week."]
        assert twice and twice[0]["context"] == "Do you run?"
        bakery = copied["I work at a bakery in Mapo"]
        assert [e.event for e in copy.history(bakery.id)][-2:] == ["UPDATE", "PIN"]
        assert copy.search("where do I work", limit=1)[0].memory == "I work at a bakery in Mapo"
        assert [r.content for r in copy.messages("alice")] == ["hello there"]
        assert copy.get_all("bob") == []
        # importing again adds nothing
        again = copy.import_data(doc)
        assert again.imported == 0 and again.skipped_duplicates == 4


def test_import_with_another_embedder_reembeds(mem: Memory, tmp_path) -> None:
    from memcli.models.fake import HashEmbedder

    class OtherFake(HashEmbedder):
        id = "fake-other"

    build(mem)
    doc = mem.export(all_users=True)
    with Memory(path=tmp_path / "b.db", config=Config(embedder="fake"), embedder=OtherFake()) as other:
        report = other.import_data(doc)
        assert report.reembedded == report.imported == 5
        assert other.search("lemon cake", user_id="bob")[0].memory == "Bob's secret is lemon cake"
        # a kept sentence is re-embedded with its context, as it was first embedded
        [mine] = [i.id for i in mem.get_all("alice") if i.memory == "Twice a week."]
        [theirs] = [i.id for i in other.get_all("alice") if i.memory == "Twice a week."]
        vector = {m["id"]: m["embedding"] for m in other.export("alice")["memories"]}[theirs]
        assert vector == {m["id"]: m["embedding"] for m in mem.export("alice")["memories"]}[mine]


def test_mem0_dump_is_accepted(mem: Memory) -> None:
    dump = {
        "results": [
            {"id": "0b7f-uuid", "memory": "Likes hiking in the Alps", "user_id": "carol",
             "metadata": {"category": "hobby"}, "created_at": "2024-07-20T10:00:00.123456-07:00",
             "updated_at": None, "hash": "abc"},
            {"id": "1c8e-uuid", "memory": "Is allergic to cats", "metadata": None},
        ]
    }
    report = mem.import_data(dump, user_id="dave")
    assert report.source == "mem0" and report.imported == 2 and report.refused == 0
    [carol] = mem.get_all("carol")
    assert carol.metadata == {"category": "hobby", "mem0_id": "0b7f-uuid"}
    assert carol.created_at.startswith("2024-07-20T17:00:00")
    assert [i.memory for i in mem.get_all("dave")] == ["Is allergic to cats"]


BAD_DOCUMENTS = {
    "wrong version": {"format": "memcli-export", "schema_version": 99, "memories": []},
    "version zero": {"format": "memcli-export", "schema_version": 0, "memories": []},
    "no version": {"format": "memcli-export", "memories": []},
    "memories not a list": {"format": "memcli-export", "schema_version": 1, "memories": {}},
    "empty text": {"format": "memcli-export", "schema_version": 1,
                   "memories": [{"memory": "ok", "user_id": "a"}, {"memory": " ", "user_id": "a"}]},
    "no user": {"format": "memcli-export", "schema_version": 1, "memories": [{"memory": "x"}]},
    "bad vector": {"format": "memcli-export", "schema_version": 1,
                   "memories": [{"memory": "x", "user_id": "a", "embedding": "***"}]},
    "bad time": {"format": "memcli-export", "schema_version": 1,
                 "memories": [{"memory": "x", "user_id": "a", "created_at": "yesterday-ish"}]},
    "not an export": {"hello": "world"},
    "mem0 without memory": {"results": [{"text": "x"}]},
    "a number": 42,
}


@pytest.mark.parametrize("name", sorted(BAD_DOCUMENTS))
def test_bad_documents_change_nothing(mem: Memory, name: str) -> None:
    mem.add("already here")
    before = mem.export(all_users=True)["memories"]
    with pytest.raises(InvalidInput):
        mem.import_data(BAD_DOCUMENTS[name])
    assert mem.export(all_users=True)["memories"] == before


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "empty"),
        (b'{"format": "memcli-export", "schema_version": 1, "memor', "truncated"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
    ],
)
def test_unreadable_files(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_json(raw, "export.json")


def test_facts_over_time_survive_a_round_trip(mem: Memory, tmp_path) -> None:
    mem.add("I live in Seoul.", infer=True, timestamp="2024-01-01")
    mem.add("I moved to Busan last year. I live in Busan.", infer=True, timestamp="2026-03-10")
    doc = json.loads(json.dumps(mem.export()))
    assert doc["schema_version"] == 3
    with Memory(path=tmp_path / "c.db", config=Config(embedder="fake", user="alice")) as copy:
        copy.import_data(doc)
        fields = ("memory", "kind", "attribute", "value", "valid_from", "valid_to", "reinforced")
        original = sorted(tuple(getattr(i, f) for f in fields) for i in mem.get_all(include_past=True))
        copied = sorted(tuple(getattr(i, f) for f in fields) for i in copy.get_all(include_past=True))
        assert original == copied
        busan = next(i for i in copy.get_all() if i.memory == "Lives in Busan")
        assert [m["content"] for m in copy.why(busan.id)["messages"]] == [
            "I moved to Busan last year. I live in Busan."] * 1
        assert copy.search("where do I live", as_of="2024-06-01")[0].memory == "Lives in Seoul"


def test_version_1_exports_still_import(mem: Memory) -> None:
    doc = {"format": "memcli-export", "schema_version": 1,
           "memories": [{"memory": "Likes tea", "user_id": "alice", "created_at": "2025-01-01T00:00:00+00:00"}]}
    assert mem.import_data(doc).imported == 1
    assert mem.get_all()[0].memory == "Likes tea"


def test_imports_follow_the_privacy_policy(mem: Memory) -> None:
    """A dump from elsewhere is screened like any write: credentials are not
    stored, card numbers are masked (and embedded masked), health is kept with
    its class (importing is the person's own act, so nothing waits for a yes)."""
    dump = [
        {"memory": "My bank password is hunter2", "user_id": "erin"},
        {"memory": "My card is 4539 1488 0343 6467", "user_id": "erin"},
        {"memory": "I take insulin for diabetes", "user_id": "erin"},
    ]
    report = mem.import_data(dump)
    assert report.imported == 2 and report.refused == 1
    texts = {i.memory: i.sensitivity for i in mem.get_all("erin")}
    assert "My card is [financial]" in texts and texts["My card is [financial]"] == "financial"
    assert texts["I take insulin for diabetes"] == "health"
    assert not any("hunter2" in t or "4539" in t for t in texts)


def test_bad_fading_fields_are_rejected(mem: Memory) -> None:
    for bad in ({"importance": 7}, {"access_count": -1}, {"reinforced": "many"}):
        doc = {"format": "memcli-export", "schema_version": 3,
               "memories": [{"memory": "x", "user_id": "a", **bad}]}
        with pytest.raises(InvalidInput):
            mem.import_data(doc)
    assert mem.get_all("a") == []


def test_moving_over_from_the_mcp_memory_server(mem: Memory, tmp_path) -> None:
    """The reference MCP memory server's memory.json: JSON lines of entities and relations."""
    from memcli.storage.export_format import load_document

    lines = [
        {"type": "entity", "name": "default_user", "entityType": "person",
         "observations": ["Lives in Porto", "Is allergic to penicillin"]},
        {"type": "entity", "name": "Ana_Silva", "entityType": "person", "observations": ["Is the user's sister"]},
        {"type": "relation", "from": "default_user", "to": "Ana_Silva", "relationType": "is_sibling_of"},
    ]
    raw = "\n".join(json.dumps(line) for line in lines).encode()
    report = mem.import_data(load_document(raw, "memory.json"))
    assert report.source == "mcp-memory" and report.imported == 4
    items = {i.memory: i for i in mem.get_all()}
    assert set(items) == {"Lives in Porto", "Is allergic to penicillin", "Ana Silva: Is the user's sister",
                          "default user is sibling of Ana Silva"}
    assert items["Ana Silva: Is the user's sister"].metadata["entity"] == "Ana_Silva"
    assert mem.search("Porto", limit=1)[0].memory == "Lives in Porto"
    assert mem.import_data(load_document(raw, "memory.json")).imported == 0


def test_moving_over_from_openmemory(mem: Memory, tmp_path) -> None:
    """OpenMemory's backup zip: memories.json inside (deleted memories stay behind)."""
    import io
    import zipfile

    from memcli.storage.export_format import load_document

    export = {"user": {"user_id": "mina"}, "export_meta": {"version": "1"}, "memories": [
        {"id": "a1", "content": "Prefers tea over coffee", "metadata": {}, "state": "active",
         "created_at": "2025-02-01T10:00:00+00:00", "categories": ["preferences"]},
        {"id": "a2", "content": "Old address on Baker Street", "state": "deleted"}]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("memories.json", json.dumps(export))
    report = mem.import_data(load_document(buffer.getvalue(), "export.zip"))
    assert report.source == "openmemory" and report.imported == 1 and report.users == ["mina"]
    [tea] = mem.get_all("mina")
    assert tea.memory == "Prefers tea over coffee" and tea.created_at.startswith("2025-02-01")
    assert tea.metadata["openmemory_id"] == "a1" and tea.metadata["categories"] == ["preferences"]
