"""How a matched clause becomes facts: one builder per kind of statement.

Each builder takes the pattern's match (see :mod:`.rules`) and returns the
facts it says, or none when the words turn out not to be what the pattern
hoped ("I'm a huge fan" is not a job, "I play it by ear" not a pastime).
"""

from __future__ import annotations

import re

from memcli.extraction import Fact
from memcli.extraction.values import (article, base_verb, clean_value, event, fact, head, is_business, is_duration, is_job, name, obj,
                     org, place, place_in, singular, split_list, third_person)
from memcli.extraction.words import BREEDS, DISCIPLINES, HAD, LANGUAGES, NOT_NAMES, PASTIMES, PETS, SINGLE_FAMILY

THEIRS = re.compile(r"^(?:it|that|this|them|you|him|her|those|these|so|to be|there)\b", re.I)
COUNTS = {"a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
          "seven": "7", "eight": "8"}



def live(m: re.Match[str]) -> list[Fact]:
    where = place(m["v"][3:]) if m["v"].lower().startswith("in ") else ""
    where = where or place_in(m["v"])
    return fact("location", where, "Lives in {}", single=True, importance=0.9)

def job(m: re.Match[str]) -> list[Fact]:
    out: list[Fact] = []
    role = obj(m["role"], 4) if m["role"] else ""
    if role:
        out += fact("job", role, "Works as " + article("{}"), single=True, importance=0.8)
    employer = m.groupdict().get("org")
    if employer and org(employer) and not is_duration(employer):
        out += fact("employer", org(employer), "Works at {}", single=True, importance=0.8)
    return out

def job_noun(m: re.Match[str]) -> list[Fact]:
    role = clean_value(m["role"])
    if not role or role.lower().split()[-1] in ("student", "fan"):
        return []  # "a student at X" is the school rule's, "a huge fan" the likes'
    return job(m) if is_job(role) else []

def teach(m: re.Match[str]) -> list[Fact]:
    subject = clean_value(m["v"], 4)
    title = {"teach": "teacher", "lecture": "lecturer", "tutor": "tutor", "coach": "coach"}[m["verb"].lower()]
    if not subject or THEIRS.match(subject):
        return []
    role = f"{subject} {title}"
    out = fact("job", role, "Works as " + article("{}"), single=True, importance=0.8)
    if m["org"] and org(m["org"]) and not is_duration(m["org"]):
        out += fact("employer", org(m["org"]), "Works at {}", single=True, importance=0.8)
    return out

def business(m: re.Match[str]) -> list[Fact]:
    what = clean_value(m["v"], 5)
    if not is_business(what):
        return []
    verb = m["verb"].lower()
    owner = "manager" if verb == "manage" else "owner"
    out = fact("employer", what, "Works at {}", single=True, importance=0.8)
    out += fact("job", f"{head(what)} {owner}", "Works as " + article("{}"), single=True, importance=0.8)
    if verb in ("opened", "started"):
        out += event(third_person(clean_value(m[0].split(" ", 1)[1], 12)), importance=0.7)
    return out

def study(m: re.Match[str]) -> list[Fact]:
    out: list[Fact] = []
    subject = obj(m.groupdict().get("v") or "", 5)
    if subject:
        out += fact("study", subject, "Studies {}", single=True, importance=0.7)
    school = m.groupdict().get("school")
    if school and org(school):
        out += fact("school", org(school), "Studies at {}", single=True, importance=0.7)
    return out

def studied(m: re.Match[str]) -> list[Fact]:
    """What they studied and where, in the past: "I studied chemistry at Durham"."""
    out: list[Fact] = []
    subject = obj(m.groupdict().get("v") or "", 5)
    if subject:
        out += fact(f"studied:{subject.lower()}", subject, "Studied {}", importance=0.6)
    school = m.groupdict().get("school")
    if school and org(school):
        out += fact(f"alma_mater:{org(school).lower()}", org(school), "Studied at {}", importance=0.6)
    return out

def quit(m: re.Match[str]) -> list[Fact]:
    employer = m.groupdict().get("org") or m.groupdict().get("org2")
    employer = org(employer) if employer else None
    said = clean_value(obj(m[0].split(" ", 1)[1], 10), 10)  # "quit my job at the bank", in their words
    return fact("employer", employer, "Works at {}", single=True, retract=True) + event(
        third_person(said) if said else "Left their job", importance=0.7)

def languages(m: re.Match[str]) -> list[Fact]:
    out: list[Fact] = []
    for part in split_list(m["v"]):
        part = re.sub(r"^(?:a (?:bit|little) of|a little|some|basic|fluent|native|conversational|broken)\s+", "",
                      part, flags=re.I)
        word = part.split()[0].lower() if part.split() else ""
        if word in LANGUAGES:
            out += fact(f"language:{word}", word.capitalize(), "Speaks {}", importance=0.6)
    return out

