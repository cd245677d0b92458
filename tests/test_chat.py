"""`memcli chat`: the REPL, short-term memory and the router, with the scripted LLM."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from memcli import Config, Memory
from memcli.chat import ChatSession
from memcli.base.errors import ConfigError
from memcli.frontends.cli.repl import Repl
from memcli.models.scripted import ScriptedLLM


@pytest.fixture
def fake_chat_home(home: Path) -> Path:
    (home / "config.toml").write_text('user = "alice"\nembedder = "fake"\n[chat]\nmodel = "fake"\n')
    return home


def talk(mem: Memory, llm: ScriptedLLM, lines: list[str], **kwargs) -> str:
    """Play lines through the REPL (as from a pipe) and return what it printed."""
    out = io.StringIO()
    chat = ChatSession(mem, llm, mem.config.chat, kwargs.pop("user", "alice"), **kwargs)
    Repl(chat, interactive=False, out=out).run(lines)
    return out.getvalue()


def test_a_fact_from_session_one_reaches_the_prompt_in_session_two(cli, fake_chat_home: Path) -> None:
    first = cli("chat", input="Hello!\nI live in Busan and work as a nurse\n")
    assert first.exit_code == 0, first.stderr
    second = cli("chat", input="Where do I live?\n")
    assert second.exit_code == 0, second.stderr
    # the scripted model answers with the memories it found in its prompt
    assert second.stdout.startswith("I remember: ")
    assert "Lives in Busan" in second.stdout and "Works as a nurse" in second.stdout
    assert "\x1b[" not in second.stdout  # no escape codes when piped


def test_the_prompt_holds_memories_and_recent_exchanges(mem: Memory) -> None:
    llm = ScriptedLLM(["Nice to meet you.", "Noted.", "You live in Busan."])
    talk(mem, llm, ["My name is Mina Park", "I live in Busan near the beach", "Where do I live?"])
    final = llm.prompts[-1]
    assert "\n- Lives in Busan\n" in final  # long-term memory: the extracted fact
    assert "User: My name is Mina Park\nAssistant: Nice to meet you." in final  # short-term
    assert final.rstrip().endswith("User: Where do I live?\nAssistant:")
    # facts were extracted; the question added nothing
    assert [i.memory for i in mem.get_all(filters={"kind": "fact"})] == ["Lives in Busan", "Name is Mina Park"]


def test_every_message_is_logged_in_its_session(mem: Memory) -> None:
    llm = ScriptedLLM(["Hi!", "Sure."])
    out = io.StringIO()
    chat = ChatSession(mem, llm, mem.config.chat, "alice", session_id="s-log")
    Repl(chat, interactive=False, out=out).run(["hello", "remember that I like tea"])
    rows = [(r.role, r.content) for r in mem.recent_messages("s-log", 10)]
    assert rows == [("user", "hello"), ("assistant", "Hi!"), ("user", "remember that I like tea"),
                    ("assistant", "Sure.")]
    assert mem.session("s-log").ended_at is not None


def test_the_user_line_is_logged_even_when_the_model_fails(mem: Memory) -> None:
    def explode(prompt: str) -> str:
        raise RuntimeError("model crashed")

    chat = ChatSession(mem, ScriptedLLM([explode]), mem.config.chat, "alice", session_id="s-x")
    with pytest.raises(RuntimeError):
        "".join(chat.turn("I just adopted a parrot"))
    assert [r.content for r in mem.recent_messages("s-x", 10)] == ["I just adopted a parrot"]


def test_ctrl_c_stops_the_answer_but_not_the_session(mem: Memory) -> None:
    class Interrupted(ScriptedLLM):
        calls = 0

        def stream_completion(self, prompt, **kwargs):
            self.prompts.append(prompt)
            Interrupted.calls += 1
            if Interrupted.calls == 1:
                yield "Let me think"
                raise KeyboardInterrupt
            yield "Second answer."

    llm = Interrupted()
    out = talk(mem, llm, ["tell me a long story please", "and now a short one please"], session_id="s-int")
    assert "Let me think [stopped]" in out and "Second answer." in out
    rows = mem.recent_messages("s-int", 10)
    assistant = [r for r in rows if r.role == "assistant"]
    assert assistant[0].content == "Let me think"
    assert assistant[0].metadata == {"interrupted": True}


def test_slash_commands(mem: Memory) -> None:
    llm = ScriptedLLM(["ok"] * 5)
    out = talk(mem, llm, [
        "/help", "/remember I have a cat named Mochi", "/remember I have a cat named Mochi",
        "/memories", "/memories cat", "what is my cat called?", "/why", "/forget 1", "/memories",
        "/forget abc", "/nonsense", "/exit", "this line is never read",
    ])
    assert "/remember" in out and "/why" in out  # help
    assert "Remembered as memory 1" in out and "Already remembered as memory 1" in out
    assert "#1 I have a cat named Mochi" in out
    assert "The last answer used 1 memories" in out
    assert "Forgot memory 1" in out
    assert "usage: /forget ID" in out and "unknown command /nonsense" in out
    assert mem.get_all() == []
    assert len(llm.prompts) == 1  # nothing after /exit was answered


def test_new_session_drops_short_term_but_keeps_long_term(mem: Memory) -> None:
    llm = ScriptedLLM(["A.", "B.", "C."])
    talk(mem, llm, ["I love collecting vintage stamps from Peru", "/new", "what do I collect?"])
    last = llm.prompts[-1]
    assert "- Loves collecting vintage stamps from Peru" in last
    assert "User: I love collecting" not in last


def test_resume_continues_the_last_session(cli, fake_chat_home: Path) -> None:
    assert cli("chat", input="I am training for a marathon in May\n").exit_code == 0
    with Memory() as mem:
        [session] = [s.id for s in mem.sessions("alice")]
    assert cli("chat", "--resume", input="what am I training for?\n").exit_code == 0
    assert cli("chat", "--session", session, input="thanks\n").exit_code == 0
    with Memory() as mem:
        assert len(mem.sessions("alice")) == 1
        assert len(mem.recent_messages(session, 100)) == 6


def test_users_do_not_share_prompts(mem: Memory) -> None:
    llm = ScriptedLLM(["ok"] * 4)
    talk(mem, llm, ["My secret hobby is competitive yodelling"], user="alice")
    talk(mem, llm, ["what is my hobby?", "/user carol", "what is my secret hobby?"], user="bob")
    assert all("yodelling" not in p for p in llm.prompts[1:])


def test_no_memory_leaves_long_term_memory_out(mem: Memory) -> None:
    mem.add("I live in Busan")
    llm = ScriptedLLM(["ok", "ok"])
    talk(mem, llm, ["where do I live?", "I moved to Daegu last spring"], use_memory=False)
    assert "Busan" not in llm.prompts[0]
    assert [i.memory for i in mem.get_all()] == ["I live in Busan"]


def test_the_prompt_fits_the_token_budget(mem: Memory) -> None:
    for n in range(300):
        mem.add(f"I once visited the town of Placename{n} with my cousin and loved the food there")
    mem.config.chat.n_ctx = 256
    mem.config.chat.max_tokens = 64
    llm = ScriptedLLM(["ok"] * 12, n_ctx=256)
    chat = ChatSession(mem, llm, mem.config.chat, "alice")
    for n in range(6):
        "".join(chat.turn(f"tell me about the town I visited with my cousin, number {n}"))
        assert chat.last is not None
        budget = 256 - 64
        assert llm.count_tokens(chat.last.prompt) <= budget
        assert chat.last.memories  # something still fits


def test_a_missing_or_wrong_model_file_is_a_clear_error(cli, fake_chat_home: Path, tmp_path: Path) -> None:
    missing = cli("chat", "--model", str(tmp_path / "nope.gguf"), input="hi\n")
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr and "config.toml" in missing.stderr
    assert "set [chat] model in" in missing.stderr  # printed as written, not eaten as markup
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    wrong = cli("chat", "--model", str(not_gguf), input="hi\n")
    assert wrong.exit_code == 1 and "not a GGUF" in wrong.stderr


def test_interactive_terminal_mode(mem: Memory) -> None:
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    llm = ScriptedLLM(["Hello Mina."])
    out = io.StringIO()
    chat = ChatSession(mem, llm, mem.config.chat, "alice")
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("My name is Mina Park\r/memories\r")
        pipe.close()  # end of input acts as Ctrl-D
        Repl(chat, interactive=True, out=out).run()
    text = out.getvalue()
    assert "Hello Mina." in text and "Name is Mina Park" in text and "bye" in text
    history = mem.user_history_file("alice")
    assert "My name is Mina Park" in history.read_text()
    assert (history.stat().st_mode & 0o777) == 0o600


def test_context_defaults_to_the_model_and_a_set_one_must_fit_an_answer(tmp_path: Path) -> None:
    cfg = Config()
    assert cfg.chat.n_ctx == 0 and cfg.chat.threads >= 1  # 0: sized from the model (tests/test_models.py)
    bad = tmp_path / "c.toml"
    bad.write_text("[chat]\nn_ctx = 100\n")
    with pytest.raises(ConfigError, match="n_ctx"):
        Config.load(bad)
    bad.write_text('[chat]\nmodel_dirs = "/models"\n')
    with pytest.raises(ConfigError, match="model_dirs"):
        Config.load(bad)


def test_config_example_is_the_defaults() -> None:
    example = Config.load(Path(__file__).resolve().parent.parent / "config.example.toml")
    defaults = Config()
    example.user = defaults.user
    example.config_path = defaults.config_path
    assert example == defaults


def test_sessions_get_a_summary_episode(mem: Memory) -> None:
    llm = ScriptedLLM(["ok"] * 5)
    talk(mem, llm, ["I went hiking on Mount Halla with my brother", "thanks!"], session_id="trip")
    [summary] = mem.episodes(type="session")
    assert summary.session_id == "trip"
    assert summary.memory == "Talked about: I went hiking on Mount Halla with my brother"
    # resuming and ending again rewrites, not duplicates, the summary
    talk(mem, llm, ["I also love kimchi stew"], session_id="trip")
    [summary] = mem.episodes(type="session")
    assert "kimchi stew" in summary.memory and "Mount Halla" in summary.memory


def test_why_reports_what_the_message_taught(mem: Memory) -> None:
    out = talk(mem, ScriptedLLM(["ok"]), ["I live in Busan", "/why"])
    assert "From your message:" in out and "Added memory 1: Lives in Busan" in out


def test_ask_policy_in_the_terminal(mem: Memory) -> None:
    mem.config.conflict = "ask"
    mem.add("I live in Seoul", infer=True)
    chat = ChatSession(mem, ScriptedLLM(["ok"]), mem.config.chat, "alice")
    repl = Repl(chat, interactive=True, out=io.StringIO())
    repl.ask = lambda question: True  # the person answers yes
    repl.answer("I live in Busan now")
    assert [i.memory for i in mem.get_all(filters={"kind": "fact"})] == ["Lives in Busan"]


def test_health_lines_wait_for_a_yes_and_greetings_are_not_kept(mem: Memory) -> None:
    talk(mem, ScriptedLLM(["ok"] * 3), ["Hi! I live in Busan near the harbour.", "I'm allergic to peanuts."])
    kept = {i.memory for i in mem.get_all(limit=None)}
    assert "I live in Busan near the harbour." in kept and "Hi!" not in kept
    # From a pipe nobody can say yes: nothing about the allergy is stored,
    # though the line stays in the session's log.
    assert not any("peanut" in m for m in kept)
    assert any("peanuts" in message.content for message in mem.messages("alice"))

    chat = ChatSession(mem, ScriptedLLM(["ok"]), mem.config.chat, "alice")
    repl = Repl(chat, interactive=True, out=io.StringIO())
    repl.ask = lambda question: True
    repl.answer("I'm allergic to cashews.")
    assert "Is allergic to cashews" in {i.memory for i in mem.get_all(limit=None)}


def test_a_base_models_leading_newlines_do_not_end_its_answer(mem: Memory) -> None:
    out = talk(mem, ScriptedLLM(["\n\nYour dog is Biscuit.\n\nUser: and more", "ok"]), ["What is my dog called?"])
    assert out.strip() == "Your dog is Biscuit."
    chat = ChatSession(mem, ScriptedLLM(["\n\nHello.\n\nmore"]), mem.config.chat, "alice")
    assert "".join(chat.turn("hi")) == "Hello."
    assert chat.last.answer == "Hello."


def test_what_the_person_said_is_kept_sentence_by_sentence_with_its_source(mem: Memory) -> None:
    talk(mem, ScriptedLLM(["ok"]), ["My sister plays the cello. She lives in Daegu."], session_id="s1")
    kept = [i for i in mem.get_all(limit=None) if i.kind == "message"]
    assert sorted(i.memory for i in kept) == ["My sister plays the cello.", "She lives in Daegu."]
    for item in kept:
        why = mem.why(item.id)
        assert [m["content"] for m in why["messages"]] == ["My sister plays the cello. She lives in Daegu."]
        assert item.session_id == "s1" and item.source["session_id"] == "s1"


def test_a_kept_sentence_takes_context_from_the_line_not_from_the_assistant(mem: Memory) -> None:
    talk(mem, ScriptedLLM(["Your cat sounds lovely, tell me about the weather.", "ok"]),
         ["My cat is called Nabi.", "My sister plays the cello. She lives in Daegu."], session_id="s1")
    context = {m["memory"]: m["context"] for m in mem.export()["memories"] if m["kind"] == "message"}
    assert context["My sister plays the cello."] is None  # the assistant's answer before it is not context
    assert context["She lives in Daegu."] == "My sister plays the cello."


def test_a_crash_mid_session_still_ends_and_summarises_it(mem: Memory) -> None:
    llm = ScriptedLLM(["Nice to meet you.", RuntimeError("the model fell over")])
    with pytest.raises(RuntimeError):
        talk(mem, llm, ["I keep bees in my garden in Jeonju", "tell me about bees"], session_id="s-crash")
    assert mem.session("s-crash").ended_at is not None
    [summary] = mem.episodes(type="session")
    assert "bees" in summary.memory and summary.session_id == "s-crash"


def test_the_chat_command_reports_a_crash_in_one_line(cli, fake_chat_home: Path, monkeypatch) -> None:
    from memcli.models.scripted import ScriptedLLM as Scripted

    def crash(self, prompt, **kwargs):
        raise RuntimeError("llama_decode returned -3")
        yield  # a generator, as the real model's stream is

    monkeypatch.setattr(Scripted, "stream_completion", crash)
    result = cli("chat", input="I keep bees\n")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.strip().splitlines() == [
        "error: unexpected RuntimeError: llama_decode returned -3 (run with --debug for the traceback)"]
    with Memory() as m:
        [session] = m.sessions("alice")
        assert session.ended_at is not None


def test_the_profile_is_in_every_prompt_whatever_the_line(mem: Memory) -> None:
    mem.add("Hi! I'm Jo. I live in Busan and I work as a nurse. My dog is called Biscuit.", infer=True)
    for n in range(60):  # plenty of other memories competing on similarity
        mem.add(f"note {n}: the weather, the bus, lunch and a film about the sea, part {n}")
    llm = ScriptedLLM(["ok", "ok"])
    out = io.StringIO()
    chat = ChatSession(mem, llm, mem.config.chat, "alice")
    Repl(chat, interactive=False, out=out).run(["What do you know about me?", "/why"])
    prompt = llm.prompts[0]
    profile = prompt.split("About the user:\n", 1)[1].split("\n\n", 1)[0]
    assert profile.splitlines() == ["- Name is Jo", "- Lives in Busan", "- Works as a nurse",
                                    "- Has a dog named Biscuit"]
    assert prompt.index("About the user:") < prompt.index("What the assistant remembers")
    assert "Profile (4 facts, in every prompt):" in out.getvalue() and "Lives in Busan" in out.getvalue()


def test_a_superseded_fact_leaves_the_profile(mem: Memory) -> None:
    mem.add("I live in Seoul.", infer=True, timestamp="2025-01-01")
    mem.add("Quick update: I moved to Leeds last month!", infer=True, timestamp="2026-03-10")
    assert [i.memory for i in mem.profile()] == ["Lives in Leeds"]


def test_small_models_get_the_persons_earlier_lines_without_their_own_answers(mem: Memory) -> None:
    class Tiny(ScriptedLLM):
        parameters = 135_000_000

    for llm, kept in ((ScriptedLLM(["Hello!"] * 4, n_ctx=2048), True), (Tiny(["Hello!"] * 4, n_ctx=2048), False)):
        chat = ChatSession(mem, llm, mem.config.chat, "alice")
        for line in ("I'm Jo.", "Nice weather today.", "How are you?"):
            "".join(chat.turn(line))
        prompt = chat.last.prompt  # type: ignore[union-attr]
        assert "I'm Jo." in prompt and "Nice weather today." in prompt
        assert ("Assistant: Hello!" in prompt) is kept
        chat.close()
    mem.config.chat.history_answers = "keep"
    chat = ChatSession(mem, Tiny(["Hello!"] * 3, n_ctx=2048, chat_template=True), mem.config.chat, "alice")
    "".join(chat.turn("I'm Jo."))
    "".join(chat.turn("Thanks."))
    assert "assistant: Hello!" in chat.last.prompt  # type: ignore[union-attr]
    chat.close()
