"""`memcli models pull` and `rm`, through the real CLI (a new process, as a
person runs it) against a loopback stand-in for the Hugging Face Hub
(tests/hub_server.py) serving the SmolLM2 file the tests already have."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub_server import COMMIT, Hub
from memcli.models.bundled import smollm2_path

SPEC = "acme/tiny-GGUF/tiny.gguf"


@pytest.fixture
def hub():
    server = Hub({"acme/tiny-GGUF/tiny.gguf": smollm2_path()})
    yield server
    server.close()


@pytest.fixture
def run(home: Path, tmp_path: Path, hub: Hub):
    """``memcli ...`` in a new process, online to the loopback hub only."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_HUB_CACHE", "HF_HOME")}
    env.update(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / "hf"), MEMCLI_HOME=str(home),
               HF_HUB_DISABLE_PROGRESS_BARS="1")

    def memcli(*args: str, endpoint: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "memcli", *args],
                              env={**env, **({"HF_ENDPOINT": endpoint} if endpoint else {})},
                              capture_output=True, text=True, timeout=300)

    return memcli


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error:") and "Traceback" not in done.stderr, done.stderr
    return lines[-1]


def snapshot(tmp_path: Path) -> Path:
    return tmp_path / "hf" / "hub" / "models--acme--tiny-GGUF" / "snapshots" / COMMIT / "tiny.gguf"


def test_a_whole_pull_lands_in_the_hugging_face_cache_and_is_listed(run, tmp_path: Path) -> None:
    done = run("models", "pull", SPEC, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["already"] is False and report["size"] == smollm2_path().stat().st_size
    assert snapshot(tmp_path).read_bytes() == smollm2_path().read_bytes()
    listed = json.loads(run("models", "--json").stdout)["models"]
    assert any(m["source"] == "huggingface" and m["path"].endswith("tiny.gguf") for m in listed)
    again = json.loads(run("models", "pull", SPEC, "--json").stdout)
    assert again["already"] is True


def test_a_lost_connection_keeps_the_partial_file_and_the_same_command_carries_on(run, hub: Hub,
                                                                                 tmp_path: Path) -> None:
    hub.cut_after = 20_000_000
    assert "the same command carries on" in one_line_error(run("models", "pull", SPEC))
    partial = list((tmp_path / "hf" / "hub" / "models--acme--tiny-GGUF" / "blobs").glob("*.incomplete"))
    assert partial and partial[0].stat().st_size >= 20_000_000
    hub.down = False
    done = run("models", "pull", SPEC, "--json")
    assert done.returncode == 0, done.stderr
    assert hub.ranges and hub.ranges[-1] >= 20_000_000  # carried on, not started again
    assert snapshot(tmp_path).read_bytes() == smollm2_path().read_bytes()


def test_a_wrong_checksum_is_refused_and_the_file_removed(run, hub: Hub, tmp_path: Path) -> None:
    hub.announce_sha256 = "0" * 64
    assert "not the hub's 000000000000...: removed" in one_line_error(run("models", "pull", SPEC))
    assert not snapshot(tmp_path).exists()


def test_no_hub_at_all_is_one_line(run) -> None:
    line = one_line_error(run("models", "pull", SPEC, endpoint="http://127.0.0.1:9"))
    assert "cannot reach the model hub" in line


def test_a_file_the_hub_does_not_have_and_a_bad_name(run) -> None:
    assert "the hub has no file other.gguf in acme/tiny-GGUF" in one_line_error(
        run("models", "pull", "acme/tiny-GGUF/other.gguf"))
    assert "give OWNER/REPO/FILE.gguf" in one_line_error(run("models", "pull", "tiny"))


def test_use_makes_the_pulled_model_the_chat_model_and_rm_removes_it(run, home: Path, tmp_path: Path) -> None:
    done = run("models", "pull", "--use", SPEC)
    assert done.returncode == 0, done.stderr
    assert str(snapshot(tmp_path)) in (home / "config.toml").read_text()
    gone = run("models", "rm", SPEC, "--json")
    assert gone.returncode == 0, gone.stderr
    assert not snapshot(tmp_path).exists()
    assert "was not pulled" in one_line_error(run("models", "rm", SPEC))


def test_a_full_disk_is_refused_before_the_download(home: Path, tmp_path: Path, hub: Hub,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import namedtuple

    from memcli.base.errors import ModelError
    from memcli.models import pull

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(pull.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10**6, 10**6))
    with pytest.raises(ModelError, match=r"tiny.gguf needs 98 MB free in .*; there are 1 MB"):
        pull.pull(SPEC, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.gguf*"))
