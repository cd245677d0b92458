"""`forget --user` leaves no trace: raw bytes of every file are scanned."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import json
from pathlib import Path

import numpy as np

from memcli import Config, Memory
from memcli.models.fake import HashEmbedder

SECRETS = [
    "zanzibar-quokka-7731 is my locker code",
    "I secretly collect purple-tortoise-8842 stamps",
    "my therapist is Dr Xylophone-Quintessa",
]


def all_bytes(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def vectors(mem: Memory, user: str) -> dict[int, bytes]:
    """Each stored vector of ``user``, by memory id (read from an export)."""
    return {m["id"]: base64.b64decode(m["embedding"]) for m in mem.export(user)["memories"]}


def vector_probes(mem: Memory, user: str) -> list[bytes]:
    """A 32-byte slice out of the middle of each stored vector of ``user``
    (not one of zeros, which the fake embedder gives a short text: any file
    holds those)."""
    return [blob[64:96] for blob in vectors(mem, user).values() if blob[64:96].strip(b"\x00")]


def plant(config: Config) -> tuple[list[bytes], list[bytes]]:
    with Memory(config=config) as m:
        for n, text in enumerate(SECRETS):
            m.add(text, user_id="victim", metadata={"note": f"meta-marker-{n}-wombat"})
        # a speaker's name is also in the speakers index (memcli/names.py)
        m.add([{"role": "user", "name": "Marmoset-Speaker-4410", "content": "I keep bees."}],
              user_id="victim", infer=False)
        m.add("keeper likes ordinary-porridge-1234", user_id="keeper")
        m.log_message("victim-session-ocelot", "victim", "user", "chat line heliotrope-5519")
        history = m.user_history_file("victim")  # what the REPL's input history holds
        history.parent.mkdir(mode=0o700, exist_ok=True)
        history.write_text("\n# 2026-11-20\n+typed line lapis-kingfisher-3307\n")
        # a search makes sure both users' index files exist
        m.search("locker code", user_id="victim")
        m.search("porridge", user_id="keeper")
        return vector_probes(m, "victim"), vector_probes(m, "keeper")


def markers() -> list[bytes]:
    words = ["zanzibar-quokka-7731", "purple-tortoise-8842", "Xylophone-Quintessa",
             "meta-marker-0-wombat", "victim-session-ocelot", "heliotrope-5519", "lapis-kingfisher-3307",
             "Marmoset-Speaker-4410"]
    return [w.encode() for w in words]


def test_forget_user_leaves_no_bytes_behind(cli, config: Config) -> None:
    victim_vectors, keeper_vectors = plant(config)
    home = config.home
    before = all_bytes(home)
    # the scan can see what it looks for: before erasure the markers are on disk
    assert any(m in data for data in before.values() for m in markers())
    assert all(any(v in data for data in before.values()) for v in victim_vectors)

    result = cli("forget", "--user", "victim", "--yes")
    assert result.exit_code == 0, result.output

    after = all_bytes(home)
    for path, data in after.items():
        for marker in markers():
            assert marker not in data, f"{marker!r} survives in {path.name}"
        for probe in victim_vectors:
            assert probe not in data, f"a victim vector survives in {path.name}"
    # the other user is untouched, and their vectors are still found by the same scan
    assert any(b"ordinary-porridge-1234" in data for data in after.values())
    assert all(any(v in data for data in after.values()) for v in keeper_vectors)
    assert cli("search", "porridge", "-u", "keeper", "--json").exit_code == 0


def test_forget_one_memory_scrubs_its_text_and_vector(cli, config: Config) -> None:
    with Memory(config=config) as m:
        [gone] = m.add("the vault phrase is crimson-narwhal-4410")
        m.add("I like walking")
        m.search("vault")
        probe = vector_probes(m, "alice")[0]
    assert cli("forget", str(gone.id), "--yes").exit_code == 0
    for path, data in all_bytes(config.home).items():
        assert b"crimson-narwhal-4410" not in data, path.name
        assert probe not in data, path.name


def distinctive(blob: bytes) -> bytes:
    """32 bytes of a (sparse) vector, starting at its first non-zero value."""
    start = next(i for i in range(0, len(blob), 4) if blob[i:i + 4] != bytes(4))
    return blob[start:start + 32]


def test_forget_one_sentence_scrubs_it_from_the_next_ones_context(cli, config: Config) -> None:
    """Sentences kept from a conversation are embedded with the words said before
    them; forgetting one takes its words out of its neighbours' context, and
    their vectors are recomputed without them."""
    with Memory(config=config) as m:
        m.add([{"role": "user", "content": "My codename is amber-pangolin-6021. I like tea."},
               {"role": "user", "content": "Noted, thanks for telling me."}])
        items = {i.memory: i.id for i in m.get_all()}
        m.search("codename")
        old = {label: distinctive(blob) for label, blob in vectors(m, "alice").items()}
    gone, tea, noted = (items["My codename is amber-pangolin-6021."], items["I like tea."],
                        items["Noted, thanks for telling me."])
    assert cli("forget", str(gone), "--yes").exit_code == 0
    for path, data in all_bytes(config.home).items():
        assert b"amber-pangolin-6021" not in data, path.name
        for label in (gone, tea, noted):
            assert old[label] not in data, f"the old vector of {label} survives in {path.name}"
    with Memory(config=config) as m:
        assert {i.memory for i in m.get_all()} == {"I like tea.", "Noted, thanks for telling me."}
        assert m.search("tea", limit=1)[0].id == tea  # the neighbours are still found, by their own words
        assert vectors(m, "alice")[tea] == m.embedder.embed(["I like tea."])[0].tobytes()


class WindowedHash(HashEmbedder):
    """The test embedder, embedding a conversation as the real one does in
    shared windows: each piece's vector also holds what was said after it."""

    def embed_conversation(self, pairs):
        alone = self.embed([f"{c} {t}" if c else t for c, t in pairs])
        after = self.embed([t for _, t in pairs[1:]] + ["-"])
        mixed = alone + after
        return mixed / np.linalg.norm(mixed, axis=1, keepdims=True)


