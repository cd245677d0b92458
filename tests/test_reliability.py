"""The quick subset of bench/reliability.py: every bad input of the corpus through
the CLI, concurrent first use, kill -9 during adds, and bounded fuzzing of the
import parser, the time parser and the config loader."""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memcli import Config, ConfigError, InvalidInput, Memory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import reliability  # noqa: E402

CASES = [name for name, _, _ in reliability.bad_input_corpus(Path("/nonexistent-memcli-corpus"))]


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str], bytes | None]]:
    folder = tmp_path_factory.mktemp("corpus")
    return {name: (args, stdin) for name, args, stdin in reliability.bad_input_corpus(folder)}


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("name", CASES)
def test_a_bad_input_is_one_line_and_changes_nothing(cli, home: Path, corpus_files, name: str) -> None:
    cli("add", "I live in Busan")
    with Memory() as m:
        before = m.export(all_users=True)
    args, stdin = corpus_files[name]
    result = cli(*args, input=stdin or b"")
    assert isinstance(result.exception, SystemExit) or result.exception is None, repr(result.exception)
    assert result.exit_code in (1, 2), (result.stdout, result.stderr)
    if result.exit_code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    with Memory() as m:
        after = m.export(all_users=True)
    assert [x for x in after["memories"]] == [x for x in before["memories"]]


def test_concurrent_first_use_of_a_new_data_folder(tmp_path: Path) -> None:
    for n in range(3):
        ok, why = reliability.first_use_trial(tmp_path / f"round-{n}", processes=3)
        assert ok, why


def test_commits_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(11)
    for n in range(10):
        ok, why = reliability.kill_trial(tmp_path / f"kill-{n}", rng, "add")
        assert ok, why


def test_two_imports_of_one_document_store_one_copy(tmp_path: Path) -> None:
    ok, why = reliability.concurrent_import_trial(tmp_path)
    assert ok, why


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20)
memory_fields = st.fixed_dictionaries({}, optional={
    k: json_values for k in ("memory", "user_id", "id", "kind", "metadata", "source", "created_at", "valid_from",
                             "valid_to", "importance", "pinned", "access_count", "reinforced", "embedding", "context")})
documents = st.one_of(
    json_values,
    st.fixed_dictionaries({"format": st.just("memcli-export"), "schema_version": st.integers(0, 4),
                           "memories": st.lists(memory_fields, max_size=4)},
                          optional={"history": json_values, "sessions": json_values, "messages": json_values}),
    st.lists(memory_fields, max_size=4),
)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents)
def test_fuzzed_imports_are_stored_or_refused_in_one_line(tmp_path_factory, doc) -> None:
    with Memory(path=tmp_path_factory.mktemp("fuzz") / "m.db", config=Config(embedder="fake", user="u")) as m:
        try:
            report = m.import_data(doc)
        except InvalidInput as exc:
            assert "\n" not in str(exc)
            assert m.export(all_users=True)["memories"] == []  # refused whole, before writing
            return
        assert len(m.export(all_users=True)["memories"]) == report.imported


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"\d{1,30}[mhdw]", fullmatch=True)
       | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))
def test_fuzzed_dates_parse_in_range_or_are_refused(value: str) -> None:
    from memcli.base.text import EARLIEST, LATEST, parse_when

    try:
        moment = parse_when(value, now=datetime(2026, 11, 25, tzinfo=timezone.utc))
    except InvalidInput:
        return
    assert EARLIEST <= moment <= LATEST


config_values = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.dictionaries(st.sampled_from(["user", "embedder", "db", "extractor", "conflict", "keep_messages",
                                        "half_life_days", "retention_weight", "summaries", "chat", "privacy",
                                        "compact_ratio", "other"]),
                       config_values | st.dictionaries(st.text(max_size=12), config_values, max_size=3),
                       max_size=6))
def test_fuzzed_configs_load_or_are_refused_in_one_line(raw: dict) -> None:
    try:
        config = Config.from_dict(json.loads(json.dumps(raw)), source="fuzz.toml")
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(config, Config)
