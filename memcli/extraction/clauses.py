"""From a chat message to the plain first-person clauses the rules read.

People do not write "I live in Leeds." They write "Quick update: moved to
Leeds last month!! 🎉", "im a welder, if you're curious", "For a year now I've
been vegan", "I got a cat last week, her name is Miso". This module undoes
those habits, one at a time, so that the patterns in :mod:`.rules` only ever
see a clause such as "I moved to Leeds", "I'm a welder", "I'm vegan" or
"my cat is called Miso":

1. chat noise goes: emoji, "lol", "tbh", repeated punctuation, a speaker
   label ("Caroline: ..."), a lead-in before a colon ("Quick update: ...");
2. the message is cut into sentences, and a sentence with a condition ("if I
   get the job") is left out whole: its clauses are not statements;
3. each sentence is cut into clauses at conjunctions and commas that start a
   new thought ("..., so no pesto", "..., but", "..., which", "..., it's");
4. each clause loses its lead-ins ("Anyway,", "Honestly", "For a year now")
   and gets back the subject chat drops ("Moved to Leeds" -> "I moved to Leeds",
   "Been teaching for years" -> "I've been teaching for years");
5. tense and aspect are brought to the simple forms ("I've been working as an
   electrician" -> "I work as an electrician", "I've been vegan" -> "I'm vegan");
6. "her name is Miso" after "I got a cat" becomes "my cat is called Miso".

Nothing here decides what is a fact; it only rewrites what was said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memcli.base.text import EMOJI, FEELING
from memcli.extraction.words import FAMILY, PETS

# --- 1. chat noise ----------------------------------------------------------------

# An emoji ends what was said before it ("I'm a nurse 👩‍⚕️ night shifts are
# rough"), unless the sentence goes on after it ("a graphic designer 🎨 at a
# small agency"); a face or a heart always does.
_EMOJI_INSIDE = re.compile(rf"(?<=\w)\s*[{EMOJI}]+(?=\s+(?:at|in|on|with|for|from|to|of|near|by|as|and|or)\b)")
_EMOJI = re.compile(rf"[{EMOJI}]+")
_FEELING = re.compile(f"[{FEELING}]")
_NOISE = re.compile(r"(?<![\w'])(?:lol+|lmao|rofl|ha(?:ha)+h?|he(?:he)+|ngl|tbh|imo|imho|btw|fyi|omg+|omfg|xd+|smh|"
                    r"yay+|woo+hoo+|ugh+|hmm+|:\)|:-\)|:d|:p|;\))(?![\w'])[,.!]*", re.I)
_SPEAKER = re.compile(r"^[A-Z][\w'-]+(?: [A-Z][\w'-]+)?:\s+")
# "Quick update: I moved ...", "Fun fact: i speak ...": a short label before a colon
_LABEL = re.compile(r"^[^:.!?]{1,30}:\s+(?=(?:i|i'm|im|i've|my|we|we're|our|been|just)\b)", re.I)
_SHORTHAND = [
    (re.compile(r"\b(?:gonna)\b", re.I), "going to"),
    (re.compile(r"\b(?:wanna)\b", re.I), "want to"),
    (re.compile(r"\b(?:gotta)\b", re.I), "have to"),
    (re.compile(r"\b(?:cuz|coz|cos|bc)\b", re.I), "because"),
    (re.compile(r"\brn\b", re.I), "right now"),
    (re.compile(r"\bw/(?=\s)", re.I), "with"),
    (re.compile(r"\s+&\s+"), " and "),
    (re.compile(r"\bi\b"), "I"),
    (re.compile(r"\b(?:im|Im|IM)\b"), "I'm"),
    (re.compile(r"\b(?:ive|Ive)\b"), "I've"),
    (re.compile(r"\b(?:ill|Ill)\b(?= be\b)"), "I'll"),
    (re.compile(r"\bbirthday's\b", re.I), "birthday is"),
    (re.compile(r"\bname's\b", re.I), "name is"),
    (re.compile(r"\bmom's\b(?= a\b)", re.I), "mom is"),
    (re.compile(r"\bdad's\b(?= a\b)", re.I), "dad is"),
    (re.compile(r"\b(husband|wife|partner|boyfriend|girlfriend|brother|sister|son|daughter|mum|mom|dad)'s"
                r"(?= (?:a|an|the)\b)", re.I), r"\1 is"),
    (re.compile(r"\bspeak (?:\w+ )?languages?\s*[-–:]\s*", re.I), "speak "),
    # "As a teacher, I get summers off" -> "I'm a teacher; I get summers off"
    (re.compile(r"(?:^|(?<=[.!?] ))As (an?) ([\w -]{2,40}?), (?=I\b)"), r"I'm \1 \2; "),
]


def _prepare(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _EMOJI.sub(". ", _EMOJI_INSIDE.sub(lambda m: m.group(0) if _FEELING.search(m.group(0)) else "", text))
    text = _NOISE.sub(" ", text)
    for pattern, repl in _SHORTHAND:
        text = pattern.sub(repl, text)
    text = re.sub(r"([!?.])[!?.]+", r"\1", text)
    # "me and my brother live in ..." is "my brother and I ...": both of them, one clause
    text = re.sub(r"(?i)(^|(?<=[.!?] ))me (?:and|&) (my|our) ([\w-]+) ", r"\1\2 \3 and I ", text)
    text = re.sub(r"\s+([,.!?])", r"\1", text)
    text = re.sub(r"(?:^|(?<=[.!?]))[\s,.!]+", " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


# --- 2. sentences ---------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|\s+[-–—]+\s+")
# tails that say nothing about the facts before them
# a tag question does not make a statement a question: "I'm a nurse, you know?"
_TAG = re.compile(r",?\s*\b(?:you know|ya know|y'know|don't you think|isn't it|aren't they|innit|eh|huh|"
                  r"lol|haha|you see)\s*\?+\s*$", re.I)
_DISCOURSE = re.compile(
    r",?\s*\b(?:if you(?:'re| are) (?:curious|wondering|interested)|if you must know|if that makes sense|"
    r"if (?:that|it) (?:matters|helps)|if that's relevant|if anyone (?:cares|asks)|"
    r"if you can believe it|if you know what I mean|if I'm honest|if I'm being honest|to be honest|"
    r"just saying|you know|I guess|I think|I suppose|I mean|as you know|for what it's worth|believe it or not|"
    r"in case you (?:forgot|were wondering))\b[,.!]*", re.I)
# a condition or an uncertainty makes every clause of its sentence a non-statement
_CONDITION = re.compile(r"\b(?:if|unless|in case|as long as|provided that|assuming|not sure|unsure|no idea|"
                        r"don't know|do not know|wondering|can't decide|undecided)\b", re.I)

# --- 3. clauses ------------------------------------------------------------------------

_PRONOUN = r"(?:it|it's|its|that|that's|this|they|they're|he|he's|she|she's|his|her|their|there|which|who)"
_SUBJECT = r"(?:I|I'm|I've|I'd|I'll|my|we|we're|we've|our)"
_GO_ON = (r"(?:moved|went|got|started|finished|bought|took|visited|joined|ran|met|had|saw|passed|adopted|"
          r"been|living|working|moving|studying|teaching|now|currently|recently|just|also|still|used to)")
_CLAUSE = re.compile(
    r"\s*(?:;"
    r"|,?\s+(?:so|but|because|although|though|whereas|even though|except|while|since|when|especially|mostly|"
    r"which|who|where|and so|plus)\s+"
    rf"|,\s+(?={_SUBJECT}\b|{_PRONOUN}\b|{_GO_ON}\b|no\b|not\b|and\b"
    r"|[\w' -]{1,30}? (?:is|are|was|were) (?:my|the|a|so|such)\b)"
    rf"|\s+and\s+(?:also\s+)?(?={_SUBJECT}\b))\s*",
    re.I)
# "I live in Busan and work as a nurse": the second clause shares the subject
_SHARED = re.compile(
    r",?\s+(?:and|but|and also|then)\s+(?=(?:work|live|love|like|enjoy|speak|study|have|hate|play|teach|own|"
    r"moved|went|got|started|adopted|am|'m|run|practise|practice|collect|volunteer|do)\b)", re.I)

# --- 4. lead-ins and dropped subjects -------------------------------------------------------

_FILLER = re.compile(
    r"^(?:well|oh|ok|okay|so|also|actually|anyway|anyways|honestly|seriously|literally|basically|yeah|yes|yep|"
    r"no|nope|hey|hi|hello|um|uh|and|but|plus|fun fact|guess what|oh and|ah|wow|great|thanks|thank you|right|"
    r"sure|you know|so yeah|oh well|good news|big news|news|update|quick update|side note|by the way|"
    r"just so you know|as you know|funny enough|as it happens|as a matter of fact|in fact|of course|speaking of which|"
    r"haha|lol|omg|ngl|tbh|btw|fyi|alright|man|dude|ugh|aww|awesome|cool|nice|sweet|same|me too|true|"
    r"to be honest|for real|i mean|i guess|exactly|totally|definitely|absolutely|for sure|congrats|"
    r"congratulations|no way|oh my god|oh my gosh|agreed|indeed|ahh|aw|aww|yay|wow|same here|omg)\b[,!:.]*\s*",
    re.I)
_LEAD_TIME = re.compile(
    r"^(?:(?:last|this|next|past) (?:\w+)|yesterday|today|tonight|recently|lately|now|these days|nowadays|"
    r"(?:a few|a couple of|several|\d+|one|two|three|four|five|six|seven|eight|nine|ten) \w+ ago|"
    r"(?:for|over) (?:a|an|the past|the last|about|almost|nearly|\d+|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|many|several|a few|a couple of)(?: \w+)?(?: \w+)? (?:now|already)?|"
    r"in (?:19|20)\d\d|back in \w+|in (?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|"
    r"over the weekend|this past weekend|earlier (?:today|this week)|this morning|this week|finally|currently|"
    r"at the moment|right now|a while ago|since (?:19|20)\d\d|after (?:work|school|class)|on weekends|"
    r"most days|every (?:day|week|morning|evening|weekend)|at last|so far|as of (?:now|today))\b,?\s*",
    re.I)
_PAST = ("went|got|took|moved|started|finished|bought|visited|passed|ran|met|had|saw|joined|adopted|lost|won|"
         "made|baked|cooked|painted|wrote|built|completed|signed|attended|celebrated|travelled|traveled|flew|"
         "graduated|quit|left|found|tried|read|watched|hiked|climbed|opened|launched|published|booked|"
         "received|sold|organized|organised|hosted|volunteered|dropped|broke|came|returned|spent|did|landed")
_ING = ("moving|living|working|heading|flying|going|starting|studying|learning|training|planning|getting|"
        "staying|teaching|trying|adopting|volunteering|taking|doing|visiting|travelling|traveling|running")
_RESTORE = [
    (re.compile(r"^been\b", re.I), "I've been"),
    (re.compile(r"^just\b", re.I), "I just"),
    (re.compile(rf"^(?={_PAST}\b)", re.I), "I "),
    (re.compile(rf"^(?={_ING}\b)", re.I), "I'm "),
    (re.compile(r"^(?=not\b.*\b(?:anymore|any more)\b)", re.I), "I'm "),
    (re.compile(r"^(?:currently|also|still|now) (?=\w)", re.I), ""),
]

# --- 5. tense and aspect ------------------------------------------------------------------

_BASE = {"working": "work", "living": "live", "teaching": "teach", "playing": "play", "studying": "study",
         "learning": "learn", "practising": "practise", "practicing": "practice", "collecting": "collect",
         "volunteering": "volunteer", "running": "run", "swimming": "swim", "painting": "paint",
         "writing": "write", "cooking": "cook", "baking": "bake", "knitting": "knit", "dancing": "dance",
         "coding": "code", "staying": "stay", "residing": "reside", "lecturing": "lecture", "tutoring": "tutor",
         "coaching": "coach", "doing": "do", "speaking": "speak", "drawing": "draw", "singing": "sing",
         "climbing": "climb", "hiking": "hike", "cycling": "cycle", "surfing": "surf", "gardening": "garden"}
_PERFECT_STATE = {"lived": "live", "worked": "work", "taught": "teach", "played": "play", "studied": "study",
                  "loved": "love", "liked": "like", "enjoyed": "enjoy", "hated": "hate", "collected": "collect",
                  "practised": "practise", "practiced": "practice", "volunteered": "volunteer", "owned": "own",
                  "spoken": "speak", "known": "know"}
_TENSE = [
    # "I've got a rabbit" is having one, not getting it
    (re.compile(r"^(I|we)(?:'ve| have) got\b", re.I), lambda m: f"{m[1]} have"),
    # "I've been working as ..." -> "I work as ..."; "we've been living in ..." -> "we live in ..."
    (re.compile(r"^(I|we)(?:'ve| have) been (\w+ing)\b", re.I),
     lambda m: f"{m[1]} {_BASE[m[2].lower()]}" if m[2].lower() in _BASE else m[0]),
    # "I've been vegan", "I've been a nurse for years", "we've been married for ten years"
    (re.compile(r"^I(?:'ve| have) been\b", re.I), lambda m: "I'm"),
    (re.compile(r"^we(?:'ve| have) been\b", re.I), lambda m: "we're"),
    # "I've lived in Toronto my whole life" -> "I live in ..."
    (re.compile(r"^(I|we)(?:'ve| have) (?:always |long )?(\w+)\b", re.I),
     lambda m: f"{m[1]} {_PERFECT_STATE[m[2].lower()]}" if m[2].lower() in _PERFECT_STATE else m[0]),
    # "I've just started ...", "I have finally finished ..." -> "I just started ..."
    (re.compile(r"^(I|we)(?:'ve| have) (?=(?:just |recently |finally |already |also )?(?:[a-z]+ed|got|gotten|"
                rf"{_PAST})\b)", re.I), lambda m: f"{m[1]} "),
    (re.compile(r"^I'm (?:currently |now |still )?(?:working) as\b", re.I), lambda m: "I work as"),
    (re.compile(r"^(I|we)(?:'re|'m| am| are) (?:currently |now |still )?living in\b", re.I),
     lambda m: f"{m[1]} live in"),
]

# --- 6. "her name is Miso" --------------------------------------------------------------------

_NAMED = re.compile(r"^(?i:his|her|its|their) name is ([A-Z][\w'-]+)|^(?i:he|she|it)(?:'s| is) "
                    r"(?:called|named) ([A-Z][\w'-]+)")
_DETERMINER = {"a", "an", "one", "my", "our", "new", "two", "three"}


@dataclass
class Clause:
    """One clause as the rules read it (``text``), and the words it came from
    (``said``: for resolving its time phrases)."""

    text: str
    said: str


def _strip_lead(clause: str) -> str:
    for _ in range(5):
        new = _LEAD_TIME.sub("", _FILLER.sub("", clause))
        if new == clause:
            break
        clause = new
    return clause.strip(" ,.!:;")


_TOGETHER = re.compile(r"^(?:(?:my|our) [\w' -]{1,25}?|[A-Z][a-z]+) and (?:I|me)\b|^me and (?:my |our )?[\w'-]+(?: [\w'-]+)?\b")


def _restore(clause: str) -> str:
    if _TOGETHER.match(clause):
        return _TOGETHER.sub("we", clause, count=1)
    for pattern, repl in _RESTORE:
        if pattern.match(clause):
            return pattern.sub(repl, clause, count=1).strip()
    return clause


def _retense(clause: str) -> str:
    for pattern, repl in _TENSE:
        clause = pattern.sub(repl, clause, count=1)
    return clause


def _mentioned(clause: str) -> str | None:
    """The pet or family member a first-person clause introduces ("I got a cat
    last week" -> "cat", "I have a younger sister" -> "sister")."""
    words = re.findall(r"[\w'-]+", clause.lower())
    if not words or words[0] not in ("i", "i'm", "i've", "we", "we're", "we've", "my", "our"):
        return None
    for i, word in enumerate(words):
        if word in _DETERMINER:
            for noun in words[i + 1:i + 4]:
                if noun in PETS or noun in FAMILY:
                    return noun
    return None


def split(text: str) -> list[Clause]:
    """The statements in ``text`` as clauses (questions and conditional
    sentences left out)."""
    text = _prepare(text)
    text = _SPEAKER.sub("", text)
    out: list[Clause] = []
    last_named: str | None = None
    for sentence in _SENTENCE.split(text):
        sentence = _LABEL.sub("", _DISCOURSE.sub("", _TAG.sub("", sentence.strip())).strip())
        if not sentence or sentence.endswith("?"):
            continue  # questions state nothing
        if _CONDITION.search(sentence):
            continue  # "I'll move to Spain if I get the job" is not a statement
        sentence = _SHARED.sub("; I ", sentence)
        mine = True  # a dropped subject is the speaker's at the start, or after a clause of theirs
        for piece in _CLAUSE.split(sentence):
            said = piece.strip().rstrip(".!")
            clause = _strip_lead(said)
            clause = _retense(_restore(clause) if mine else clause)
            if not clause:
                continue
            mine = bool(re.match(r"(?:I|I'm|I've|we|we're|we've|my|our)\b", clause, re.I))
            named = _NAMED.match(clause)
            if named and last_named:
                clause = f"my {last_named} is called {named[1] or named[2]}"
            last_named = _mentioned(clause) or last_named
            out.append(Clause(clause, said))
    return out