def learning(m: re.Match[str]) -> list[Fact]:
    subject = re.sub(r"^(?:how to|to) ", "", obj(m["v"], 6))
    subject = re.split(r"\s+(?:on|at|with|from|through|via|using|online|in (?:school|class|college))\b",
                       subject, maxsplit=1)[0]
    subject = re.sub(r"^(?:code|program) in ", "", subject)
    if not subject:
        return []
    return fact(f"learning:{subject.lower()}", subject, "Is learning {}", importance=0.6)

def allergy(m: re.Match[str]) -> list[Fact]:
    out: list[Fact] = []
    for part in split_list(m["v"]):
        item = obj(part, 4)
        if item:
            out += fact(f"allergy:{item.lower()}", item, "Is allergic to {}", importance=0.9)
    return out

def likes(m: re.Match[str]) -> list[Fact]:
    value = m["v"]
    if THEIRS.match(value) or re.match(r"^(?:my (?:job|work) as)\b", value, re.I):
        return []  # what "it" refers to is in another message; a job is the job rule's
    return pref(value, True, verb=m["verb"].lower())

def pref(raw: str, liked: bool, verb: str = "like") -> list[Fact]:
    thing = obj(raw)
    if not thing or THEIRS.match(thing):
        return []
    key = re.sub(r"^(?:to |the |a |an |my |playing |doing |going )", "", thing.lower())
    text = ({"love": "Loves {}", "enjoy": "Enjoys {}", "adore": "Adores {}"}.get(verb, "Likes {}")
            if liked else "Dislikes {}")
    # The value carries the polarity, so "dislikes coffee" is a new value
    # for preference:coffee and supersedes "likes coffee".
    return fact(f"preference:{key}", ("likes " if liked else "dislikes ") + thing, text.format(thing),
                single=True, importance=0.5)

def favourite(m: re.Match[str]) -> list[Fact]:
    category, value = m["cat"].strip().lower(), obj(m["v"])
    if not value or THEIRS.match(value):
        return []
    if re.match(r"^(?:way|thing|activity|hobby|pastime) to\b|^(?:hobby|pastime|thing to do)$", category):
        return pref(value, True)  # "painting is my favourite way to relax"
    kind = head(category)
    return fact(f"favorite:{kind}", value, f"Favourite {kind} is {{}}", single=True, importance=0.6)

def activity(template: str, raw: str, retract: bool = False, split_at: bool = True) -> list[Fact]:
    # when and with whom it is done is not what it is: "tennis every Sunday" -> "tennis"
    if split_at:
        raw = re.split(r"\s+(?:every|on|at|with|in|twice|once|most|each|before|after|during|whenever|for|since)\b",
                       raw, maxsplit=1, flags=re.I)[0]
    thing = obj(raw, 4)
    if not thing or re.match(r"^(?:it|that|this|them|you|him|her|those|these|with|along|around|by|a role|a part)\b",
                             thing, re.I):
        return []  # "I play it by ear", "I play along": not a pastime
    key = re.sub(r"^(?:the |a |an |some )", "", thing.lower())
    return fact(f"activity:{key}", thing, template, retract=retract, importance=0.5)

def discipline(m: re.Match[str]) -> list[Fact]:
    thing = clean_value(m["v"], 3)
    if not thing or not (thing.lower() in DISCIPLINES or re.fullmatch(r"(?-i:[A-Z][\w-]+)", thing)):
        return []  # "I do yoga", "I do CrossFit"; not "I do my best"
    return fact(f"activity:{thing.lower()}", thing, "Does {}", importance=0.5)

def pastime(m: re.Match[str]) -> list[Fact]:
    if clean_value(f"x{m['rest']}") != "x":  # "I run a shop", "I write code": an object, not a pastime
        return []
    doing = PASTIMES[m["verb"].lower()]
    return fact(f"activity:{doing}", doing, f"Enjoys {doing}", importance=0.5)

def family_name(m: re.Match[str]) -> list[Fact]:
    rel = m["rel"].lower()
    who = name(m["v"])
    if not who or who.lower() in NOT_NAMES:
        return []
    single = rel in SINGLE_FAMILY
    attr = f"family:{rel}" if single else f"family:{rel}:{who.lower()}"
    return fact(attr, who, f"{rel.capitalize()} is named {{}}", single=single, importance=0.8)

