"""Strategy presets: what each writes and refuses, and config settings that win over them."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from memcli import Config, InvalidInput, Memory
from memcli.chat import ChatSession
from memcli.frontends.cli.repl import Repl
from memcli.models.scripted import ScriptedLLM


def write_config(home: Path, text: str) -> None:
    (home / "config.toml").write_text('user = "alice"\nembedder = "fake"\n' + text, encoding="utf-8")


def chat(mem: Memory, lines: list[str], session: str = "s1") -> None:
    conversation = ChatSession(mem, ScriptedLLM(["OK."] * len(lines)), mem.config.chat, mem.config.user,
                               session_id=session, use_memory=mem.config.long_term)
    Repl(conversation, interactive=False, out=io.StringIO()).run(lines)


LIFE = "I live in Busan and I work as a nurse"


def test_assistant_is_the_default_and_keeps_everything(home: Path) -> None:
    config = Config.load()
    assert config.strategy == "assistant" and config.preset_decided == []
    with Memory(config=config) as m:
        chat(m, [LIFE])
        kinds = {i.kind for i in m.get_all()}
        assert {"fact", "message", "episode"} <= kinds  # facts, kept sentences, the session summary


def test_chat_keeps_the_buffer_only_and_refuses_long_term_writes(home: Path, cli) -> None:
    write_config(home, 'strategy = "chat"\n')
    config = Config.load()
    assert not config.long_term and config.extractor == "off" and not config.chat.store_user_messages
    with Memory(config=config) as m:
        chat(m, [LIFE, "Where do I live?"])
        assert m.get_all() == []  # nothing long-term
        assert [r.content for r in m.recent_messages("s1", 10) if r.role == "user"] == [LIFE, "Where do I live?"]
        with pytest.raises(InvalidInput, match="long-term memory is off"):
            m.add("I like tea")
        with pytest.raises(InvalidInput):
            m.add([{"role": "user", "content": "I like tea"}], infer=True)
    result = cli("add", "I like tea")
    assert result.exit_code == 1 and "long-term memory is off (strategy 'chat'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(cli("stats", "--json").stdout)["memories"] == 0


def test_chat_strategy_for_one_session_from_the_command_line(home: Path, cli) -> None:
    write_config(home, '[chat]\nmodel = "fake"\n')
    assert cli("chat", "--strategy", "chat", input=LIFE + "\n").exit_code == 0
    assert json.loads(cli("stats", "--json").stdout)["memories"] == 0
    assert cli("chat", input=LIFE + "\n").exit_code == 0  # the config's own strategy again: remembered
    assert json.loads(cli("stats", "--json").stdout)["memories"] > 0
    bad = cli("chat", "--strategy", "everything", input="hi\n")
    assert bad.exit_code == 1 and "strategy must be one of assistant, chat, support, coding, private" in bad.stderr


def test_support_keeps_facts_and_episodes_but_no_sentences(home: Path) -> None:
    write_config(home, 'strategy = "support"\n')
    with Memory(config=Config.load()) as m:
        chat(m, [LIFE, "My order 5512 arrived broken yesterday"])
        kinds = {i.kind for i in m.get_all()}
        assert "message" not in kinds
        assert {"fact", "episode"} <= kinds
        assert any(i.memory == "Lives in Busan" for i in m.get_all())
        [summary] = m.episodes(type="session")
        assert "5512" in summary.memory


def git_project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    (root / "src" / "deep").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_coding_keys_memories_by_project_and_keeps_decisions_not_life(home: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch, cli) -> None:
    write_config(home, 'strategy = "coding"\n')
    api = git_project(tmp_path, "api")
    monkeypatch.chdir(api / "src" / "deep")
    config = Config.load()
    assert config.user == f"project:{api}"  # the git root, from anywhere inside it
    with Memory(config=config) as m:
        chat(m, ["We decided to use Postgres for the job queue.", LIFE,
                 "We always squash commits before merging.", "Never commit straight to main!"])
        facts = {i.memory for i in m.get_all(filters={"kind": "fact"})}
        assert facts == {"Decided to use Postgres for the job queue", "Convention: always squash commits before merging",
                         "Convention: never commit straight to main"}
        everything = " ".join(i.memory for i in m.get_all())
        assert "Busan" not in everything and "nurse" not in everything  # no life facts, no life sentences
        assert m.search("which database for the queue?")[0].memory.startswith("Decided to use Postgres")
    # another project (by --project, from anywhere) sees none of it
    web = git_project(tmp_path, "web")
    assert json.loads(cli("--project", str(web), "list", "--json").stdout)["results"] == []
    listed = json.loads(cli("--project", str(api), "list", "--json").stdout)["results"]
    assert {r["user_id"] for r in listed} == {f"project:{api}"} and len(listed) >= 3
    missing = cli("--project", str(tmp_path / "nowhere"), "list")
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_project_scope_from_the_command_line_with_any_strategy(home: Path, tmp_path: Path, cli) -> None:
    write_config(home, '[chat]\nmodel = "fake"\n')
    repo = git_project(tmp_path, "tool")
    assert cli("chat", "--project", str(repo), input="We decided to ship on Fridays.\n").exit_code == 0
    assert json.loads(cli("list", "--json").stdout)["results"] == []  # alice's own memories: none
    assert "ship on Fridays" in cli("--project", str(repo), "list").stdout


def test_private_asks_refuses_fades_sooner_and_redacts_exports(home: Path, cli) -> None:
    write_config(home, 'strategy = "private"\n')
    config = Config.load()
    with Memory(config=config) as m:
        assert m.add("My password is hunter2")[0].event == "REFUSED"
        assert m.add("I was diagnosed with asthma last year")[0].event == "PENDING"
        assert m.add("I earn $85,000 a year")[0].event == "PENDING"
        [email] = m.add("Email me at mina@example.com")
        [plain] = m.add("I like green tea")
        later = m.now() + timedelta(days=20)
        assert m.retention(m.get(email.id), later) < m.retention(m.get(plain.id), later) / 2
    exported = cli("export")
    assert exported.exit_code == 0 and "mina@example.com" not in exported.stdout and "green tea" in exported.stdout
    assert "mina@example.com" in cli("export", "--no-redact").stdout


def test_a_setting_in_the_config_wins_over_the_preset(home: Path, cli) -> None:
    write_config(home, 'strategy = "private"\nexport_redact = false\n[privacy]\nhealth = "store"\n')
    config = Config.load()
    assert config.privacy.health == "store" and config.privacy.financial == "ask"
    assert "privacy.health" not in config.preset_decided and "privacy.financial" in config.preset_decided
    with Memory(config=config) as m:
        assert m.add("I was diagnosed with asthma last year")[0].event == "ADD"
    assert "asthma" in cli("export").stdout
    shown = cli("config").stdout
    assert "strategy 'private'" in shown
    assert "financial = 'ask'  # by the strategy" in shown
    assert "health = 'store'\n" in shown


def test_an_unknown_strategy_is_a_one_line_error(home: Path, cli) -> None:
    write_config(home, 'strategy = "hoarder"\n')
    result = cli("list")
    assert result.exit_code == 1 and "strategy must be one of" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
