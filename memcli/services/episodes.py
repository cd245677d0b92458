"""Episodic memory: dated events and session summaries.

Episodes are memories of kind ``episode`` (one vector space, one deletion
path, one index per user) whose ``attribute`` is their type (``event``,
``session``, ...) and whose ``valid_from`` is when they happened. Events come
from extraction (:mod:`memcli.services.learning`); a chat session gets a summary when
it ends: written by an instruction-tuned model when one is loaded, otherwise
extractive (the person's own lines, shortened). A summary points to the
messages it was made from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from memcli.services.adding import check_metadata
from memcli.engine.core import Core
from memcli.services.erasure import Eraser
from memcli.base.filters import since_moment
from memcli.language.grounding import supported
from memcli.base.records import MemoryItem
from memcli.base.text import clean_text, said_at_text
from memcli.base.vocab import Kind
from memcli.services.calibration import model_writes_summaries
from memcli.services.summaries import extractive_summary, llm_summary

SESSION = "session"  # the episode type of a session summary
# A model's summary is kept when at least this share of its content words are the person's.
GROUNDED_SHARE = 0.8


class Episodes:
    """The episodic log of :class:`memcli.Memory`."""

    def __init__(self, core: Core, eraser: Eraser) -> None:
        self.core = core
        self.eraser = eraser

    def record(self, user_id: str | None, type: str, summary: str, metadata: Mapping[str, Any] | None, *,
               occurred_at: str | datetime | None, session_id: str | None, actor: str,
               message_ids: list[int] | None = None) -> MemoryItem:
        """See :meth:`memcli.Memory.record_episode`."""
        self.core.require_long_term()
        user = self.core.user(user_id)
        text = self.core.privacy.log_text(clean_text(summary, "episode summary"))
        kind_type = clean_text(type, "episode type")
        source: dict[str, Any] = {"session_id": session_id}
        if message_ids:
            source["message_ids"] = list(message_ids)
        item = MemoryItem(0, text, user, session_id=session_id, kind=Kind.EPISODE, metadata=check_metadata(metadata),
                          attribute=kind_type, valid_from=said_at_text(occurred_at, self.core.now_iso), source=source)
        vector = self.core.embedding.embed([text])[0]
        with self.core.write() as w:
            w.insert(item, vector, actor=actor, reason=f"{kind_type} episode")
        return self.core.store.memories.get(item.id)

    def listed(self, user_id: str | None, type: str | None, since: str | datetime | None,
             limit: int | None) -> list[MemoryItem]:
        """The episodic log, most recent first (by when it happened)."""
        return self.core.store.lists.episodes(self.core.user(user_id), type=type, since=since_moment(since),
                                                 limit=limit)

    def summarise_session(self, session_id: str, user_id: str, actor: str) -> MemoryItem | None:
        """Write (or rewrite) a session's summary in the episodic log; None when the
        person said nothing worth a summary."""
        if not self.core.config.long_term:
            return None
        rows = self.core.store.sessions.recent(session_id, 400)
        said = [r for r in rows if r.role == "user"]
        if self.core.config.facts == "project":  # a project's summary leaves the person's life out
            from memcli.extraction.project import about_life

            said = [r for r in said if not about_life(r.content, self.core.now())]
        if not said:
            return None
        text = None
        if model_writes_summaries(self.core):
            text = llm_summary(self.core.llm, [(r.role, r.content) for r in rows])
            # A model's summary is kept only when the person's own lines support it,
            # and only what the privacy policy would store.
            if text and supported(text, " ".join(r.content for r in said), GROUNDED_SHARE):
                text = self.core.privacy.storable(text)
            else:
                text = None
        if not text:
            text = extractive_summary([r.content for r in said], self.core.privacy.storable)
        if not text:
            return None
        self.eraser.forget_session_summaries(session_id, user_id, actor, "session summary rewritten")
        return self.record(user_id, SESSION, text, {"messages": len(rows)}, occurred_at=rows[0].created_at,
                           session_id=session_id, actor=actor, message_ids=[r.id for r in said])