def test_forget_one_sentence_scrubs_it_from_the_windows_it_shared(config: Config) -> None:
    """Where a conversation was embedded in windows, a sentence said before a
    forgotten one also saw it: its vector is recomputed on its own."""
    lines = ["I water the plants on Sundays.", "My codename is amber-pangolin-6021.", "I like tea."]
    with Memory(config=config, embedder=WindowedHash()) as m:
        m.add([{"role": "user", "content": line} for line in lines], infer=False)
        items = {i.memory: i for i in m.get_all()}
        m.search("codename")
        old = {label: distinctive(blob) for label, blob in vectors(m, "alice").items()}
        plants, gone = items[lines[0]], items[lines[1]]
        assert vectors(m, "alice")[plants.id] != m.embedder.embed([lines[0]])[0].tobytes()  # it saw the next line
        m.delete(gone.id)
        m.search("plants")
        assert vectors(m, "alice")[plants.id] == m.embedder.embed([lines[0]])[0].tobytes()
    for path, data in all_bytes(config.home).items():
        assert b"amber-pangolin-6021" not in data, path.name
        for label in old:
            assert old[label] not in data, f"the old vector of {label} survives in {path.name}"


def test_forget_user_covers_facts_episodes_and_chat(cli, config: Config) -> None:
    from memcli.chat import ChatSession
    from memcli.models.scripted import ScriptedLLM

    with Memory(config=config) as m:
        m.add("I live in Quokkaville and I love zorbing-7781.", user_id="victim", infer=True)
        m.add("Yesterday I went to the Wombat-9902 festival.", user_id="victim", infer=True)
        chat = ChatSession(m, ScriptedLLM(["ok"]), m.config.chat, "victim")
        "".join(chat.turn("I adopted a ferret named Gizmo-4471"))
        chat.close()  # writes the session summary episode
        m.add("keeper fact lorem-3131", user_id="keeper")
        assert m.episodes("victim", limit=None)
    planted = [b"Quokkaville", b"zorbing-7781", b"Wombat-9902", b"Gizmo-4471"]
    assert any(p in data for data in all_bytes(config.home).values() for p in planted)
    assert cli("forget", "--user", "victim", "--yes").exit_code == 0
    for path, data in all_bytes(config.home).items():
        for p in planted:
            assert p not in data, f"{p!r} survives in {path.name}"
    assert any(b"lorem-3131" in data for data in all_bytes(config.home).values())


def test_forget_session_and_before(cli, config: Config) -> None:
    with Memory(config=config, clock=lambda: datetime(2020, 1, 1, tzinfo=timezone.utc)) as m:
        m.add([{"role": "user", "content": "I love snorkelling-5150"}], infer=True, session_id="trip")
    with Memory(config=config) as m:
        m.add([{"role": "user", "content": "I love paragliding-6262"}], infer=True, session_id="recent")
    assert cli("forget", "--session", "trip").exit_code == 1  # asks; stdin is not a terminal
    out = json.loads(cli("forget", "--session", "trip", "--yes", "--json").stdout)
    assert out["memories"] >= 1 and out["messages"] == 1
    assert not any(b"snorkelling-5150" in d for d in all_bytes(config.home).values())
    assert any(b"paragliding-6262" in d for d in all_bytes(config.home).values())
    assert cli("forget", "--session", "nope", "--yes").exit_code == 1
    out = json.loads(cli("forget", "--before", "2999-01-01", "--yes", "--json").stdout)
    assert out["memories"] >= 1
    assert not any(b"paragliding-6262" in d for d in all_bytes(config.home).values())
    assert cli("forget", "1", "--session", "x", "--yes").exit_code == 1
