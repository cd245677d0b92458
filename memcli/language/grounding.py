"""Whether what a model wrote is supported by what the person said.

A model's words are not the person's words: a tiny model asked for the facts
in "My dog is called Biscuit" may answer with a golden retriever named Bella.
Before anything a model wrote is kept (an extracted fact, a session summary),
its content words are looked up among the words the person used, after light
normalisation (case, plural and -ing/-ed endings, possessives), so "Lives in
Busan" is supported by "i live in busan" and "Has a dog named Bella" is not
supported by "My dog is called Biscuit".
"""

from __future__ import annotations

import re

from memcli.language.shorthand import spelt_out

# Words a fact's or summary's own phrasing brings, which the person need not have said.
FRAME = frozenset("""a an the and or of in on at to for with from by as is are was were be been being am has have had
having do does did not no yes it its this that these those there their they them he she his her him we our us you
your i me my mine user person speaker they're lives live living works work working worked job likes like liked loves
love enjoys enjoy enjoyed dislikes dislike hates hate has named called name is goes go went got get gets started
start plans plan planning wants to talked about said says mentioned also very really just now currently recently
new one some who which what when where how than then so but if about into over after before during since
favourite favorite speaks speak studies study studied learning learn is year years old age moved move moving born
grew up from originally summary conversation session discussed shared told""".split())


def stem(word: str) -> str:
    """A crude stem, the same for "lives" and "live", "cats" and "cat", "teacher"
    and "teach", "lecturer" and "lecture" (both sides of a comparison get it)."""
    w = re.sub(r"'s$", "", word.lower().strip("'"))
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            w = w[: -len(suffix)] + keep
            break
    if len(w) > 5 and w.endswith(("er", "or")):
        w = w[:-2]
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def content(text: str) -> set[str]:
    """The stems of the words in ``text`` that carry its content."""
    return {stem(w) for w in words(text) if w not in FRAME and not w.isdigit() and len(w) > 1} | \
        {w for w in words(text) if w.isdigit()}


def support(claim: str, said: str) -> float:
    """The share of the claim's content words the person used (1.0 when it has none)."""
    wanted = content(claim)
    if not wanted:
        return 1.0
    # "my bday" supports "Birthday is on 4 May": short forms count as the words they stand for
    written = spelt_out(said)
    said = f"{said} {written}" if written != said else said
    heard = content(said) | {stem(w) for w in words(said)}
    return sum(1 for w in wanted if w in heard) / len(wanted)


def supported(claim: str, said: str, share: float = 1.0) -> bool:
    """Whether at least ``share`` of the claim's content words come from what was said."""
    return support(claim, said) >= share
