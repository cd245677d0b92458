"""Deterministic fact extraction from English first-person statements.

A message is first cut into plain clauses (:mod:`.clauses`: chat noise,
lead-ins, tails, dropped subjects, tense and aspect undone); the patterns
below then read one clause at a time. They are deliberately conservative: a
clause yields facts only when its subject is the speaker ("I", "my", "we"),
it is not a question, not a hypothetical ("if", "would", "maybe", "wish"...),
not reported speech, and any negation in it is one the rules understand (a
retraction such as "I'm not vegetarian anymore", or a dislike). Everything
else is left alone: a missed fact costs less than an invented one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from memcli.language.shorthand import spelt_out
from memcli.base.timeparse import resolve
from memcli.extraction import Fact
from memcli.extraction import builders as b
from memcli.extraction.clauses import split
from memcli.extraction.values import (article, clean_value, event, fact, is_job, name, obj,
                     org,
                     place, place_in, singular, split_list, third_person, with_subject)
from memcli.extraction.words import (BREEDS, CONDITIONS, DIETS, EVENT_VERBS, FAMILY, LANGUAGES, NOT_NAMES,
                    PASTIMES, PETS, STATUS)

FIRST_PERSON = re.compile(r"^(?:i|i'm|im|i am|i've|i have|i'd|i'll|my|we|we're|we've|our|call me|me and)\b"
                          r"|^[A-Z][a-z]+ here$|^you can call me\b"  # "Mina here!"
                          r"|^.{1,40}? (?:is|are) my (?:all[- ]time )?(?:favou?rite|thing|jam|passion)\b", re.I)
QUESTION_START = re.compile(
    r"^(?:do|does|did|are|is|was|were|can|could|would|should|will|shall|have|has|had|what|where|when|who|"
    r"whom|whose|why|how|which|am|isn't|aren't|don't|didn't|won't|wouldn't|shouldn't)\b", re.I)
HYPOTHETICAL = re.compile(
    r"\b(?:if|would|wish|wished|might|maybe|perhaps|imagine|suppose|supposing|hypothetically|pretend|"
    r"dream of|dreaming of|thinking about|thinking of|considering|could|unless|whether|someday|one day|"
    r"hope to|hoping to|want to|wanna|wants to|should|in case|probably|possibly|not sure|unsure|"
    r"'d love to|'d like to|d rather)\b", re.I)
REPORTED = re.compile(r"\b(?:said|says|say|told me|tells me|asked|asks|claims|claimed|thinks|according to)\b|[\"“”]",
                      re.I)
UNCERTAIN_LEAD = re.compile(r"^i (?:think|guess|believe|suppose|feel like|bet|doubt|heard|read that|know that)\b", re.I)
NEGATION = re.compile(r"\b(?:not|never|no longer|no more|neither|nor|nothing|none|dont|cant|wont)\b|n't\b", re.I)

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
        # "my fav food is sushi" is read as "my favorite food is sushi"; phrases
        # ("omg", "idk") stay as typed: the clauses know them as chat noise
        text = spelt_out(text, phrases=False)
        for piece in split(text):
            clause = piece.text
            if not FIRST_PERSON.match(clause) or QUESTION_START.match(clause):
                continue
            if HYPOTHETICAL.search(clause) or REPORTED.search(clause) or UNCERTAIN_LEAD.match(clause):
                continue
            clause = re.sub(r"^(?:i am|im)\b", "I'm", clause, flags=re.I)
            rules = self.negative if NEGATION.search(clause) else self.positive
            found: list[Fact] = []
            for pattern, build in rules:
                m = pattern.match(clause)
                if m:
                    found += [f for f in build(m) if f.text]
            if any(not f.extra.get("generic") for f in found):
                found = [f for f in found if not f.extra.get("generic")]
            plan = any(f.attribute and f.attribute.startswith("plan") for f in found)
            when = resolve(piece.said, said_at, future_hint=plan)
            for f in found:
                if f.when is None and when is not None:
                    f.when = when.start
                if speaker:
                    f.text = with_subject(f.text, speaker)
            facts += found
        return _unique(facts)

    # rules ---------------------------------------------------------------------

    def _add(self, negative: bool, pattern: str, build: Builder) -> None:
        (self.negative if negative else self.positive).append((re.compile(pattern, re.I), build))

    def _pos(self, pattern: str, build: Builder) -> None:
        self._add(False, pattern, build)

    def _neg(self, pattern: str, build: Builder) -> None:
        self._add(True, pattern, build)

    def _build(self) -> None:
        """Every rule, in the order they are tried."""
        self._identity()
        self._home()
        self._work_and_study()
        self._quitting()
        self._languages()
        self._diet_and_health()
        self._likes()
        self._activities()
        self._family()
        self._pets()
        self._plans()
        self._events()

    def _identity(self) -> None:
        """Rules: identity."""
        self._pos(r"^my name is (?P<v>.+)$", lambda m: fact("name", name(m["v"]), "Name is {}", single=True, importance=0.9))
        self._pos(r"^i'm (?P<v>(?-i:[A-Z][a-z]+(?: [A-Z][a-z]+)?))(?:,.*| here| by the way)?$",
            lambda m: fact("name", m["v"], "Name is {}", single=True, importance=0.9)
            if m["v"].split()[0].lower() not in LANGUAGES | NOT_NAMES else [])
        self._pos(r"^(?P<v>(?-i:[A-Z][a-z]+)) here$", lambda m: fact("name", m["v"], "Name is {}", single=True, importance=0.9)
            if m["v"].lower() not in NOT_NAMES else [])
        self._pos(r"^(?:call me|i go by|i'm called|people call me|you can call me) (?P<v>.+)$",
            lambda m: fact("name", name(m["v"]), "Goes by {}", single=True, importance=0.9))
        self._pos(r"^i'm (?P<v>\d{1,3})(?: (?:years old|year old|yrs old|yo|y/o))?(?:$|,| and\b| now\b| this year\b)",
            lambda m: fact("age", m["v"], "Is {} years old", single=True, importance=0.7))
        self._pos(r"^i (?:just )?turned (?P<v>\d{1,3})\b", lambda m: fact("age", m["v"], "Is {} years old", single=True,
                                                                   importance=0.7))
        self._pos(r"^my birthday is (?:on )?(?P<v>.+)$", lambda m: fact("birthday", clean_value(m["v"], 4), "Birthday is {}",
                                                                single=True, importance=0.8))

    def _home(self) -> None:
        """Rules: where they live, and where they are from."""
        live = r"(?:live|am living|'m living|are living|reside|'re living|stay|'m based|am based|'re based|are based)"
        self._pos(rf"^(?:i|we) (?:now |still |currently |also )?{live} (?P<v>.+)$", b.live)
        self._pos(rf"^(?:me and (?:my|our) [\w-]+(?: [\w-]+)?|(?:my|our) [\w-]+(?: [\w-]+)? and (?:i|me)) "
                  rf"(?:now |still |currently |both |all )?{live} (?P<v>.+)$", b.live)
        self._pos(r"^(?:i'm|we're) (?:now |still |currently |also )?(?:based|living|staying|residing) (?P<v>(?:in|near|outside) .+)$",
            b.live)
        self._pos(r"^(?:i|we) (?:just |recently |finally |have |'ve )?(?:moved|relocated|moved house)(?: back)?(?: home)? to (?P<v>.+)$",
            lambda m: fact("location", place(m["v"]), "Lives in {}", single=True, importance=0.9)
            + event(f"Moved to {place(m['v'])}") if place(m["v"]) else [])
        self._pos(r"^(?:i|we) (?:just |recently |finally )?moved into (?:a |an |our |my |the )?(?:new |first |own )?"
            r"(?:[\w-]+ )?(?:apartment|flat|house|home|place|condo)(?P<v>.*)$",
            lambda m: fact("location", place_in(m["v"]), "Lives in {}", single=True, importance=0.9)
            + event(third_person(clean_value(m[0].split(" ", 1)[1], 12))) if place_in(m["v"]) else [])
        self._pos(r"^i'm (?:originally )?from (?P<v>.+)$", lambda m: fact("hometown", place(m["v"]), "Is from {}", single=True,
                                                                   importance=0.8))
        self._pos(r"^i (?:grew up|was born|was raised|was born and raised|was brought up|spent my childhood) "
            r"(?:in|near|outside|on) (?P<v>.+)$",
            lambda m: fact("hometown", place(m["v"]), "Grew up in {}", single=True, importance=0.8))
        self._pos(r"^(?:i|we) (?:moved|came|emigrated|immigrated) (?:here |over |to \w+ )?from (?P<v>.+)$",
            lambda m: fact("hometown", place(m["v"]), "Is from {}", single=True, importance=0.8))
        self._neg(r"^(?:i|we) (?:no longer|don't|do not|dont) live in (?P<v>.+?)(?: anymore| any more)?$",
            lambda m: fact("location", place(m["v"]), "Lives in {}", single=True, retract=True))
        self._neg(r"^(?:i'm|we're) (?:not|no longer) (?:living|based) in (?P<v>.+?)(?: anymore| any more)?$",
            lambda m: fact("location", place(m["v"]), "Lives in {}", single=True, retract=True))

    def _work_and_study(self) -> None:
        """Rules: work and study."""
        how = r"(?: (?:nights|days|weekends|full[- ]time|part[- ]time|remotely|from home|freelance|mostly|now))*"
        self._pos(rf"^i (?:work|am working|'m working){how} as (?:a |an |the )?(?P<role>.+?)"
            r"(?: (?:at|for|with) (?P<org>.+)| in .+)?$", b.job)
        self._pos(r"^i'm (?:a|an|the) (?P<role>(?:[\w-]+ ){0,3}?[\w-]+?)"
                  r"(?: (?:at|for|with) (?P<org>.+)| in .+| and .+|,.*| (?:btw|by the way|lol|haha)\b.*)?$",
            b.job_noun)
        self._pos(r"^i (?:work|am working|'m working)(?: in [\w ]+?)? (?:at|for) (?P<org>.+?)(?: as (?:a |an )?(?P<role>.+))?$",
            lambda m: fact("employer", org(m["org"]), "Works at {}", single=True, importance=0.8)
            + (b.job(m) if m["role"] else []))
        fields = ("IT|tech|technology|finance|healthcare|health care|marketing|sales|education|retail|hospitality|"
                  "construction|insurance|banking|HR|human resources|law|real estate|publishing|advertising|media|"
                  "government|academia|research|software|engineering|fashion|consulting|logistics|accounting|"
                  "pharma|journalism|film|music|gaming|nonprofits?|the nonprofit sector|social care|tourism")
        self._pos(rf"^i (?:work|am working|'m working) in (?P<v>{fields})\b",
            lambda m: fact("job", m["v"], "Works in {}", single=True, importance=0.8))
        self._pos(r"^i'm (?:currently |now )?(?P<v>self-employed|unemployed|between jobs|out of work|on maternity leave|"
            r"on paternity leave|a freelancer|freelancing|job hunting|looking for work)\b",
            lambda m: fact("job", m["v"].replace("a freelancer", "freelancer"), "Is {}", single=True, importance=0.7))
        self._pos(r"^my (?:job|profession|occupation) is (?:being )?(?:a |an )?(?P<role>.+)$",
            lambda m: b.job(m) if is_job(clean_value(obj(m["role"], 4))) else [])
        self._pos(r"^i (?:really )?(?:love|like|enjoy|hate) my (?:job|work) as (?:a |an )?(?P<role>.+)$", b.job)
        self._pos(r"^i (?:just )?(?:got|started|landed|accepted|took|found|began) (?:a |my |the )?(?:new |first )?job"
            r"(?: as (?:a |an )?(?P<role>.+?))?(?: ?(?:at|with|for) (?P<org>.+?))?(?: in [A-Z].*| in \w+)?$",
            lambda m: b.job(m) + event("Started a new job" + (f" as {article(obj(m['role'], 4))}" if m["role"] else "")
                                           + (f" at {org(m['org'])}" if m["org"] else "")))
        self._pos(r"^i (?:just )?got promoted(?: to (?:a |an )?(?P<role>.+))?$",
            lambda m: (b.job(m) if m["role"] and is_job(clean_value(m["role"])) else [])
            + event("Got promoted" + (f" to {obj(m['role'], 4)}" if m["role"] else ""), importance=0.6))
        self._pos(r"^i (?P<verb>teach|lecture|tutor|coach) (?P<v>(?!my |me |him |her |them |myself |kids to )[\w' -]+?)"
            r"(?: (?:at|for) (?P<org>.+))?$", b.teach)
        self._pos(r"^(?:i|we) (?P<verb>run|own|manage|opened|started) (?:my own |our own |a |an |the |my |our )?(?:own )?"
            r"(?P<v>(?:[\w'&-]+ ){0,3}?[\w'-]+?)(?: in .+| (?:called|named) .+)?$", b.business)
        self._pos(r"^i'm (?:a |an )?stay[- ]at[- ]home (?P<v>mom|mum|dad|parent|father|mother)\b",
            lambda m: fact("job", f"stay-at-home {m['v'].lower()}", "Is a stay-at-home {}".replace("{}", m["v"].lower()),
                           single=True, importance=0.8))
        self._pos(r"^i'm (?:retired|a retiree)\b", lambda m: fact("job", "retired", "Is retired", single=True, importance=0.8))
        self._pos(r"^i (?:just )?retired\b", lambda m: fact("job", "retired", "Is retired", single=True, importance=0.8)
            + event("Retired"))
        self._pos(r"^i'm (?:studying|majoring in|doing (?:a |my )?(?:degree|phd|masters|master's|bachelor's|ba|bsc|msc|ma|"
            r"mba|doctorate) in) (?P<v>.+?)(?: at (?P<school>.+))?$", b.study)
        self._pos(r"^i study (?P<v>.+?)(?: at (?P<school>.+))?$", b.study)
        self._pos(r"^i (?:studied|majored in|did (?:a |my )?(?:degree|phd|masters|master's|bachelor's|ba|bsc|msc|ma|"
                  r"mba|doctorate) in) (?P<v>(?!it\b|that\b|this\b|hard\b)[\w' -]+?)"
                  r"(?: (?:at|in) (?P<school>(?-i:[A-Z])[\w' -]+?))?(?: (?:years ago|back then|for \w+ years?|in \d{4}))?$",
                  b.studied)
        self._pos(r"^i'm (?:a |an )(?:[\w-]+ )?(?:student|undergrad|undergraduate|postgrad|grad student|phd candidate)"
            r"(?: at (?P<school>.+?))?(?: (?:in|of|studying|doing) (?P<v>.+))?$", b.study)
        self._pos(r"^i'm in (?:grad|graduate|medical|law|nursing|art|film) school(?: at (?P<school>.+))?$", b.study)
        self._pos(r"^i (?:go to|attend) (?P<v>.*(?:university|college|school|academy|institute).*)$",
            lambda m: fact("school", org(m["v"]), "Studies at {}", single=True, importance=0.7))
        self._pos(r"^i (?:just )?graduated from (?P<v>.+)$",
            lambda m: fact("school", org(m["v"]), "Graduated from {}", single=True, importance=0.7)
            + event(f"Graduated from {org(m['v'])}"))
        self._neg(r"^i (?:no longer|don't|do not|dont) work as (?:a |an )?(?P<role>[\w -]+?)(?: anymore| any more)$",
                  lambda m: fact("job", m["role"], "Works as {}", single=True, retract=True)
                  if is_job(m["role"]) else [])
        self._neg(r"^i (?:no longer|don't|do not|dont) work (?:at|for) (?P<org>.+?)(?: anymore| any more)?$",
            lambda m: fact("employer", org(m["org"]), "Works at {}", single=True, retract=True))
        self._neg(r"^i'm (?:no longer|not) (?:working as )?(?:a |an )?(?P<role>[\w -]+?)(?: anymore| any more)?$",
            lambda m: fact("job", m["role"], "Works as {}", single=True, retract=True)
            if is_job(m["role"]) and re.search(r"\b(?:anymore|any more|no longer)\b", m[0], re.I) else [])

    def _quitting(self) -> None:
        """Rules: quitting is a positive statement with a negative effect."""
        self._pos(r"^i (?:just )?(?:quit|left) (?:my job(?: (?:at|with) (?P<org>.+))?|(?P<org2>(?-i:[A-Z]).+))$", b.quit)
        self._pos(r"^i (?:got|was) (?:fired|laid off|let go)(?: from (?P<org>.+))?$", b.quit)

    def _languages(self) -> None:
        """Rules: languages."""
        self._pos(r"^i (?:can )?speak (?P<v>.+)$", b.languages)
        self._pos(r"^i'm (?:fluent|native) in (?P<v>.+)$", b.languages)
        self._pos(r"^my (?:native|first|mother) (?:language|tongue) is (?P<v>.+)$", b.languages)
        self._pos(r"^i'm (?:learning|taking (?:a |an )?(?:\w+ )?(?:class|course|lessons) in) (?P<v>.+)$", b.learning)
        self._pos(r"^i (?:started|began|took up) (?:learning |to learn |playing |to play )(?P<v>.+)$",
            lambda m: b.learning(m) + event(f"Started learning {obj(m['v'], 4)}"))

    def _diet_and_health(self) -> None:
        """Rules: diet and health."""
        diet = "|".join(re.escape(d) for d in DIETS)
        self._pos(rf"^i'm (?:a |an |now |strictly |fully |mostly |also )*(?P<v>{diet})\b",
            lambda m: fact("diet", m["v"].lower(), "Is {}", single=True, importance=0.8))
        self._pos(rf"^i (?:went|turned|became|have been|'ve been|have gone|'ve gone) (?P<v>{diet})\b",
            lambda m: fact("diet", m["v"].lower(), "Is {}", single=True, importance=0.8))
        # "we've been pescatarian since the kids were born": the person too
        self._pos(rf"^(?:we're|we(?:'ve| have) (?:all )?(?:been|gone|become)) (?:all |now |mostly )?(?:a |an )?"
                  rf"(?P<v>{diet})\b",
            lambda m: fact("diet", m["v"].lower(), "Is {}", single=True, importance=0.8))
        self._neg(rf"^i'm (?:not|no longer) (?:a |an )?(?P<v>{diet})(?: anymore| any more)?\b",
            lambda m: fact("diet", m["v"].lower(), "Is {}", single=True, retract=True))
        self._pos(rf"^i (?:stopped being|quit being|gave up being) (?:a |an )?(?P<v>{diet})\b",
            lambda m: fact("diet", m["v"].lower(), "Is {}", single=True, retract=True))
        self._pos(r"^i (?:started eating|eat) (?:meat|fish|meat and fish) again\b",
            lambda m: fact("diet", None, "Is vegetarian", single=True, retract=True))
        self._neg(r"^i (?:don't|do not|dont|never|no longer|can't|cannot) eat (?P<v>meat|pork|beef|fish|seafood|dairy|eggs|gluten|sugar|"
            r"chicken|shellfish)(?: anymore)?\b",
            lambda m: fact(f"avoids:{m['v'].lower()}", m["v"].lower(), "Does not eat {}", importance=0.7))
        self._pos(r"^i'm (?:severely |very |mildly |a bit |deathly )?allergic to (?P<v>.+)$", b.allergy)
        self._pos(r"^i have (?:a |an )?(?:severe |mild |bad )?(?P<v>\w+) allergy$",
            lambda m: fact(f"allergy:{m['v'].lower()}", m["v"].lower(), "Is allergic to {}", importance=0.9))
        self._neg(r"^i'm (?:not|no longer) allergic to (?P<v>.+?)(?: anymore| any more)?$",
            lambda m: fact(f"allergy:{obj(m['v'], 4).lower()}", obj(m["v"], 4), "Is allergic to {}", retract=True))
        cond = "|".join(re.escape(c) for c in CONDITIONS)
        self._pos(rf"^i (?:have|suffer from|was diagnosed with|got diagnosed with|live with|'ve got|have got) (?P<v>{cond})\b",
            lambda m: fact(f"health:{m['v'].lower()}", m["v"], "Has {}", importance=0.9))
        self._pos(r"^i (?:was|got|just got) diagnosed with (?P<v>(?:[\w'-]+ ){0,2}[\w'-]+)$",
            lambda m: fact(f"health:{obj(m['v'], 3).lower()}", obj(m["v"], 3), "Has {}", importance=0.9))
        self._pos(r"^i'm (?P<v>diabetic|asthmatic|pregnant|epileptic|deaf|blind|colorblind|colourblind)\b",
            lambda m: fact(f"health:{m['v'].lower()}", m["v"].lower(), "Is {}", importance=0.9))
        self._pos(r"^i (?:broke|sprained|fractured|injured|hurt|tore|dislocated) my (?P<v>[\w ]+)$",
            lambda m: event(f"Hurt their {obj(m['v'], 3)}", importance=0.7))
        self._pos(r"^(?:i'm|we're) expecting (?:a|our|my|another) (?:first |second |third |\w+ )?(?:baby|child|kid)\b",
            lambda m: event("Expecting a baby", importance=0.8))

    def _likes(self) -> None:
        """Rules: likes and dislikes."""
        self._pos(r"^i (?:really |absolutely |totally |just |also |still |truly |do )*(?P<verb>love|like|enjoy|adore) "
            r"(?P<v>.+)$", b.likes)
        self._pos(r"^i'm (?:really |so |very |super |totally |absolutely |kind of |kinda |a bit |honestly )*"
            r"(?:a (?:big |huge |massive |die-hard |lifelong )?fan of|into|obsessed with|passionate "
            r"about|crazy about|addicted to|hooked on|a sucker for) (?P<v>.+)$",
            lambda m: b.pref(m["v"], True))
        self._pos(r"^i'm (?:a |an )(?:big |huge |massive |die-hard |diehard |lifelong )?(?P<v>(?:[\w'-]+ ){0,3}[\w'-]+) fan$",
            lambda m: b.pref(m["v"], True))
        self._pos(r"^i (?:really )?(?:hate|dislike|detest|loathe|can't stand|cannot stand) (?P<v>.+)$",
            lambda m: b.pref(m["v"], False))
        self._pos(r"^i (?:much |really )?prefer (?P<v>.+?) (?:over|to|rather than|instead of) .+$",
            lambda m: b.pref(m["v"], True))
        self._neg(r"^i (?:really )?(?:don't|do not|dont|no longer) (?:really )?(?:like|love|enjoy) (?P<v>.+?)"
            r"(?: anymore| any more)?$", lambda m: b.pref(m["v"], False))
        self._neg(r"^i (?:can't|cannot) stand (?P<v>.+)$", lambda m: b.pref(m["v"], False))
        self._pos(r"^my (?:all[- ]time |absolute )?(?:favou?rite|go-to) (?P<cat>[\w -]{2,30}?) (?:is|are|has to be) (?P<v>.+)$",
            b.favourite)
        self._pos(r"^(?P<v>.{1,40}?) (?:is|are) my (?:all[- ]time |absolute )?favou?rite (?P<cat>[\w -]{2,30}?)"
            r"(?: ever| of all time| by far)?(?:,.*)?$", b.favourite)
        self._pos(r"^(?P<v>.{1,40}?) (?:is|are) my (?:thing|jam|passion)(?: now)?$", lambda m: b.pref(m["v"], True))
        self._pos(r"^my hobbies (?:are|include) (?P<v>.+)$",
            lambda m: [f for part in split_list(m["v"]) for f in b.pref(part, True)])
        self._pos(r"^my hobby is (?P<v>.+)$", lambda m: b.pref(m["v"], True))

    def _activities(self) -> None:
        """Rules: what they do: instruments, sports, pastimes."""
        often = r"(?:also |still |regularly |often |usually |sometimes |mostly |mainly |even |really |actually )*"
        self._pos(rf"^i {often}play (?P<v>.+)$", lambda m: b.activity("Plays {}", m["v"]))
        self._pos(rf"^i {often}go (?P<v>[a-z]+ing)\b.*$", lambda m: b.activity("Goes {}", m["v"]))
        self._pos(rf"^i {often}(?:practise|practice) (?P<v>.+)$", lambda m: b.activity("Practises {}", m["v"]))
        self._pos(rf"^i {often}collect (?P<v>.+)$", lambda m: b.activity("Collects {}", m["v"]))
        self._pos(rf"^i {often}do (?P<v>[\w -]+)$", b.discipline)
        self._pos(rf"^i {often}volunteer (?:at|with|for|in) (?P<v>.+)$",
            lambda m: b.activity("Volunteers at {}", m["v"], split_at=False))
        pastime = "|".join(PASTIMES)
        self._pos(rf"^i {often}(?P<verb>{pastime})(?P<rest>(?: .*)?)$", b.pastime)
        self._neg(r"^i (?:don't|do not|dont|no longer) (?:play|practise|practice|collect) (?P<v>.+?)(?: anymore| any more)$",
            lambda m: b.activity("Plays {}", m["v"], retract=True))
        self._pos(r"^i (?:stopped|quit|gave up) (?:playing|doing|practising|practicing) (?P<v>.+)$",
            lambda m: b.activity("Plays {}", m["v"], retract=True))

    def _family(self) -> None:
        """Rules: family and relationships."""
        fam = "|".join(sorted(FAMILY, key=len, reverse=True))
        self._pos(rf"^(?:my|our) (?P<rel>{fam})(?:'s name is| name is| is called| is named| name's| goes by) (?P<v>.+)$",
            b.family_name)
        self._pos(rf"^(?:my|our) (?:little |baby |younger |older |big |twin |eldest |youngest )?(?P<rel>{fam}) "
            r"(?P<v>(?-i:[A-Z][\w'-]+))\b(?!.*\b(?:died|passed away)\b)", b.family_name)
        self._pos(rf"^i have (?:a|an|one) (?:little |baby |younger |older |big |twin |step)?(?P<rel>{fam})"
            r"(?:,| called| named| whose name is) (?P<v>(?-i:[A-Z][\w'-]+))", b.family_name)
        self._pos(rf"^(?:my|our) (?P<rel>{fam}) (?P<v>(?-i:[A-Z][\w'-]+) )?(?:lives|live|is living|are living|has moved|"
            r"have moved|moved|is based|are based) (?:in|to|back to) (?P<p>.+)$",
            lambda m: fact(f"family:{m['rel'].lower()}:location", place(m["p"]),
                           f"{m['rel'].capitalize()}{' ' + m['v'].strip() if m['v'] else ''} lives in {{}}", single=True))
        self._pos(rf"^(?:my|our) (?P<rel>{fam}) (?P<v>(?-i:[A-Z][\w'-]+) )?(?:is|works as|was|used to be|'s) (?:a|an) "
            r"(?P<job>[\w -]+?)(?: (?:at|in|for) (?P<org>.+))?$",
            lambda m: fact(f"family:{m['rel'].lower()}:job", m["job"],
                           f"{m['rel'].capitalize()}{' ' + m['v'].strip() if m['v'] else ''} works as {article(m['job'])}",
                           single=True) if is_job(m["job"]) else [])
        self._pos(r"^(?:i|we)(?: have|'ve got| have got) (?P<v>.+)$", b.family_counts)
        self._pos(rf"^(?:my|our) (?P<rel>{fam})(?: (?P<v>(?-i:[A-Z][\w'-]+)))? (?:passed away|died)\b",
            lambda m: event(f"Their {m['rel'].lower()}{' ' + m['v'] if m['v'] else ''} passed away", importance=0.9))
        self._pos(r"^i'm (?:a |an )?(?:\d+(?: years old)?,? and (?:a |an )?)?(?:single |proud |busy |working )?(?:mum|mom|mother|"
            r"dad|father|parent) of (?P<n>a|an|one|two|three|four|five|six|\d+)\b",
            lambda m: fact("family:child:count", b.COUNTS.get(m["n"].lower(), m["n"]),
                           f"Has {b.COUNTS.get(m['n'].lower(), m['n'])} children", single=True, importance=0.8))
        self._pos(r"^i'm (?:a )?single (?:mom|mum|dad|parent|mother|father)\b",
            lambda m: fact("relationship", "single", "Is single", single=True, importance=0.8))
        self._pos(r"^i'm (?:happily )?married to (?P<v>(?-i:[A-Z][\w'-]+))",
            lambda m: fact("family:spouse", m["v"], "Spouse is named {}", single=True, importance=0.8))
        status = "|".join(re.escape(s) for s in STATUS)
        self._pos(rf"^(?:i'm|we're|i have been|i've been|we've been) (?:happily |recently |newly |just )?(?P<v>{status})\b",
            lambda m: fact("relationship", m["v"].lower(), "Is {}", single=True, importance=0.8))
        self._pos(r"^(?:i|we) (?:just |recently |finally )?got (?P<v>married|engaged|divorced)\b",
            lambda m: fact("relationship", m["v"].lower(), "Is {}", single=True, importance=0.8)
            + event(f"Got {m['v'].lower()}", importance=0.8))

    def _pets(self) -> None:
        """Rules: pets."""
        pet = "|".join(sorted(set(PETS) | set(BREEDS), key=len, reverse=True))
        self._pos(rf"^(?:i|we) (?:have|own|'ve got|have got) (?P<v>(?:a|an|one|two|three|four|\d+) .*\b(?:{pet})s?\b.*)$",
            b.pets)
        self._pos(rf"^(?:my|our) (?:\w+ )?(?P<kind>{pet})(?:'s name is| name is| is called| is named| name's) (?P<name>.+)$",
            b.pet)
        self._pos(rf"^(?:my|our) (?:new |little |old |baby )?(?P<kind>{pet}) (?P<name>(?-i:[A-Z][\w'-]+))\b"
            r"(?!.*\b(?:died|passed away|passed)\b)", b.pet)
        self._pos(rf"^(?:i|we) (?:just |finally )?(?P<verb>adopted|got|rescued|bought|brought home) (?P<what>(?P<n>a|an|two|"
            rf"three|\d+) (?:new |little |baby )?(?:\w+ )?(?P<kind>{pet})s?\b(?: (?:named|called) "
            r"(?P<name>(?-i:[A-Z][\w'-]+)(?: and (?-i:[A-Z][\w'-]+))?))?.*)$", b.adopt)
        self._pos(rf"^(?:my|our) (?:\w+ )?(?P<kind>{pet})(?: (?P<name>(?-i:[A-Z][\w'-]+)))? (?:died|passed away|passed)\b",
            lambda m: fact(f"pet:{singular(BREEDS.get(m['kind'].lower(), m['kind']))}",
                           name(m["name"]) if m["name"] else None, "Has a pet", retract=True)
            + event(f"Their {m['kind'].lower()}{' ' + m['name'] if m['name'] else ''} died", importance=0.8))
        self._neg(rf"^(?:i|we) (?:don't|do not|no longer) have (?:a|an|my|our) (?P<kind>{pet})(?: anymore| any more)?$",
            lambda m: fact(f"pet:{singular(m['kind'])}", None, "Has a pet", retract=True))

    def _plans(self) -> None:
        """Rules: plans."""
        self._pos(r"^(?:i'm|we're) (?:going|planning|about|intending) to (?P<v>.+)$", lambda m: b.plan(m["v"]))
        self._pos(r"^(?:i|we) (?:plan|intend|am planning|are planning) to (?P<v>.+)$", lambda m: b.plan(m["v"]))
        self._pos(r"^(?:i'm|we're) planning (?P<v>(?:a|an|our|my) .+)$", lambda m: b.plan(m["v"]))
        self._pos(r"^(?:i|we)(?:'ll| will) (?P<v>.+\b(?:tomorrow|next \w+|in (?:january|february|march|april|may|june|july|"
            r"august|september|october|november|december)|this (?:weekend|summer|winter|spring|fall|autumn)|"
            r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b.*)$", lambda m: b.plan(m["v"]))
        self._pos(r"^(?:i'm|we're) (?:flying|travelling|traveling|heading|moving|going|driving)(?: back)? to "
            r"(?P<v>(?-i:[A-Z]).+)$", lambda m: b.plan(f"go to {m['v']}", destination=True))
        self._pos(r"^(?:i'm|we're) (?:going|heading|moving) back to (?P<v>(?-i:[a-z]).+)$",
            lambda m: b.plan(f"go back to {m['v']}"))
        self._pos(r"^(?:i'm|we're) (?P<v>(?:adopting|getting|starting|visiting|buying|selling|leaving|joining|having|"
            r"throwing|hosting|running|taking|doing|opening|launching|competing|celebrating|meeting|seeing|"
            r"quitting|retiring)\b.+?) (?P<t>(?:next|this coming|tomorrow|"
            r"tonight|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|in (?:january|february|march|"
            r"april|may|june|july|august|september|october|november|december)|this (?:weekend|summer|winter|spring|"
            r"fall|autumn|month|year)|soon)\b.*)$", b.plan_ing)

    def _events(self) -> None:
        """Rules: dated events."""
        verbs = "|".join(sorted((re.escape(v) for v in EVENT_VERBS), key=len, reverse=True))
        self._pos(rf"^(?:i|we) (?:just |recently |finally |also |actually )?(?P<verb>{verbs})\b(?P<rest>.*)$",
            b.event_clause)

def _unique(facts: list[Fact]) -> list[Fact]:
    """One fact per (kind, attribute, value, polarity, text); of two retractions of
    one attribute, the one that names its value."""
    unique: dict[tuple[object, ...], Fact] = {}
    for f in facts:
        unique.setdefault((f.kind, f.attribute, f.value, f.retract, f.text.lower()), f)
    kept = list(unique.values())
    named = {f.attribute for f in kept if f.retract and f.value}
    kept = [f for f in kept if not (f.retract and not f.value and f.attribute in named)]
    # "a puppy ... his name is Waffles": the named pet says all the unnamed one does
    pets = {f.attribute.rsplit(":", 1)[0] for f in kept if f.attribute and f.attribute.count(":") == 2
            and f.attribute.startswith("pet:") and not f.retract}
    return [f for f in kept if not (f.attribute in pets and not f.retract)]
