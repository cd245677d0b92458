"""Every command through Typer's CliRunner: output, --json, exit codes, bad input."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest


def ok(result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def fails(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    if code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
        assert "Traceback" not in result.output
    return result.stderr


def test_add_search_list_show(cli) -> None:
    assert "Added memory 1" in ok(cli("add", "I", "live", "in", "Busan"))
    assert "Already remembered as memory 1" in ok(cli("add", "I live in Busan"))
    ok(cli("add", "My dog is called Pixel", "--meta", "topic=pets", "--kind", "note"))
    out = json.loads(ok(cli("search", "where", "do", "I", "live", "--json")))
    assert out["results"][0]["memory"] == "I live in Busan"
    assert "Busan" in ok(cli("search", "where do I live"))
    listed = json.loads(ok(cli("list", "--json")))["results"]
    assert [r["memory"] for r in listed] == ["My dog is called Pixel", "I live in Busan"]
    assert [r["id"] for r in json.loads(ok(cli("list", "--kind", "note", "--json")))["results"]] == [2]
    assert json.loads(ok(cli("list", "--since", "2999-01-01", "--json")))["results"] == []
    shown = json.loads(ok(cli("show", "2", "--json")))
    assert shown["metadata"] == {"topic": "pets"} and shown["kind"] == "note"
    assert "Pixel" in ok(cli("show", "2"))


def test_add_from_stdin(cli) -> None:
    ok(cli("add", "-", input="I was born in Jeju\n"))
    assert json.loads(ok(cli("list", "--json")))["results"][0]["memory"] == "I was born in Jeju"


def test_users_are_separate(cli) -> None:
    ok(cli("add", "alice fact", "-u", "alice"))
    ok(cli("add", "bob fact", "--user", "bob"))
    assert [r["memory"] for r in json.loads(ok(cli("list", "-u", "bob", "--json")))["results"]] == ["bob fact"]
    assert {r["user_id"] for r in json.loads(ok(cli("search", "fact", "-u", "alice", "--json")))["results"]} == {"alice"}
    everyone = json.loads(ok(cli("list", "--all-users", "--json")))["results"]
    assert {r["user_id"] for r in everyone} == {"alice", "bob"}


def test_edit_and_history(cli, monkeypatch) -> None:
    ok(cli("add", "I live in Seoul"))
    ok(cli("edit", "1", "--text", "I live in Busan"))
    monkeypatch.setenv("EDITOR", "sed -i s/Busan/Daegu/")
    ok(cli("edit", "1"))
    events = json.loads(ok(cli("history", "1", "--json")))["results"]
    assert [(e["event"], e["new_memory"]) for e in events] == [
        ("ADD", "I live in Seoul"), ("UPDATE", "I live in Busan"), ("UPDATE", "I live in Daegu")]
    assert "UPDATE" in ok(cli("history", "1"))
    monkeypatch.setenv("EDITOR", "true")  # saves nothing new
    assert "unchanged" in ok(cli("edit", "1")) + cli("edit", "1").stderr


def test_forget_asks_and_refuses_without_a_terminal(cli) -> None:
    ok(cli("add", "keep me"))
    err = fails(cli("forget", "1"))
    assert "--yes" in err
    fails(cli("forget", "--user", "alice"))
    assert len(json.loads(ok(cli("list", "--json")))["results"]) == 1
    ok(cli("forget", "1", "--yes"))
    assert json.loads(ok(cli("list", "--json")))["results"] == []
    fails(cli("forget", "1", "-y"))
    fails(cli("forget"))


def test_forget_user(cli) -> None:
    ok(cli("add", "a1", "-u", "ann"))
    ok(cli("add", "a2", "-u", "ann"))
    ok(cli("add", "b1", "-u", "ben"))
    out = json.loads(ok(cli("forget", "--user", "ann", "--yes", "--json")))
    assert out == {"user": "ann", "memories_erased": 2}
    assert json.loads(ok(cli("list", "-u", "ann", "--json")))["results"] == []
    assert len(json.loads(ok(cli("list", "-u", "ben", "--json")))["results"]) == 1


def test_forget_checks_the_owner(cli) -> None:
    ok(cli("add", "bob only", "-u", "bob"))
    fails(cli("forget", "1", "--user", "alice", "--yes"))
    assert len(json.loads(ok(cli("list", "-u", "bob", "--json")))["results"]) == 1


def test_export_and_import(cli, home: Path, tmp_path: Path) -> None:
    ok(cli("add", "I speak Korean and English", "-m", "lang=2"))
    target = tmp_path / "out" / "export.json"
    ok(cli("export", "--output", str(target)))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    doc = json.loads(target.read_text())
    assert doc["memories"][0]["memory"] == "I speak Korean and English"
    stdout_doc = json.loads(ok(cli("export")))
    assert stdout_doc["memories"][0]["metadata"] == {"lang": "2"}
    other_db = tmp_path / "other.db"
    report = json.loads(ok(cli("--db", str(other_db), "import", str(target), "--json")))
    assert report["imported"] == 1
    listed = json.loads(ok(cli("--db", str(other_db), "list", "--json")))["results"]
    assert listed[0]["memory"] == "I speak Korean and English"
    ok(cli("--db", str(other_db), "import", "-", input=json.dumps(doc)))


@pytest.mark.parametrize(
    "content",
    [b"", b'{"format": "memcli-export", "schema_version": 1, "memories": [', b"\xff\xfe not utf8",
     b'{"format": "memcli-export", "schema_version": 7, "memories": []}', b'{"what": 1}'],
    ids=["empty", "truncated", "not-utf8", "future-version", "not-an-export"],
)
def test_bad_import_files(cli, tmp_path: Path, content: bytes) -> None:
    ok(cli("add", "precious"))
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    fails(cli("import", str(bad)))
    assert [r["memory"] for r in json.loads(ok(cli("list", "--json")))["results"]] == ["precious"]


def test_bad_inputs_are_one_line_errors(cli, tmp_path: Path) -> None:
    ok(cli("add", "precious"))
    fails(cli("add", "   "))
    fails(cli("show", "42"))
    fails(cli("history", "42"))
    fails(cli("edit", "42", "--text", "x"))
    fails(cli("edit", "1", "--text", " "))
    fails(cli("import", str(tmp_path / "missing.json")))
    fails(cli("list", "--since", "the other day"))
    fails(cli("add", "x", "--meta", "novalue"))
    fails(cli("search", "x", "--limit", "0"), code=2)
    fails(cli("show", "abc"), code=2)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    fails(cli("--db", str(blocker / "sub" / "m.db"), "list"))
    fails(cli("--config", str(tmp_path / "nope.toml"), "list"))
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("embedder = 3\n")
    fails(cli("--config", str(bad_cfg), "list"))
    assert [r["memory"] for r in json.loads(ok(cli("list", "--json")))["results"]] == ["precious"]


def test_stats_reindex_config(cli, home: Path) -> None:
    ok(cli("add", "one"))
    ok(cli("add", "two", "-u", "bob"))
    stats = json.loads(ok(cli("stats", "--json")))
    assert stats["memories"] == 2 and stats["users"] == {"alice": 1, "bob": 1}
    assert "memories" in ok(cli("stats"))
    report = json.loads(ok(cli("reindex", "--json")))
    assert report["users"] == {"alice": 1, "bob": 1}
    assert "Reindexed 2" in ok(cli("reindex"))
    cfg = json.loads(ok(cli("config", "--json")))
    assert cfg["paths"]["db"] == str(home / "memcli.db")
    assert cfg["embedder"] == "fake"
    assert str(home) in ok(cli("config"))


def test_help_and_version(cli) -> None:
    out = ok(cli("--help"))
    for command in ("add", "search", "list", "show", "edit", "forget", "history", "export",
                    "import", "stats", "reindex", "config"):
        assert command in out
    assert ok(cli("--version")).startswith("memcli ")


def test_help_runs_without_importing_rich() -> None:
    """rich's console and tables are a third of the CLI's import time; help
    and JSON output do not need them, so they load on first use."""
    import subprocess
    import sys

    code = ("import sys; from memcli.frontends.cli.app import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('rich loaded' if any(m.split('.')[0] == 'rich' for m in sys.modules) else 'no rich')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "list" in out.stdout and out.stdout.strip().endswith("no rich")


@pytest.mark.parametrize("args, name", [
    (["list"], "list"), (["--db", "x.db", "--debug", "search", "tea"], "search"), (["--config=c.toml", "add", "x"], "add"),
    (["--project", "list", "show"], "show"),  # "list" is the project folder's name there, not the command
    (["--help", "list"], None), (["-h"], None), (["--version"], None), (["lsit"], None), ([], None),
    (["--frobnicate", "list"], None),  # Click reports the unknown option, naming every command
])
def test_a_command_line_is_read_for_the_one_command_it_runs(args: list[str], name: str | None) -> None:
    from memcli.frontends.cli.app import invoked

    assert invoked(args) == name


def test_the_app_narrowed_to_one_command_runs_it_as_the_whole_app_does(home: Path) -> None:
    """The console script builds only the command it runs (Typer reads every
    command's signature at each start); that command behaves the same, and
    anything else gets the whole app."""
    from typer.testing import CliRunner

    from memcli.frontends.cli.app import app, for_command

    runner = CliRunner()
    assert runner.invoke(app, ["add", "I like green tea"]).exit_code == 0
    for args in (["list"], ["list", "--json"], ["list", "--help"], ["search", "tea", "--limit", "x"]):
        whole, narrowed = runner.invoke(app, args), runner.invoke(for_command(args[0]), args)
        assert (narrowed.exit_code, narrowed.output) == (whole.exit_code, whole.output)
    assert "green tea" in runner.invoke(for_command("list"), ["list"]).output
    assert for_command(None) is app
    assert "search" not in runner.invoke(for_command("list"), ["--help"]).output
    assert "search" in runner.invoke(app, ["--help"]).output


def test_infer_episodes_why_and_as_of(cli) -> None:
    assert "Added memory 1: Lives in Seoul" in ok(cli("add", "--infer", "--at", "2024-05-01", "I live in Seoul."))
    out = ok(cli("add", "--infer", "--at", "2026-03-10", "I moved to Busan last year. Yesterday I went to the dentist."))
    assert "no longer current" in out
    assert "no facts found" in cli("add", "--infer", "Where do I live?").stderr
    now = json.loads(ok(cli("search", "where do I live", "--json")))["results"]
    assert now[0]["memory"] == "Lives in Busan"
    then = json.loads(ok(cli("search", "where do I live", "--as-of", "2024-12-01", "--json")))["results"]
    assert then[0]["memory"] == "Lives in Seoul" and then[0]["valid_to"].startswith("2025-01-01")
    assert "Lives in Seoul" not in ok(cli("list"))
    assert "Lives in Seoul" in ok(cli("list", "--include-past"))
    episodes = json.loads(ok(cli("episodes", "--json")))["results"]
    assert [(e["memory"], e["valid_from"][:10]) for e in episodes] == [
        ("Went to the dentist", "2026-03-09"), ("Moved to Busan", "2025-01-01")]
    assert "dentist" in ok(cli("episodes"))
    why = json.loads(ok(cli("why", "1", "--json")))
    assert why["messages"][0]["content"] == "I live in Seoul."
    assert [h["event"] for h in why["history"]] == ["ADD", "SUPERSEDE"]
    text = ok(cli("why", "1"))
    assert "I live in Seoul." in text and "SUPERSEDE" in text
    fails(cli("why", "99"))
    fails(cli("add", "--infer", "--at", "not a date", "I live in Busan."))
    fails(cli("search", "x", "--as-of", "someday"))


# --- the environment a command sees --------------------------------------------------


def test_a_person_at_a_terminal_confirms_or_declines(cli) -> None:
    from memcli.frontends.cli.environment import Environment

    at_terminal = Environment(stdin_isatty=True)
    ok(cli("add", "keep me"))
    declined = cli("forget", "1", input="n\n", env=at_terminal)
    assert declined.exit_code == 1 and "nothing changed" in declined.stderr
    assert len(json.loads(ok(cli("list", "--json")))["results"]) == 1
    ok(cli("forget", "1", input="y\n", env=at_terminal))
    assert json.loads(ok(cli("list", "--json")))["results"] == []
    ok(cli("add", "another"))
    ok(cli("forget", "--user", "alice", input="y\n", env=at_terminal))
    assert json.loads(ok(cli("list", "--json")))["results"] == []


def test_a_sensitive_add_is_stored_when_the_person_says_yes(cli) -> None:
    from memcli.frontends.cli.environment import Environment

    out = ok(cli("add", "I was diagnosed with asthma", input="y\n", env=Environment(stdin_isatty=True)))
    assert "Added memory 1" in out
    assert json.loads(ok(cli("show", "1", "--json")))["sensitivity"] == "health"


def test_colour_only_where_asked(cli, monkeypatch) -> None:
    from memcli.frontends.cli.environment import Environment

    ok(cli("add", "I live in Busan"))
    coloured = ok(cli("list", env=Environment(stdout_isatty=True, colors=True)))
    plain = ok(cli("list", env=Environment(stdout_isatty=True, colors=False)))
    cyan = "\x1b[36m"  # the id column's colour; NO_COLOR keeps bold, as no-color.org asks
    assert cyan in coloured and cyan not in plain
    assert "\x1b[" not in ok(cli("list"))  # not a terminal: no escape codes at all
    monkeypatch.setenv("NO_COLOR", "1")
    assert cyan not in ok(cli("list", env=Environment(stdout_isatty=True)))


def test_times_come_from_the_environments_clock(cli) -> None:
    from datetime import datetime, timezone

    from memcli.frontends.cli.environment import Environment

    fixed = Environment(clock=lambda: datetime(2030, 5, 6, 7, 8, tzinfo=timezone.utc))
    ok(cli("add", "A note from the future", env=fixed))
    assert json.loads(ok(cli("show", "1", "--json")))["created_at"].startswith("2030-05-06T07:08")


def test_an_unexpected_error_is_one_line_and_debug_shows_it(cli, monkeypatch) -> None:
    import sqlite3

    from memcli import Memory

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    ok(cli("add", "I live in Busan"))
    monkeypatch.setattr(Memory, "search", broken)
    err = fails(cli("search", "Busan"))
    assert "OperationalError: disk I/O error" in err and "--debug" in err
    debug = cli("--debug", "search", "Busan")
    assert debug.exit_code == 1 and isinstance(debug.exception, sqlite3.OperationalError)


def test_a_typer_usage_error_inside_a_command_keeps_its_own_message_and_exit_code(home: Path) -> None:
    """Typer's errors (it bundles its own Click) pass through the error handler
    as Click reports them, not as "unexpected"."""
    import typer
    from typer.testing import CliRunner

    from memcli.frontends.cli.environment import Environment
    from memcli.frontends.cli.state import State, handled, set_state

    app = typer.Typer()

    @app.command()
    @handled
    def pick(name: str) -> None:
        raise typer.BadParameter(f"no model named {name!r}")

    set_state(State(None, None, False, Environment()))
    result = CliRunner().invoke(app, ["gemma"])
    assert result.exit_code == 2
    assert "no model named 'gemma'" in result.output
    assert "unexpected" not in result.output
