"""Fact extraction: turn what a person says into short third-person facts.

Two extractors share one interface (:class:`Extractor`): deterministic rules
(:mod:`.rules`) and a schema-constrained LLM call (:mod:`.llm`) that falls back
to the rules whenever the model fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass
class Fact:
    """One thing learnt about the person from one message.

    ``attribute`` names what the fact is about (``location``, ``job``,
    ``preference:coffee``, ``pet:dog``...); facts with a ``single`` attribute
    conflict with older facts of the same attribute. ``retract`` marks a
    statement that something is no longer true. ``kind`` is ``fact`` or
    ``episode`` (a dated event). ``when`` is when it became true / happened.
    """

    text: str
    attribute: str | None = None
    value: str | None = None
    single: bool = False
    retract: bool = False
    kind: str = "fact"
    when: datetime | None = None
    importance: float = 0.5
    extra: dict[str, object] = field(default_factory=dict)


class Extractor(Protocol):
    name: str

    def extract(self, text: str, said_at: datetime, *, speaker: str | None = None) -> list[Fact]:
        """Facts stated by the person in ``text``; never facts from questions,
        hypotheticals or other people's words."""
        ...
