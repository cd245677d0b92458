"""Validation and normalisation of text and times that come from people."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from typing import Callable

from memcli.base.errors import InvalidInput
from memcli.base.tuning import CONTEXT_WORDS

_SPACES = re.compile(r"\s+")
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")


def clean_text(text: object, what: str = "memory text") -> str:
    """Strip ``text`` and reject what cannot be stored: non-strings, empty or
    whitespace-only text, and strings that are not valid UTF-8 (lone surrogates,
    which is how Python carries undecodable bytes from argv or files)."""
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be a string, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8") from None
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(f"{what} is empty")
    return cleaned


def content_hash(text: str) -> str:
    """Identity of a memory's content: case and spacing do not make a new memory."""
    normal = _SPACES.sub(" ", text.strip()).casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


# What a chat app's export writes in place of what was sent or said (a photo,
# a sticker, a deleted message, a missed call): not the person's words, so
# not a memory, and no context for what follows. WhatsApp's Android and iOS
# exports; iOS opens them with a left-to-right mark.
_EXPORT_PLACEHOLDER = re.compile(
    r"[\u200e\u200f]*(?:<media omitted>|<attached: [^<>]+>"
    r"|(?:image|video|audio|sticker|gif|document|contact card|voice message) omitted"
    r"|(?:this message was deleted|you deleted this message|missed (?:group )?(?:voice|video) call)\.?"
    r"|waiting for this message\. this may take a while\.)", re.IGNORECASE)
# An edited message keeps its words, with this mark after them.
_EDITED_MARK = re.compile(r"\s*[\u200e\u200f]*<this message was edited>\s*$", re.IGNORECASE)


def exported_words(text: str) -> str:
    """``text`` as the person wrote it, when a chat export's marks are taken
    out: "" when the whole message is one of the export's placeholders
    ("<Media omitted>", "image omitted", "This message was deleted"...)."""
    if _EXPORT_PLACEHOLDER.fullmatch(text.strip()):
        return ""
    return _EDITED_MARK.sub("", text)


# Dates memcli stores and compares: years 1 to 9999 in UTC, a day's margin inside
# either end so that a time zone or an as-of's end of day never leaves the range.
EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, tzinfo=timezone.utc)


def _in_range(parsed: datetime, value: str, what: str) -> datetime:
    try:
        moment = parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise InvalidInput(f"{what} {value!r} is out of range (years 1 to 9999, UTC)")
    return moment


def parse_when(value: str, *, now: datetime | None = None, what: str = "date") -> datetime:
    """Parse an ISO 8601 date or datetime, or a relative age such as ``30m``,
    ``12h``, ``7d``, ``2w``, or ``today`` / ``yesterday``. Naive times are UTC."""
    now = now or datetime.now(timezone.utc)
    raw = value.strip().lower()
    if raw in ("today", "yesterday"):
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=1) if raw == "yesterday" else day
    rel = _RELATIVE.match(raw)
    if rel:
        amount, unit = int(rel.group(1)), rel.group(2)
        days = amount * {"m": 1 / 1440, "h": 1 / 24, "d": 1, "w": 7}[unit]
        if days > (now - EARLIEST).days:
            raise InvalidInput(f"{what} {value!r} reaches back before the year 1")
        return now - timedelta(days=days)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"cannot read the {what} {value!r}: use ISO 8601 (2026-11-20), or 7d, 12h, today"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return _in_range(parsed, value, what)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def normalise_timestamp(value: str | None, what: str) -> str | None:
    """An imported ISO 8601 timestamp in memcli's own form (UTC), or None."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{what} is not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return iso(_in_range(parsed, value, what))


def said_at_text(timestamp: str | datetime | None, now: Callable[[], str]) -> str:
    """When something was said, as stored ISO text (``now()`` when not given)."""
    if timestamp is None:
        return now()
    if isinstance(timestamp, datetime):
        aware = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)
        return iso(_in_range(aware, str(timestamp), "timestamp"))
    stamp = normalise_timestamp(str(timestamp), "timestamp")
    if stamp is None:
        raise InvalidInput("timestamp is empty")
    return stamp


def parse_iso(value: str) -> datetime:
    """memcli's own stored timestamps back into datetimes."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# CONTEXT_WORDS of what was said just before a sentence are embedded with it
# (never shown): "For walking or running?" is found by a question about new
# shoes when the line before it mentioned them (memcli/base/tuning.py).


def lead_in(before: str, words: int = CONTEXT_WORDS) -> str:
    """The last ``words`` words of ``before``: a sentence's context."""
    return " ".join(before.split()[-words:]) if words > 0 else ""


