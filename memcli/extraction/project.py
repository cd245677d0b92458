"""A project's facts: the decisions and conventions said about it.

The coding strategy keeps memories per project (``scope = "project"``) and
``facts = "project"``: what is worth keeping there is what was decided ("we
decided to use Postgres for the queue", "let's go with pytest") and how things
are done ("we always squash before merging", "never commit to main", "our
convention is snake_case for files"), while facts about the person's life
(where they live, their family, their health) are left out.
:class:`ScopedExtractor` wraps the extractor the config chose so that it does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from memcli.base.text import is_question
from memcli.extraction import Fact

# Attribute roots (before the first ':') of facts about a person's life.
PERSONAL = frozenset({
    "name", "age", "birthday", "location", "hometown", "job", "employer", "school", "study", "relationship",
    "family", "pet", "health", "allergy", "diet", "avoids", "activity", "favorite", "learning", "language", "plan",
})

_SENTENCE = re.compile(r"(?<=[.!;])\s+|\n+")
_LEAD = re.compile(r"^(?:so|ok(?:ay)?|alright|right|anyway|also|fyi|note|btw|and|then)\b[,:]?\s*", re.I)
_WE = r"(?:we|i|the team)"
_DECISIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_WE}(?:'ve| have)?\s+(?:finally\s+)?(?:decided|agreed)\s+(?:to|that we(?:'ll| will)?)\s+(?P<v>.+)",
                re.I), "Decided to {}"),
    (re.compile(rf"^{_WE}(?:'ve| have)?\s+(?:chose|chosen|picked|settled on|opted for|went with)\s+(?P<v>.+)", re.I),
     "Decided on {}"),
    (re.compile(rf"^{_WE}(?:'re| are)\s+going\s+with\s+(?P<v>.+)", re.I), "Decided to go with {}"),
    (re.compile(r"^let'?s\s+(?P<verb>go with|use|stick with|switch to|keep|adopt)\s+(?P<v>.+)", re.I),
     "Decided to {verb} {}"),
    (re.compile(rf"^{_WE}(?:'ll| will)\s+(?P<verb>use|go with|stick with|switch to|adopt)\s+(?P<v>.+)", re.I),
     "Decided to {verb} {}"),
    (re.compile(rf"^{_WE}(?:'ve| have)?\s+(?:switched|moved|migrated)\s+(?P<v>(?:from\s+.+?\s+)?to\s+.+)", re.I),
     "Switched {}"),
    (re.compile(r"^the decision (?:is|was)\s+(?:to\s+)?(?P<v>.+)", re.I), "Decided to {}"),
]
_CONVENTIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^(?:{_WE}\s+)?(?P<adv>always|never)\s+(?P<v>.+)", re.I), "Convention: {adv} {}"),
    (re.compile(r"^(?:our|the|a)\s+(?:convention|rule|house style|style rule|standard)\s+(?:here\s+)?is\s+"
                r"(?:to\s+|that\s+)?(?P<v>.+)", re.I), "Convention: {}"),
    (re.compile(r"^we\s+(?P<verb>use|prefer|don'?t use|avoid)\s+(?P<v>.+)", re.I), "Convention: {verb} {}"),
    (re.compile(rf"^{_WE}\s+prefer\s+(?P<v>.+?\s+over\s+.+)", re.I), "Convention: prefer {}"),
]


def _clean(value: str) -> str:
    return value.strip().rstrip(".!;,").strip()


def project_facts(text: str) -> list[Fact]:
    """The decisions and conventions stated in ``text`` (questions and
    conditions say neither)."""
    found: list[Fact] = []
    for sentence in _SENTENCE.split(text.strip()):
        sentence = _LEAD.sub("", sentence.strip())
        if not sentence or is_question(sentence) or re.match(r"^(?:if|when|should|maybe|perhaps)\b", sentence, re.I):
            continue
        for attribute, rules in (("decision", _DECISIONS), ("convention", _CONVENTIONS)):
            for pattern, template in rules:
                m = pattern.match(sentence)
                if not m or len(_clean(m["v"]).split()) < 1:
                    continue
                value = _clean(m["v"])
                words = {k: v.lower() for k, v in m.groupdict().items() if k != "v" and v}
                found.append(Fact(template.format(value, **words), attribute=attribute, value=value,
                                  importance=0.8))
                break
            else:
                continue
            break
    return found


def personal(fact: Fact) -> bool:
    """Whether a fact is about the person's own life (their home, work, family,
    health, plans...) or a life event."""
    root = (fact.attribute or "").split(":", 1)[0]
    return root in PERSONAL or fact.kind == "episode"


_LIFE_RULES: Any = None


def about_life(sentence: str, said_at: datetime) -> bool:
    """Whether ``sentence`` states a fact of the person's own life (a project's
    memory keeps no such sentence, nor puts it in a session's summary)."""
    global _LIFE_RULES
    if _LIFE_RULES is None:
        from memcli.extraction.rules import RulesExtractor

        _LIFE_RULES = RulesExtractor()
    return any(personal(f) for f in _LIFE_RULES.extract(sentence, said_at))


class ScopedExtractor:
    """The configured extractor, adjusted to ``facts``: ``project`` keeps only
    decisions and conventions (and preferences), ``both`` adds them to the
    person's facts."""

    def __init__(self, inner: Any, facts: str) -> None:
        self.inner = inner
        self.facts = facts
        self.name = getattr(inner, "name", "rules")

    @property
    def last_dropped(self) -> list[Fact]:
        return list(getattr(self.inner, "last_dropped", []))

    def extract(self, text: str, said_at: datetime, *, speaker: str | None = None) -> list[Fact]:
        facts = self.inner.extract(text, said_at, speaker=speaker)
        if self.facts == "project":
            facts = [f for f in facts if not personal(f)]
        seen = {f.text.lower() for f in facts}
        for fact in project_facts(text):
            if fact.text.lower() not in seen:
                seen.add(fact.text.lower())
                facts.append(fact)
        return facts
