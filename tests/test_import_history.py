"""`memcli import` of chat histories: ChatGPT, Claude, WhatsApp and Telegram
exports (small files written for these tests, in tests/data/exports), through
the CLI and the Memory API."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from memcli import Config, Memory

EXPORTS = Path(__file__).parent / "data" / "exports"
WHATSAPP = EXPORTS / "WhatsApp Chat with Ben.txt"


def ok(result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def fails(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def imported(cli, *args: str) -> dict:
    return json.loads(ok(cli("import", *args, "--json")))


def memories(cli, *args: str) -> list[dict]:
    return json.loads(ok(cli("list", "--json", "--limit", "0", *args)))["results"]


def facts(cli) -> dict[str, dict]:
    return {m["memory"]: m for m in memories(cli, "--kind", "fact", "--include-past")}


def test_chatgpt_the_active_branch_at_its_own_times_and_never_the_assistants_words(cli) -> None:
    report = imported(cli, str(EXPORTS / "chatgpt_conversations.json"))
    assert report["format"] == "chatgpt" and report["conversations"] == 2
    assert report["messages"] == 6  # system, tool and hidden messages left out; the edited-away prompt too
    assert report["first"].startswith("2024-01-01") and report["last"].startswith("2024-06-01")
    known = facts(cli)
    assert known["Lives in Bristol"]["valid_from"].startswith("2024-01-01")
    assert "Works as a nurse" in known and "Sister is named Joana" in known
    everything = " ".join(m["memory"] for m in memories(cli, "--include-past"))
    assert "Leeds" not in everything  # a prompt that was edited away is not what was said
    assert "Manchester" not in everything and "trams" not in everything  # the assistant's words


def test_why_names_the_file_the_conversation_and_the_time(cli) -> None:
    imported(cli, str(EXPORTS / "chatgpt_conversations.json"))
    bristol = facts(cli)["Lives in Bristol"]
    why = json.loads(ok(cli("why", str(bristol["id"]), "--json")))
    [message] = why["messages"]
    assert message["said_at"].startswith("2024-01-01T09:")
    assert message["source"] == {"format": "chatgpt", "file": "chatgpt_conversations.json",
                                 "conversation": "Tomatoes on a balcony"}
    text = ok(cli("why", str(bristol["id"])))
    assert "'Tomatoes on a balcony' in chatgpt_conversations.json" in text and "2024-01-01" in text


def test_the_same_export_again_adds_nothing_and_a_later_one_only_what_is_new(cli, tmp_path: Path) -> None:
    first = imported(cli, str(EXPORTS / "chatgpt_conversations.json"))
    count = len(memories(cli, "--include-past"))
    again = imported(cli, str(EXPORTS / "chatgpt_conversations.json"))
    assert again["messages"] == 0 and again["already"] == first["messages"]
    assert len(memories(cli, "--include-past")) == count
    later = json.loads((EXPORTS / "chatgpt_conversations.json").read_text())
    trip = later[1]
    trip["mapping"]["m2"]["children"] = ["m3"]
    trip["mapping"]["m3"] = {"id": "m3", "parent": "m2", "children": [], "message": {
        "id": "m3", "author": {"role": "user"}, "create_time": 1717300000.0,
        "content": {"content_type": "text", "parts": ["I started learning Portuguese."]}, "metadata": {}}}
    trip["current_node"] = "m3"
    (tmp_path / "conversations.json").write_text(json.dumps(later))
    newer = imported(cli, str(tmp_path / "conversations.json"))
    assert newer["messages"] == 1 and newer["already"] == first["messages"]
    assert any("Portuguese" in m["memory"] for m in memories(cli))


def test_claude_content_pieces_and_the_assistant_is_context(cli) -> None:
    report = imported(cli, str(EXPORTS / "claude_conversations.json"))
    assert report["format"] == "claude" and report["messages"] == 3
    known = facts(cli)
    assert "Is vegetarian" in known and "Works as a teacher" in known
    assert not any("vegan" in m["memory"] for m in memories(cli))


def test_whatsapp_another_persons_words_are_theirs_and_placeholders_are_nobodys(cli) -> None:
    assert "--me NAME (speakers: Ana, Ben)" in fails(cli("import", str(WHATSAPP)))
    assert memories(cli) == []  # refused before anything was stored
    report = imported(cli, str(WHATSAPP), "--me", "Ana")
    assert report["date_order"] == "m/d/y" and report["speakers"] == {"Ana": 4, "Ben": 2}
    assert report["placeholders"] == 2 and report["messages"] == 4 and report["skipped_lines"] == 1
    known = facts(cli)
    assert "Works as a vet" in known and known["Works as a vet"]["valid_from"].startswith("2024-01-14")
    assert not any("Porto" in f for f in known)  # Ben's sister, not Ana's
    [porto] = [m for m in memories(cli) if "Porto" in m["memory"]]
    assert porto["metadata"]["name"] == "Ben"
    moved = [m for m in memories(cli) if m["memory"].startswith("I moved to Valencia")]
    assert moved and "sunny" in moved[0]["memory"] + " ".join(m["memory"] for m in memories(cli))


@pytest.mark.parametrize("name, order, first", [
    ("ios_dmy.txt", "d/m/y", "2023-12-31"),
    ("es_ampm.txt", "d/m/y", "2023-12-31"),
    ("utf16.txt", "d/m/y (assumed: no date tells)", "2024-04-03"),
])
def test_whatsapp_dates_in_the_phones_own_shapes(cli, name: str, order: str, first: str) -> None:
    report = imported(cli, str(EXPORTS / name), "--me", "Ana")
    assert report["date_order"] == order and report["first"].startswith(first)


def test_whatsapp_twelve_hours_with_p_m(cli) -> None:
    imported(cli, str(EXPORTS / "es_ampm.txt"), "--me", "Ana")
    [dogs] = [m for m in memories(cli) if "two dogs" in m["memory"]]
    assert dogs["valid_from"].startswith("2024-01-02T21:05")


def test_telegram_the_account_is_the_person(cli) -> None:
    report = imported(cli, str(EXPORTS / "telegram_result.json"))
    assert report["format"] == "telegram" and report["me"] == "Rui Costa"
    assert report["messages"] == 2  # the call is a service line; the photo has no words
    known = facts(cli)
    assert "Has a cat named Figo" in known
    assert not any("Porto" in f for f in known)


def test_a_zip_and_a_folder_are_read_like_the_file(cli, tmp_path: Path) -> None:
    archive = tmp_path / "WhatsApp Chat - Ben.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(WHATSAPP, "_chat.txt")
        z.writestr("IMG-0001.jpg", b"\xff\xd8 not text")
    report = imported(cli, str(archive), "--me", "Ana", "--dry-run")
    assert report["format"] == "whatsapp" and report["messages"] == 4
    folder = tmp_path / "chatgpt-export"
    folder.mkdir()
    shutil.copy(EXPORTS / "chatgpt_conversations.json", folder / "conversations.json")
    (folder / "user.json").write_text('{"id": "user-1", "email": "x@example.org"}')
    assert imported(cli, str(folder))["format"] == "chatgpt"


def test_a_dry_run_says_what_would_come_in_and_stores_nothing(cli) -> None:
    out = " ".join(ok(cli("import", str(WHATSAPP), "--dry-run")).split())
    assert "1 conversations, 4 new messages (2023-12-31 to 2024-01-14)" in out
    assert "speakers: Ana (4), Ben (2)" in out and "nothing stored" in out
    assert memories(cli) == []


def test_since_leaves_older_messages_out(cli) -> None:
    report = imported(cli, str(WHATSAPP), "--me", "Ana", "--since", "2024-01-01")
    assert report["messages"] == 1 and report["before_since"] == 3


def test_a_broken_export_is_one_line_and_nothing_of_the_broken_conversation_is_kept(cli, tmp_path: Path) -> None:
    whole = (EXPORTS / "chatgpt_conversations.json").read_text()
    cut = whole[:whole.index('"Lisbon weekend"') + 40]  # inside the second conversation
    broken = tmp_path / "conversations.json"
    broken.write_text(cut)
    line = fails(cli("import", str(broken)))
    assert "conversations.json: broken JSON at about byte" in line
    kept = " ".join(m["memory"] for m in memories(cli, "--include-past"))
    assert "Bristol" in kept and "Joana" not in kept  # the first whole, the second not at all
    unknown = tmp_path / "notes.txt"
    unknown.write_text("shopping: milk, eggs\n")
    assert "not an export memcli reads (memcli, Mem0" in fails(cli("import", str(unknown)))
    assert "unknown format 'signal'" in fails(cli("import", str(WHATSAPP), "--format", "signal"))


def test_the_memory_api_imports_for_one_user_only(tmp_path: Path) -> None:
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", user="ana")) as m:
        report = m.import_path(WHATSAPP, "ana", me="Ana")
        assert report["kind"] == "history" and report["messages"] == 4
        assert m.get_all(user_id="bob") == []
        assert any(i.memory == "Works as a vet" for i in m.get_all(user_id="ana"))
        assert m.search("vet", user_id="bob") == []


def test_raw_keeps_every_sentence_and_extracts_nothing(cli) -> None:
    report = imported(cli, str(WHATSAPP), "--me", "Ana", "--raw")
    assert report["facts"] == 0 and facts(cli) == {}
    assert any(m["memory"] == "Happy new year!! 🎉" for m in memories(cli))


def whatsapp_export(path: Path, n: int) -> None:
    lines = []
    for i in range(n):
        day, minute = divmod(i, 600)
        who = "Ana" if i % 2 else "Ben"
        lines.append(f"{1 + day % 28}/{3 + day // 28}/24, {8 + minute // 60}:{minute % 60:02d} - {who}: "
                     f"message {i} about the allotment and the tomatoes number {i}")
    path.write_text("\n".join(lines) + "\n")


def test_kill_9_in_the_middle_then_the_same_command_finishes_with_nothing_lost_or_doubled(home: Path,
                                                                                          tmp_path: Path) -> None:
    export = tmp_path / "WhatsApp Chat with Ben.txt"
    total = 4000
    whatsapp_export(export, total)
    command = [sys.executable, "-m", "memcli", "import", str(export), "--me", "Ana", "--json"]
    db = home / "memcli.db"
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    logged = 0
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    logged = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            except sqlite3.OperationalError:
                logged = 0
            if logged:
                proc.kill()
                break
        time.sleep(0.02)
    proc.wait()
    with sqlite3.connect(db) as conn:
        at_kill = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert at_kill % 500 == 0 or at_kill == total  # whole chunks only
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["already"] == at_kill and report["messages"] == total - at_kill
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT import_key) FROM messages").fetchone() == (total, total)


@pytest.mark.real_models
def test_the_import_benchmark_prints_its_rate(tmp_path: Path) -> None:
    bench = Path(__file__).resolve().parent.parent / "bench" / "bench_import.py"
    out = subprocess.run([sys.executable, str(bench), "--messages", "120", "--formats", "whatsapp", "--modes", "raw",
                          "--json"], capture_output=True, text=True, check=True, timeout=300)
    [row] = json.loads(out.stdout)["results"]
    assert row["messages"] == 120 and row["per_s"] > 0 and row["peak_mb"] > 0


def test_telegram_one_chat_and_chatgpt_pictures(cli, tmp_path: Path) -> None:
    one_chat = {"name": "Marta", "type": "personal_chat", "id": 4401, "messages": [
        {"id": 7, "type": "message", "date": "2024-02-01T08:00:00", "date_unixtime": "1706774400",
         "from": "Rui", "from_id": "user1", "text": "I work as a pilot now."},
        {"id": 8, "type": "message", "date": "2024-02-01T08:01:00", "date_unixtime": "1706774460",
         "from": "Marta", "from_id": "user2", "text": "wow!"}]}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(one_chat))
    assert "--me NAME (speakers: Marta, Rui)" in fails(cli("import", str(path)))
    report = imported(cli, str(path), "--me", "rui")  # a speaker's name in any case
    assert report["messages"] == 2 and "Works as a pilot" in facts(cli)
    pictures = [{"id": "p1", "title": "A photo", "current_node": "a", "mapping": {
        "u": {"id": "u", "parent": None, "children": ["a"], "message": {
            "id": "u", "author": {"role": "user"}, "create_time": 1706774400.0,
            "content": {"content_type": "multimodal_text",
                        "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-1"},
                                  "This is my garden in Kyoto."]}, "metadata": {}}},
        "a": {"id": "a", "parent": "u", "children": [], "message": {
            "id": "a", "author": {"role": "assistant"}, "create_time": 1706774401.0,
            "content": {"content_type": "code", "text": "print(1)"}, "metadata": {}}}}}]
    (tmp_path / "conversations.json").write_text(json.dumps(pictures))
    report = imported(cli, str(tmp_path / "conversations.json"))
    assert report["messages"] == 1  # the picture's words; the code block is no conversation
    assert any(m["memory"] == "This is my garden in Kyoto." for m in memories(cli))
