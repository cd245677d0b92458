"""Search: the query's vector neighbours and keyword matches, fused.

A query's nearest vectors in the user's HNSW index and its BM25 matches in
SQLite FTS5 are fused by reciprocal rank (the top ``FUSION_DEPTH`` of each),
then scaled by retention, so a faded memory loses to a fresh one of equal
relevance. Facts no longer true are left out unless ``as_of`` (what was true
then) or ``include_past``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping

from .errors import InvalidInput
from .forgetting import rank_factor, retention_of
from .part import MemoryPart
from .records import MemoryItem
from .text import clean_text, iso, parse_when

FILTER_COLUMNS = ("agent_id", "session_id", "kind")
RRF_K = 60  # reciprocal-rank fusion constant (Cormack et al.); ranks matter, raw scores do not
# Candidates taken from each list before fusing: deeper lists let items that are
# middling in both outrank the best of one (measured on LoCoMo: 30 beats 50 or 100).
FUSION_DEPTH = 30
STOPWORDS = frozenset("""a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my myself
no nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours yourself yourselves ever did
does tell know think""".split())


def keyword_query(text: str) -> list[str]:
    """The content words of ``text`` for the keyword index (lower case, no
    stop words, at most 32)."""
    words = [w for w in re.findall(r"[\w']+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    words = list(dict.fromkeys(w.replace("'", "") for w in words if w.replace("'", "")))
    return words[:32]


class SearchMixin(MemoryPart):
    """``Memory.search`` and ``Memory.search_vector`` (see :class:`memcli.Memory`)."""

    def search(
        self,
        query: str,
        user_id: str | None = None,
        limit: int = 10,
        filters: Mapping[str, Any] | None = None,
        threshold: float | None = None,
        *,
        as_of: str | datetime | None = None,
        include_past: bool = False,
    ) -> list[MemoryItem]:
        """The user's memories closest in meaning to ``query``, best first, each
        with ``score`` (cosine similarity). Never returns another user's memory.
        Only facts that are true now, unless ``as_of`` (what was true then) or
        ``include_past``."""
        query = clean_text(query, "query")
        user = self._user(user_id)
        if limit <= 0:
            raise InvalidInput("limit must be positive")
        if self.store.count_memories(user) == 0:
            return []
        vector = self.embedder.embed([query])[0]
        return self.search_vector(vector, user, limit, filters, threshold, as_of=as_of,
                                  include_past=include_past, text=query)

    def search_vector(
        self,
        vector: Any,
        user_id: str,
        limit: int = 10,
        filters: Mapping[str, Any] | None = None,
        threshold: float | None = None,
        *,
        as_of: str | datetime | None = None,
        include_past: bool = False,
        text: str | None = None,
    ) -> list[MemoryItem]:
        """Like :meth:`search` with the query vector already embedded. With
        ``text``, vector hits are fused with keyword (BM25) hits by reciprocal
        rank; ``score`` stays the cosine similarity."""
        import numpy as np

        columns, meta = self._split_filters(filters)
        moment = as_of_moment(as_of)
        index = self._index(user_id)
        words = keyword_query(text) if text else []
        k = max(limit * 2, FUSION_DEPTH)
        while True:
            dense = index.search(vector, k)
            keyword = self.store.keyword_search(user_id, words, k, len(index.live)) if words else []
            fused: dict[int, float] = {}
            for hits in (dense, keyword):
                for rank, (label, _) in enumerate(hits):
                    # Ranks past the fusion depth count for much less, so asking for
                    # more results appends to the list instead of reshuffling its top.
                    weight = 1.0 if rank < FUSION_DEPTH else 1e-3
                    fused[label] = fused.get(label, 0.0) + weight / (RRF_K + rank)
            cosine = {label: score for label, score in dense}
            missing = [label for label in fused if label not in cosine]
            if missing:
                for label, blob in self.store.embeddings(missing, user_id):
                    cosine[int(label)] = float(np.dot(np.frombuffer(blob, dtype=np.float32), vector))
            rows = self.store.memories_by_ids(list(fused), user_id)
            if self.config.retention_weight > 0:
                # A faded memory loses to a fresh one of equal relevance.
                now = datetime.now(timezone.utc)
                for label, fact in rows.items():
                    r = retention_of(bool(fact["pinned"]),
                                     fact["last_accessed"] or fact["valid_from"] or fact["created_at"],
                                     float(fact["importance"]), int(fact["access_count"]), int(fact["reinforced"]),
                                     now, self.config.half_life_days)
                    fused[label] *= rank_factor(r, self.config.retention_weight)
            order = sorted(fused, key=lambda label: (-fused[label], -cosine.get(label, 0.0)))
            found: list[MemoryItem] = []
            for label in order:
                row = rows.get(label)
                if row is None:
                    continue
                score = cosine.get(label, 0.0)
                if threshold is not None and score < threshold:
                    continue
                if any(row[c] != v for c, v in columns.items()):
                    continue
                item = MemoryItem.from_row(row, score=round(score, 6))
                if meta and not meta_match(item.metadata, meta):
                    continue
                if not valid_at(item, moment, include_past):
                    continue
                found.append(item)
                if len(found) >= limit:
                    break
            if len(found) >= limit or k >= len(index.live):
                return found[:limit]
            k *= 4

    def _split_filters(self, filters: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        if filters is None:
            return {}, {}
        if not isinstance(filters, Mapping):
            raise InvalidInput("filters must be a dict")
        columns = {k: v for k, v in filters.items() if k in FILTER_COLUMNS}
        meta = {k: v for k, v in filters.items() if k not in FILTER_COLUMNS and k != "metadata"}
        extra = filters.get("metadata")
        if extra is not None:
            if not isinstance(extra, Mapping):
                raise InvalidInput("filters['metadata'] must be a dict")
            meta.update(extra)
        if "user_id" in meta:
            raise InvalidInput("pass user_id as its own argument, not in filters")
        return columns, meta


def meta_match(metadata: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(metadata.get(k) == v for k, v in wanted.items())


def as_of_moment(value: str | datetime | None) -> str | None:
    """An as-of moment as stored ISO text; a bare date means the end of that day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
    moment = parse_when(value)
    if len(value.strip()) == 10:
        from datetime import timedelta

        moment = moment + timedelta(days=1) - timedelta(microseconds=1)
    return iso(moment)


def valid_at(item: MemoryItem, moment: str | None, include_past: bool) -> bool:
    if moment is None:
        return include_past or item.valid_to is None
    start = item.valid_from or item.created_at
    return start <= moment and (item.valid_to is None or item.valid_to > moment)
