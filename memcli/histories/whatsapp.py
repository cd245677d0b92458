"""WhatsApp's "Export chat" ``.txt``: one line per message, opening with the date
and time in the phone's own locale: d/m/y or m/d/y (or y-m-d), 2- or 4-digit
years, 12 or 24 hours ("PM", "p. m."), with or without brackets and seconds.
A line that opens with no date continues the message before it; a line with
no "Name: " after the date is WhatsApp's own (someone joined, the encryption
notice). The date order is decided from the whole file."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from memcli.base.errors import InvalidInput
from memcli.histories import ChatMessage, Conversation, Notes
from memcli.histories.sources import Entry, decode

_START = re.compile(
    r"^\[?(?P<a>\d{1,4})[./-](?P<b>\d{1,2})[./-](?P<c>\d{1,4}),?\s+"
    r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?"
    r"(?:\s*(?P<ampm>[aApP])\.?\s?[mM]\.?)?"
    r"\]?(?:\s*[-–]\s+|\s+)(?P<rest>.*)$")
_SENDER = re.compile(r"^(?P<who>[^:]{1,80}?):\s(?P<text>.*)$", re.S)
_INVISIBLE = str.maketrans({"\u200e": None, "\u200f": None, "\ufeff": None, "\u202f": " ", "\xa0": " "})


@dataclass
class _Line:
    a: int
    b: int
    c: int
    h: int
    m: int
    s: int
    ampm: str | None
    rest: str


def read(entry: Entry, notes: Notes, me: str | None, title: str) -> Iterator[Conversation]:
    with entry.open() as f:
        text = decode(f.read(), entry.name)
    lines = _lines(text)
    if not lines:
        raise InvalidInput(f"{entry.name}: no WhatsApp message lines (a date, a time, then 'Name: text')")
    order = date_order(lines)
    notes.date_order = order
    conv = Conversation(f"whatsapp:{title}", title)
    seen: dict[str, int] = {}
    for line in lines:
        said = _SENDER.match(line.rest)
        if said is None:
            notes.skipped += 1  # WhatsApp's own line: created the group, changed the subject ...
            continue
        who, words = said["who"].strip(), said["text"].strip()
        when = _time(line, order, entry.name)
        notes.saw(who)
        base = hashlib.sha256(f"{when.isoformat()}|{who}|{words}".encode()).hexdigest()[:24]
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        role = "user" if me is not None and who.casefold() == me.casefold() else "other"
        conv.messages.append(ChatMessage(key, role, words, when, who))
    yield conv


def _lines(text: str) -> list[_Line]:
    """The message lines, each with its continuation lines joined to it."""
    out: list[_Line] = []
    for raw in text.translate(_INVISIBLE).splitlines():
        m = _START.match(raw)
        if m is None:
            if out and raw.strip():
                out[-1].rest += "\n" + raw
            continue
        out.append(_Line(int(m["a"]), int(m["b"]), int(m["c"]), int(m["h"]), int(m["m"]), int(m["s"] or 0),
                         m["ampm"].lower() if m["ampm"] else None, m["rest"]))
    return out


def date_order(lines: list[_Line]) -> str:
    """"y-m-d", "d/m/y" or "m/d/y", decided from every line: a first number over
    12 is a day, a second over 12 is a day; failing both, the order in which the
    dates run forwards more often (then d/m/y, the more common, with a note)."""
    if all(line.a > 31 for line in lines):
        return "y-m-d"
    if any(line.a > 12 for line in lines):
        return "d/m/y"
    if any(line.b > 12 for line in lines):
        return "m/d/y"
    forwards = {"d/m/y": 0, "m/d/y": 0}
    for order in forwards:
        stamps = [_key(line, order) for line in lines]
        forwards[order] = sum(1 for x, y in zip(stamps, stamps[1:]) if x <= y)
    if forwards["m/d/y"] > forwards["d/m/y"]:
        return "m/d/y"
    return "d/m/y" if forwards["d/m/y"] > forwards["m/d/y"] else "d/m/y (assumed: no date tells)"


def _key(line: _Line, order: str) -> tuple[int, int, int]:
    day, month = (line.a, line.b) if order.startswith("d") else (line.b, line.a)
    return (_year(line.c), month, day)


def _year(value: int) -> int:
    return value + 2000 if value < 100 else value


def _time(line: _Line, order: str, name: str) -> datetime:
    if order == "y-m-d":
        year, month, day = line.a, line.b, line.c
    else:
        year, month, day = _key(line, order)
    hour = line.h
    if line.ampm == "p" and hour < 12:
        hour += 12
    elif line.ampm == "a" and hour == 12:
        hour = 0
    try:
        # The phone's own clock: taken as this machine's time zone, then stored in UTC.
        return datetime(year, month, day, hour, line.m, line.s).astimezone()
    except ValueError:
        raise InvalidInput(f"{name}: a line dated {line.a}/{line.b}/{line.c} {line.h}:{line.m:02d} is no date "
                           f"in the order {order}") from None
