"""Search: the query's vector neighbours and keyword matches, fused.

A query's nearest vectors in the user's HNSW index and its BM25 matches in
SQLite FTS5 are fused by reciprocal rank (the top ``FUSION_DEPTH`` of each),
then scaled by retention, so a faded memory loses to a fresh one of equal
relevance. Facts no longer true are left out unless ``as_of`` (what was true
then) or ``include_past``.

Memories in the cold tier (faded below ``cold_below``; see
:meth:`memcli.Memory.tier`) are not in the HNSW index nor in the default
keyword ranking. They join the search when the best hot match is weak (cosine
below ``cold_floor``) or when ``include_cold``: their stored vectors are
searched exactly and their keyword matches ranked apart, and each list is
merged with its hot counterpart by score before fusion, as if one index held
both tiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from memcli.engine.core import Core
from memcli.base.errors import InvalidInput
from memcli.base.filters import as_of_moment, columns_match, meta_match, split_filters, valid_at
from memcli.services.forgetting import rank_factor, retention
from memcli.storage.index import exact_top
from memcli.language.names import first_person, handle, named, resolve
from memcli.base.records import MemoryItem
from memcli.language.shorthand import has_short_forms, short_forms, spelt_out
from memcli.language.spelling import beginnings, looked_for, misspellings, stems
from memcli.base.text import clean_text
from memcli.base.threads import one_blas_thread
from memcli.base.vocab import Kind

from memcli.base.tuning import FUSION_DEPTH, LEARN_FROM, OTHER_SPEAKER, RRF_K, SAME_MESSAGE, SPELLING_UP_TO

# Reciprocal-rank fusion (Cormack et al.): ranks matter, raw scores do not. Deeper
# lists let items that are middling in both outrank the best of one, up to a point.
# A sentence whose message already has a better sentence among the results keeps
# SAME_MESSAGE of its score, so a list filled to a budget reaches more of what was
# said. When the query names one speaker ("What are Nate's hobbies?"), what the
# others said keeps OTHER_SPEAKER of its score. Misspellings are looked for while
# the file holds up to SPELLING_UP_TO memories: reading a range of the keyword
# index's vocabulary costs a pass over its words' matches (see KeywordIndex.terms).
# The values and what chose them: memcli/base/tuning.py.
STOPWORDS = frozenset("""a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my myself
no nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours yourself yourselves ever did
does tell know think""".split())



def message_key(item: MemoryItem) -> tuple[Any, ...]:
    """What identifies the message a memory was kept from: the logged
    message; for the sentences of one message added without a log (``part``
    i of ``parts``, stored as consecutive rows), the first sentence's row."""
    if item.message_ids:
        return ("message", item.message_ids[0])
    part, parts = item.metadata.get("part"), item.metadata.get("parts")
    if isinstance(part, int) and isinstance(parts, int):
        return ("parts", item.session_id, parts, item.id - part + 1)
    return ("memory", item.id)


def later_sentences(order: list[int], items: Mapping[int, MemoryItem]) -> list[int]:
    """The results in ``order`` (best first) that are not the best-ranked
    sentence of their message. Lowering their scores lets a result list filled
    to a word budget reach more of what was said, instead of three sentences
    of one message."""
    seen: set[tuple[Any, ...]] = set()
    later = []
    for label in order:
        item = items.get(label)
        if item is None:
            continue
        key = message_key(item)
        if key in seen:
            later.append(label)
        seen.add(key)
    return later


def fuse(lists: Sequence[tuple[Sequence[tuple[int, float]], int]]) -> dict[int, float]:
    """Reciprocal-rank fusion of ranked lists, each with its rank offset."""
    fused: dict[int, float] = {}
    for hits, after in lists:
        for rank, (label, _) in enumerate(hits):
            # Ranks past the fusion depth count for much less, so asking for
            # more results appends to the list instead of reshuffling its top.
            weight = 1.0 if rank < FUSION_DEPTH else 1e-3
            fused[label] = fused.get(label, 0.0) + weight / (RRF_K + after + rank)
    return fused


def first_depth(limit: int) -> int:
    """How deep each list is read first for ``limit`` results (deeper only when
    filters leave too few)."""
    return max(limit * 2, FUSION_DEPTH)


@dataclass
class Lexical:
    """The keyword side of one search at one depth: the query's content words,
    their misspellings found in the index (terms, and how far down their list
    starts), the BM25 matches of each, and the words no hot memory holds
    (None when there is no cold tier to ask)."""

    depth: int
    words: list[str]
    spelt: list[tuple[list[str], int]]
    keyword: list[tuple[int, float]]
    near: list[tuple[list[tuple[int, float]], int]]
    unmatched: list[str] | None


