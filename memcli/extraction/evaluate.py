"""Scoring an extractor against labelled messages (precision and recall).

The label file is tab-separated: category, role, text, expected facts as
``attr=value`` joined by `` ; `` (``-attr=value``: a retraction; an attribute
ending in ``*`` matches by prefix; an empty value matches any value). A
predicted fact matches an expected one when the attributes match, it is a
retraction exactly when expected, and every word of the expected value occurs
in the predicted value or text. Assistant lines are never given to the
extractor, as in :meth:`memcli.Memory.add`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from memcli.extraction import Extractor, Fact

_DROP = {"the", "a", "an", "my", "their", "s", "of", "to", "and", "in", "at"}
SAID_AT = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


@dataclass
class Expected:
    attribute: str
    value: str
    retract: bool


@dataclass
class Example:
    category: str
    role: str
    text: str
    expected: list[Expected]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        category, role, text = parts[0], parts[1], parts[2]
        facts = parts[3] if len(parts) > 3 else ""
        expected = []
        for item in filter(None, (f.strip() for f in facts.split(" ; "))):
            attr, _, value = item.partition("=")
            expected.append(Expected(attr.lstrip("-"), value, attr.startswith("-")))
        examples.append(Example(category, role, text, expected))
    return examples


def _words(text: str | None) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", (text or "").lower().replace("'s", "")) if w not in _DROP}


def matches(exp: Expected, fact: Fact) -> bool:
    attr = fact.attribute or ""
    if exp.attribute.endswith("*"):
        if not attr.startswith(exp.attribute[:-1]):
            return False
    elif attr != exp.attribute:
        return False
    if exp.retract != fact.retract:
        return False
    return _words(exp.value) <= (_words(fact.value) | _words(fact.text))


def evaluate(extractor: Extractor, examples: list[Example]) -> dict[str, Any]:
    overall = Score()
    by_category: dict[str, Score] = defaultdict(Score)
    for ex in examples:
        by_category[ex.category]  # every category gets a row, even one with nothing to find
        predicted = extractor.extract(ex.text, SAID_AT) if ex.role == "user" else []
        unmatched = list(predicted)
        for exp in ex.expected:
            hit = next((f for f in unmatched if matches(exp, f)), None)
            for score in (overall, by_category[ex.category]):
                if hit is not None:
                    score.tp += 1
                else:
                    score.fn += 1
            if hit is not None:
                unmatched.remove(hit)
            else:
                overall.mistakes.append(f"missed {exp.attribute}={exp.value!r} in {ex.text!r}")
        for fact in unmatched:
            overall.fp += 1
            by_category[ex.category].fp += 1
            overall.mistakes.append(f"invented {fact.attribute}={fact.value!r} ({fact.text!r}) from {ex.text!r}")
    return {"overall": overall, "categories": dict(by_category), "messages": len(examples)}
