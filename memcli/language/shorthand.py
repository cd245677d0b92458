"""The short forms people type in chats, read as the words they stand for.

People write "bday", "tmrw", "pics" and "idk" to each other and ask later in
full words ("When is Jo's birthday?"), or the other way round. The keyword
index holds a short form as a word of its own, so the keyword side of a
search did not connect the two. This module gives the keyword side both:

- :func:`spelt_out`: a query with its short forms written out, so "bday" is
  asked for as "birthday";
- :func:`short_forms`: for a written word, the short forms that stand for it,
  looked for as a keyword list of their own (``Searcher._shortened`` in
  memcli/search.py), so "birthday" also finds "bday".

Nothing stored changes, and nothing embedded: the stored text stays as typed,
and writing the forms out for the embedder as well only reshuffled the
development six (the README's "Short forms"). Fact extraction reads a
message with its one-word forms written out ("my fav food is sushi" gives
"Favourite food is sushi"; memcli/extract/rules.py), and grounding reads a
person's short forms as the words they stand for (memcli/grounding.py), so
"my bday is 4 May" supports "Birthday is 4 May".

The table is general chat usage, written from how people text before any of
it was measured. Forms that are also ordinary words or stand for several
things are left out ("prob": probably or problem; "hr"; "id"; "ill"; "its").
A one-letter form ("u", "r", "n") is read only in lower case and not beside a
full stop, an ampersand or an apostrophe, so "J.K. Rowling", "R&R" and "George
R. R. Martin" stay as written.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Collection

# short form -> what it stands for (lower case; several forms may share one)
SHORT: dict[str, str] = {
    # phrases
    "idk": "i don't know", "dunno": "don't know", "tbh": "to be honest", "omg": "oh my god",
    "btw": "by the way", "rn": "right now", "imo": "in my opinion", "imho": "in my opinion",
    "lmk": "let me know", "nvm": "never mind", "ttyl": "talk to you later", "brb": "be right back",
    "irl": "in real life", "fyi": "for your information", "hbd": "happy birthday", "ofc": "of course",
    "np": "no problem", "ty": "thank you", "tysm": "thank you so much", "cya": "see you",
    "gonna": "going to", "wanna": "want to", "gotta": "got to", "kinda": "kind of", "sorta": "sort of",
    "lemme": "let me", "gimme": "give me", "tryna": "trying to", "imma": "i am going to",
    "bff": "best friend", "bestie": "best friend",
    # words
    "u": "you", "ur": "your", "r": "are", "n": "and", "pls": "please", "plz": "please",
    "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "bc": "because", "b/c": "because",
    "cuz": "because", "coz": "because", "bcuz": "because", "becuz": "because", "ppl": "people",
    "tho": "though", "thru": "through", "prolly": "probably", "probs": "probably", "rly": "really",
    "srsly": "seriously", "obv": "obviously", "obvi": "obviously", "def": "definitely",
    "deffo": "definitely", "esp": "especially", "abt": "about", "bout": "about", "b4": "before",
    "w/": "with", "w/o": "without", "smth": "something", "sth": "something", "sry": "sorry",
    "srry": "sorry", "lil": "little", "luv": "love", "gr8": "great", "l8r": "later", "diff": "different",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "2moro": "tomorrow", "2morrow": "tomorrow",
    "2day": "today", "2nite": "tonight", "2night": "tonight", "tonite": "tonight", "nite": "night",
    "bday": "birthday", "b-day": "birthday", "bdays": "birthdays", "pic": "picture", "pics": "pictures",
    "pix": "pictures", "vid": "video", "vids": "videos", "fav": "favorite", "fave": "favorite",
    "favs": "favorites", "faves": "favorites", "congrats": "congratulations", "grats": "congratulations",
    "congratz": "congratulations", "vacay": "vacation", "convo": "conversation",
    "convos": "conversations", "info": "information", "uni": "university", "bro": "brother",
    "sis": "sister", "bf": "boyfriend", "gf": "girlfriend", "hubby": "husband", "fam": "family",
    "xmas": "christmas", "wknd": "weekend", "mins": "minutes", "hrs": "hours", "yrs": "years",
    "wk": "week", "wks": "weeks", "msg": "message", "msgs": "messages", "txt": "text",
    "appt": "appointment", "hw": "homework", "chem": "chemistry", "psych": "psychology",
    "prof": "professor", "insta": "instagram",
    "fb": "facebook", "apt": "apartment",
    # contractions typed without their apostrophe
    "im": "i'm", "ive": "i've", "dont": "don't", "didnt": "didn't", "doesnt": "doesn't", "cant": "can't",
    "isnt": "isn't", "wasnt": "wasn't", "arent": "aren't", "havent": "haven't", "hasnt": "hasn't",
    "couldnt": "couldn't", "wouldnt": "wouldn't", "shouldnt": "shouldn't", "thats": "that's",
    "whats": "what's", "youre": "you're", "theyre": "they're", "hes": "he's", "shes": "she's",
    "theres": "there's", "heres": "here's", "wheres": "where's", "aint": "ain't", "ya'll": "y'all",
}

_FORMS = frozenset(SHORT)

# A form is a token of its own: not inside a word, a number, an initial
# ("J.K."), "R&R" or a contraction; a possessive is its own ("my sis's").
_EDGE_BEFORE = r"(?<![\w.&@#'\u2019/-])"
_EDGE_AFTER = r"(?=['\u2019]s\b|(?![\w&@'\u2019/-]|\.\w))"


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    longer = sorted((f for f in SHORT if len(f) > 1), key=len, reverse=True)
    letters = "".join(sorted(f for f in SHORT if len(f) == 1))
    return re.compile(
        _EDGE_BEFORE + "(?:(?i:" + "|".join(re.escape(f) for f in longer) + ")"
        + f"|[{letters}](?![.]))" + _EDGE_AFTER)


_TOKEN = re.compile(r"[\w/'\u2019-]+")


def has_short_forms(text: str) -> bool:
    """Whether ``text`` may hold a short form (a word of the table; most
    texts hold none, and a set lookup of their words is 10x the regex's
    speed)."""
    return not _FORMS.isdisjoint(w[:-2] if w.endswith(("'s", "\u2019s")) else w
                                 for w in _TOKEN.findall(text.lower()))


def spelt_out(text: str, keep: Collection[str] = (), *, phrases: bool = True) -> str:
    """``text`` with every chat short form it holds written out ("my bday pics
    r up" -> "my birthday pictures are up"), except those in ``keep`` (lower
    case: the names of a chat's speakers, where one is labelled "Sis" or
    "Hubby") and, without ``phrases``, those that stand for several words
    ("omg", "idk", "gonna"); unchanged when it holds none."""
    if not has_short_forms(text):
        return text

    def written(match: re.Match[str]) -> str:
        form = match.group(0).lower()
        if form in keep or (not phrases and " " in SHORT[form]):
            return match.group(0)
        return SHORT[form]

    return _pattern().sub(written, text)


@lru_cache(maxsize=1)
def _forms_of() -> dict[str, tuple[str, ...]]:
    forms: dict[str, list[str]] = {}
    for short, written in SHORT.items():
        if " " not in written and "'" not in written:
            forms.setdefault(written, []).append(short)
    return {written: tuple(shorts) for written, shorts in forms.items()}


def short_forms(word: str) -> tuple[str, ...]:
    """The short forms that stand for the written ``word`` (lower case):
    "birthday" -> ("bday", "b-day"); () for a word with none."""
    return _forms_of().get(word, ())
