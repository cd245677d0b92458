"""A model earns extraction and summaries by measurement; what it writes is kept
only when the person's words support it."""

from __future__ import annotations

import json
from pathlib import Path

from memcli import Config, Memory
from memcli.services.calibration import CALIBRATION_LINES, SUMMARY_CASES, verdict_for
from memcli.extraction.evaluate import load
from memcli.models.scripted import ScriptedLLM

GOLD = {e.text: e.expected for e in load(CALIBRATION_LINES)}


def careful(prompt: str) -> str:
    """A model that answers the calibration set right and summarises with the person's words."""
    if prompt.endswith("JSON:"):
        message = prompt.rsplit("Message: ", 1)[1].rsplit("\nJSON:", 1)[0]
        facts = []
        for e in GOLD.get(message, []):
            attribute = e.attribute.rstrip("*").rstrip(":") or "plan"
            if attribute in ("allergy", "learning", "pet"):
                attribute = f"{attribute}:{e.value.lower()}"
            facts.append({"fact": e.value, "attribute": attribute, "value": e.value, "single": False,
                          "retract": e.retract, "event": attribute == "event"})
        return json.dumps({"facts": facts})
    said = [line.split("user: ")[-1] for line in prompt.splitlines() if line.startswith("user: ")]
    return "The user said: " + " ".join(said[-2:])


def inventive(prompt: str) -> str:
    """A tiny model's habits: facts and summaries nobody said."""
    if prompt.endswith("JSON:"):
        return json.dumps({"facts": [{"fact": "Has a golden retriever named Bella", "attribute": "pet:dog",
                                      "value": "Bella", "single": False, "retract": False, "event": False}]})
    return "Mina is a big golden retriever named Bella who loves the beach."


def test_a_careful_model_earns_extraction_and_summaries(tmp_path: Path) -> None:
    verdict = verdict_for(ScriptedLLM([careful] * 40, chat_template=True), None)
    assert verdict.extraction["use"] == "llm"
    assert verdict.extraction["llm"]["f1"] > verdict.extraction["rules"]["f1"]
    assert verdict.summaries["use"] == "llm"
    assert verdict.summaries["llm"]["coverage"] > verdict.summaries["extractive"]["coverage"]
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", extractor="auto"),
                llm=ScriptedLLM([careful] * 40, chat_template=True)) as m:
        assert m.extractor.name == "llm"


def test_an_inventive_model_earns_nothing(tmp_path: Path) -> None:
    verdict = verdict_for(ScriptedLLM([inventive] * 40, chat_template=True), None)
    assert verdict.extraction["use"] == "rules" and verdict.extraction["llm"]["recall"] == 0.0
    assert verdict.summaries["use"] == "extractive" and verdict.summaries["llm"]["grounded"] < 0.8
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", extractor="auto"),
                llm=ScriptedLLM([inventive] * 40, chat_template=True)) as m:
        assert m.extractor.name == "rules"
        m.add("My dog is called Biscuit.", infer=True)
        assert "Bella" not in json.dumps(m.export())


def test_a_base_model_is_never_asked(tmp_path: Path) -> None:
    llm = ScriptedLLM(chat_template=False)
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake"), llm=llm) as m:
        assert m.extractor.name == "rules"
        m.add("I live in Busan.", infer=True)
    assert llm.prompts == []


def test_the_verdict_is_measured_once_per_model_file(tmp_path: Path) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF" + b"\0" * 64)
    cache = tmp_path / "verdicts.json"

    class OnDisk(ScriptedLLM):
        path = weights
        id = "model.gguf"

    first = OnDisk([careful] * 40, chat_template=True)
    verdict = verdict_for(first, cache)
    assert first.prompts and json.loads(cache.read_text())["verdicts"][verdict.key]["extraction"]["use"] == "llm"
    again = OnDisk([careful] * 40, chat_template=True)
    assert verdict_for(again, cache) == verdict and again.prompts == []
    weights.write_bytes(b"GGUF" + b"\1" * 64)  # another file: measured anew
    assert verdict_for(OnDisk([inventive] * 40, chat_template=True), cache).extraction["use"] == "rules"


def test_a_model_fact_the_person_did_not_say_is_dropped_and_noted(tmp_path: Path) -> None:
    llm = ScriptedLLM([inventive], chat_template=True)
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake", extractor="llm", keep_messages=False),
                llm=llm) as m:
        results = m.add("My dog is called Biscuit.", infer=True)
        assert [r.event for r in results] == ["REFUSED"]
        assert "not in the person's words" in results[0].reason
        assert m.get_all() == []
        notes = [h for h in m.export()["history"] if h["event"] == "REFUSED"]
        assert len(notes) == 1 and "Bella" in notes[0]["reason"]
        assert m.extractor.dropped == 1


def test_a_model_summary_needs_the_persons_words(tmp_path: Path) -> None:
    cfg = Config(embedder="fake", summaries="llm", extractor="rules")
    with Memory(path=tmp_path / "m.db", config=cfg, llm=ScriptedLLM([inventive], chat_template=True)) as m:
        session, _ = m.start_session("s1", "mina")
        for line in SUMMARY_CASES[0][0]:
            m.log_message(session.id, "mina", "user", line)
        summary = m.summarise_session(session.id, "mina")
        assert summary is not None and summary.memory.startswith("Talked about:")  # extractive, not Bella
        assert "Bella" not in json.dumps(m.export())
        assert summary.message_ids and m.why(summary.id)["messages"]
        m.llm = ScriptedLLM([careful], chat_template=True)
        summary = m.summarise_session(session.id, "mina")
        assert summary is not None and summary.memory.startswith("The user said:")


def test_config_shows_what_the_model_earned(cli, home: Path) -> None:
    data = json.loads(cli("config", "--json").stdout)
    trust = data["model_trust"]
    assert trust["extractor"] == "auto" and "assembled on first chat" in trust["status"]
