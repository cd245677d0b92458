"""Who a query means when it names a speaker otherwise than the turns do.

People call each other by nicknames: a chat's turns carry the label
"Melanie" while a question asks "What did Mel paint?". The keyword index has
no "Mel" (or, worse, only the turns where the other person said "Hey Mel!"),
and the query's vector sits near no one in particular. So before a query is
embedded and its words looked up, each name in it that means exactly one
speaker of the user's memories is replaced by that speaker's label.

A name means a speaker when it is the label; when one of the two is a
nickname of the other in the ``nicknames`` package's English list ("Andy"
and "Andrew", "Nathan" and "Nate"); or when the shorter, three letters or
more, begins the longer ("Mel" and "Melanie"). Only capitalised words are
taken for names, and a name that could mean two speakers is left as it is.

Labels need not be names at all (a chat export may carry handles). A name
that means no speaker by the rules above can still be learnt from what was
said: a speaker who says "I'm Sam" or "call me Sam" is Sam, and where only
two people talk, "Hey Sam!" or "thanks, Sam" is said to the other one.
Where people type in lower case ("hey sam", "call me sam") the same is
read with stricter patterns, since case no longer tells a name from a word.
These are read from the user's memories that hold the word when a query
asks, not stored, so forgetting what was said forgets the name with it.

A handle means nothing to the embedder either, so a question about one
speaker labelled by a handle is embedded as that speaker would ask it:
"What did user_a1 paint?" as "What did I paint?" (:func:`first_person`).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence
from memcli.base.tuning import LEARN_AT_LEAST, LEARN_SHARE, PREFIX_LETTERS, SPELLING_LETTERS

# "Al" begins too many names to mean any one of them: PREFIX_LETTERS at least.
NAME_WORD = re.compile(r"\b[A-Z][a-z]+\b")
# A query typed in lower case may name someone too ("what did mel paint")
TYPED_WORD = re.compile(r"\b[A-Za-z][a-z]+\b")


@lru_cache(maxsize=1)
def _nicknames() -> dict[str, frozenset[str]]:
    """Each name of the list (lower case) with the names it is a nickname of
    or has as nicknames."""
    # The package's own file, read without importing the package: its
    # __init__ imports importlib.metadata for a version string (45 ms against
    # 3 ms to read the file).
    spec = importlib.util.find_spec("nicknames")
    if spec is None or not spec.submodule_search_locations:
        return {}
    related: dict[str, set[str]] = {}
    path = Path(list(spec.submodule_search_locations)[0]) / "names.csv"
    with path.open(encoding="utf-8", newline="") as rows:
        for canonical, relation, nick in csv.reader(rows):
            if relation != "has_nickname":
                continue
            canonical, nick = canonical.strip().lower(), nick.strip().lower()
            related.setdefault(canonical, set()).add(nick)
            related.setdefault(nick, set()).add(canonical)
    return {name: frozenset(others) for name, others in related.items()}


def means(name: str, label: str) -> bool:
    """Whether ``name`` (as a question writes it) can mean the speaker labelled
    ``label``: the same name, a nickname either way, a prefix of three
    letters or more, or another spelling of one of the label's names."""
    a, b = name.lower(), label.lower()
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= PREFIX_LETTERS and longer.startswith(shorter):
        return True
    return nickname(a, b) or any(spelt_alike(a, part) for part in b.split())


def spelt_alike(a: str, b: str) -> bool:
    """Two spellings of one name, as people write names they have only heard or
    transliterate ("Aqib" / "Akib", "Faheem" / "Fahim", "Mohammed" /
    "Muhhamed"): with doubled letters written once, q and ck as k and ph as f,
    the same first letter and at most one letter added, dropped or changed.
    Names shorter than SPELLING_LETTERS are left alone ("Jon" / "Jan")."""
    if a == b or min(len(a), len(b)) < SPELLING_LETTERS or not (a.isalpha() and b.isalpha()):
        return False
    x, y = written_once(a), written_once(b)
    return x[0] == y[0] and one_edit(x, y)


def written_once(word: str) -> str:
    w = word.lower().replace("ph", "f").replace("ck", "k").replace("q", "k")
    return re.sub(r"(.)\1+", r"\1", w)