def said_in(text: str, context: str) -> bool:
    """Whether ``context`` (a window of conversation ending just before some
    sentence) holds words of ``text``: all of them, or the tail it starts with."""
    said, window = text.split(), context.split()
    if not said or not window:
        return False
    n = len(said)
    if any(window[i:i + n] == said for i in range(len(window) - n + 1)):
        return True
    return any(window[:k] == said[-k:] for k in range(min(n, len(window)), 0, -1))


def embedding_input(text: str, context: str | None) -> str:
    """What is embedded for a memory: its context, then its text."""
    return f"{context} {text}" if context else text


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

# Pictographs, dingbats, flags and the joiners, selectors and skin tones that
# build emoji from them ("\u2764\ufe0f", a family of four): character classes.
EMOJI = "\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u200d"
# Faces, hearts, hands, sparkles: what people type to say how they feel, often
# in place of a full stop ("so proud of you 😍 see you tmrw"), unlike a 🐶 or
# a 🏖️ that stands for a thing inside a sentence.
FEELING = ("\U0001f600-\U0001f64f\U0001f910-\U0001f92f\U0001f970-\U0001f97a\U0001f937\U0001f9d0"
           "\u2763\u2764\U0001f493-\U0001f49f\U0001f5a4\U0001f90d\U0001f90e\U0001f9e1"
           "\U0001f44a-\U0001f450\u270c\u270b\u261d\U0001f4aa"
           "\U0001f525\u2728\U0001f389\U0001f38a\U0001f4af\U0001f480\u2b50\U0001f31f\U0001f440")
_RUN = rf"[{EMOJI}]+(?:\s+[{EMOJI}]+)*"  # emoji, several maybe, spaced or not
_EMOJI_RUN = re.compile(_RUN)
_LEADING_EMOJI = re.compile(rf"^({_RUN})\s*")
_FEELING_END = re.compile(rf"[{FEELING}][{EMOJI}]*\s+(?=[^\s{EMOJI}])")
_TRAILING_EMOJI = re.compile(rf"[\s{EMOJI}]+$")


def without_emoji(text: str) -> str:
    """``text`` with its emoji left out, unless it is nothing else. (MiniLM
    reads every emoji as the same unknown token, which says nothing of the
    emoji and pulls each vector that holds one towards the others.)"""
    if not any(ch >= "\u2300" for ch in text):
        return text
    bare = " ".join(_EMOJI_RUN.sub(" ", text).split())
    return bare if bare else text


def _after_feelings(sentence: str) -> list[str]:
    """``sentence`` split after each face or heart typed as a full stop, when
    three words or more come before it ("I ❤️ it" stays whole)."""
    out: list[str] = []
    start = 0
    for stop in _FEELING_END.finditer(sentence):
        part, start = sentence[start:stop.end()].strip(), stop.end()
        if out and len(re.findall(r"\w+", out[-1])) < 3:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    rest = sentence[start:].strip()
    if out and rest and len(re.findall(r"\w+", out[-1])) < 3:
        out[-1] = f"{out[-1]} {rest}"
    elif rest or not out:
        out.append(rest)
    return out


def split_sentences(text: str, min_words: int = 1) -> list[str]:
    """Sentence-sized pieces of ``text``; pieces shorter than ``min_words`` are
    joined to a neighbour. (Joining even one- and two-word exclamations cost
    LoCoMo recall: 0.78 -> 0.75; where fragments are unwanted they are dropped
    by :func:`worth_remembering` instead.)"""
    parts = [p.strip() for line in _SENTENCE_END.split(text.strip()) for p in _after_feelings(line) if p.strip()]
    pieces: list[str] = []
    for part in parts:
        # Emoji typed after a full stop close that sentence ("So fun! 😂 We
        # went..."), rather than open the next.
        lead = _LEADING_EMOJI.match(part) if pieces else None
        if lead:
            pieces[-1] = f"{pieces[-1]} {lead.group(1)}"
            part = part[lead.end():]
            if not part:
                continue
        if pieces and (len(part.split()) < min_words or len(pieces[-1].split()) < min_words):
            pieces[-1] = f"{pieces[-1]} {part}"
        else:
            pieces.append(part)
    return pieces or [text.strip()]


def worth_remembering(text: str) -> bool:
    """Whether a line of conversation is worth keeping as a memory of its own:
    not a question (storing "where do I live?" would later out-rank the answer),
    not small talk ("hi", "thanks!")."""
    if is_question(text):
        return False
    return len(re.findall(r"\w+", text)) >= 3


def is_question(text: str) -> bool:
    """Whether ``text`` ends with a question mark, emoji after it aside
    ("where do I live? 🤔")."""
    return _TRAILING_EMOJI.sub("", text).endswith("?")
