"""Misspellings: a search's word also finds the messages that misspell it.

People type chats fast ("recomendation", "beutiful"), and the keyword index
stems a misspelt word to a stem of its own, so a question's correctly spelt
word never meets it. A misspelling is nearly always one edit from the word
(a letter dropped, added, struck for another, or two swapped: Damerau's
single-error forms) and nearly always keeps the first letter, so a search
also looks, among the keyword index's own terms that begin as its word's
stem does, for those one edit from the stem, and searches for them as well.

An edit that makes another English word ("paint" -> "point", "faint") is a
different word, not a typo, so one of the two must be no English word.
English words are the whole-word entries of the bundled embedder's
vocabulary (about 21,000 of the commonest), compared by their stems so that
"rewarding" counts as English through "reward".
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from typing import Iterable, Sequence
from memcli.base.tuning import MIN_LETTERS

# Words shorter than MIN_LETTERS are left alone: one edit from a four-letter
# word is mostly another word or a name.

WORD = re.compile(r"[a-z]+")
# Stems remembered per process (a few MB at most); forgotten all at once past it.
STEMS_KEPT = 50_000


def one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is one edit from ``a``: a letter dropped, added or
    replaced, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return shorter[i:] == longer[i + 1:]


class _Stemmer:
    """The keyword index's own stemmer (FTS5's porter over unicode61), run on
    a private in-memory database: what a word is indexed as."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.execute("CREATE VIRTUAL TABLE words USING fts5(word, tokenize='porter unicode61')")
        self.conn.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")
        self.conn.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(words, 'row')")
        self.lock = threading.Lock()
        # A word's stem never changes, and searches ask for the same words and
        # index terms again and again: looking for a side-by-side query's
        # misspellings at 10,000 memories took 0.61 ms without this, 0.48 with.
        self.known: dict[str, str | None] = {}

    def stems(self, words: Sequence[str]) -> dict[str, str]:
        with self.lock:
            new = list(dict.fromkeys(w for w in words if w not in self.known))
            if new:
                if len(self.known) + len(new) > STEMS_KEPT:
                    self.known.clear()
                self.conn.execute("DELETE FROM words")
                self.conn.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)", enumerate(new))
                found = {new[doc]: term for term, doc in self.conn.execute("SELECT term, doc FROM stems")}
                self.conn.execute("DELETE FROM words")
                self.known.update((w, found.get(w)) for w in new)
            # in the order the index's vocabulary lists them, as FTS5 gives them
            ordered = sorted((stem, i, w) for i, w in enumerate(words) if (stem := self.known.get(w)) is not None)
        return {w: stem for stem, _, w in ordered}

    def terms(self, text: str) -> set[str]:
        """The stems of all of ``text``'s words (one document: fast for many)."""
        with self.lock:
            self.conn.execute("DELETE FROM words")
            self.conn.execute("INSERT INTO words(rowid, word) VALUES (1, ?)", [text])
            found = {term for (term,) in self.conn.execute("SELECT term FROM terms")}
            self.conn.execute("DELETE FROM words")
        return found


@functools.lru_cache(maxsize=1)
def _stemmer() -> _Stemmer:
    return _Stemmer()


def stems(words: Sequence[str]) -> dict[str, str]:
    """Each word's stem as the keyword index writes it. The words are single
    words (letters, as :func:`looked_for` keeps them, or the index's own
    terms); one the tokenizer splits would map to one of its pieces."""
    return _stemmer().stems(list(words)) if words else {}


@functools.lru_cache(maxsize=1)
def english() -> frozenset[str]:
    """The stems of English words: the whole-word, all-letter entries of the
    bundled MiniLM tokenizer's vocabulary; empty when that package is not
    installed, and then no misspelling is looked for."""
    from memcli.base.errors import ModelError
    from memcli.models.minilm import bundled_model_dir

    try:
        vocab = (bundled_model_dir() / "vocab.txt").read_text(encoding="utf-8").split()
    except (ModelError, OSError):  # no bundled model: misspellings are not looked for
        return frozenset()
    # about 30 ms, once a process, on the first search that needs it
    return frozenset(_stemmer().terms(" ".join(w for w in vocab if WORD.fullmatch(w) and len(w) > 1)))


def looked_for(words: Iterable[str]) -> dict[str, str]:
    """The words worth looking for misspellings of (lower case, long enough),
    each with its stem."""
    words = [w for w in words if len(w) >= MIN_LETTERS and WORD.fullmatch(w)]
    if not words or not english():
        return {}
    return {w: s for w, s in stems(words).items() if len(s) > 2}


def beginnings(stem: str) -> list[str]:
    """How a misspelling of ``stem`` is taken to begin: as the stem does, or
    with its second letter dropped or swapped with the third ("hieght",
    "peice"); the index's terms are read from the ranges that start so."""
    return sorted({stem[:2], stem[0] + stem[2]})


def misspellings(stem: str, terms: Iterable[str]) -> list[str]:
    """Of the index's ``terms`` (stems), those that may be ``stem`` misspelt,
    or, when ``stem`` is itself no English word, its spelling: one edit
    away, and not both English."""
    known = english()
    return sorted(t for t in terms if one_edit(stem, t) and not (t in known and stem in known))
