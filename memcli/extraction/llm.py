"""Fact extraction by a language model, with output constrained to a JSON
schema (llama.cpp grammar), so even a small model cannot return malformed
JSON. Any failure (an exception, a timeout, JSON that does not validate) falls
back to the rules; the turn is never dropped silently.

Grammar makes the shape right, not the content: a small model invents freely.
A fact is kept only when its words and its value are supported by the
person's own words in that message (:mod:`memcli.language.grounding`); the
others are dropped and kept aside in ``last_dropped`` (the caller notes them
in the history) and counted in ``dropped``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from memcli.base.timeparse import resolve
from memcli.extraction import Extractor, Fact
from memcli.base.vocab import Kind

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "fact": {"type": "string", "maxLength": 80},
                    "attribute": {"type": "string", "maxLength": 30},
                    "value": {"type": "string", "maxLength": 40},
                    "single": {"type": "boolean"},
                    "retract": {"type": "boolean"},
                    "event": {"type": "boolean"},
                },
                "required": ["fact", "attribute", "value", "single", "retract", "event"],
            },
        }
    },
    "required": ["facts"],
}

INSTRUCTIONS = """Extract facts the speaker states about themselves from the message.
Return JSON: {"facts": [{"fact": short third-person fact without a subject ("Lives in Busan"),
"attribute": what it is about (name, location, job, employer, diet, relationship, language:x,
preference:x, pet:x, family:x, health:x, plan:x, event), "value": the value, "single": true if a
person has only one value at a time (location, job, name, diet), "retract": true if the speaker
says it is no longer true, "event": true for a dated thing that happened}]}.
No facts from questions, hypotheticals, or other people's words. Empty list if none."""


class LLMExtractor:
    """Asks the model for facts; falls back to ``fallback`` when it fails."""

    name = "llm"

    def __init__(self, llm: Any, fallback: Extractor | None, *, timeout_s: float | None = 30.0,
                 max_tokens: int = 600) -> None:
        self.llm = llm
        self.fallback = fallback
        self.timeout_s = timeout_s  # None: no deadline (the token limit still bounds the answer)
        self.max_tokens = max_tokens
        self.failures = 0
        self.dropped = 0
        self.last_dropped: list[Fact] = []

    def extract(self, text: str, said_at: datetime, *, speaker: str | None = None) -> list[Fact]:
        from memcli.language.grounding import supported

        self.last_dropped = []
        prompt = f"{INSTRUCTIONS}\n\nMessage: {text}\nJSON:"
        try:
            raw = self.llm.generate_json(prompt, SCHEMA, max_tokens=self.max_tokens, timeout_s=self.timeout_s)
            facts = parse_facts(raw, text, said_at)
        except Exception as exc:  # noqa: BLE001 - any model failure means: use the rules
            self.failures += 1
            facts = self.fallback.extract(text, said_at, speaker=speaker) if self.fallback else []
            for fact in facts:
                fact.extra["fallback"] = f"{type(exc).__name__}: {exc}"[:200]
            return facts
        kept = []
        for fact in facts:
            if supported(fact.text, text) and supported(fact.value or "", text):
                kept.append(fact)
            else:
                self.last_dropped.append(fact)
        self.dropped += len(self.last_dropped)
        facts = kept
        if speaker:
            for fact in facts:
                fact.text = f"{speaker} {fact.text[0].lower()}{fact.text[1:]}"
        return facts


def parse_facts(raw: str, text: str, said_at: datetime) -> list[Fact]:
    """Validate the model's JSON against :data:`SCHEMA`; raise ValueError if it does not fit."""
    # llama.cpp's JSON grammar lets raw control characters into strings: accepted here
    data = json.loads(raw, strict=False)
    if not isinstance(data, dict) or not isinstance(data.get("facts"), list):
        raise ValueError("model output has no 'facts' list")
    when = resolve(text, said_at)
    facts: list[Fact] = []
    seen: set[str] = set()
    for item in data["facts"]:
        if not isinstance(item, dict) or not isinstance(item.get("fact"), str) or not item["fact"].strip():
            raise ValueError("a fact without text")
        if item["fact"].strip().lower() in seen:
            continue  # a small model repeats itself
        seen.add(item["fact"].strip().lower())
        attribute = item.get("attribute") if isinstance(item.get("attribute"), str) else None
        event = bool(item.get("event"))
        facts.append(Fact(
            text=item["fact"].strip()[:200],
            attribute="event" if event else (attribute.strip().lower() or None) if attribute else None,
            value=str(item.get("value") or "").strip() or None,
            single=bool(item.get("single")) and not event,
            retract=bool(item.get("retract")),
            kind=Kind.EPISODE if event else Kind.FACT,
            when=when.start if when else None,
        ))
    return facts
