"""The public Python API: add, search, get, get_all, update, delete, history."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from memcli import Config, InvalidInput, MemcliError, Memory, NotFound  # noqa: F401


def test_add_then_search_finds_the_related_memory(mem: Memory) -> None:
    mem.add("I live in Busan near the sea")
    mem.add("My favourite food is kimchi stew")
    mem.add("I work as a nurse at a hospital")
    results = mem.search("which city do I live in", limit=3)
    assert results[0].memory == "I live in Busan near the sea"
    assert results[0].score is not None and results[0].score > results[1].score
    first = results[0].to_dict()
    for key in ("id", "memory", "score", "user_id", "metadata", "created_at", "updated_at"):
        assert key in first
    assert first["user_id"] == "alice"


def test_same_text_is_not_stored_twice(mem: Memory) -> None:
    first = mem.add("I have a cat named Mochi")
    again = mem.add("  i have a cat   named Mochi ")
    assert first[0].event == "ADD"
    assert again[0].event == "NONE" and again[0].id == first[0].id
    assert len(mem.get_all()) == 1


def test_the_persons_messages_become_memories_never_the_assistants(mem: Memory) -> None:
    results = mem.add(
        [
            {"role": "system", "content": "You are helpful"},
            {"role": "user", "content": "I am learning Korean"},
            {"role": "assistant", "content": "That is great, how long have you studied?"},
        ],
        session_id="s1",
        metadata={"source": "chat"},
    )
    assert [r.event for r in results] == ["ADD"]
    items = {i.memory: i for i in mem.get_all()}
    assert list(items) == ["I am learning Korean"]  # the assistant's line is nobody's memory
    assert items["I am learning Korean"].metadata == {"source": "chat", "role": "user"}
    assert items["I am learning Korean"].session_id == "s1"
    assert items["I am learning Korean"].kind == "message"
    assert "You are helpful" not in items


def test_a_sentence_is_found_by_what_was_said_just_before_it(mem: Memory) -> None:
    """Each kept sentence is embedded with the last words said before it, so a
    reply that never names its topic is still found by it."""
    mem.add("The weather was grey all week in the city")
    mem.add([{"role": "user", "name": "Mel", "content": "I bought new running shoes!"},
             {"role": "user", "name": "Cat", "content": "Love that purple. Are they comfy?"}])
    hits = [h.memory for h in mem.search("shoes", limit=3)]
    assert hits[:2] == ["Mel: I bought new running shoes!", "Cat: Love that purple."]
    context = {m["memory"]: m["context"] for m in mem.export()["memories"]}
    assert context["Cat: Love that purple."] == "Mel: I bought new running shoes!"
    assert context["Cat: Are they comfy?"] == "Mel: I bought new running shoes! Cat: Love that purple."
    assert context["The weather was grey all week in the city"] is None


def test_results_reach_several_messages_before_a_second_sentence_of_one(mem: Memory) -> None:
    """A list filled to a budget covers more of what was said: the second
    sentence of a message ranks after the best sentence of another message."""
    mem.add([{"role": "user", "content": "Pottery is my hobby. I glaze pottery bowls. "
                                         "Pottery class is on Sunday."}], infer=False)
    mem.add([{"role": "user", "content": "My sister sells her pottery at the market."}], infer=False)
    top = [item.memory for item in mem.search("pottery", limit=2)]
    assert "My sister sells her pottery at the market." in top
    everything = [item.memory for item in mem.search("pottery", limit=10)]
    assert len(everything) == 4  # nothing left out, only ordered


@pytest.mark.parametrize("infer", [False, True])
def test_messages_in_a_row_are_one_turn_but_numbered_apart(mem: Memory, infer: bool) -> None:
    """Several messages sent in a row by one person get the context the same
    sentences in one message would (whoever speaks next sees the turn under
    its speaker's name once), but each message is numbered on its own: search
    spreads its results over messages, and each message of a chat is said on
    its own."""
    said = ["We adopted a puppy named Biscuit.", "She chews our shoes.", "Still worth it."]
    reply = {"role": "user", "name": "Cat", "content": "She sounds lovely."}
    mem.add([{"role": "user", "name": "Mel", "content": " ".join(said)}, reply], user_id="one", infer=infer)
    mem.add([*({"role": "user", "name": "Mel", "content": s} for s in said), reply], user_id="many", infer=infer)

    def kept(user: str) -> list[tuple[str, str | None, object, object]]:
        rows = [m for m in mem.export(user)["memories"] if m["kind"] == "message"]
        return [(m["memory"], m["context"], m["metadata"].get("part"), m["metadata"].get("parts")) for m in rows]

    assert [(text, context) for text, context, _, _ in kept("one")] == [
        (text, context) for text, context, _, _ in kept("many")]
    assert [(part, parts) for _, _, part, parts in kept("one")][:3] == [(1, 3), (2, 3), (3, 3)]
    assert [(part, parts) for _, _, part, parts in kept("many")][:3] == [(None, None)] * 3
    assert kept("many")[-1][1] == "Mel: We adopted a puppy named Biscuit. She chews our shoes. Still worth it."


def test_each_message_of_a_run_ranks_on_its_own(mem: Memory) -> None:
    """A run of short messages is not one message to search: the one that
    answers is not ranked down for coming after another of the same run."""
    mem.add([{"role": "user", "name": "Nate", "content": "How is the writing going?"},
             {"role": "user", "name": "Jo", "content": "I finished my screenplay!"},
             {"role": "user", "name": "Jo", "content": "It's a mix of drama and romance."},
             {"role": "user", "name": "Nate", "content": "Congrats, I loved your last screenplay."},
             {"role": "user", "name": "Nate", "content": "Send me the screenplay when you can."}], infer=False)
    top = {item.memory for item in mem.search("What is Jo's screenplay?", limit=2)}
    assert top == {"Jo: I finished my screenplay!", "Jo: It's a mix of drama and romance."}


def test_a_turn_is_numbered_by_what_is_stored_of_it(mem: Memory) -> None:
    """A sentence the user already has is not stored again; the rest of its
    turn is numbered without it, so search still reads them as one message."""
    mem.add([{"role": "user", "name": "Mel", "content": "haha!"}], infer=False)
    mem.add([{"role": "user", "name": "Cat", "content": "How was the weekend?"},
             {"role": "user", "name": "Mel", "content": "I went to pottery class! haha! The bowls came out great."}],
            infer=False)
    rows = {m["memory"]: m["metadata"] for m in mem.export()["memories"]}
    assert "_turn" not in str(rows)
    assert [(rows[t].get("part"), rows[t].get("parts")) for t in
            ("Mel: I went to pottery class!", "Mel: The bowls came out great.", "Mel: haha!")] == [
        (1, 2), (2, 2), (None, None)]
    mem.add([{"role": "user", "name": "Jo", "content": "My pottery bowls cracked in the kiln."}], infer=False)
    top = [item.memory for item in mem.search("pottery bowls", limit=2)]
    assert "Jo: My pottery bowls cracked in the kiln." in top  # not two sentences of Mel's one message


def test_transcript_lines_without_names_are_each_their_speakers_turn(mem: Memory) -> None:
    """A pasted conversation comes as the user's lines, each opening with who
    said it: a line by another speaker starts a new turn, while lines in a
    row by one speaker stay one turn (one context); each line's sentences are
    numbered as one message."""
    lines = ["Caroline: I went to a support group. It was powerful.", "Melanie: That sounds great. Tell me more!",
             "Melanie: I painted a lake last week."]
    mem.add([{"role": "user", "content": line} for line in lines], user_id="pasted", infer=False)
    rows = [m for m in mem.export("pasted")["memories"] if m["kind"] == "message"]
    turns = [(m["metadata"].get("part"), m["metadata"].get("parts")) for m in rows]
    # Caroline's line of two sentences, then Melanie's two lines, of two sentences and of one
    assert turns == [(1, 2), (2, 2), (1, 2), (2, 2), (None, None)]


def test_a_chat_exports_placeholders_are_not_the_persons_words(mem: Memory) -> None:
    """What a chat app's export writes instead of what was sent (a photo, a
    deleted message) is neither a memory, nor logged, nor context; an edited
    message keeps its words without the export's mark."""
    chat = [{"role": "user", "name": "Jo", "content": "<Media omitted>"},
            {"role": "user", "name": "Jo", "content": "\u200eimage omitted"},
            {"role": "user", "name": "Sam", "content": "This message was deleted"},
            {"role": "user", "name": "Sam", "content": "\u200eThis message was deleted."},
            {"role": "user", "name": "Jo", "content": "Missed group video call."},
            {"role": "user", "name": "Sam", "content": "My sister moved to Lisbon <This message was edited>"},
            {"role": "user", "content": "Jo: sticker omitted"},
            {"role": "user", "content": "Jo: I sent an image omitted from the album by mistake."},
            {"role": "user", "name": "Jo", "content": "Sorry, I missed your video call."}]
    mem.add(chat, user_id="raw", infer=False)
    assert sorted(m.memory for m in mem.get_all("raw")) == [
        "Jo: I sent an image omitted from the album by mistake.", "Jo: Sorry, I missed your video call.",
        "Sam: My sister moved to Lisbon"]
    mem.add(chat, user_id="learnt", infer=True)
    said = [m.content for m in mem.messages("learnt")]
    assert said == ["My sister moved to Lisbon", "Jo: I sent an image omitted from the album by mistake.",
                    "Sorry, I missed your video call."]
    assert not any("omitted>" in m.memory or "deleted" in m.memory for m in mem.get_all("learnt"))
    assert mem.add([{"role": "user", "content": "<Media omitted>"}], user_id="raw", infer=False) == []