def family_counts(m: re.Match[str]) -> list[Fact]:
    """"I have two kids", "I've got two sisters and a brother"."""
    out: list[Fact] = []
    for part in split_list(m["v"]):
        # "a younger sister" says nothing of how many: only a bare count counts
        c = re.match(r"(?P<n>a|an|one|two|three|four|five|six|\d+) "
                     r"(?P<rel>kids?|children|child|sons?|daughters?|sisters?|brothers?|siblings?|grandchildren|"
                     r"grandkids)\b", part, re.I)
        if not c:
            continue
        count = COUNTS.get(c["n"].lower(), c["n"])
        if count == "1" and re.search(r"\b(?:called|named)\b|^\S+ (?:\S+ )?\S+,\s*(?-i:[A-Z])", m["v"], re.I):
            continue  # "a son, Jamie": the name says it, the family-name rule keeps it
        rel = c["rel"].lower()
        base = "child" if rel in ("children", "kid", "kids") else re.sub(r"(?:ren|s)$", "", rel)
        base = {"grandkid": "grandchild"}.get(base, base)
        noun = rel if count != "1" else base
        out += fact(f"family:{base}:count", count, f"Has {count if count != '1' else 'a'} {noun}",
                    single=True, importance=0.8)
    return out

def pets(m: re.Match[str]) -> list[Fact]:
    """"We have two dogs and a cat", "I have two cats named Tom and Jerry"."""
    kinds = "|".join(sorted(set(PETS) | set(BREEDS), key=len, reverse=True))
    named = re.match(rf"(?P<n>a|an|one|two|three|four|\d+) (?:[\w-]+ )?(?:[\w-]+ )?(?P<kind>{kinds})s? "
                     r"(?:named|called) (?P<name>.+)$", m["v"], re.I)
    if named:
        return pet(named)
    out: list[Fact] = []
    for part in split_list(m["v"]):
        one = re.match(rf"(?P<n>a|an|one|two|three|four|\d+) (?:[\w-]+ )?(?:[\w-]+ )?(?P<kind>{kinds})s?\b", part, re.I)
        if one:
            out += pet(one)
    return out

def pet(m: re.Match[str]) -> list[Fact]:
    kind = singular(BREEDS.get(m["kind"].lower(), m["kind"]))
    raw_names = m.groupdict().get("name") or ""
    names = [name(part) for part in split_list(raw_names)] if raw_names else []
    names = [n for n in names if n and n.lower() not in NOT_NAMES]
    n = (m.groupdict().get("n") or "a").lower()
    count = int(COUNTS.get(n, n)) if COUNTS.get(n, n).isdigit() else 1
    if names:
        # as many names as pets were counted: "a dog named Pepper, pics later" names one dog
        return [f for who in names[:count]
                for f in fact(f"pet:{kind}:{who.lower()}", who, f"Has {article(kind)} named {{}}", importance=0.7)]
    text = f"Has {count} {kind}s" if count > 1 else f"Has {article(kind)}"
    return fact(f"pet:{kind}", kind, text, importance=0.7)

def adopt(m: re.Match[str]) -> list[Fact]:
    said = clean_value(obj(f"{m['verb']} {m['what']}", 12), 12)
    return pet(m) + event(third_person(said) if said else f"Got {article(m['kind'])}", importance=0.7)

FEELING_NOT_PLAN = re.compile(r"^(?:miss|cry|die|scream|faint|freak out|lose it|be (?:fine|ok|okay|sad|so sad))\b",
                              re.I)


def plan(raw: str, destination: bool = False) -> list[Fact]:
    what = clean_value(raw, 10) if not destination else raw
    if destination:
        dest = place(raw[len("go to "):])
        what = f"go to {dest}" if dest else ""
    if not what or re.match(r"^(?:be|do|say|think|try|see|have|get|make) (?:it|that|this|something)\b", what):
        return []
    if FEELING_NOT_PLAN.match(what):  # "gonna miss her", "I'm going to cry": a feeling, not a plan
        return []
    key = re.sub(r"[^a-z0-9]+", " ", what.lower()).strip()
    return fact(f"plan:{key}", what, "Plans to {}", importance=0.6)

def plan_ing(m: re.Match[str]) -> list[Fact]:
    """"I'm adopting a dog next week": the person's words as the value, the plain
    verb in the text ("Plans to adopt a dog")."""
    what = clean_value(m["v"], 10)
    if not what:
        return []
    first, _, rest = what.partition(" ")
    key = re.sub(r"[^a-z0-9]+", " ", what.lower()).strip()
    return fact(f"plan:{key}", what, f"Plans to {base_verb(first)} {rest}".strip(), importance=0.6)

def event_clause(m: re.Match[str]) -> list[Fact]:
    rest = m["rest"].strip()
    verb = m["verb"].lower()
    if verb in ("read", "made", "cooked", "learned", "learnt", "won", "lost", "passed", "started", "finished",
                "took", "tried", "opened") and not rest:
        return []
    if verb == "had" and not rest.lower().startswith(HAD) and not re.match(r"(?:\w+ )?(?:surgery|operation)\b", rest):
        return []  # "I had a great time" is not an event worth a memory
    words = rest.split()
    if THEIRS.match(rest) and len(words) < 3:
        return []
    phrase = clean_value(obj(f"{verb} {rest}", 14), max_words=14)
    if not phrase or len(phrase.split()) < 2:
        return []
    [e] = event(third_person(phrase))
    e.extra["generic"] = True
    return [e]
