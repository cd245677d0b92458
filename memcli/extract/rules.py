"""Deterministic fact extraction from English first-person statements.

The rules are deliberately conservative: a clause yields facts only when its
subject is the speaker ("I", "my", "we"), it is not a question, not a
hypothetical ("if", "would", "maybe", "wish"...), not reported speech, and any
negation in it is one the rules understand (a retraction such as "I'm not
vegetarian anymore", or a dislike). Everything else is left alone: a missed
fact costs less than an invented one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from ..timeparse import resolve
from . import Fact
from ..vocab import Kind
from .words import (
    CONDITIONS, DIETS, EVENT_VERBS, FAMILY, JOBS, LANGUAGES, NOT_NAMES, PETS, SINGLE_FAMILY, STATUS,
)

# --- clause handling ------------------------------------------------------------

FILLER = re.compile(
    r"^(?:well|oh|ok|okay|so|also|actually|btw|by the way|anyway|anyways|honestly|yeah|yes|yep|no|nope|hey|hi|"
    r"hello|um|uh|and|but|plus|fun fact|guess what|oh and|ah|haha|lol|wow|great|thanks|thank you|right|sure|"
    r"you know|to be honest|funny enough|as you know|just so you know|fyi|oh by the way)\b[,!:.]*\s*",
    re.I,
)
LEAD_TIME = re.compile(
    r"^(?:(?:last|this|next) (?:\w+)|yesterday|today|tonight|recently|lately|now|these days|nowadays|"
    r"(?:a few|a couple of|several|\d+|one|two|three|four|five|six|seven|eight|nine|ten) \w+ ago|"
    r"in (?:19|20)\d\d|back in \w+|in (?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"over the weekend|this past weekend|earlier today|this morning|this week|finally|currently|"
    r"at the moment|right now|a while ago|since (?:19|20)\d\d)\b,?\s*",
    re.I,
)
FIRST_PERSON = re.compile(r"^(?:i|i'm|im|i am|i've|i have|i'd|i'll|my|we|we're|we've|our|call me)\b", re.I)
QUESTION_START = re.compile(
    r"^(?:do|does|did|are|is|was|were|can|could|would|should|will|shall|have|has|had|what|where|when|who|"
    r"whom|whose|why|how|which|am|isn't|aren't|don't|didn't|won't|wouldn't|shouldn't)\b", re.I)
HYPOTHETICAL = re.compile(
    r"\b(?:if|would|wish|wished|might|maybe|perhaps|imagine|suppose|supposing|hypothetically|pretend|"
    r"dream of|dreaming of|thinking about|thinking of|considering|could|unless|whether|someday|one day|"
    r"hope to|hoping to|want to|wanna|wants to|should|in case|probably|possibly|not sure|unsure)\b", re.I)
REPORTED = re.compile(r"\b(?:said|says|say|told me|tells me|asked|asks|claims|claimed|thinks|according to)\b|[\"“”]", re.I)
UNCERTAIN_LEAD = re.compile(r"^i (?:think|guess|believe|suppose|feel like|bet|doubt|heard|read that|know that)\b", re.I)
NEGATION = re.compile(r"\b(?:not|never|no longer|no more|neither|nor|nothing|none|dont|cant|wont)\b|n't\b", re.I)
CLAUSE_SPLIT = re.compile(
    r"\s*(?:[;]|,?\s+(?:and|but|so|because|although|though|while|plus|and also)\s+(?=(?:i|i'm|i've|my|we|we're)\b)"
    r"|,\s+(?=(?:i|i'm|i've|my|we|we're)\b))\s*", re.I)
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
# "I live in Busan and work as a nurse": the second clause shares the subject.
SHARED_SUBJECT = re.compile(
    r",?\s+(?:and|but|and also)\s+(?=(?:work|live|love|like|enjoy|speak|study|have|hate|play|teach|own|"
    r"moved|went|got|started|adopted|am|'m)\b)", re.I)
TRAILING = re.compile(
    r"(?:\s+(?:now|too|as well|anymore|any more|a lot|very much|so much|these days|right now|at the moment|"
    r"full[- ]time|part[- ]time|currently|lately|recently|again|though|actually|already|for now|"
    r"for (?:a|an|the|\d+|one|two|three|four|five|six|seven|eight|nine|ten|many|several|a few) \w+(?: \w+)?|"
    r"since (?:\d{4}|\w+)|last \w+|this \w+|next \w+|yesterday|today|tonight|tomorrow|"
    r"(?:a few|a couple of|\d+|one|two|three|four|five|six|\w+) \w+ ago|in (?:19|20)\d\d|"
    r"in (?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"(?: (?:19|20)\d\d)?|with (?:my|our|a|an|the) \w+(?: \w+)?|:\)|:-\)|lol|haha|"
    r"on (?:the )?weekends?|every (?:day|week|morning|evening|night|weekend)|at night|in the (?:morning|evening)|"
    r"on (?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)))+$",
    re.I,
)


def _clean_value(value: str, max_words: int = 8) -> str:
    value = value.strip(" ,.;:!-—–'\"")
    for _ in range(3):
        value = TRAILING.sub("", value).strip(" ,.;:!-—–")
    words = value.split()
    if len(words) > max_words:
        return ""
    return " ".join(words)


def _place(raw: str) -> str:
    """A place name from the words after 'in'/'to': capitalised words (with joiners
    like 'de', 'of'), or up to three words when the person typed in lowercase."""
    raw = _clean_value(raw, max_words=12)
    named = re.search(r"\b(?:called|named) ([A-Z][\w'-]+(?: [A-Z][\w'-]+)*)", raw)
    if named:
        return named.group(1)
    words = raw.split()
    if not words:
        return ""
    if words[0].lower() == "the" and len(words) > 1:
        words = words[1:]
        lead = "the "
    else:
        lead = ""
    out: list[str] = []
    if words[0][:1].isupper():
        for w in words:
            bare = w.rstrip(",")
            if bare[:1].isupper() or (out and bare in ("de", "del", "la", "of", "upon", "on", "am", "sur")):
                out.append(bare)
                if w.endswith(","):
                    continue
            else:
                break
        while out and out[-1] in ("de", "del", "la", "of", "upon", "on", "am", "sur"):
            out.pop()
    else:
        stop = {"with", "and", "for", "near", "because", "since", "where", "which", "who", "but", "so", "at"}
        for w in words[:3]:
            if w.lower() in stop:
                break
            out.append(w)
    place = " ".join(out).strip(",")
    if place and place == place.lower():
        place = place.title()  # typed in lowercase: "busan" -> "Busan"
    return (lead + place) if place else ""


def _obj(raw: str, max_words: int = 6) -> str:
    raw = re.split(r"\s+(?:because|since|when|but|as|so|which|although|though|whenever|except)\s+|,\s+", raw, maxsplit=1)[0]
    return _clean_value(raw, max_words=max_words)


def _name(raw: str) -> str:
    m = re.match(r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)", raw.strip())
    if m:
        return m.group(1)
    word = raw.strip().split()[0] if raw.strip() else ""
    return word.strip(",.!") .capitalize() if word.isalpha() else ""


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def split_clauses(text: str) -> list[str]:
    text = text.replace("’", "'").replace("‘", "'")
    out: list[str] = []
    for sentence in SENTENCE_SPLIT.split(text.strip()):
        sentence = sentence.strip()
        if not sentence or sentence.endswith("?"):
            continue  # questions state nothing
        if FIRST_PERSON.match(_strip_lead(sentence)):
            sentence = SHARED_SUBJECT.sub("; I ", sentence)
        for clause in CLAUSE_SPLIT.split(sentence):
            clause = clause.strip().rstrip(".!").strip()
            if clause:
                out.append(clause)
    return out


def _strip_lead(clause: str) -> str:
    for _ in range(4):
        new = FILLER.sub("", clause)
        new = LEAD_TIME.sub("", new)
        if new == clause:
            break
        clause = new
    return clause.strip()


# --- the extractor -------------------------------------------------------------

Builder = Callable[[re.Match[str]], list[Fact]]


class RulesExtractor:
    """English first-person statements to facts, without any model."""

    name = "rules"

    def __init__(self) -> None:
        self.positive: list[tuple[re.Pattern[str], Builder]] = []
        self.negative: list[tuple[re.Pattern[str], Builder]] = []
        self._build()

    def extract(self, text: str, said_at: datetime, *, speaker: str | None = None) -> list[Fact]:
        facts: list[Fact] = []
        for raw in split_clauses(text):
            clause = _strip_lead(raw)
            if not FIRST_PERSON.match(clause) or QUESTION_START.match(clause):
                continue
            if HYPOTHETICAL.search(clause) or REPORTED.search(clause) or UNCERTAIN_LEAD.match(clause):
                continue
            clause = re.sub(r"^i am\b", "I'm", clause, flags=re.I)
            clause = re.sub(r"^im\b", "I'm", clause, flags=re.I)
            rules = self.negative if NEGATION.search(clause) else self.positive
            found: list[Fact] = []
            for pattern, build in rules:
                m = pattern.match(clause)
                if m:
                    found += [f for f in build(m) if f.text]
            if any(not f.extra.get("generic") for f in found):
                found = [f for f in found if not f.extra.get("generic")]
            plan = any(f.attribute and f.attribute.startswith("plan") for f in found)
            when = resolve(raw, said_at, future_hint=plan)
            for fact in found:
                if fact.when is None and when is not None:
                    fact.when = when.start
                if speaker:
                    fact.text = _with_subject(fact.text, speaker)
            facts += found
        unique: dict[tuple[object, ...], Fact] = {}
        for fact in facts:
            unique.setdefault((fact.kind, fact.attribute, fact.value, fact.retract, fact.text.lower()), fact)
        return list(unique.values())

    # rules ---------------------------------------------------------------------

    def _add(self, negative: bool, pattern: str, build: Builder) -> None:
        (self.negative if negative else self.positive).append((re.compile(pattern, re.I), build))

    def _build(self) -> None:
        pos = lambda p, b: self._add(False, p, b)  # noqa: E731
        neg = lambda p, b: self._add(True, p, b)  # noqa: E731

        # identity
        pos(r"^my (?:name is|name's) (?P<v>.+)$", lambda m: _fact("name", _name(m["v"]), "Name is {}", single=True, importance=0.9))
        pos(r"^i'm (?P<v>(?-i:[A-Z][a-z]+(?: [A-Z][a-z]+)?))(?:,.*)?$",
            lambda m: _fact("name", m["v"], "Name is {}", single=True, importance=0.9)
            if m["v"].split()[0].lower() not in LANGUAGES | NOT_NAMES else [])
        pos(r"^(?:call me|i go by|i'm called|people call me) (?P<v>.+)$", lambda m: _fact("name", _name(m["v"]), "Goes by {}", single=True, importance=0.9))
        pos(r"^i'm (?P<v>\d{1,3}) (?:years old|year old|yrs old|yo)\b", lambda m: _fact("age", m["v"], "Is {} years old", single=True, importance=0.7))
        pos(r"^i (?:just )?turned (?P<v>\d{1,3})\b", lambda m: _fact("age", m["v"], "Is {} years old", single=True, importance=0.7))
        pos(r"^my birthday is (?:on )?(?P<v>.+)$", lambda m: _fact("birthday", _clean_value(m["v"], 4), "Birthday is {}", single=True, importance=0.8))

        # where they live
        pos(r"^(?:i|we) (?:now |still |currently )?(?:live|am living|'m living|are living|reside|'re living|stay) in (?P<v>.+)$",
            lambda m: _fact("location", _place(m["v"]), "Lives in {}", single=True, importance=0.9))
        pos(r"^(?:i|we) (?:just |recently |finally |have |'ve )?(?:moved|relocated|moved back|moved house) (?:back )?to (?P<v>.+)$",
            lambda m: _fact("location", _place(m["v"]), "Lives in {}", single=True, importance=0.9)
            + _event(f"Moved to {_place(m['v'])}") if _place(m["v"]) else [])
        pos(r"^i'm (?:originally )?from (?P<v>.+)$", lambda m: _fact("hometown", _place(m["v"]), "Is from {}", single=True, importance=0.8))
        pos(r"^i (?:grew up|was born) in (?P<v>.+)$", lambda m: _fact("hometown", _place(m["v"]), "Grew up in {}", single=True, importance=0.8))
        neg(r"^(?:i|we) (?:no longer|don't|do not|dont) live in (?P<v>.+?)(?: anymore| any more)?$",
            lambda m: _fact("location", _place(m["v"]), "Lives in {}", single=True, retract=True))

        # work and study
        pos(r"^i (?:work|am working|'m working) as (?:a |an |the )?(?P<role>.+?)(?: (?:at|for) (?P<org>.+)| in .+)?$", self._job)
        pos(r"^i'm (?:a|an) (?P<role>(?:[\w-]+ ){0,2}?[\w-]+?)(?: (?:at|for) (?P<org>.+)| in .+)?$", self._job_noun)
        pos(r"^i (?:work|am working|'m working) (?:at|for) (?P<org>.+)$",
            lambda m: _fact("employer", _org(m["org"]), "Works at {}", single=True, importance=0.8))
        pos(r"^my (?:job|profession|occupation) is (?:being )?(?:a |an )?(?P<role>.+)$", self._job)
        pos(r"^i (?:just )?(?:got|started|landed|accepted) (?:a |my )?(?:new )?job (?:as (?:a |an )?(?P<role>.+?))?(?: ?(?:at|with) (?P<org>.+))?$",
            lambda m: self._job(m) + _event("Started a new job" + (f" at {_org(m['org'])}" if m["org"] else "")))
        pos(r"^i'm (?:retired|a retiree)\b", lambda m: _fact("job", "retired", "Is retired", single=True, importance=0.8))
        pos(r"^i (?:just )?retired\b", lambda m: _fact("job", "retired", "Is retired", single=True, importance=0.8) + _event("Retired"))
        pos(r"^i'm (?:studying|majoring in|doing a (?:degree|phd|masters|master's) in) (?P<v>.+)$",
            lambda m: _fact("study", _obj(m["v"], 5), "Studies {}", single=True, importance=0.7))
        pos(r"^i study (?P<v>.+)$", lambda m: _fact("study", _obj(m["v"], 5), "Studies {}", single=True, importance=0.7))
        pos(r"^i'm (?:a (?:\w+ )?student|in (?:grad|graduate|medical|law) school) (?:at|in) (?P<v>.+)$",
            lambda m: _fact("school", _org(m["v"]), "Studies at {}", single=True, importance=0.7))
        pos(r"^i (?:go to|attend) (?P<v>.*(?:university|college|school|academy|institute).*)$",
            lambda m: _fact("school", _org(m["v"]), "Studies at {}", single=True, importance=0.7))
        pos(r"^i (?:just )?graduated from (?P<v>.+)$",
            lambda m: _fact("school", _org(m["v"]), "Graduated from {}", single=True, importance=0.7)
            + _event(f"Graduated from {_org(m['v'])}"))
        neg(r"^i (?:no longer|don't|do not|dont) work (?:at|for) (?P<org>.+?)(?: anymore| any more)?$",
            lambda m: _fact("employer", _org(m["org"]), "Works at {}", single=True, retract=True))
        neg(r"^i'm (?:no longer|not) (?:working as )?(?:a |an )?(?P<role>[\w -]+?)(?: anymore| any more)$",
            lambda m: _fact("job", m["role"].lower(), "Works as {}", single=True, retract=True) if _is_job(m["role"]) else [])

        # quitting is a positive statement with a negative effect
        pos(r"^i (?:just )?(?:quit|left) (?:my job(?: (?:at|with) (?P<org>.+))?|(?P<org2>[A-Z].+))$", self._quit)
        pos(r"^i (?:got|was) (?:fired|laid off|let go)(?: from (?P<org>.+))?$", self._quit)

        # languages
        pos(r"^i speak (?P<v>.+)$", self._languages)
        pos(r"^i'm (?:fluent|native) in (?P<v>.+)$", self._languages)
        pos(r"^my (?:native|first|mother) (?:language|tongue) is (?P<v>.+)$", self._languages)
        pos(r"^i'm (?:learning|taking (?:a |an )?(?:\w+ )?(?:class|course|lessons) in) (?P<v>.+)$", self._learning)
        pos(r"^i (?:started|began|took up) (?:learning |to learn |playing |to play )(?P<v>.+)$",
            lambda m: self._learning(m) + _event(f"Started learning {_obj(m['v'], 4)}"))

        # diet and health
        diet = "|".join(re.escape(d) for d in DIETS)
        pos(rf"^i'm (?:a |an |now |strictly |fully |mostly )*(?P<v>{diet})\b",
            lambda m: _fact("diet", m["v"].lower(), "Is {}", single=True, importance=0.8))
        pos(rf"^i (?:went|turned|became|have been|'ve been|have gone|'ve gone) (?P<v>{diet})\b",
            lambda m: _fact("diet", m["v"].lower(), "Is {}", single=True, importance=0.8))
        neg(rf"^i'm (?:not|no longer) (?:a |an )?(?P<v>{diet})(?: anymore| any more)?\b",
            lambda m: _fact("diet", m["v"].lower(), "Is {}", single=True, retract=True))
        pos(rf"^i (?:stopped being|quit being|gave up being) (?:a |an )?(?P<v>{diet})\b",
            lambda m: _fact("diet", m["v"].lower(), "Is {}", single=True, retract=True))
        pos(r"^i (?:started eating|eat) (?:meat|fish|meat and fish) again\b",
            lambda m: _fact("diet", None, "Is vegetarian", single=True, retract=True))
        neg(r"^i (?:don't|do not|dont|never|no longer) eat (?P<v>meat|pork|beef|fish|seafood|dairy|eggs|gluten|sugar|chicken|shellfish)(?: anymore)?\b",
            lambda m: _fact(f"avoids:{m['v'].lower()}", m["v"].lower(), "Does not eat {}", importance=0.7))
        pos(r"^i'm (?:severely |very |mildly |a bit )?allergic to (?P<v>.+)$", self._allergy)
        pos(r"^i have (?:a |an )?(?:severe |mild |bad )?(?P<v>\w+) allergy$",
            lambda m: _fact(f"allergy:{m['v'].lower()}", m["v"].lower(), "Is allergic to {}", importance=0.9))
        neg(r"^i'm (?:not|no longer) allergic to (?P<v>.+?)(?: anymore| any more)?$",
            lambda m: _fact(f"allergy:{_obj(m['v'], 4).lower()}", _obj(m["v"], 4), "Is allergic to {}", retract=True))
        cond = "|".join(re.escape(c) for c in CONDITIONS)
        pos(rf"^i (?:have|suffer from|was diagnosed with|got diagnosed with|live with) (?P<v>{cond})\b",
            lambda m: _fact(f"health:{m['v'].lower()}", m["v"].lower(), "Has {}", importance=0.9))
        pos(r"^i'm (?P<v>diabetic|asthmatic|pregnant|epileptic|deaf|blind|colorblind|colourblind)\b",
            lambda m: _fact(f"health:{m['v'].lower()}", m["v"].lower(), "Is {}", importance=0.9))
        pos(r"^i (?:broke|sprained|fractured|injured|hurt) my (?P<v>[\w ]+)$",
            lambda m: _event(f"Hurt their {_obj(m['v'], 3)}", importance=0.7))

        # likes and dislikes
        pos(r"^i (?:really |absolutely |totally |just |also |still |truly )*(?P<verb>love|like|enjoy|adore) (?P<v>.+)$", self._likes)
        pos(r"^i'm (?:a (?:big |huge |massive )?fan of|really into|into|obsessed with|passionate about|crazy about) (?P<v>.+)$",
            lambda m: self._pref(m["v"], True))
        pos(r"^i (?:really )?(?:hate|dislike|detest|loathe|can't stand|cannot stand) (?P<v>.+)$", lambda m: self._pref(m["v"], False))
        neg(r"^i (?:really )?(?:don't|do not|dont|no longer) (?:really )?(?:like|love|enjoy) (?P<v>.+?)(?: anymore| any more)?$",
            lambda m: self._pref(m["v"], False))
        neg(r"^i (?:can't|cannot) stand (?P<v>.+)$", lambda m: self._pref(m["v"], False))
        pos(r"^my (?:all[- ]time )?favou?rite (?P<cat>[\w ]{2,30}?) (?:is|are) (?P<v>.+)$",
            lambda m: _fact(f"favorite:{m['cat'].lower()}", _obj(m["v"]), f"Favourite {m['cat'].lower()} is {{}}", single=True, importance=0.6))
        pos(r"^my hobbies (?:are|include) (?P<v>.+)$", lambda m: [f for part in _split_list(m["v"]) for f in self._pref(part, True)])
        pos(r"^my hobby is (?P<v>.+)$", lambda m: self._pref(m["v"], True))

        # what they do: instruments, sports, pastimes
        often = r"(?:also |still |regularly |often |usually |sometimes |mostly |mainly |even )*"
        pos(rf"^i {often}play (?P<v>.+)$", lambda m: self._activity("Plays {}", m["v"]))
        pos(rf"^i {often}go (?P<v>[a-z]+ing)\b.*$", lambda m: self._activity("Goes {}", m["v"]))
        pos(rf"^i {often}(?:practise|practice) (?P<v>.+)$", lambda m: self._activity("Practises {}", m["v"]))
        pos(rf"^i {often}collect (?P<v>.+)$", lambda m: self._activity("Collects {}", m["v"]))
        neg(r"^i (?:don't|do not|dont|no longer) (?:play|practise|practice|collect) (?P<v>.+?)(?: anymore| any more)$",
            lambda m: self._activity("Plays {}", m["v"], retract=True))

        # family and relationships
        fam = "|".join(sorted(FAMILY, key=len, reverse=True))
        pos(rf"^my (?P<rel>{fam})(?:'s name is| is called| is named| name is) (?P<v>.+)$", self._family_name)
        pos(rf"^my (?P<rel>{fam}) (?P<v>[A-Z][\w'-]+)? ?(?:lives|is living|has moved|moved) (?:in|to) (?P<p>.+)$",
            lambda m: _fact(f"family:{m['rel'].lower()}:location", _place(m["p"]),
                            f"{m['rel'].capitalize()}{' ' + m['v'] if m['v'] else ''} lives in {{}}", single=True))
        pos(rf"^my (?P<rel>{fam}) (?P<v>[A-Z][\w'-]+)? ?(?:is|works as) (?:a|an) (?P<job>[\w -]+?)(?: (?:at|in|for) (?P<org>.+))?$",
            lambda m: _fact(f"family:{m['rel'].lower()}:job", m["job"].lower(),
                            f"{m['rel'].capitalize()}{' ' + m['v'] if m['v'] else ''} works as {_article(m['job'].lower())}",
                            single=True) if _is_job(m["job"]) else [])
        pos(r"^i have (?P<n>a|an|one|two|three|four|five|six|\d+) (?P<rel>kids?|children|child|sons?|daughters?|sisters?|brothers?|siblings?|grandchildren|grandkids)\b(?P<rest>.*)$",
            self._family_count)
        status = "|".join(re.escape(s) for s in STATUS)
        pos(rf"^(?:i'm|we're|i have been|i've been|we've been) (?:happily |recently |newly )?(?P<v>{status})\b",
            lambda m: _fact("relationship", m["v"].lower(), "Is {}", single=True, importance=0.8))
        pos(r"^(?:i|we) (?:just |recently |finally )?got (?P<v>married|engaged|divorced)\b",
            lambda m: _fact("relationship", m["v"].lower(), "Is {}", single=True, importance=0.8)
            + _event(f"Got {m['v'].lower()}", importance=0.8))

        # pets
        pet = "|".join(sorted(PETS, key=len, reverse=True))
        pos(rf"^(?:i|we) (?:have|own|'ve got|have got) (?P<n>a|an|one|two|three|\d+) (?:\w+ )?(?P<kind>{pet})(?:s)?(?: (?:named|called) (?P<name>.+))?$", self._pet)
        pos(rf"^my (?:\w+ )?(?P<kind>{pet})(?:'s name is| is called| is named| name is) (?P<name>.+)$", self._pet)
        pos(rf"^(?:i|we) (?:just )?(?:adopted|got|rescued|bought) (?:a|an) (?:new )?(?:\w+ )?(?P<kind>{pet})(?: (?:named|called) (?P<name>.+))?$",
            lambda m: self._pet(m) + _event(f"Got {_article(m['kind'].lower())}" + (f" named {_name(m['name'])}" if m["name"] else ""), importance=0.7))
        pos(rf"^my (?:\w+ )?(?P<kind>{pet})(?: (?P<name>[A-Z][\w'-]+))? (?:died|passed away|passed)\b",
            lambda m: _fact(f"pet:{_singular(m['kind'])}", _name(m["name"]) if m["name"] else None, "Has a pet", retract=True)
            + _event(f"Their {m['kind'].lower()}{' ' + m['name'] if m['name'] else ''} died", importance=0.8))
        neg(rf"^(?:i|we) (?:don't|do not|no longer) have (?:a|an|my|our) (?P<kind>{pet})(?: anymore| any more)?$",
            lambda m: _fact(f"pet:{_singular(m['kind'])}", None, "Has a pet", retract=True))

        # plans
        pos(r"^(?:i'm|we're) (?:going|planning|about|hoping|intending) to (?P<v>.+)$", lambda m: self._plan(m["v"]))
        pos(r"^(?:i|we) (?:plan|intend|am planning|are planning) to (?P<v>.+)$", lambda m: self._plan(m["v"]))
        pos(r"^(?:i|we)(?:'ll| will) (?P<v>.+\b(?:tomorrow|next \w+|in (?:january|february|march|april|may|june|july|august|september|october|november|december)|this (?:weekend|summer|winter|spring|fall|autumn)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b.*)$",
            lambda m: self._plan(m["v"]))
        pos(r"^(?:i'm|we're) (?:flying|travelling|traveling|heading|moving|going) (?:to|back to) (?P<v>(?-i:[A-Z]).+)$",
            lambda m: self._plan(f"go to {m['v']}", place=True))

        # dated events
        verbs = "|".join(sorted((re.escape(v) for v in EVENT_VERBS), key=len, reverse=True))
        pos(rf"^(?:i|we) (?:just |recently |finally |also )?(?P<verb>{verbs})\b(?P<rest>.*)$", self._event_clause)

    # builders ------------------------------------------------------------------

    def _job(self, m: re.Match[str]) -> list[Fact]:
        out: list[Fact] = []
        role = _obj(m["role"], 4) if m["role"] else ""
        if role:
            out += _fact("job", role.lower(), "Works as " + _article("{}"), single=True, importance=0.8)
        org = m.groupdict().get("org")
        if org and _org(org):
            out += _fact("employer", _org(org), "Works at {}", single=True, importance=0.8)
        return out

    def _job_noun(self, m: re.Match[str]) -> list[Fact]:
        if m["role"].lower().split()[-1] == "student":
            return []  # "a student at X" is the school rule's
        return self._job(m) if _is_job(m["role"]) else []

    def _quit(self, m: re.Match[str]) -> list[Fact]:
        org = m.groupdict().get("org") or m.groupdict().get("org2")
        org = _org(org) if org else None
        return _fact("employer", org, "Works at {}", single=True, retract=True) + _event(
            "Left their job" + (f" at {org}" if org else ""), importance=0.7)

    def _languages(self, m: re.Match[str]) -> list[Fact]:
        out: list[Fact] = []
        for part in _split_list(m["v"]):
            part = re.sub(r"^(?:a (?:bit|little) of|a little|some|basic|fluent|native|conversational|broken)\s+", "", part, flags=re.I)
            word = part.split()[0].lower() if part.split() else ""
            if word in LANGUAGES:
                out += _fact(f"language:{word}", word.capitalize(), "Speaks {}", importance=0.6)
        return out

    def _learning(self, m: re.Match[str]) -> list[Fact]:
        subject = _obj(m["v"], 4)
        subject = re.sub(r"^(?:how to|to) ", "", subject)
        if not subject:
            return []
        return _fact(f"learning:{subject.lower()}", subject, "Is learning {}", importance=0.6)

    def _allergy(self, m: re.Match[str]) -> list[Fact]:
        out: list[Fact] = []
        for part in _split_list(m["v"]):
            item = _obj(part, 4)
            if item:
                out += _fact(f"allergy:{item.lower()}", item, "Is allergic to {}", importance=0.9)
        return out

    def _likes(self, m: re.Match[str]) -> list[Fact]:
        value = m["v"]
        if re.match(r"^(?:it|that|this|them|you|him|her|those|these)\b", value, re.I):
            return []  # what "it" refers to is in another message
        return self._pref(value, True, verb=m["verb"].lower())

    def _pref(self, raw: str, likes: bool, verb: str = "like") -> list[Fact]:
        obj = _obj(raw)
        if not obj or re.match(r"^(?:it|that|this|them|you|him|her|those|these)\b", obj, re.I):
            return []
        key = re.sub(r"^(?:to |the |a |an |my |playing |doing |going )", "", obj.lower())
        if likes:
            text = {"love": "Loves {}", "enjoy": "Enjoys {}", "adore": "Adores {}"}.get(verb, "Likes {}")
        else:
            text = "Dislikes {}"
        # The value carries the polarity, so "dislikes coffee" is a new value
        # for preference:coffee and supersedes "likes coffee".
        return _fact(f"preference:{key}", ("likes " if likes else "dislikes ") + obj, text.format(obj),
                     single=True, importance=0.5)

    def _activity(self, template: str, raw: str, retract: bool = False) -> list[Fact]:
        # when and with whom it is done is not what it is: "tennis every Sunday" -> "tennis"
        raw = re.split(r"\s+(?:every|on|at|with|in|twice|once|most|each|before|after|during|whenever|for|since)\b",
                       raw, maxsplit=1, flags=re.I)[0]
        obj = _obj(raw, 4)
        if not obj or re.match(r"^(?:it|that|this|them|you|him|her|those|these|with|along|around|by|a role|a part)\b",
                                obj, re.I):
            return []  # "I play it by ear", "I play along": not a pastime
        key = re.sub(r"^(?:the |a |an |some )", "", obj.lower())
        return _fact(f"activity:{key}", obj, template, retract=retract, importance=0.5)

    def _family_name(self, m: re.Match[str]) -> list[Fact]:
        rel = m["rel"].lower()
        name = _name(m["v"])
        if not name:
            return []
        single = rel in SINGLE_FAMILY
        attr = f"family:{rel}" if single else f"family:{rel}:{name.lower()}"
        return _fact(attr, name, f"{rel.capitalize()} is named {{}}", single=single, importance=0.8)

    def _family_count(self, m: re.Match[str]) -> list[Fact]:
        n = m["n"].lower()
        rel = m["rel"].lower()
        count = {"a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                 "six": "6"}.get(n, n)
        base = re.sub(r"(?:ren|s)$", "", rel) if rel not in ("children",) else "child"
        base = {"kid": "child", "grandkid": "grandchild", "sibling": "sibling"}.get(base, base)
        noun = rel if count != "1" else base
        return _fact(f"family:{base}:count", count, f"Has {count if count != '1' else 'a'} {noun}",
                     single=True, importance=0.8)

    def _pet(self, m: re.Match[str]) -> list[Fact]:
        kind = _singular(m["kind"])
        raw_names = m.groupdict().get("name") or ""
        names = [_name(part) for part in _split_list(raw_names)] if raw_names else []
        names = [n for n in names if n]
        n = (m.groupdict().get("n") or "a").lower()
        if names:
            return [f for name in names
                    for f in _fact(f"pet:{kind}:{name.lower()}", name, f"Has {_article(kind)} named {{}}", importance=0.7)]
        count = {"two": 2, "three": 3}.get(n, int(n) if n.isdigit() else 1)
        text = f"Has {count} {kind}s" if count > 1 else f"Has {_article(kind)}"
        return _fact(f"pet:{kind}", kind, text, importance=0.7)

    def _plan(self, raw: str, place: bool = False) -> list[Fact]:
        what = _clean_value(raw, 10) if not place else raw
        if place:
            dest = _place(raw[len("go to "):])
            what = f"go to {dest}" if dest else ""
        if not what or re.match(r"^(?:be|do|say|think|try|see|have|get|make) (?:it|that|this|something)\b", what):
            return []
        key = re.sub(r"[^a-z0-9]+", " ", what.lower()).strip()
        return _fact(f"plan:{key}", what, "Plans to {}", importance=0.6)

    def _event_clause(self, m: re.Match[str]) -> list[Fact]:
        rest = m["rest"].strip()
        verb = m["verb"].lower()
        if verb in ("read", "made", "cooked", "learned", "learnt", "won", "lost", "passed", "started", "finished") and not rest:
            return []
        if re.match(r"^(?:it|that|this|them|you|so|to be|there)\b", rest, re.I):
            return []
        phrase = _clean_value(f"{verb} {rest}", max_words=14)
        if not phrase or len(phrase.split()) < 2:
            return []
        text = phrase[0].upper() + phrase[1:]
        text = re.sub(r"\bmy\b", "their", text)
        text = re.sub(r"\bme\b", "them", text)
        text = re.sub(r"\bour\b", "their", text)
        [event] = _event(text)
        event.extra["generic"] = True
        return [event]


# --- helpers ------------------------------------------------------------------


def _fact(attribute: str, value: str | None, template: str, *, single: bool = False, retract: bool = False,
          importance: float = 0.5, extra: dict[str, object] | None = None) -> list[Fact]:
    if value is not None and not str(value).strip():
        return []
    text = template.format(value) if value is not None and "{}" in template else template.replace("{}", "").strip()
    if template.startswith("Works as ") and value is not None:
        text = "Works as " + _article(value)
    return [Fact(text=text, attribute=attribute, value=value, single=single, retract=retract,
                 importance=importance, extra=dict(extra or {}))]


def _event(text: str, importance: float = 0.4) -> list[Fact]:
    if not text.strip():
        return []
    return [Fact(text=text, attribute="event", value=text, kind=Kind.EPISODE, importance=importance)]


def _org(raw: str | None) -> str:
    if not raw:
        return ""
    value = _obj(raw, 7)
    return re.sub(r"^(?:the )(?=[a-z])", "the ", value)


def _is_job(role: str) -> bool:
    words = role.lower().replace("-", " ").split()
    return bool(words) and (words[-1] in JOBS or words[-1].rstrip("s") in JOBS)


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _split_list(raw: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*", raw)
    return [p.strip() for p in parts if p.strip()]


def _with_subject(text: str, speaker: str) -> str:
    """"Lives in Busan" -> "Mina lives in Busan"; "Sister lives in X" -> "Mina's sister lives in X"."""
    first = text.split()[0].lower() if text.split() else ""
    if first in FAMILY or first in ("name", "favourite", "birthday"):
        return f"{speaker}'s {text[0].lower() + text[1:]}"
    return f"{speaker} {text[0].lower() + text[1:]}"