def test_get_and_unknown_ids(mem: Memory) -> None:
    [added] = mem.add("I am vegetarian", metadata={"topic": "diet"})
    item = mem.get(added.id)
    assert item.memory == "I am vegetarian" and item.metadata == {"topic": "diet"}
    with pytest.raises(NotFound):
        mem.get(added.id + 100)
    with pytest.raises(NotFound):
        mem.history(999)
    with pytest.raises(InvalidInput):
        mem.get("abc")  # type: ignore[arg-type]


def test_get_all_filters_and_order(mem: Memory) -> None:
    mem.add("one", kind="note")
    mem.add("two", metadata={"topic": "x"})
    mem.add("three", metadata={"topic": "y"})
    assert [i.memory for i in mem.get_all()] == ["three", "two", "one"]
    assert [i.memory for i in mem.get_all(limit=2)] == ["three", "two"]
    assert [i.memory for i in mem.get_all(filters={"kind": "note"})] == ["one"]
    assert [i.memory for i in mem.get_all(filters={"topic": "x"})] == ["two"]
    assert len(mem.get_all(since="1d")) == 3
    assert mem.get_all(since="2999-01-01") == []
    with pytest.raises(InvalidInput):
        mem.get_all(since="last tuesday-ish")


def test_search_filters(mem: Memory) -> None:
    mem.add("I play tennis on Sundays", metadata={"topic": "sport"})
    mem.add("I play the piano on Sundays", metadata={"topic": "music"})
    hits = mem.search("what do I play on Sundays", filters={"topic": "music"})
    assert [h.memory for h in hits] == ["I play the piano on Sundays"]
    assert mem.search("Sundays", threshold=0.99) == []


