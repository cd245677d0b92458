"""Resolve the time expressions people use ("last year", "yesterday", "in March",
"three weeks ago", "on May 4th") against the moment a message was said.

Only what can be resolved deterministically is handled; anything else leaves
the time of the message itself.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
MONTHS.pop("may", None)
MONTHS["may"] = 5
WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a few": 3,
           "a couple of": 2, "couple of": 2, "several": 3}

_MONTH = "|".join(sorted((m for m in MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
_WEEKDAY = "|".join(WEEKDAYS)
_NUM = r"(?:\d+|a few|a couple of|couple of|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("day_before_yesterday", re.compile(r"\bthe day before yesterday\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b|\blast night\b", re.I)),
    ("today", re.compile(r"\btoday\b|\bthis (?:morning|afternoon|evening)\b|\btonight\b|\bjust now\b", re.I)),
    ("tomorrow", re.compile(r"\btomorrow\b", re.I)),
    ("ago", re.compile(rf"\b(?P<n>{_NUM}) (?P<unit>day|week|month|year)s? ago\b", re.I)),
    ("last_unit", re.compile(r"\blast (?P<unit>week|month|year|weekend|summer|winter|spring|autumn|fall)\b", re.I)),
    ("next_unit", re.compile(r"\bnext (?P<unit>week|month|year|weekend|summer|winter|spring|autumn|fall)\b", re.I)),
    ("this_unit", re.compile(r"\bthis (?P<unit>week|month|year|weekend)\b", re.I)),
    ("weekday", re.compile(rf"\b(?P<dir>last|this|next|on) (?P<day>{_WEEKDAY})\b", re.I)),
    ("month_day", re.compile(rf"\b(?:on )?(?P<month>{_MONTH})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<year>(?:19|20)\d\d))?\b", re.I)),
    ("day_month", re.compile(rf"\b(?:on )?(?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{_MONTH})(?:,? (?P<year>(?:19|20)\d\d))?\b", re.I)),
    ("month", re.compile(rf"\b(?:in|last|this|next|since|during|back in) (?P<month>{_MONTH})(?: (?P<year>(?:19|20)\d\d))?\b", re.I)),
    ("year", re.compile(r"\b(?:in|since|back in|during) (?P<year>(?:19|20)\d\d)\b", re.I)),
]

SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


@dataclass
class TimeRef:
    """A resolved time: when it starts, and the words that said it."""

    start: datetime
    phrase: str
    future: bool = False


def _day(dt: datetime) -> datetime:
    return dt.replace(hour=0, minute=0, second=0, microsecond=0)


def _number(raw: str) -> int:
    raw = raw.lower()
    return int(raw) if raw.isdigit() else NUMBERS.get(raw, 1)


def _months_back(dt: datetime, months: int) -> datetime:
    month = dt.month - months
    year = dt.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.replace(year=year, month=month, day=1)


def resolve(text: str, said_at: datetime, *, future_hint: bool = False) -> TimeRef | None:
    """The first time expression in ``text``, resolved against ``said_at`` (UTC).

    ``future_hint``: the sentence talks about a plan, so a bare month name
    ("in March") means the next March rather than the last one.
    """
    if said_at.tzinfo is None:
        said_at = said_at.replace(tzinfo=timezone.utc)
    base = _day(said_at)
    best: tuple[int, TimeRef] | None = None
    for kind, pattern in PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        ref = _resolve_one(kind, m, base, future_hint)
        if ref is not None and (best is None or m.start() < best[0]):
            best = (m.start(), ref)
    return best[1] if best else None


def _resolve_one(kind: str, m: re.Match[str], base: datetime, future_hint: bool) -> TimeRef | None:
    phrase = m.group(0)
    g = m.groupdict()
    if kind == "day_before_yesterday":
        return TimeRef(base - timedelta(days=2), phrase)
    if kind == "yesterday":
        return TimeRef(base - timedelta(days=1), phrase)
    if kind == "today":
        return TimeRef(base, phrase)
    if kind == "tomorrow":
        return TimeRef(base + timedelta(days=1), phrase, future=True)
    if kind == "ago":
        n, unit = _number(g["n"]), g["unit"].lower()
        if unit == "day":
            return TimeRef(base - timedelta(days=n), phrase)
        if unit == "week":
            return TimeRef(base - timedelta(weeks=n), phrase)
        if unit == "month":
            return TimeRef(_months_back(base, n), phrase)
        return TimeRef(base.replace(year=base.year - n, month=1, day=1), phrase)
    if kind in ("last_unit", "next_unit", "this_unit"):
        unit = g["unit"].lower()
        step = {"last_unit": -1, "next_unit": 1, "this_unit": 0}[kind]
        if unit in ("week", "weekend"):
            monday = base - timedelta(days=base.weekday())
            start = monday + timedelta(weeks=step) + (timedelta(days=5) if unit == "weekend" else timedelta())
            return TimeRef(start, phrase, future=step > 0)
        if unit == "month":
            return TimeRef(_months_back(base, -step), phrase, future=step > 0)
        if unit == "year":
            return TimeRef(base.replace(year=base.year + step, month=1, day=1), phrase, future=step > 0)
        month = SEASON_START[unit]
        year = base.year + step
        if step < 0 and month < base.month:
            year = base.year  # "last summer" said in November is this year's summer
        return TimeRef(base.replace(year=year, month=month, day=1), phrase, future=step > 0)
    if kind == "weekday":
        target = WEEKDAYS[g["day"].lower()]
        direction = g["dir"].lower()
        delta = (base.weekday() - target) % 7
        if direction == "next":
            return TimeRef(base + timedelta(days=(target - base.weekday()) % 7 or 7), phrase, future=True)
        if direction == "last":
            delta = delta or 7
        elif direction == "on" and future_hint:
            return TimeRef(base + timedelta(days=(target - base.weekday()) % 7 or 7), phrase, future=True)
        return TimeRef(base - timedelta(days=delta), phrase)
    if kind in ("month_day", "day_month"):
        month = MONTHS[g["month"].lower().rstrip(".")]
        day = int(g["day"])
        year = int(g["year"]) if g.get("year") else base.year
        try:
            start = base.replace(year=year, month=month, day=day)
        except ValueError:
            return None
        if not g.get("year"):
            if future_hint and start < base:
                start = start.replace(year=year + 1)
            elif not future_hint and start > base:
                start = start.replace(year=year - 1)
        return TimeRef(start, phrase, future=start > base)
    if kind == "month":
        month = MONTHS[g["month"].lower()]
        lead = phrase.split()[0].lower()
        if g.get("year"):
            return TimeRef(base.replace(year=int(g["year"]), month=month, day=1), phrase)
        year = base.year
        if lead == "next" or (future_hint and lead == "in"):
            if month <= base.month:
                year += 1
            return TimeRef(base.replace(year=year, month=month, day=1), phrase, future=True)
        if lead == "this":
            return TimeRef(base.replace(month=month, day=1), phrase, future=month > base.month)
        if month > base.month or (lead == "last" and month == base.month):
            year -= 1
        return TimeRef(base.replace(year=year, month=month, day=1), phrase)
    if kind == "year":
        return TimeRef(base.replace(year=int(g["year"]), month=1, day=1), phrase)
    return None
