"""The bundled Gemma 3 270M through the real path: assembly, llama.cpp, the router."""

from __future__ import annotations

from pathlib import Path

import pytest

from memcli import Config, Memory
from memcli.chat import ChatSession
from memcli.models.bundled import ensure_bundled_model
from memcli.models.factory import make_llm

pytestmark = pytest.mark.real_models


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_assembly_is_verified_once(models_dir: Path) -> None:
    calls: list[int] = []
    path = ensure_bundled_model(models_dir, lambda label, done, total: calls.append(done))
    assert path.read_bytes()[:4] == b"GGUF" and calls
    assert (path.stat().st_mode & 0o777) == 0o600
    calls.clear()
    assert ensure_bundled_model(models_dir, lambda label, done, total: calls.append(done)) == path
    assert calls == []  # not re-assembled, not re-hashed


def test_a_few_real_tokens_through_the_router(models_dir: Path, tmp_path: Path) -> None:
    config = Config(user="mina", embedder="fake", db=str(tmp_path / "m.db"))
    config.chat.max_tokens = 12
    config.chat.temperature = 0.0
    llm = make_llm("", models_dir=models_dir, n_ctx=512, threads=2, config_hint="test")
    assert llm.has_chat_template is False  # so the transcript format is used
    with Memory(config=config) as mem:
        mem.add("My dog is a corgi called Biscuit", user_id="mina")
        chat = ChatSession(mem, llm, config.chat, "mina")
        answer = "".join(chat.turn("What is my dog called?"))
        assert chat.last is not None
        assert "\n- My dog is a corgi called Biscuit\n" in chat.last.prompt
        assert chat.last.prompt.endswith("Assistant:")
        assert answer.strip()
        assert llm.count_tokens(chat.last.prompt) <= 512 - 12
        # grounded in the memory the router supplied
        assert "biscuit" in answer.lower()