def test_update_reembeds_and_keeps_history(mem: Memory) -> None:
    [added] = mem.add("I live in Seoul")
    mem.add("My sister is a teacher")
    mem.update(added.id, "I live in Busan")
    assert mem.get(added.id).memory == "I live in Busan"
    assert mem.search("Busan", limit=1)[0].id == added.id
    events = mem.history(added.id)
    assert [e.event for e in events] == ["ADD", "UPDATE"]
    assert events[1].old_memory == "I live in Seoul" and events[1].new_memory == "I live in Busan"


def test_delete_removes_from_search_at_once_and_keeps_a_tombstone(mem: Memory) -> None:
    [gone] = mem.add("My password hint is blue giraffe")
    mem.add("I like blue skies")
    mem.delete(gone.id)
    assert all(h.id != gone.id for h in mem.search("blue giraffe"))
    with pytest.raises(NotFound):
        mem.get(gone.id)
    events = mem.history(gone.id)
    assert [e.event for e in events] == ["ADD", "DELETE"]
    assert all(e.old_memory is None and e.new_memory is None for e in events)
    with pytest.raises(NotFound):
        mem.delete(gone.id)


def test_delete_all_only_touches_one_user(mem: Memory) -> None:
    mem.add("Alice likes tea", user_id="alice")
    mem.add("Bob likes tea", user_id="bob")
    assert mem.delete_all("alice") == 1
    assert mem.get_all(user_id="alice") == []
    assert [i.memory for i in mem.search("tea", user_id="bob")] == ["Bob likes tea"]


def test_users_never_see_each_other(mem: Memory) -> None:
    for n in range(30):
        mem.add(f"shared topic memory number {n} about gardening", user_id="alice")
        mem.add(f"shared topic memory number {n} about gardening too", user_id="bob")
    for user in ("alice", "bob"):
        hits = mem.search("gardening memory", user_id=user, limit=50)
        assert len(hits) == 30
        assert {h.user_id for h in hits} == {user}
        assert {i.user_id for i in mem.get_all(user_id=user)} == {user}
    doc = mem.export("bob")
    assert {m["user_id"] for m in doc["memories"]} == {"bob"}
    assert {h["user_id"] for h in doc["history"]} == {"bob"}


@pytest.mark.parametrize(
    "bad",
    ["", "   \n\t", None, 42, "broken \udcff bytes"],
)
def test_bad_text_is_rejected_and_nothing_changes(mem: Memory, bad: object) -> None:
    mem.add("kept")
    with pytest.raises(InvalidInput):
        mem.add(bad)  # type: ignore[arg-type]
    assert [i.memory for i in mem.get_all()] == ["kept"]


def test_bad_metadata_and_messages(mem: Memory) -> None:
    with pytest.raises(InvalidInput):
        mem.add("x", metadata={"when": object()})
    with pytest.raises(InvalidInput):
        mem.add([{"role": "user"}])
    with pytest.raises(InvalidInput):
        mem.add([{"role": "user", "content": "ok"}, {"role": "user", "content": " "}])
    assert mem.get_all() == []