def mine(query: str) -> str:
    """A question put in the first person, its verbs agreeing: "where does I live" -> "where do I live"."""
    query = re.sub(r"\b(does|is|was|has)( I)\b", lambda m: {"does": "do", "is": "am", "was": "was",
                                                          "has": "have"}[m.group(1).lower()] + m.group(2),
                   query, flags=re.IGNORECASE)
    return re.sub(r"\bI (\w+?)s\b(?!')", lambda m: "I " + m.group(1) if m.group(1).lower() not in ("i", "wa", "ha")
                  else m.group(0), query)


def keyword_query(text: str) -> list[str]:
    """The content words of ``text`` for the keyword index (lower case, no
    stop words, at most 32)."""
    words = [w for w in re.findall(r"[\w']+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    words = list(dict.fromkeys(w.replace("'", "") for w in words if w.replace("'", "")))
    return words[:32]


class Searcher:
    """``Memory.search`` and ``Memory.search_vector`` (see :class:`memcli.Memory`)."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def search(self, query: str, user_id: str | None, limit: int, filters: Mapping[str, Any] | None,
               threshold: float | None, *, as_of: str | datetime | None, include_past: bool,
               include_cold: bool = False) -> list[MemoryItem]:
        """See :meth:`memcli.Memory.search`."""
        query = clean_text(query, "query")
        user = self.core.user(user_id)
        if limit <= 0:
            raise InvalidInput("limit must be positive")
        self.core.check_limit(limit)
        as_of_moment(as_of), split_filters(filters)  # bad input is refused even when nothing is stored
        if self.core.store.vectors.count(user) == 0:
            return []
        # "Mel" for the speaker labelled "Melanie": see memcli/names.py
        speakers = self.core.store.lists.speakers(user)
        if speakers:
            query = resolve(query, speakers, STOPWORDS, lambda word: self._said_with(user, word))
        speaker = named(query, speakers, STOPWORDS) if speakers else None
        if speaker is None:
            query = self._as_the_person(user, query)
        # The keyword side needs no vector: it runs while the query is embedded
        # (where the embedder allows it; see Core.embed_soon).
        pending = self.core.embedding.embed_soon([self._embedded(query, speaker)])
        lexical = self._lexical(user, query, first_depth(limit))
        vector = pending.result()[0]
        return self.search_vector(vector, user, limit, filters, threshold, as_of=as_of,
                                  include_past=include_past, text=query, include_cold=include_cold,
                                  speaker=speaker, lexical=lexical)

    def _as_the_person(self, user: str, query: str) -> str:
        """A question that names the person by their own name ("where does Mina
        live?", as an agent asks through MCP) asked as they would ask it ("where
        do I live?"): their name is a fact of theirs, and otherwise it, not the
        answer, is what the query finds."""
        for name in self.core.store.memories.current_facts(user, "name"):
            value = (name.value or "").strip()
            if len(value) >= 2 and re.search(rf"(?<![\w]){re.escape(value)}(?![\w])", query, re.IGNORECASE):
                return mine(first_person(query, value))
        return query

    @staticmethod
    def _embedded(query: str, speaker: str | None) -> str:
        """What is embedded for ``query``: itself, or, when the one speaker it
        names is labelled by a handle, the question as that speaker would ask
        it ("When did I go ...?"). A handle means nothing to the embedder, so
        in a question it only pulls towards lines that happen to share its
        pieces; what the speaker said is in the first person. (A name does
        carry meaning: asked in the first person, questions about named
        speakers lost recall on LoCoMo, where handles gained.)"""
        if speaker is None or not handle(speaker):
            return query
        mine = first_person(query, speaker)
        return mine if keyword_query(mine) else query

    def _said_with(self, user_id: str, word: str) -> list[tuple[str, str]]:
        """(speaker, what they said) of the user's newest memories that hold
        ``word``, for learning whom a name means (memcli/names.py)."""
        store = self.core.store
        said = []
        for item in store.memories.by_ids(store.keywords.holding(user_id, word, LEARN_FROM), user_id).values():
            speaker = item.metadata.get("name")
            if isinstance(speaker, str) and item.kind == Kind.MESSAGE:
                text = item.memory
                said.append((speaker, text[len(speaker) + 2:] if text.startswith(f"{speaker}: ") else text))
        return said

    def _misspelt(self, user_id: str, words: list[str]) -> list[tuple[list[str], int]]:
        """For each of ``words`` the keyword index's terms that may be it
        misspelt ("recomend" for "recommend"; see memcli/spelling.py), with how
        many of the user's memories hold the word itself (up to the fusion
        depth). Terms are read from the whole index, and only the user's own
        memories are ranked by them."""
        found: list[tuple[list[str], int]] = []
        if not words or self.core.store.keywords.span() > SPELLING_UP_TO:
            return found
        for word, stem in looked_for(words).items():
            terms = [t for start in beginnings(stem) for t in self.core.store.keywords.terms(start)]
            near = misspellings(stem, terms)
            # a term is searched for as a word, which the index stems again:
            # only those the stemmer leaves as they are can be asked for
            near = [t for t, s in stems(near).items() if t == s]
            if near:
                found.append((near, self.core.store.keywords.count(user_id, word, FUSION_DEPTH)))
        return found

    def _shortened(self, user_id: str, words: list[str]) -> list[tuple[list[str], int]]:
        """For each of ``words`` that people shorten in chats ("birthday":
        "bday"), its short forms, with how many of the user's memories hold the
        word itself (up to the fusion depth): like misspellings, a list of
        their own from after the word's own matches, so that a rare short form
        does not outweigh the word (memcli/shorthand.py)."""
        found: list[tuple[list[str], int]] = []
        for word in words:
            forms = [f for f in short_forms(word) if f.isalnum()]  # "b-day", "w/" are no index terms
            if forms:
                found.append((forms, self.core.store.keywords.count(user_id, word, FUSION_DEPTH)))
        return found

    def _lexical(self, user_id: str, text: str | None, k: int, spelt: list[tuple[list[str], int]] | None = None
                 ) -> Lexical:
        """The keyword side of a search for ``text`` at depth ``k``: its BM25
        matches and those of its words' misspellings (``spelt``, when already
        looked for)."""
        store = self.core.store
        population = len(self.core.index(user_id).live)
        if text and has_short_forms(text):
            # "bday" is asked for as "birthday" (and found by both: _shortened);
            # a speaker may be labelled by what is also a short form ("Sis")
            text = spelt_out(text, keep={s.lower() for s in store.lists.speakers(user_id)})
        words = keyword_query(text) if text else []
        if spelt is None:
            # Misspellings of a query's word are ranked in a list of their own,
            # from after the memories that spell the word right: among the words,
            # a rare misspelling would outweigh the word itself (see the README's
            # Misspellings). A capitalised word is a name or a title, whose near
            # spellings are other names.
            typed = set(re.findall(r"\b[a-z]+\b", text or ""))
            spelt = self._misspelt(user_id, [w for w in words if w in typed])
        # which words no hot memory holds matters only when there is a cold tier to ask
        unmatched: list[str] | None = [] if self.core.cold.count(user_id) else None
        keyword = store.keywords.search(user_id, words, k, population, unmatched=unmatched) if words else []
        near = [(store.keywords.search(user_id, terms, k, population), after)
                for terms, after in spelt + self._shortened(user_id, words)]
        return Lexical(k, words, spelt, keyword, near, unmatched)

    def _cold_needed(self, user_id: str, dense: list[tuple[int, float]], unmatched: list[str] | None,
                     asked: bool) -> bool:
        """Whether the cold tier joins this search: when asked; when the best hot
        match is weak (cosine below ``cold_floor``); or when a word of the query
        is in no hot memory but in a cold one (a name or a thing only an old
        memory mentions: the hot tier cannot answer it however similar its best
        match looks)."""
        if self.core.cold.count(user_id) == 0:
            return False
        if asked or not dense or dense[0][1] < self.core.config.cold_floor:
            return True
        return bool(unmatched) and bool(self.core.store.keywords.present(user_id, unmatched or [], cold=True))

    def search_vector(self, vector: Any, user_id: str, limit: int, filters: Mapping[str, Any] | None,
                      threshold: float | None, *, as_of: str | datetime | None, include_past: bool,
                      text: str | None, include_cold: bool = False, speaker: str | None = None,
                      lexical: Lexical | None = None) -> list[MemoryItem]:
        """See :meth:`memcli.Memory.search_vector`; ``speaker``: the one speaker
        the query names (:func:`memcli.language.names.named`), whose memories rank above
        what others said (``OTHER_SPEAKER``); ``lexical``: the keyword side for
        ``text``, when already found."""
        with one_blas_thread():  # a query's products are small (see memcli/threads.py)
            return self._search_vector(vector, user_id, limit, filters, threshold, as_of=as_of,
                                       include_past=include_past, text=text, include_cold=include_cold,
                                       speaker=speaker, lexical=lexical)

    def _search_vector(self, vector: Any, user_id: str, limit: int, filters: Mapping[str, Any] | None,
                       threshold: float | None, *, as_of: str | datetime | None, include_past: bool,
                       text: str | None, include_cold: bool, speaker: str | None,
                       lexical: Lexical | None = None) -> list[MemoryItem]:
        """Retrieve, fuse, reweigh, order, filter; deeper (x4) until ``limit``
        results pass the filters or every memory was looked at."""
        columns, meta = split_filters(filters)
        moment = as_of_moment(as_of)
        index = self.core.index(user_id)
        k = first_depth(limit)
        while True:
            dense = index.search(vector, k)
            if lexical is None or lexical.depth != k:
                lexical = self._lexical(user_id, text, k, lexical.spelt if lexical else None)
            keyword, population = lexical.keyword, len(index.live)
            if self._cold_needed(user_id, dense, lexical.unmatched, include_cold):
                dense, keyword, population = self._with_cold(user_id, vector, k, dense, keyword, lexical.words,
                                                             population)
            fused = fuse([(dense, 0), (keyword, 0), *lexical.near])
            cosine = self._cosines(user_id, vector, fused, dense)
            items = self.core.store.memories.by_ids(list(fused), user_id)
            self._reweigh(fused, items, speaker)
            found: list[MemoryItem] = []
            for label in self._ordered(fused, cosine, items):
                item = items[label]
                score = cosine.get(label, 0.0)
                if threshold is not None and score < threshold:
                    continue
                if not columns_match(item, columns) or (meta and not meta_match(item.metadata, meta)):
                    continue
                if not valid_at(item, moment, include_past):
                    continue
                item.score = round(score, 6)
                found.append(item)
                if len(found) >= limit:
                    break
            if len(found) >= limit or k >= population:
                return found[:limit]
            k *= 4

    def _with_cold(self, user_id: str, vector: Any, k: int, dense: list[tuple[int, float]],
                   keyword: list[tuple[int, float]], words: Any, population: int
                   ) -> tuple[list[tuple[int, float]], list[tuple[int, float]], int]:
        """The dense and keyword lists merged with their cold-tier counterparts by
        score, as if one index held both tiers."""
        cold_ids, cold_vectors = self.core.cold.vectors(user_id)
        if not len(cold_ids):
            return dense, keyword, population
        dense = sorted(dense + exact_top(cold_ids, cold_vectors, vector, k), key=lambda h: -h[1])[:k]
        if words:
            cold_keyword = self.core.store.keywords.search(user_id, words, k, len(cold_ids), cold=True)
            keyword = sorted(keyword + cold_keyword, key=lambda h: h[1])[:k]  # bm25: lower is better
        return dense, keyword, population + len(cold_ids)

    def _cosines(self, user_id: str, vector: Any, fused: dict[int, float],
                 dense: list[tuple[int, float]]) -> dict[int, float]:
        """Each fused memory's cosine to the query (read from its stored vector
        where the dense list did not have it)."""
        import numpy as np

        cosine = {label: score for label, score in dense}
        missing = [label for label in fused if label not in cosine]
        if missing:
            for label, blob in self.core.store.vectors.embeddings(missing, user_id):
                cosine[label] = float(np.dot(np.frombuffer(blob, dtype=np.float32), vector))
        return cosine

    def _reweigh(self, fused: dict[int, float], items: dict[int, MemoryItem], speaker: str | None) -> None:
        """Retention (a faded memory loses to a fresh one of equal relevance), and
        the named speaker's lines above the others'."""
        config = self.core.config
        if config.retention_weight > 0:
            now = self.core.now()
            for label, item in items.items():
                half_life = config.half_life_for(bool(item.sensitivity))
                fused[label] *= rank_factor(retention(item, now, half_life), config.retention_weight)
        if speaker is not None:
            for label, item in items.items():
                said_by = item.metadata.get("name")
                if isinstance(said_by, str) and said_by != speaker:
                    fused[label] *= OTHER_SPEAKER

    @staticmethod
    def _ordered(fused: dict[int, float], cosine: dict[int, float], items: dict[int, MemoryItem]) -> list[int]:
        """The stored memories best first, a message's later sentences spread down."""
        def rank_key(label: int) -> tuple[float, float]:
            return -fused[label], -cosine.get(label, 0.0)

        order = sorted(fused, key=rank_key)
        for label in later_sentences(order, items):
            fused[label] *= SAME_MESSAGE
        order.sort(key=rank_key)
        return [label for label in order if label in items]
