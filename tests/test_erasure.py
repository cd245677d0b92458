"""`forget --user` leaves no trace: raw bytes of every file are scanned."""

from __future__ import annotations

from pathlib import Path

from memcli import Config, Memory

SECRETS = [
    "zanzibar-quokka-7731 is my locker code",
    "I secretly collect purple-tortoise-8842 stamps",
    "my therapist is Dr Xylophone-Quintessa",
]


def all_bytes(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def vector_probes(mem: Memory, user: str) -> list[bytes]:
    """A 32-byte slice out of the middle of each stored vector of ``user``."""
    return [blob[64:96] for _, blob, _ in mem.store.vectors(user)]


def plant(config: Config) -> tuple[list[bytes], list[bytes]]:
    with Memory(config=config) as m:
        for n, text in enumerate(SECRETS):
            m.add(text, user_id="victim", metadata={"note": f"meta-marker-{n}-wombat"})
        m.add("keeper likes ordinary-porridge-1234", user_id="keeper")
        m.store.create_session("victim-session-ocelot", "victim")
        m.store.add_message("victim-session-ocelot", "victim", "user", "chat line heliotrope-5519")
        history = m.user_history_file("victim")  # what the REPL's input history holds
        history.parent.mkdir(mode=0o700, exist_ok=True)
        history.write_text("\n# 2026-11-20\n+typed line lapis-kingfisher-3307\n")
        # a search makes sure both users' index files exist
        m.search("locker code", user_id="victim")
        m.search("porridge", user_id="keeper")
        return vector_probes(m, "victim"), vector_probes(m, "keeper")


def markers() -> list[bytes]:
    words = ["zanzibar-quokka-7731", "purple-tortoise-8842", "Xylophone-Quintessa",
             "meta-marker-0-wombat", "victim-session-ocelot", "heliotrope-5519", "lapis-kingfisher-3307"]
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