def test_reset_erases_everything(mem: Memory) -> None:
    mem.add("a", user_id="alice")
    mem.add("b", user_id="bob")
    mem.reset()
    assert mem.users() == []
    assert mem.search("a", user_id="alice") == []


def test_data_persists_and_files_are_private(config: Config) -> None:
    with Memory(config=config) as m:
        m.add("I was born in Jeju")
    with Memory(config=config) as m:
        assert m.search("where was I born")[0].memory == "I was born in Jeju"
    home = config.home
    files = [p for p in home.rglob("*") if p.is_file() and p.name != "config.toml"]
    assert files, "database and index files exist"
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in [p for p in home.rglob("*") if p.is_dir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_importing_memcli_loads_no_heavy_library() -> None:
    code = (
        "import sys, memcli; heavy = {'torch', 'numpy', 'sentence_transformers', 'llama_cpp', 'typer',"
        " 'rich', 'prompt_toolkit', 'hnswlib', 'sqlite_utils'};"
        " print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unwritable_database_path_is_a_clear_error(tmp_path) -> None:
    # A path below a regular file cannot be created, even by root.
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(MemcliError, match="cannot create folder"):
        Memory(path=blocker / "sub" / "memcli.db", config=Config(embedder="fake"))


def test_database_path_that_is_a_folder(tmp_path) -> None:
    with pytest.raises(MemcliError, match="folder"):
        Memory(path=tmp_path, config=Config(embedder="fake"))


class ThreadedHashEmbedder:
    """The fake embedder, declared concurrent, noting the threads it ran on."""

    concurrent = True

    def __init__(self, fail: bool = False) -> None:
        from memcli.models.fake import HashEmbedder

        self.inner = HashEmbedder()
        self.id, self.dim = self.inner.id, self.inner.dim
        self.fail = fail
        self.threads: list[str] = []

    def embed(self, texts):
        import threading

        self.threads.append(threading.current_thread().name)
        if self.fail and texts and "boom" in texts[0]:
            raise MemcliError("the embedder broke")
        return self.inner.embed(texts)


def test_a_concurrent_embedder_embeds_the_query_beside_the_keyword_search_with_the_same_results(tmp_path) -> None:
    import threading

    texts = ["I play tennis on Sundays", "My sister recommended a bakery in Busan", "I keep bees on the roof",
             "The bakery sells sourdough", "I recommend the tennis club", "Bees need water in summer"]
    queries = ["what did my sister recomend", "tennis", "bees on Sundays", "sourdough bakery"]
    found = {}
    for name, embedder in [("plain", None), ("threaded", ThreadedHashEmbedder())]:
        m = Memory(config=Config(embedder="fake", user="alice", db=str(tmp_path / f"{name}.db")), embedder=embedder)
        # past the first depth read (30), so a filter that leaves few reads deeper
        for text in texts + [f"Gardening note {i}: the tomatoes want sun" for i in range(40)]:
            m.add(text, metadata={"topic": "sport" if "tennis" in text else "other"})
        found[name] = [[(h.memory, h.score) for h in m.search(q, limit=lim, filters=f)]
                       for q in queries for lim, f in [(3, None), (3, {"topic": "sport"})]]
        if embedder is not None:
            searched = len(embedder.threads)
            m.search("tennis")
            assert len(embedder.threads) == searched + 1
            assert embedder.threads[-1] != threading.current_thread().name  # the query went to the worker
        m.close()
    assert found["threaded"] == found["plain"]
    assert any(found["plain"])


def test_a_concurrent_embedders_error_reaches_the_caller_and_the_memory_stays_usable(tmp_path) -> None:
    embedder = ThreadedHashEmbedder(fail=True)
    m = Memory(config=Config(embedder="fake", user="alice", db=str(tmp_path / "m.db")), embedder=embedder)
    m.add("I keep bees")
    with pytest.raises(MemcliError, match="the embedder broke"):
        m.search("boom bees")
    assert [h.memory for h in m.search("bees")] == ["I keep bees"]
    m.close()


def test_a_forked_child_gets_its_own_embedding_worker(tmp_path) -> None:
    import multiprocessing

    from memcli.engine.core import Core

    core = Core(Config(embedder="fake", user="alice", db=str(tmp_path / "m.db")), embedder=ThreadedHashEmbedder())
    parent = core.embedding.embed_soon(["I keep bees"]).result()

    def child(out) -> None:
        out.put(core.embedding.embed_soon(["I keep bees"]).result().tolist())  # the inherited pool has no thread here

    results = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=child, args=(results,))
    process.start()
    process.join(600)  # a guard against a hang, not a speed limit
    assert process.exitcode == 0
    assert results.get(timeout=600) == parent.tolist()  # already sent: the child has exited
    core.close()
