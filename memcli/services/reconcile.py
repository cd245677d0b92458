"""Reconciliation: what to do with a new fact given what is already known.

Mem0's ADD / UPDATE / DELETE / NONE, plus SUPERSEDE, decided without a model:

- a retraction ends the matching current facts (DELETE);
- the same fact again is a reinforcement (NONE);
- a fact that extends an existing one ("likes Python" -> "likes Python, mostly
  for data work") refines it in place (UPDATE);
- a new value for a single-valued attribute ("lives in Seoul" -> "lives in
  Busan") is a conflict, settled by the configured policy: ``supersede`` (the
  old fact is kept with ``valid_to``), ``overwrite`` (replaced in place) or
  ``ask`` (nothing applied; the caller asks the person);
- anything else is added (ADD).

This module only decides; :class:`memcli.memory.Memory` applies the decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memcli.extraction import Fact
from memcli.base.records import MemoryItem
from memcli.base.vocab import Action, ConflictPolicy

NEAR_DUPLICATE = 0.93  # cosine similarity above which two fact texts say the same thing
# A change dated at most this long before an undated fact was said still replaces it.
RECENT_CHANGE_DAYS = 92


@dataclass
class Decision:
    action: Action
    reason: str
    targets: list[MemoryItem]


def _norm(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").casefold()).strip()


def _refines(old: MemoryItem, fact: Fact) -> bool:
    """The new fact says the old one and more."""
    old_value, new_value = _norm(old.value), _norm(fact.value)
    if old_value and new_value and new_value != old_value and new_value.startswith(old_value + " "):
        return True
    old_text, new_text = _norm(old.memory), _norm(fact.text)
    return bool(old_text) and new_text != old_text and new_text.startswith(old_text + " ")


def _said_at(item: MemoryItem) -> str:
    return str(item.source.get("said_at") or item.started)


def _is_older(old: MemoryItem, when: str, said_at: str) -> bool:
    """Whether a new value of a single-valued attribute belongs before ``old``.

    When ``old`` has a date of its own ("moved to Seoul in 2023"), the dates
    decide. An undated fact ("I live in Seoul") was true when it was said; a
    change dated well before that ("I moved to Daegu in 2019") is history, but
    one dated shortly before it ("I moved to Busan last month", said after)
    is the news: the earlier statement was out of date."""
    old_said = _said_at(old)
    started = old.started
    if started != old_said:
        return when < started
    if said_at < old_said:
        return True  # an older statement, recorded late
    return when < old_said and _days_between(when, old_said) > RECENT_CHANGE_DAYS


def _days_between(earlier: str, later: str) -> float:
    from memcli.base.text import parse_iso

    return (parse_iso(later) - parse_iso(earlier)).total_seconds() / 86400


def decide(fact: Fact, same_attribute: list[MemoryItem], near: list[tuple[MemoryItem, float]],
           when: str, policy: str, said_at: str | None = None) -> Decision:
    """``same_attribute``: current facts with the fact's attribute, newest first;
    ``near``: current facts by similarity (row, score), best first; ``when``:
    ISO time the new fact starts being true; ``said_at``: when it was said
    (default ``when``)."""
    if fact.retract:
        if fact.value:
            targets = [r for r in same_attribute if _norm(r.value) == _norm(fact.value)
                       or _norm(fact.value) in _norm(r.memory)]
        else:
            targets = list(same_attribute)
        if not targets:
            return Decision(Action.NONE, "nothing current to retract", [])
        return Decision(Action.RETRACT, "the person said it is no longer true", targets)

    if fact.attribute and same_attribute:
        old = same_attribute[0]
        if _norm(old.memory) == _norm(fact.text):
            return Decision(Action.NONE, "said again", [old])
        if _refines(old, fact):
            return Decision(Action.UPDATE, "refines the same fact", [old])
        if _norm(old.value) == _norm(fact.value):
            return Decision(Action.NONE, "same value, said differently", [old])
        if fact.single:
            if _is_older(old, when, said_at or when):
                # The new statement is about a time before the current fact: it is history.
                return Decision(Action.ADD_PAST, f"true before memory {old.id}", [old])
            if policy == ConflictPolicy.ASK:
                return Decision(Action.CONFLICT, f"conflicts with memory {old.id}", [old])
            if policy == ConflictPolicy.OVERWRITE:
                return Decision(Action.UPDATE, f"new {fact.attribute} replaces the old one", [old])
            return Decision(Action.SUPERSEDE, f"new {fact.attribute}: was {old.value!r}", same_attribute)
    for row, score in near:
        if score >= NEAR_DUPLICATE or _norm(row.memory) == _norm(fact.text):
            return Decision(Action.NONE, f"same as memory {row.id} (similarity {score:.2f})", [row])
    return Decision(Action.ADD, "new fact", [])
