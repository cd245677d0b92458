"""Learning from what the person says: extraction, reconciliation, episodes, provenance.

``Memory.add(..., infer=True)`` and every chat turn come through here. The
messages are logged first; facts and dated events are extracted from what the
person said (never from assistant lines) and each is reconciled with what is
known (:mod:`memcli.reconcile`): added, skipped as a duplicate (a
reinforcement), updated, superseded (the old fact keeps its validity
interval), retracted, or held for the person to confirm. Every memory written
here keeps its provenance: the message ids, session and time said.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from .consolidation import source_message_ids
from .errors import ConfigError, InvalidInput
from .part import MemoryPart
from .records import AddResult, MemoryItem, Piece
from .store import MEMORY_COLUMNS, now_iso
from .text import clean_text, content_hash, iso, lead_in, parse_when, worth_remembering


class LearningMixin(MemoryPart):
    """The inferring half of :class:`memcli.Memory`: ``add(..., infer=True)``,
    ``ingest_message``, ``keep_message``, ``resolve``, episodes and ``why``."""

    @property
    def extractor(self) -> Any:
        """The fact extractor chosen by the config (``auto``: the LLM when an
        instruction-tuned model was given, else the rules)."""
        if self._extractor is None:
            from .extract.rules import RulesExtractor

            choice = self.config.extractor
            capable = self.llm is not None and bool(getattr(self.llm, "has_chat_template", False))
            if choice == "llm" or (choice == "auto" and capable):
                if self.llm is None:
                    raise ConfigError("extractor = 'llm' needs a chat model: pass llm= to Memory, or use 'rules'")
                from .extract.llm import LLMExtractor

                self._extractor = LLMExtractor(self.llm, fallback=RulesExtractor())
            else:
                self._extractor = RulesExtractor()
        return self._extractor

    def _infer(self, messages: Any, user: str, agent_id: str | None, session_id: str | None,
               base_meta: dict[str, Any], said_at: str, actor: str) -> list[AddResult]:
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        items = self._messages(messages, base_meta)
        from .index import user_key

        session = session_id or f"api-{said_at[:10]}-{user_key(user)[:6]}"
        with self.store.transaction():
            self.store.create_session(session, user)
            ids = [self.store.add_message(session, user, role, self.log_text(text),
                                          {**meta, **({"name": name} if name else {})}, created_at=said_at)
                   for role, text, name, meta in items]
        results: list[AddResult] = []
        pieces: list[Piece] = []
        sources: list[dict[str, Any]] = []
        before = ""  # the conversation so far (all roles), for each kept sentence's context
        for (role, text, name, meta), message_id in zip(items, ids):
            if role == "user":  # the assistant's words are never facts about the person
                results += self.ingest_message(text, user, message_id=message_id, session_id=session,
                                               said_at=said_at, speaker=name, metadata=meta, agent_id=agent_id,
                                               actor=actor)
                if self.config.keep_messages:
                    kept = self._kept_pieces(text, meta, name, message_id, before)
                    pieces += kept
                    sources += [{"message_ids": [message_id], "session_id": session, "said_at": said_at}] * len(kept)
            before = lead_in(f"{before} {name}: {text}" if name else f"{before} {text}")
        if pieces:  # one embedding batch and one transaction for the whole call
            results += self._insert(user, agent_id, session, pieces, actor, valid_from=said_at, sources=sources)
        return results

    def _kept_pieces(self, text: str, metadata: dict[str, Any] | None, speaker: str | None,
                     message_id: int, before: str = "") -> list[Piece]:
        """The sentences of a message worth keeping as memories, screened, each
        with its context (the words said before it; ``before``: the conversation
        up to this message)."""
        pieces = []
        meta = {**(metadata or {}), "message_id": message_id}
        for piece in self._pieces(self.log_text(text), meta, speaker, "message", before):
            if not worth_remembering(piece.text.split(": ", 1)[1] if speaker else piece.text):
                continue
            screened = self.screen(piece.text)
            if screened.action in ("store", "redact"):
                piece.text, piece.sensitivity = screened.text, screened.label
                pieces.append(piece)
        return pieces

    def keep_message(
        self, text: str, user_id: str, *, message_id: int, session_id: str, said_at: str,
        speaker: str | None = None, metadata: dict[str, Any] | None = None, agent_id: str | None = None,
        before: str = "", actor: str = "api",
    ) -> list[AddResult]:
        """Keep what the person said (already logged as ``message_id``) as
        searchable memories, sentence by sentence, each pointing back to the
        message and embedded with the words said before it (``before``: what
        preceded the message, e.g. the assistant's last answer). Questions and
        small talk stay in the log only; so does what the privacy policy would
        not store without asking."""
        pieces = self._kept_pieces(text, metadata, speaker, message_id, before)
        if not pieces:
            return []
        source = {"message_ids": [message_id], "session_id": session_id, "said_at": said_at}
        return self._insert(user_id, agent_id, session_id, pieces, actor, valid_from=said_at,
                            sources=[source] * len(pieces))

    def ingest_message(
        self, text: str, user_id: str, *, message_id: int | None, session_id: str | None, said_at: str,
        speaker: str | None = None, metadata: dict[str, Any] | None = None, agent_id: str | None = None,
        actor: str = "api",
    ) -> list[AddResult]:
        """Extract facts and events from one message the person said (already in
        the message log as ``message_id``) and reconcile each with memory."""
        from .text import parse_iso

        facts = self.extractor.extract(text, parse_iso(said_at), speaker=speaker)
        if not facts:
            return []
        own = speaker if speaker and speaker != user_id else None
        vectors = self.embedder.embed([f.text for f in facts])
        source = {"message_ids": [message_id] if message_id is not None else [], "session_id": session_id,
                  "said_at": said_at}
        results: list[AddResult] = []
        for fact, vector in zip(facts, vectors):
            if own and fact.attribute:
                fact.attribute = f"{own.casefold()}:{fact.attribute}"  # one speaker's city is not another's
            results += self._apply_fact(user_id, fact, vector, source=source, metadata=dict(metadata or {}),
                                        agent_id=agent_id, session_id=session_id, said_at=said_at, actor=actor)
        return results

    def _apply_fact(self, user: str, fact: Any, vector: Any, *, source: dict[str, Any], metadata: dict[str, Any],
                    agent_id: str | None, session_id: str | None, said_at: str, actor: str,
                    policy: str | None = None, confirmed: bool = False) -> list[AddResult]:
        from .reconcile import Decision, decide

        when = iso(fact.when) if fact.when is not None else said_at
        index = self._index(user)
        origin = f"{self.extractor.name} extractor, message {source['message_ids']}"
        if fact.extra.get("fallback"):
            origin += f" (LLM failed: {fact.extra['fallback']})"
        if fact.kind == "episode":
            twin = self.store.conn.execute(
                "SELECT id, text FROM memories WHERE user_id = ? AND kind = 'episode' AND hash = ?"
                " AND substr(COALESCE(valid_from, ''), 1, 10) = ?",
                [user, content_hash(fact.text), when[:10]]).fetchone()
            decision = Decision("none", "event already recorded", [twin]) if twin else Decision("add", "new event", [])
        else:
            same = self.store.current_facts(user, fact.attribute, prefix=fact.retract) if fact.attribute else []
            near = []
            if not fact.retract:
                hits = index.search(vector, 5)
                rows = self.store.memories_by_ids([h[0] for h in hits], user)
                near = [(rows[i], score) for i, score in hits
                        if i in rows and rows[i]["kind"] == "fact" and rows[i]["valid_to"] is None]
            decision = decide(fact, same, near, when, policy or self.config.conflict, said_at)
        reason = f"{decision.reason}; {origin}"
        screened = self.screen(fact.text)
        if screened.action == "never":
            return [AddResult(0, "", "REFUSED", screened.reason)]
        if screened.action == "ask" and not confirmed:
            return [AddResult(0, fact.text, "PENDING", screened.reason, pending={
                "fact": {"text": fact.text, "attribute": fact.attribute, "value": fact.value, "kind": fact.kind,
                         "when": when, "single": fact.single, "retract": fact.retract,
                         "importance": fact.importance},
                "user_id": user, "source": source, "metadata": metadata, "agent_id": agent_id,
                "session_id": session_id, "said_at": said_at, "sensitivity": screened.label})]
        if screened.text != fact.text:
            fact.text = screened.text
            vector = self.embedder.embed([fact.text])[0]
        meta = dict(metadata)
        row = {"user_id": user, "agent_id": agent_id, "session_id": session_id, "kind": fact.kind,
               "importance": fact.importance, "sensitivity": screened.label,
               "text": fact.text, "metadata": meta, "hash": content_hash(fact.text),
               "embedding": vector.tobytes(), "embedder": self.embedder.id, "created_at": now_iso(),
               "attribute": fact.attribute, "value": fact.value, "valid_from": when, "source": source}
        added: list[tuple[int, Any]] = []
        removed: list[int] = []
        results: list[AddResult] = []
        if decision.action == "none" and not decision.targets:
            return []  # e.g. retracting something never stored: nothing to record it on
        if decision.action == "conflict":
            old = decision.targets[0]
            pending = {"text": fact.text, "attribute": fact.attribute, "value": fact.value, "kind": fact.kind,
                       "when": when, "single": fact.single, "importance": fact.importance, "source": source,
                       "metadata": metadata, "agent_id": agent_id, "session_id": session_id, "said_at": said_at}
            return [AddResult(0, fact.text, "CONFLICT", reason, int(old["id"]), old["text"], pending)]
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            if decision.action == "none":
                target = self.store.get_memory(int(decision.targets[0]["id"]))
                merged = json.loads(target["source"] or "{}")
                ids = list(dict.fromkeys([*merged.get("message_ids", []), *source["message_ids"]]))
                merged.update({"message_ids": ids, "session_id": merged.get("session_id") or session_id,
                               "said_at": merged.get("said_at") or said_at})
                self.store.reinforce(int(target["id"]), merged, actor, reason)
                results.append(AddResult(int(target["id"]), target["text"], "NONE", reason))
            elif decision.action in ("add", "add_past"):
                if decision.action == "add_past":
                    old = decision.targets[0]
                    row["valid_to"] = old["valid_from"] or old["created_at"]
                new_id = self.store.insert_memory(row, actor=actor, reason=reason)
                added.append((new_id, vector))
                results.append(AddResult(new_id, fact.text, "ADD", reason, kind=fact.kind))
            elif decision.action == "update":
                old = decision.targets[0]
                self.store.update_memory(
                    int(old["id"]), fact.text, content_hash(fact.text), vector.tobytes(), self.embedder.id, actor,
                    reason=reason, fields={"value": fact.value, "valid_from": when, "source": source})
                added.append((int(old["id"]), vector))
                results.append(AddResult(int(old["id"]), fact.text, "UPDATE", reason, int(old["id"]), old["text"]))
            elif decision.action == "supersede":
                row["event"] = "ADD"
                new_id = self.store.insert_memory(row, actor=actor, reason=reason)
                for old in decision.targets:
                    # An undated fact's start is only when it was said; it cannot end before that.
                    ended = max(when, old["valid_from"] or when)
                    self.store.end_validity(int(old["id"]), ended, actor, "SUPERSEDE",
                                            f"superseded by memory {new_id}: {fact.text}")
                added.append((new_id, vector))
                first = decision.targets[0]
                results.append(AddResult(new_id, fact.text, "SUPERSEDE", reason, int(first["id"]), first["text"],
                                         kind=fact.kind))
            elif decision.action == "retract":
                for old in decision.targets:
                    if (policy or self.config.conflict) == "overwrite":
                        self.store.delete_memory(int(old["id"]), actor, reason)
                        removed.append(int(old["id"]))
                    else:
                        self.store.end_validity(int(old["id"]), when, actor, "DELETE", reason)
                    results.append(AddResult(int(old["id"]), old["text"], "DELETE", reason))
        self._apply(user, index, stale, add=added, remove=removed)
        return results

    def resolve(self, result: AddResult, accept: bool = True, *, actor: str = "api") -> list[AddResult]:
        """Settle a result that waits for the person: a ``CONFLICT`` (policy ask:
        ``accept`` supersedes the old fact) or a ``PENDING`` sensitive memory
        (``accept`` stores it). Declining stores nothing (a conflict's refusal
        is noted in the old fact's history)."""
        from .extract import Fact
        from .text import parse_iso

        p = result.pending
        if result.event not in ("CONFLICT", "PENDING") or not p:
            raise InvalidInput("only a CONFLICT or PENDING result can be resolved")
        if result.event == "CONFLICT":
            user = self.get(result.previous_id).user_id if result.previous_id else self._user(None)
            if not accept:
                with self.store.transaction():
                    self.store.add_history(int(result.previous_id or 0), user, "NONE", None, None, actor,
                                           f"kept; the person rejected: {p['text']}")
                return []
            fact = Fact(text=p["text"], attribute=p["attribute"], value=p["value"], single=p["single"],
                        kind=p["kind"], when=parse_iso(p["when"]), importance=p["importance"])
            vector = self.embedder.embed([fact.text])[0]
            return self._apply_fact(user, fact, vector, source=p["source"], metadata=p["metadata"],
                                    agent_id=p["agent_id"], session_id=p["session_id"], said_at=p["said_at"],
                                    actor=actor, policy="supersede", confirmed=True)
        if not accept:
            return []
        if "raw" in p:  # already screened (and masked) when it was held back
            raw = p["raw"]
            piece = Piece(raw["text"], raw["metadata"], raw["kind"], p.get("sensitivity"), raw.get("context", ""))
            return self._insert(p["user_id"], p["agent_id"], p["session_id"], [piece], actor,
                                valid_from=p.get("valid_from"))
        f = p["fact"]
        fact = Fact(text=f["text"], attribute=f["attribute"], value=f["value"], single=f["single"],
                    retract=f["retract"], kind=f["kind"], when=parse_iso(f["when"]), importance=f["importance"])
        vector = self.embedder.embed([fact.text])[0]
        return self._apply_fact(p["user_id"], fact, vector, source=p["source"], metadata=p["metadata"],
                                agent_id=p["agent_id"], session_id=p["session_id"], said_at=p["said_at"],
                                actor=actor, confirmed=True)

    resolve_conflict = resolve

    # episodes ------------------------------------------------------------------------

    def record_episode(self, user_id: str | None, type: str, summary: str,
                       metadata: Mapping[str, Any] | None = None, *, occurred_at: str | datetime | None = None,
                       session_id: str | None = None, actor: str = "api") -> MemoryItem:
        """Record a dated event or a session summary in the episodic log."""
        user = self._user(user_id)
        summary = self.log_text(clean_text(summary, "episode summary"))
        kind_type = clean_text(type, "episode type")
        when = self._said_at(occurred_at)
        vector = self.embedder.embed([summary])[0]
        index = self._index(user)
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            new_id = self.store.insert_memory(
                {"user_id": user, "session_id": session_id, "kind": "episode", "text": summary,
                 "metadata": self._check_metadata(metadata), "hash": content_hash(summary),
                 "embedding": vector.tobytes(), "embedder": self.embedder.id, "created_at": now_iso(),
                 "attribute": kind_type, "valid_from": when, "source": {"session_id": session_id}},
                actor=actor, reason=f"{kind_type} episode")
        self._apply(user, index, stale, add=[(new_id, vector)])
        return self.get(new_id)

    def episodes(self, user_id: str | None = None, type: str | None = None,
                 since: str | datetime | None = None, limit: int | None = 10) -> list[MemoryItem]:
        """The episodic log, most recent first (by when it happened)."""
        user = self._user(user_id)
        sql = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND kind = 'episode'"
        args: list[Any] = [user]
        if type is not None:
            sql += " AND attribute = ?"
            args.append(type)
        if since is not None:
            sql += " AND COALESCE(valid_from, created_at) >= ?"
            args.append(iso(since) if isinstance(since, datetime) else iso(parse_when(since)))
        sql += " ORDER BY COALESCE(valid_from, created_at) DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [MemoryItem.from_row(r) for r in self.store.conn.execute(sql, args)]

    def why(self, memory_id: int) -> dict[str, Any]:
        """Where a memory came from: the messages it was extracted from, and its history."""
        item = self.get(memory_id)
        ids = source_message_ids(item)
        messages = [{"id": r["id"], "session_id": r["session_id"], "role": r["role"], "content": r["content"],
                     "said_at": r["created_at"]} for r in self.store.messages_by_ids(ids, item.user_id)]
        return {"memory": item.to_dict(), "messages": messages,
                "history": [e.to_dict() for e in self.history(item.id)]}
