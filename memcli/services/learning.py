"""Learning from what the person says: extraction, reconciliation, episodes, provenance.

``Memory.add(..., infer=True)`` and every chat turn come through here. The
messages are logged first; facts and dated events are extracted from what the
person said (never from assistant lines) and each is reconciled with what is
known (:mod:`memcli.services.reconcile`): added, skipped as a duplicate (a
reinforcement), updated, superseded (the old fact keeps its validity
interval), retracted, or held for the person to confirm. Every memory written
here keeps its provenance: the message ids, session and time said.
"""

from __future__ import annotations

from typing import Any

from memcli.services.adding import Adder, Turns, parse_messages
from memcli.services.calibration import model_extracts
from memcli.engine.core import Core
from memcli.base.errors import ConfigError, InvalidInput
from memcli.extraction import Fact
from memcli.base.files import user_key
from memcli.base.records import AddResult, MemoryItem
from memcli.base.text import content_hash, iso, parse_iso, worth_remembering
from memcli.base.vocab import Action, Actor, ConflictPolicy, Event, Kind, Policy


class Learner:
    """The inferring half of :class:`memcli.Memory`: ``add(..., infer=True)``,
    ``ingest_message``, ``keep_message`` and ``resolve``."""

    def __init__(self, core: Core, adder: Adder) -> None:
        self.core = core
        self.adder = adder
        self._extractor: Any = None
        self._extractor_llm: Any = None

    @property
    def extractor(self) -> Any:
        """The fact extractor chosen by the config (``auto``: the LLM when an
        instruction-tuned model is loaded and beat the rules on the calibration
        set, else the rules)."""
        if self._extractor is None or self._extractor_llm is not self.core.llm:
            from memcli.extraction.rules import RulesExtractor

            llm = self.core.llm
            if model_extracts(self.core):
                if llm is None:
                    raise ConfigError("extractor = 'llm' needs a chat model: pass llm= to Memory, or use 'rules'")
                from memcli.extraction.llm import LLMExtractor

                self._extractor = LLMExtractor(llm, fallback=RulesExtractor())
            else:
                self._extractor = RulesExtractor()
            if self.core.config.facts != "personal":
                from memcli.extraction.project import ScopedExtractor

                self._extractor = ScopedExtractor(self._extractor, self.core.config.facts)
            self._extractor_llm = llm
        return self._extractor

    # whole conversations ----------------------------------------------------------------

    def learn(self, messages: Any, user: str, *, agent_id: str | None, session_id: str | None,
              metadata: dict[str, Any], said_at: str, actor: str) -> list[AddResult]:
        """``Memory.add(..., infer=True)``: log, extract, reconcile, keep sentences."""
        self.core.require_long_term()
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        items = parse_messages(messages, metadata)
        session = session_id or f"api-{said_at[:10]}-{user_key(user)[:6]}"
        with self.core.write() as w:
            w.open_session(session, user)
            ids = [w.log(session, user, role, self.core.privacy.log_text(text), {**meta, **({"name": name} if name else {})},
                         created_at=said_at)
                   for role, text, name, meta in items]
        results: list[AddResult] = []
        walk = Turns(self.adder.split)  # the conversation so far (all roles) and each speaker's turn
        for (role, text, name, meta), message_id in zip(items, ids):
            walk.start(role, name, text)
            if role == "user":  # the assistant's words are never facts about the person
                results += self.ingest_message(text, user, message_id=message_id, session_id=session,
                                               said_at=said_at, speaker=name, metadata=meta, agent_id=agent_id,
                                               actor=actor)
                if self.core.config.keep_messages:
                    walk.add(self.kept_pieces(text, user, meta, name, message_id, session, said_at, agent_id,
                                              walk.before))
            walk.said(text, name)
        kept = walk.done()
        if kept:  # one embedding batch and one transaction for the whole call
            results += self.adder.insert(kept, actor)
        return results

    def kept_pieces(self, text: str, user: str, metadata: dict[str, Any] | None, speaker: str | None,
                    message_id: int, session_id: str, said_at: str, agent_id: str | None,
                    before: str = "") -> list[MemoryItem]:
        """The sentences of a message worth keeping as memories, screened, each with
        its provenance and its context (the words said before it; ``before``: the
        conversation up to this message)."""
        base = MemoryItem(0, "", user, agent_id=agent_id, session_id=session_id, kind=Kind.MESSAGE,
                          valid_from=said_at,
                          source={"message_ids": [message_id], "session_id": session_id, "said_at": said_at})
        meta = {**(metadata or {}), "message_id": message_id}
        kept = []
        for piece in self.adder.pieces(base, self.core.privacy.log_text(text), meta, speaker, before):
            words = piece.memory.split(": ", 1)[1] if speaker else piece.memory
            if not worth_remembering(words) or (self.core.config.facts == "project" and self._about_life(words)):
                continue
            screened = self.core.privacy.screen(piece.memory)
            if screened.action in (Policy.STORE, Policy.REDACT):
                piece.memory, piece.sensitivity = screened.text, screened.label
                kept.append(piece)
        return kept

    def _about_life(self, sentence: str) -> bool:
        from memcli.extraction.project import about_life

        return about_life(sentence, self.core.now())

    def keep_message(self, text: str, user_id: str, *, message_id: int, session_id: str, said_at: str,
                     speaker: str | None, metadata: dict[str, Any] | None, agent_id: str | None, before: str,
                     actor: str) -> list[AddResult]:
        """See :meth:`memcli.Memory.keep_message`."""
        self.core.require_long_term()
        pieces = self.kept_pieces(text, user_id, metadata, speaker, message_id, session_id, said_at, agent_id,
                                  before)
        return self.adder.insert(pieces, actor) if pieces else []

    # one message -------------------------------------------------------------------------

    def ingest_message(self, text: str, user_id: str, *, message_id: int | None, session_id: str | None,
                       said_at: str, speaker: str | None = None, metadata: dict[str, Any] | None = None,
                       agent_id: str | None = None, actor: str = Actor.API) -> list[AddResult]:
        """See :meth:`memcli.Memory.ingest_message`."""
        self.core.require_long_term()
        facts = self.extractor.extract(text, parse_iso(said_at), speaker=speaker)
        results = self._note_dropped(user_id, getattr(self.extractor, "last_dropped", []), message_id, actor)
        if not facts:
            return results
        own = speaker if speaker and speaker != user_id else None
        vectors = self.core.embedding.embed([f.text for f in facts])
        source = {"message_ids": [message_id] if message_id is not None else [], "session_id": session_id,
                  "said_at": said_at}
        for fact, vector in zip(facts, vectors):
            if own and fact.attribute:
                fact.attribute = f"{own.casefold()}:{fact.attribute}"  # one speaker's city is not another's
            results += self.apply_fact(user_id, fact, vector, source=source, metadata=dict(metadata or {}),
                                       agent_id=agent_id, session_id=session_id, said_at=said_at, actor=actor)
        return results

    def _note_dropped(self, user: str, dropped: list[Fact], message_id: int | None, actor: str) -> list[AddResult]:
        """What the model proposed that the person's words do not support: not kept,
        but said (a REFUSED result) and noted in the user's history."""
        results = []
        for fact in dropped:
            reason = f"the model's fact {fact.text!r} is not in the person's words (message {message_id})"
            results.append(AddResult(0, "", Event.REFUSED, reason))
        if results:
            with self.core.write() as w:
                for result in results:
                    w.note(0, user, Event.REFUSED, str(result.reason), actor=actor)
        return results

    def _decide(self, user: str, fact: Fact, vector: Any, when: str, said_at: str, policy: str) -> Any:
        from memcli.services.reconcile import Decision, decide

        memories = self.core.store.memories
        if fact.kind == Kind.EPISODE:
            twin = memories.episode_on(user, content_hash(fact.text), when[:10])
            return Decision(Action.NONE, "event already recorded", [twin]) if twin \
                else Decision(Action.ADD, "new event", [])
        same = memories.current_facts(user, fact.attribute, prefix=fact.retract) if fact.attribute else []
        near = []
        if not fact.retract:
            hits = self.core.index(user).search(vector, 5)
            found = memories.by_ids([h[0] for h in hits], user)
            near = [(found[i], score) for i, score in hits
                    if i in found and found[i].kind == Kind.FACT and found[i].valid_to is None]
        return decide(fact, same, near, when, policy, said_at)

    def apply_fact(self, user: str, fact: Fact, vector: Any, *, source: dict[str, Any], metadata: dict[str, Any],
                   agent_id: str | None, session_id: str | None, said_at: str, actor: str,
                   policy: str | None = None, confirmed: bool = False) -> list[AddResult]:
        """Reconcile one extracted fact with what is known, and apply the decision."""
        policy = policy or self.core.config.conflict
        when = iso(fact.when) if fact.when is not None else said_at
        decision = self._decide(user, fact, vector, when, said_at, policy)
        origin = f"{self.extractor.name} extractor, message {source['message_ids']}"
        if fact.extra.get("fallback"):
            origin += f" (LLM failed: {fact.extra['fallback']})"
        reason = f"{decision.reason}; {origin}"
        screened = self.core.privacy.screen(fact.text)
        if screened.action == Policy.NEVER:
            return [AddResult(0, "", Event.REFUSED, screened.reason)]
        if screened.action == Policy.ASK and not confirmed:
            return [AddResult(0, fact.text, Event.PENDING, screened.reason, pending={
                "fact": {"text": fact.text, "attribute": fact.attribute, "value": fact.value, "kind": fact.kind,
                         "when": when, "single": fact.single, "retract": fact.retract,
                         "importance": fact.importance},
                "user_id": user, "source": source, "metadata": metadata, "agent_id": agent_id,
                "session_id": session_id, "said_at": said_at, "sensitivity": screened.label})]
        if screened.text != fact.text:
            fact.text = screened.text
            vector = self.core.embedding.embed([fact.text])[0]
        if decision.action == Action.NONE and not decision.targets:
            return []  # e.g. retracting something never stored: nothing to record it on
        if decision.action == Action.CONFLICT:
            old = decision.targets[0]
            pending = {"text": fact.text, "attribute": fact.attribute, "value": fact.value, "kind": fact.kind,
                       "when": when, "single": fact.single, "importance": fact.importance, "source": source,
                       "metadata": metadata, "agent_id": agent_id, "session_id": session_id, "said_at": said_at}
            return [AddResult(0, fact.text, Event.CONFLICT, reason, old.id, old.memory, pending)]
        new = MemoryItem(0, fact.text, user, agent_id=agent_id, session_id=session_id, kind=fact.kind,
                         metadata=dict(metadata), attribute=fact.attribute, value=fact.value, valid_from=when,
                         source=source, importance=fact.importance, sensitivity=screened.label)
        with self.core.write() as w:
            return self._apply(w, decision, fact, new, vector, when, policy, actor, reason)

    def _apply(self, w: Any, decision: Any, fact: Fact, new: MemoryItem, vector: Any, when: str, policy: str,
               actor: str, reason: str) -> list[AddResult]:
        action, targets = decision.action, decision.targets
        if action == Action.NONE:
            target = self.core.store.memories.get(targets[0].id)
            merged = dict(target.source)
            ids = list(dict.fromkeys([*merged.get("message_ids", []), *new.source["message_ids"]]))
            merged.update({"message_ids": ids, "session_id": merged.get("session_id") or new.session_id,
                           "said_at": merged.get("said_at") or new.source.get("said_at")})
            w.reinforce(target.id, merged, actor=actor, reason=reason)
            return [AddResult(target.id, target.memory, Event.NONE, reason)]
        if action in (Action.ADD, Action.ADD_PAST):
            if action == Action.ADD_PAST:
                new.valid_to = targets[0].started
            w.insert(new, vector, actor=actor, reason=reason)
            return [AddResult(new.id, fact.text, Event.ADD, reason, kind=fact.kind)]
        if action == Action.UPDATE:
            old = targets[0]
            w.update_text(old.id, fact.text, vector, actor=actor, reason=reason,
                          fields={"value": fact.value, "valid_from": when, "source": new.source})
            return [AddResult(old.id, fact.text, Event.UPDATE, reason, old.id, old.memory)]
        if action == Action.SUPERSEDE:
            w.insert(new, vector, actor=actor, reason=reason)
            for old in targets:
                # An undated fact's start is only when it was said; it cannot end before that.
                ended = max(when, old.valid_from or when)
                w.end_validity(old.id, ended, actor=actor, event=Event.SUPERSEDE,
                               reason=f"superseded by memory {new.id}: {fact.text}")
                self._end_sentences_of(w, old, ended, f"which memory {new.id} replaced: {fact.text}", actor)
            first = targets[0]
            return [AddResult(new.id, fact.text, Event.SUPERSEDE, reason, first.id, first.memory, kind=fact.kind)]
        results = []  # Action.RETRACT
        for old in targets:
            if policy == ConflictPolicy.OVERWRITE:
                w.delete(old.id, actor=actor, reason=reason)
            else:
                ended = max(when, old.valid_from or when)
                w.end_validity(old.id, ended, actor=actor, event=Event.DELETE, reason=reason)
                self._end_sentences_of(w, old, ended, f"which is no longer true: {fact.text}", actor)
            results.append(AddResult(old.id, old.memory, Event.DELETE, reason))
        return results

    def _end_sentences_of(self, w: Any, old: MemoryItem, ended: str, why: str, actor: str) -> None:
        """The sentences kept from the message an ended fact came from, where they
        name the old value ("I live in Seoul and work as a nurse" once the person
        lives in Busan, or says "I'm not a nurse anymore"), stop being current
        with it: otherwise recall keeps offering the old value as true. What
        else they said is kept as its own facts; the sentences stay in history,
        ``--include-past`` and ``--as-of``."""
        import re

        value = (old.value or "").strip()
        if not value:
            return
        pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
        for said in self.core.store.memories.current_said_in(old.user_id, old.message_ids):
            if pattern.search(said.memory):
                w.end_validity(said.id, max(ended, said.valid_from or ended), actor=actor, event=Event.SUPERSEDE,
                               reason=f"names '{value}', {why}")

    # waiting for the person ------------------------------------------------------------------

    def resolve(self, result: AddResult, accept: bool, actor: str) -> list[AddResult]:
        """See :meth:`memcli.Memory.resolve`."""
        p = result.pending
        if result.event not in (Event.CONFLICT, Event.PENDING) or not p:
            raise InvalidInput("only a CONFLICT or PENDING result can be resolved")
        if result.event == Event.CONFLICT:
            user = self.core.store.memories.get(result.previous_id).user_id if result.previous_id \
                else self.core.user(None)
            if not accept:
                with self.core.write() as w:
                    w.note(int(result.previous_id or 0), user, Event.NONE, f"kept; the person rejected: {p['text']}",
                           actor=actor)
                return []
            fact = Fact(text=p["text"], attribute=p["attribute"], value=p["value"], single=p["single"],
                        kind=p["kind"], when=parse_iso(p["when"]), importance=p["importance"])
            return self.apply_fact(user, fact, self.core.embedding.embed([fact.text])[0], source=p["source"],
                                   metadata=p["metadata"], agent_id=p["agent_id"], session_id=p["session_id"],
                                   said_at=p["said_at"], actor=actor, policy=ConflictPolicy.SUPERSEDE,
                                   confirmed=True)
        if not accept:
            return []
        if "raw" in p:  # already screened (and masked) when it was held back
            raw = p["raw"]
            item = MemoryItem(0, raw["text"], p["user_id"], agent_id=p["agent_id"], session_id=p["session_id"],
                              kind=raw["kind"], metadata=raw["metadata"], valid_from=p.get("valid_from"),
                              sensitivity=p.get("sensitivity"), context=raw.get("context") or None)
            return self.adder.insert([item], actor)
        f = p["fact"]
        fact = Fact(text=f["text"], attribute=f["attribute"], value=f["value"], single=f["single"],
                    retract=f["retract"], kind=f["kind"], when=parse_iso(f["when"]), importance=f["importance"])
        return self.apply_fact(p["user_id"], fact, self.core.embedding.embed([fact.text])[0], source=p["source"],
                               metadata=p["metadata"], agent_id=p["agent_id"], session_id=p["session_id"],
                               said_at=p["said_at"], actor=actor, confirmed=True)
