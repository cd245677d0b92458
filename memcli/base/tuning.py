"""Every number memcli's retrieval was tuned on, in one place.

Each constant is a plain value the code imports; :data:`CHOSEN_BY` says, for
each, which data set chose it, the figure it gave against the alternatives
tried, and the date. All of these were chosen on development data (the six
LoCoMo conversations in ``../shared/data/locomo``, and stand-ins built from
them); none on held-out data. ``tests/test_tuning.py`` checks that every
constant here has its entry. Settings a person may change (half-lives, the
cold tier's floor, budgets) live in :mod:`memcli.base.config` instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """Why a tuned constant has its value."""

    data: str    # the data set it was measured on
    figure: str  # what the value gave, against the others tried
    date: str    # when (ISO date)


# search: fusion of the vector and keyword lists ------------------------------------------

RRF_K = 60               # reciprocal-rank fusion constant: ranks matter, raw scores do not
FUSION_DEPTH = 30        # candidates taken from each list before fusing
SAME_MESSAGE = 0.3       # what a sentence keeps of its score when a better one of its message is listed
OTHER_SPEAKER = 0.8      # what another speaker's line keeps when the query names one speaker
KEYWORD_BUDGET = 3000    # most rows one keyword query ranks by BM25
KEYWORD_CONTEXT = 0.3    # BM25 weight of a memory's context against its text's 1 (in migration 1, a literal)

# embedding: what a sentence's vector is made of -------------------------------------------

CONTEXT_WORDS = 16       # words said just before a sentence, embedded with it
CONTEXT_WEIGHT = 0.75    # what each context token weighs in the vector against the sentence's own
WINDOW = 64              # tokens per shared MiniLM window over a conversation

# names and misspellings --------------------------------------------------------------------

PREFIX_LETTERS = 3       # a name's prefix that may stand for it ("Mel" for "Melanie")
SPELLING_LETTERS = 4     # names at least this long may be spelt another way ("Aqib" for "Akib")
LEARN_AT_LEAST = 2       # sayings needed before a name is taken as a speaker's
LEARN_SHARE = 0.75       # share of those sayings that must agree
LEARN_FROM = 200         # memories read, newest first, to learn whom a name means
MIN_LETTERS = 5          # shorter query words are not looked for misspelt
SPELLING_UP_TO = 100_000  # misspellings are looked for while the file holds at most this many memories

_LOCOMO = "LoCoMo development six, raw mode, evidence recall at 300 words"

CHOSEN_BY: dict[str, Choice] = {
    "RRF_K": Choice(_LOCOMO, "0.836 at 60; 0.833 at 30, 0.832 at 120 (re-checked)", "2026-12-03"),
    "FUSION_DEPTH": Choice(_LOCOMO, "30 beat 50 and 100 (2026-11-24); re-checked: 0.836 at 30, 0.822 at 20, "
                           "0.833 at 45", "2026-12-03"),
    "SAME_MESSAGE": Choice(_LOCOMO, "0.798 without, 0.818 at 0.5, 0.820 from 0.3 down to 0.1; "
                           "every conversation gained", "2026-12-01"),
    "OTHER_SPEAKER": Choice(_LOCOMO + "; 96% of the evidence of questions naming one speaker is theirs",
                            "0.830 -> 0.833; lower at 0.85 and 0.6; x0.5 cost 0.03", "2026-12-02"),
    "KEYWORD_BUDGET": Choice("the six LoCoMo conversations in one user (9,023 memories); timing on 10k",
                             "0.752 at 8,000 or 3,000, 0.745 at 2,000; a long common query 12 ms at 8,000, "
                             "6 ms at 3,000", "2026-11-24"),
    "KEYWORD_CONTEXT": Choice(_LOCOMO + ", context embedded",
                              "0.784 without keyword context; 0.796 / 0.799 / 0.798 / 0.793 at "
                              "0.15 / 0.3 / 0.45 / 0.6; higher on each conversation at 0.3", "2026-11-25"),
    "CONTEXT_WORDS": Choice(_LOCOMO, "0 words 0.766, 8: 0.776, 12: 0.786, 16: 0.784, 24: 0.788; "
                            "16 higher on each of the six", "2026-11-25"),
    "CONTEXT_WEIGHT": Choice(_LOCOMO + "; the same typed as a real chat (a stand-in from the same six)",
                             "1.0 -> 0.75: 0.835 -> 0.836, stand-in 0.742 -> 0.752; 0.5 gave 0.834",
                             "2026-12-03"),
    "WINDOW": Choice(_LOCOMO, "64 best, and the smallest loss on any one conversation; 256 lost recall "
                     "(MiniLM was trained on up to 128 tokens)", "2026-12-01"),
    "PREFIX_LETTERS": Choice("LoCoMo development six, questions that shorten a speaker's name",
                             "two letters begin too many names to mean any one", "2026-12-01"),
    "SPELLING_LETTERS": Choice("REALTALK development three and LoCoMo six, raw: questions spelling a speaker's "
                               "name otherwise ('Aqib', 'Faheem', 'Mohammed')",
                               "REALTALK 0.567 -> 0.573 (08 -0.002, 10 +0.019), LoCoMo 0.836 -> 0.837 (44 +0.003); "
                               "a looser sound key took 'June' and 'Jean' for 'John' (LoCoMo 41 -0.007)",
                               "2026-12-08"),
    "LEARN_AT_LEAST": Choice("development chats typed with handles for names (bench/names)",
                             "one saying misread greetings of third people", "2026-12-01"),
    "LEARN_SHARE": Choice("development chats typed with handles for names (bench/names)",
                          "three in four agreeing kept every true name learnt", "2026-12-01"),
    "LEARN_FROM": Choice("development chats typed with handles for names (bench/names)",
                         "enough sayings for every speaker; a bounded read per query", "2026-12-01"),
    "MIN_LETTERS": Choice("bench/spelling development set", "one edit from a four-letter word is mostly "
                          "another word or a name", "2026-12-02"),
    "SPELLING_UP_TO": Choice("bench/bench_spelling.py timing", "a few ms per vocabulary range at this size, "
                             "more past it", "2026-12-02"),
}