def one_edit(x: str, y: str) -> bool:
    """Whether ``x`` and ``y`` are equal, or one letter added, dropped or changed apart."""
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        return sum(p != q for p, q in zip(x, y)) <= 1
    short, long_ = sorted((x, y), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def nickname(name: str, label: str) -> bool:
    """Whether one of the two is a nickname of the other in the list."""
    return label.lower() in _nicknames().get(name.lower(), frozenset())


# Words said before a name that address its bearer: "Hey Sam", "Thanks Sam".
# (Letters doubled as chats type them: "heyy", "hiii", "yooo".)
GREETING = r"(?i:he+y+|hi+|hel+o+|hiya|yo+|thanks|thank you|thx|ty|congrats|congratulations|bye+|morning" \
           r"|good morning|night|good night|love you|miss you|welcome|happy birthday|dear)"
# Words that may also come before a place or a thing ("Wow, Paris was..."):
# they count only with the name set off ("Wow, Sam!").
EXCLAMATION = r"(?i:wo+w|o+h|a+w+|omg|sorry|ok|okay|yes|no|(?:ha)+|lol)"
# The name itself is matched as written (capitalised): "I'm Sam", not "I'm sure".
# "Sam" is someone who says "I'm Sam"
SELF = r"(?i:\bI'?m|\bI am|\bcall me|\bmy name is|\bname's|^this is)\s+{w}\b(?!['’])|^{w} here\b"
# said to Sam: "Hey Sam", "Sam, ...", "Wow, Sam!", "... for the tip, Sam."
VOCATIVE = (r"^(?:(?:{g}|{x})[,!]?\s+)?{w}\s*[,!?]|^(?:{x}[,!]?\s+)?{g}[,!]?\s+{w}\b(?!['’])"
            r"|,\s*{w}\s*[.!?]*$")
# In lower case "i'm sam" is "i'm sure" or "i'm gonna": only the plainer
# introductions count there.
INTRODUCED = r"(?:\bcall me|\bmy name is|\bname's|^this is)\s+{w}\b(?!['’])|^{w} here\s*(?:[,.!-]|$)"
# Said to Sam after a greeting only: "hey sam", "thanks sam", "omg hi sam".
GREETED = r"^(?:{x}[,!]?\s+)?{g}[,!]?\s+{w}\b(?!['’])"
# Evidence needed before a name is taken as a speaker's: LEARN_AT_LEAST sayings,
# LEARN_SHARE of them pointing at the same one.


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", text)


def written(word: str, said: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """How often ``word`` is written capitalised, and how often in lower case,
    inside the sentences of ``said`` ("thanks, Sam", "I told Sam"), leaving
    out sentences typed all in lower case, whose case says nothing."""
    inside = re.compile(rf"(?<=[\w,;:]) +({re.escape(word)})\b", re.IGNORECASE)
    capital = lower = 0
    for _, text in said:
        for sentence in sentences(text):
            if sentence != sentence.lower():
                for found in inside.findall(sentence):
                    capital, lower = capital + found[0].isupper(), lower + found[0].islower()
    return capital, lower


def learnt(word: str, said: Iterable[tuple[str, str]], labels: Sequence[str]) -> str | None:
    """The speaker that ``word`` names going by ``said`` ((speaker, what they
    said) pairs that hold the word), or None: introductions count for the one
    who says them, and, where there are two speakers, greetings and
    addresses for the other one."""
    w = re.escape(word)
    if re.fullmatch(f"{GREETING}|{EXCLAMATION}", word):
        return None  # "Congrats!" said twice is no one's name
    own = re.compile(SELF.format(w=w))
    called = re.compile(VOCATIVE.format(g=GREETING, x=EXCLAMATION, w=w))
    # A sentence typed all in lower case ("hey sam", "i'm sam") says nothing
    # by its case, so there the name is matched in any case, and only after
    # an introduction or a greeting: "sam!" or "omg paris!" could be anything.
    own_blind = re.compile(INTRODUCED.format(w=w), re.IGNORECASE)
    called_blind = re.compile(GREETED.format(g=GREETING, x=EXCLAMATION, w=w), re.IGNORECASE)
    said = list(said)
    votes: dict[str, int] = {}
    blind_votes = 0
    for speaker, text in said:
        for sentence in sentences(text):
            blind = sentence == sentence.lower()
            if speaker not in labels:
                continue
            if (own_blind if blind else own).search(sentence):
                votes[speaker] = votes.get(speaker, 0) + 1
                blind_votes += blind
            elif len(labels) == 2 and (called_blind if blind else called).search(sentence):
                other = labels[1] if speaker == labels[0] else labels[0]
                votes[other] = votes.get(other, 0) + 1
                blind_votes += blind
    total = sum(votes.values())
    capital, lower = written(word, said)
    # A name is written capitalised inside sentences too ("thanks, Sam", "I
    # told Sam"): a word mostly written in lower case there ("that's cool")
    # or only ever at a sentence's start ("Absolutely!", "Yup, ...") is none;
    # one seen only in lower-case sentences goes by the greetings alone.
    unseen = capital == lower == 0
    if total < LEARN_AT_LEAST or (capital <= lower and not (unseen and blind_votes)):
        return None
    best = max(votes, key=lambda s: votes[s])
    return best if votes[best] >= LEARN_SHARE * total else None


def resolve(query: str, speakers: Iterable[str], stopwords: frozenset[str] = frozenset(),
            said_with: Callable[[str], Iterable[tuple[str, str]]] | None = None) -> str:
    """``query`` with each capitalised word that means exactly one of
    ``speakers`` (and is not one of them already) replaced by that speaker's
    label. Words in ``stopwords`` (lower case) are never names. ``said_with``
    (word -> (speaker, text) pairs of the memories that hold it) lets a name
    no rule ties to a speaker be learnt (see :func:`learnt`), and a word typed
    in lower case be read as a name when the memories write it as one ("mel"
    where they say "Hey Mel!"; not "car" for Caroline)."""
    labels = [s for s in dict.fromkeys(speakers) if s]
    if not labels:
        return query
    exact = {s.lower() for s in labels}
    # Labels that are no names (handles): then a word typed in lower case may
    # be a name learnt from what was said, and is worth the lookups.
    handles = any(not NAME_WORD.fullmatch(s) for s in labels)

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in exact or word.lower() in stopwords:
            return word
        meant = [label for label in labels if means(word, label)]
        if word.islower():
            # A name typed in lower case: one the memories write capitalised,
            # or, when they never write it, a nickname of the list ("andy").
            # A prefix alone is no name here ("car" is not Caroline).
            if said_with is None or len(meant) > 1 or not (meant or handles):
                return word
            said = list(said_with(word))
            if not meant:
                return learnt(word.capitalize(), said, labels) or word
            capital, lower = written(word, said)
            listed = capital == lower == 0 and nickname(word, meant[0])
            return meant[0] if capital > lower or listed else word
        if not meant and said_with is not None:
            found = learnt(word, said_with(word), labels)
            meant = [found] if found else []
        return meant[0] if len(meant) == 1 else word

    return TYPED_WORD.sub(replace, query)


# A label the embedder can read as a name: letters, with spaces, dots,
# apostrophes or hyphens between ("Mina", "Anna K.", "Mary-Jane", "O'Neil").
READABLE = re.compile(r"[^\W\d_]+(?:[ .'’-]+[^\W\d_]+)*\.?")
# Words after which a speaker is the object: "... gave to Sam" asks "... gave to me".
OBJECT_AFTER = r"(?i:to|with|for|about|from|at|of|by|on|visit|visited|visiting|tell|told|call|called|give|gave|ask|asked)"


def handle(label: str) -> bool:
    """Whether a speaker label is a handle ("user_a1", "@mina92", a phone
    number), which means nothing to the embedder, rather than a name: it holds
    digits, underscores or other signs besides letters."""
    return not READABLE.fullmatch(label.strip())


def first_person(query: str, label: str) -> str:
    """``query`` as the speaker ``label`` would ask it of their own words: the
    label becomes "my" before "'s", "me" after a preposition, "I" elsewhere
    ("When did user_a1 go to the LGBTQ support group?" -> "When did I go to
    the LGBTQ support group?"). What a speaker said is stored as "label:
    I ...", so a question about them in the third person, embedded as asked,
    meets what they said only through the label."""
    name = re.escape(label)
    query = re.sub(rf"(?<![\w@]){name}['’]s?(?![\w])", "my", query, flags=re.IGNORECASE)
    query = re.sub(rf"(\b{OBJECT_AFTER}\s+){name}(?![\w])", r"\1me", query, flags=re.IGNORECASE)
    return re.sub(rf"(?<![\w@]){name}(?![\w])", "I", query, flags=re.IGNORECASE)


def named(query: str, speakers: Iterable[str], stopwords: frozenset[str] = frozenset()) -> str | None:
    """The one speaker of ``speakers`` whose label ``query`` says as a whole
    word (any case; a label that is a word of ``stopwords`` only when
    written as given), or None when it names none or several. Run it on what
    :func:`resolve` gives, where nicknames are labels already."""
    found = []
    for label in dict.fromkeys(s for s in speakers if s):
        flags = 0 if label.lower() in stopwords else re.IGNORECASE
        if re.search(rf"(?<![\w]){re.escape(label)}(?![\w])", query, flags):
            found.append(label)
    return found[0] if len(found) == 1 else None

