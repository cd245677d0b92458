"""Shared fixtures: every test gets its own data folder and the fake embedder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memcli import Config, Memory

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh MEMCLI_HOME with a config that selects the fake embedder."""
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    (folder / "config.toml").write_text('user = "alice"\nembedder = "fake"\n', encoding="utf-8")
    monkeypatch.setenv("MEMCLI_HOME", str(folder))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return folder


@pytest.fixture
def config(home: Path) -> Config:
    return Config.load()


@pytest.fixture
def mem(config: Config):
    memory = Memory(config=config)
    yield memory
    memory.close()


@pytest.fixture
def cli(home: Path):
    """Run the memcli CLI in-process: cli("add", "text") -> click Result.
    ``env`` stands for the world the command sees (terminals, colour, clock)."""
    from memcli.frontends.cli.app import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, env=None):
        return runner.invoke(app, list(args), input=input, obj=env)

    return run
