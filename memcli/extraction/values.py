"""Turning the words after a verb into a fact's value: places, names, objects,
lists, job titles, and the fact records themselves. Values keep the person's
own casing (a place typed all in lowercase is the one exception: "busan" ->
"Busan")."""

from __future__ import annotations

import re

from memcli.base.vocab import Kind
from memcli.extraction import Fact
from memcli.extraction.words import BUSINESSES, FAMILY, JOBS

TRAILING = re.compile(
    r"(?:\s+(?:now|too|as well|anymore|any more|a lot|very much|so much|these days|right now|at the moment|"
    r"full[- ]time|part[- ]time|currently|lately|recently|again|though|actually|already|for now|honestly|"
    r"for (?:a|an|the|the past|the last|about|almost|nearly|over|like|\d+|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|many|several|a few|a couple of)(?: \w+)? (?:years?|months?|weeks?|days?|hours?|decades?|"
    r"ages|while|long time)(?: now)?|"
    r"since (?:\d{4}|\w+)|last \w+|this \w+|next \w+|yesterday|today|tonight|tomorrow|"
    r"(?:a few|a couple of|\d+|one|two|three|four|five|six|\w+) \w+ ago|in (?:19|20)\d\d|"
    r"in (?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"(?: (?:19|20)\d\d)?|with (?:my|our|a|an|the) \w+(?: \w+)?|:\)|:-\)|lol|haha|"
    r"on (?:the )?weekends?|every (?:day|week|morning|evening|night|weekend|\w+day)|at night|"
    r"in the (?:morning|evening|winter|summer)s?|most days|twice a \w+|once a \w+|\w+ times a \w+|"
    r"(?:\w+|\d+) days a (?:week|month)|"
    r"on (?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)|my whole life|all my life|"
    r"originally|hands down|for sure|fluently|a bit|loads|daily|regularly|in my (?:free|spare) time|"
    r"for fun|whenever I can|by trade|by profession|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)))+$",
    re.I,
)
JOINERS = ("de", "del", "la", "of", "upon", "on", "am", "sur", "le", "da", "do", "dos", "van", "von")
# lowercase words after "in" that are not places ("I live in the moment")
NOT_PLACES = {"moment", "present", "past", "future", "hope", "fear", "denial", "peace", "love", "hell", "heaven",
              "style", "luxury", "poverty", "limbo", "chaos", "same", "middle", "dream", "dreams", "bed", "sin"}


def clean_value(value: str, max_words: int = 8) -> str:
    """``value`` without time phrases and chat tails at its end ('' if too long)."""
    value = value.strip(" ,.;:!-—–'\"")
    for _ in range(4):
        value = TRAILING.sub("", value).strip(" ,.;:!-—–")
    words = value.split()
    if len(words) > max_words:
        return ""
    return " ".join(words)


def place(raw: str) -> str:
    """A place name from the words after 'in'/'to': capitalised words (with joiners
    like 'de', 'of'), the capitalised name further on ("a village near Galway"),
    or up to three words when the person typed in lowercase."""
    raw = clean_value(raw, max_words=12)
    named = re.search(r"\b(?:called|named) ([A-Z][\w'-]+(?: [A-Z][\w'-]+)*)", raw)
    if named:
        return named.group(1)
    words = raw.split()
    if not words:
        return ""
    lead = ""
    if words[0].lower() == "the" and len(words) > 1:
        words = words[1:]
        lead = "the "
    if not words[0][:1].isupper() and raw != raw.lower():
        # mixed case: "rural Ohio", "a village near Galway" -> the capitalised name
        later = [i for i, w in enumerate(words) if w[:1].isupper() and w != "I"]
        if not later:
            return ""
        words, lead = words[later[0]:], ""
    out: list[str] = []
    if words[0][:1].isupper():
        for w in words:
            bare = w.rstrip(",")
            if bare[:1].isupper() or (out and bare in JOINERS):
                out.append(bare)
                if w.endswith(","):
                    continue
            else:
                break
        while out and out[-1] in JOINERS:
            out.pop()
    else:
        stop = {"with", "and", "for", "near", "because", "since", "where", "which", "who", "but", "so", "at", "to",
                "now", "when", "while", "after", "before", "until"}
        for w in words[:3]:
            if w.lower() in stop:
                break
            out.append(w)
        if out and out[-1].lower() in NOT_PLACES or (out and out[0].lower() in ("a", "an", "my", "our")):
            return ""
    found = " ".join(out).strip(",")
    if re.search(r"\d", found):
        return ""  # "born in 1990" names a year, not a place
    if found and found == found.lower():
        found = found.title()  # typed in lowercase: "busan" -> "Busan"
    return (lead + found) if found else ""


def place_in(raw: str) -> str:
    """The place a clause names after 'in' (or 'near', 'outside'), wherever it is:
    "near the beach in San Diego", "with my parents in Leicester"."""
    m = re.search(r"\b(?:in|near|outside|around) ((?:the )?[A-Z][\w'-]+(?:[ -](?:[A-Z][\w'-]+|" +
                  "|".join(JOINERS) + r"))*)", raw)
    if m:
        return place(m.group(1))
    m = re.match(r"(?:in|near) (.+)$", raw.strip())
    return place(m.group(1)) if m else ""


def obj(raw: str, max_words: int = 6) -> str:
    """The object of a verb, up to the first clause boundary."""
    raw = re.split(r"\s+(?:because|since|when|but|as|so|which|although|though|whenever|except|especially|while)\s+"
                   r"|,\s+|\s+[-–—]\s+", raw, maxsplit=1)[0]
    return clean_value(raw, max_words=max_words)


def name(raw: str) -> str:
    m = re.match(r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)", raw.strip())
    if m:
        return m.group(1)
    word = raw.strip().split()[0] if raw.strip() else ""
    return word.strip(",.!").capitalize() if word.isalpha() else ""


def article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def org(raw: str | None) -> str:
    if not raw:
        return ""
    return obj(raw, 7)


def is_job(role: str) -> bool:
    words = role.lower().replace("-", " ").split()
    return bool(words) and (words[-1] in JOBS or words[-1].rstrip("s") in JOBS)


def is_business(noun_phrase: str) -> bool:
    words = noun_phrase.lower().split()
    return bool(words) and (words[-1] in BUSINESSES or words[-1].rstrip("s") in BUSINESSES)


def singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ppies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def head(phrase: str) -> str:
    """The head noun of a category, singular: "comfort food" -> "food", "animals" -> "animal"."""
    words = phrase.lower().split()
    return singular(words[-1]) if words else ""


_E_STEMS = {"hav", "mov", "tak", "mak", "leav", "driv", "giv", "com", "hik", "us", "bak", "danc", "writ", "rid",
            "liv", "serv", "shar", "sav", "chang", "receiv", "celebrat", "graduat", "creat", "purchas", "retir",
            "propos", "marr", "arriv", "prepar", "dat", "skat", "cod", "continu", "sing", "engag"}


def base_verb(word: str) -> str:
    """"adopting" -> "adopt", "getting" -> "get", "moving" -> "move" (other words as they are)."""
    low = word.lower()
    if not low.endswith("ing") or len(low) < 5:
        return word
    stem = low[:-3]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem + "e" if stem in _E_STEMS else stem


def split_list(raw: str) -> list[str]:
    """Items of "a, b and c"; a part that starts a new thought ("so no pesto",
    "which is nice") ends the list."""
    items = []
    for part in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*", raw):
        part = part.strip()
        if not part:
            continue
        if re.match(r"(?:so|no|but|which|that|because|if|though|when|as|especially|mostly|it|it's|they|"
                    r"he|she|i|i'm|my|we)\b", part, re.I):
            break
        items.append(part)
    return items


def with_subject(text: str, speaker: str) -> str:
    """"Lives in Busan" -> "Mina lives in Busan"; "Sister lives in X" -> "Mina's sister lives in X"."""
    first = text.split()[0].lower() if text.split() else ""
    if first in FAMILY or first in ("name", "favourite", "birthday"):
        return f"{speaker}'s {text[0].lower() + text[1:]}"
    return f"{speaker} {text[0].lower() + text[1:]}"


def fact(attribute: str, value: str | None, template: str, *, single: bool = False, retract: bool = False,
         importance: float = 0.5, extra: dict[str, object] | None = None) -> list[Fact]:
    """One fact (in a list, so builders can add them up); none for an empty value."""
    if value is not None and not str(value).strip():
        return []
    text = template.format(value) if value is not None and "{}" in template else template.replace("{}", "").strip()
    if template.startswith("Works as ") and value is not None:
        text = "Works as " + article(value)
    return [Fact(text=text, attribute=attribute, value=value, single=single, retract=retract,
                 importance=importance, extra=dict(extra or {}))]


def event(text: str, importance: float = 0.4) -> list[Fact]:
    """A dated event (the time comes from the clause)."""
    if not text.strip():
        return []
    return [Fact(text=text, attribute="event", value=text, kind=Kind.EPISODE, importance=importance)]


def third_person(phrase: str) -> str:
    """An event phrase as said of the person: "my"/"our" -> "their", "me" -> "them"."""
    phrase = phrase[0].upper() + phrase[1:] if phrase else phrase
    phrase = re.sub(r"\b(?:my|our)\b", "their", phrase)
    return re.sub(r"\bme\b", "them", phrase)


def is_duration(phrase: str) -> bool:
    """Whether "for <phrase>" is a length of time ("for 12 years") rather than an employer."""
    return clean_value(f"x for {phrase}") == "x"
