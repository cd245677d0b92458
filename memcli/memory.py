"""``Memory``: the public Python API. No terminal code lives here.

    from memcli import Memory
    with Memory() as m:
        m.add("I live in Busan", user_id="alice")
        m.search("where does she live", user_id="alice")

Writes go to SQLite first (the source of truth), then to the user's HNSW
index, which is saved when the Memory is closed (deletions are saved at once).
If a process dies in between, the index's generation no longer matches the
database and it is rebuilt from the stored vectors on next use.
"""

from __future__ import annotations

import atexit
import json
import re
import time
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from . import __version__
from .config import Config
from .consolidation import (
    Consolidation,
    extractive_summary,
    group_faded,
    merged_source,
    source_message_ids,
    summary_fields,
)
from .errors import ConfigError, InvalidInput, NotFound
from .files import shred
from .forgetting import rank_factor, retention, retention_of
from .index import Progress, UserIndex
from .models.embedder import Embedder, make_embedder
from .records import AddResult, HistoryEvent, ImportReport, MemoryItem
from .store import MEMORY_COLUMNS, Store, now_iso
from .text import clean_text, content_hash, iso, parse_when, worth_remembering
from .transfer import FORMAT, SCHEMA_VERSION, encode_vector, parse_document

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


class Memory:
    """A person's memories: add, search, inspect, change, forget, export, import.

    Args:
        path: the SQLite file (default: from the config, else the data folder).
        config: a :class:`Config`, a dict in the config file's shape, or a path
            to a TOML config file. Default: the user's config file, if any.
        embedder: an object following the :class:`Embedder` protocol, to use
            instead of the one named in the config.
        progress: called as ``progress(label, done, total)`` during long work
            (index rebuilds, re-embedding, imports).
        llm: a model following :class:`memcli.models.llm.LLM`, for fact
            extraction when ``extractor`` is ``llm`` (or ``auto`` and the model
            is instruction-tuned).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        config: Config | Mapping[str, Any] | str | Path | None = None,
        *,
        embedder: Embedder | None = None,
        progress: Progress | None = None,
        llm: Any = None,
    ) -> None:
        if isinstance(config, Config):
            self.config = config
        elif isinstance(config, Mapping):
            self.config = Config.from_dict(dict(config), source="<dict>")
        else:
            self.config = Config.load(config)
        if path is not None:
            self.config.db = str(path)
        self.path = self.config.db_path
        self.index_dir = self.path.with_name(self.path.name + ".index")
        self.progress = progress
        self._embedder = embedder
        self.llm = llm  # used by the LLM extractor when the config asks for it
        self._extractor: Any = None
        self._indexes: dict[str, UserIndex] = {}
        self.store = Store(self.path)
        self._closed = False
        ref = weakref.ref(self)
        self._atexit = lambda: (ref() and ref().close())  # type: ignore[union-attr]
        atexit.register(self._atexit)

    # lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Save changed indexes and close the database. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._atexit)
        try:
            for index in self._indexes.values():
                if index.dirty:
                    index.save()
        finally:
            self.store.close()

    def __enter__(self) -> "Memory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        """The embedder, built on first use (the real one loads its model lazily too)."""
        if self._embedder is None:
            self._embedder = make_embedder(self.config.embedder)
        return self._embedder

    def _user(self, user_id: str | None) -> str:
        user = self.config.user if user_id is None else user_id
        return clean_text(user, "user id")

    # the index -----------------------------------------------------------------

    def _index(self, user_id: str) -> UserIndex:
        """The user's index, loaded and consistent with the database."""
        generation = self.store.generation(user_id)
        index = self._indexes.get(user_id)
        if index is not None and index.loaded and index.generation == generation:
            return index
        if index is None:
            index = UserIndex(self.index_dir, user_id, self.embedder.dim, self.embedder.id)
            self._indexes[user_id] = index
            if index.try_load(generation) is None:
                return index
        self._rebuild(index)
        return index

    def _rebuild(self, index: UserIndex) -> None:
        """Rebuild a user's index from the BLOBs in SQLite, re-embedding only rows
        whose vectors came from another embedder."""
        import numpy as np

        rows = list(self.store.vectors(index.user_id))
        foreign = [r[0] for r in rows if r[1] is None or r[2] != self.embedder.id]
        if foreign:
            self._reembed(foreign)
            rows = list(self.store.vectors(index.user_id))
        ids = [int(r[0]) for r in rows]
        vectors = (
            np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), index.dim)
            if rows
            else np.zeros((0, index.dim), dtype=np.float32)
        )
        index.build(ids, vectors, self.store.generation(index.user_id), self.progress)
        index.save()

    def _reembed(self, ids: Sequence[int]) -> None:
        batch = 256
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            rows = [self.store.get_memory(i) for i in chunk]
            vectors = self.embedder.embed([r["text"] for r in rows])
            with self.store.transaction():
                for row, vec in zip(rows, vectors):
                    self.store.set_embedding(int(row["id"]), vec.tobytes(), self.embedder.id)
            if self.progress:
                self.progress("re-embedding", min(start + batch, len(ids)), len(ids))

    def _apply(self, user_id: str, index: UserIndex, stale: bool, add: Iterable[tuple[int, Any]] = (),
               remove: Sequence[int] = ()) -> None:
        """Bring the in-memory index up to the just-committed database state."""
        import numpy as np

        if stale:
            # Another process changed this user's memories since we loaded the
            # index: patching ours would lose their change, so rebuild.
            self._rebuild(index)
            return
        pairs = list(add)
        if pairs:
            index.add([p[0] for p in pairs], np.stack([p[1] for p in pairs]))
        if remove:
            index.remove(remove)
        index.generation = self.store.generation(user_id)
        if index.needs_compaction(self.config.compact_ratio):
            self._rebuild(index)

    def reindex(self, user_id: str | None = None) -> dict[str, Any]:
        """Rebuild the index of one user (or of every user) from stored vectors."""
        users = [self._user(user_id)] if user_id is not None else self.store.users()
        report: dict[str, Any] = {"users": {}, "seconds": 0.0}
        started = time.perf_counter()
        for user in users:
            index = self._indexes.get(user) or UserIndex(
                self.index_dir, user, self.embedder.dim, self.embedder.id
            )
            self._indexes[user] = index
            self._rebuild(index)
            report["users"][user] = len(index.live)
        report["seconds"] = round(time.perf_counter() - started, 3)
        return report

    # adding ----------------------------------------------------------------------

    def add(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = False,
        *,
        timestamp: str | datetime | None = None,
        kind: str | None = None,
        actor: str = "api",
        confirmed: bool = False,
    ) -> list[AddResult]:
        """Store text, or each message of a conversation, as memories of ``user_id``.

        ``messages`` is a string or a list of ``{"role": ..., "content": ...}``
        dicts (system messages are skipped; a ``name`` key names the speaker).
        ``timestamp`` is when it was said (ISO 8601 or datetime; default now).

        ``infer=False`` stores the text as given (text already stored for the
        same user is not stored twice: its result has event ``NONE``), all rows
        in one transaction. ``infer=True`` logs the messages, extracts facts
        and dated events from what the person said (never from assistant
        lines), and reconciles each with what is known: see :class:`AddResult`
        for the events. Every extracted memory keeps its provenance.
        """
        user = self._user(user_id)
        base_meta = self._check_metadata(metadata)
        said_at = self._said_at(timestamp)
        if infer:
            return self._infer(messages, user, agent_id, session_id, base_meta, said_at, actor)
        items: list[tuple[str, dict[str, Any], str]] = []
        if isinstance(messages, str):
            items.append((clean_text(messages), dict(base_meta), kind or "fact"))
        else:
            for role, content, name, meta in self._messages(messages, base_meta):
                meta["role"] = role
                if name:
                    meta["name"] = name
                items += self._pieces(content, meta, name, kind or "message")
        if not items:
            return []
        valid_from = said_at if timestamp is not None else None
        held: dict[int, AddResult] = {}
        accepted: list[tuple[str, dict[str, Any], str, str | None]] = []
        for pos, (text, meta, item_kind) in enumerate(items):
            screened = self._screen(text)
            if screened.action == "never":
                held[pos] = AddResult(0, "", "REFUSED", screened.reason)
            elif screened.action == "ask" and not confirmed:
                held[pos] = AddResult(0, screened.text, "PENDING", screened.reason, pending={
                    "raw": {"text": screened.text, "metadata": meta, "kind": item_kind},
                    "user_id": user, "agent_id": agent_id, "session_id": session_id, "valid_from": valid_from,
                    "sensitivity": screened.label})
            else:
                accepted.append((screened.text, meta, item_kind, screened.label))
        stored = iter(self._insert(user, agent_id, session_id, accepted, actor, valid_from=valid_from)
                      if accepted else [])
        return [held[pos] if pos in held else next(stored) for pos in range(len(items))]

    def add_embedded(
        self,
        text: str,
        vector: Any,
        user_id: str | None = None,
        *,
        agent_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        kind: str = "fact",
        actor: str = "api",
    ) -> AddResult:
        """Like :meth:`add` for one text whose vector (from this Memory's embedder)
        is already known, e.g. the chat line that was just embedded for search."""
        user = self._user(user_id)
        meta = self._check_metadata(metadata)
        screened = self._screen(clean_text(text))
        if screened.action == "never":
            return AddResult(0, "", "REFUSED", screened.reason)
        if screened.action == "ask":
            return AddResult(0, screened.text, "PENDING", screened.reason, pending={
                "raw": {"text": screened.text, "metadata": meta, "kind": kind}, "user_id": user,
                "agent_id": agent_id, "session_id": session_id, "valid_from": None,
                "sensitivity": screened.label})
        if screened.text != text:
            vector = self.embedder.embed([screened.text])[0]
        return self._insert(user, agent_id, session_id, [(screened.text, meta, kind, screened.label)], actor,
                            vectors=[vector])[0]

    def _insert(
        self,
        user: str,
        agent_id: str | None,
        session_id: str | None,
        items: list[tuple[str, dict[str, Any], str, str | None]],
        actor: str,
        created_at: str | None = None,
        vectors: Sequence[Any] | None = None,
        valid_from: str | None = None,
        sources: Sequence[dict[str, Any]] | None = None,
    ) -> list[AddResult]:
        results: list[AddResult | None] = [None] * len(items)
        fresh: dict[str, int] = {}  # hash -> position of its first occurrence in this call
        todo: list[int] = []
        for pos, (text, _, _, _) in enumerate(items):
            digest = content_hash(text)
            existing = self.store.find_by_hash(user, digest)
            if existing is not None:
                results[pos] = AddResult(int(existing["id"]), existing["text"], "NONE")
            elif digest in fresh:
                continue  # resolved to the first occurrence's id below
            else:
                fresh[digest] = pos
                todo.append(pos)
        if vectors is not None:
            vectors = [vectors[p] for p in todo]
        else:
            vectors = self.embedder.embed([items[p][0] for p in todo]) if todo else []
        index = self._index(user)
        stamp = created_at or now_iso()
        added: list[tuple[int, Any]] = []
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            for pos, vec in zip(todo, vectors):
                text, meta, kind, sensitivity = items[pos]
                memory_id = self.store.insert_memory(
                    {
                        "user_id": user, "agent_id": agent_id, "session_id": session_id,
                        "kind": kind, "text": text, "metadata": meta, "hash": content_hash(text),
                        "embedding": vec.tobytes(), "embedder": self.embedder.id,
                        "created_at": stamp, "valid_from": valid_from, "sensitivity": sensitivity,
                        "source": sources[pos] if sources is not None else None,
                    },
                    actor=actor,
                )
                results[pos] = AddResult(memory_id, text, "ADD", kind=kind)
                added.append((memory_id, vec))
        self._apply(user, index, stale, add=added)
        for pos, (text, _, _, _) in enumerate(items):
            if results[pos] is None:
                first = results[fresh[content_hash(text)]]
                assert first is not None
                results[pos] = AddResult(first.id, first.memory, "NONE")
        return [r for r in results if r is not None]

    def _messages(self, messages: Any, base_meta: dict[str, Any]) -> list[tuple[str, str, str | None, dict[str, Any]]]:
        """Checked (role, text, speaker name, metadata) of a Mem0-style message list;
        system messages are skipped."""
        if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
            raise InvalidInput("messages must be a string or a list of {'role', 'content'} dicts")
        items = []
        for n, message in enumerate(messages):
            if not isinstance(message, Mapping) or "content" not in message:
                raise InvalidInput(f"message {n} must be a dict with 'role' and 'content'")
            role = str(message.get("role", "user"))
            if role == "system":
                continue
            meta = dict(base_meta)
            meta.update(self._check_metadata(message.get("metadata")))
            name = str(message["name"]) if message.get("name") else None
            items.append((role, clean_text(message["content"], f"message {n}"), name, meta))
        return items

    def _pieces(self, content: str, meta: dict[str, Any], name: str | None,
                kind: str) -> list[tuple[str, dict[str, Any], str]]:
        """A message as memories: sentence by sentence when ``keep_messages`` splits
        it, each piece prefixed with its speaker's name when there is one."""
        from .text import split_sentences

        parts = split_sentences(content) if self.config.keep_messages else [content]
        out = []
        for i, part in enumerate(parts, start=1):
            piece_meta = dict(meta)
            if len(parts) > 1:
                piece_meta.update({"part": i, "parts": len(parts)})
            out.append((f"{name}: {part}" if name else part, piece_meta, kind))
        return out

    @staticmethod
    def _check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        if metadata is None:
            return {}
        if not isinstance(metadata, Mapping):
            raise InvalidInput("metadata must be a dict")
        try:
            return json.loads(json.dumps(dict(metadata), ensure_ascii=False))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"metadata must be JSON-serialisable: {exc}") from None

    # sensitive data ------------------------------------------------------------------

    def _screen(self, text: str) -> "Screened":
        """Apply the privacy policy to text about to be stored as a memory."""
        from .privacy import classify, decide, redact

        finding = classify(text)
        if not finding.classes:
            return Screened("store", text, None, "")
        policy = self.config.privacy.as_dict()
        action = decide(finding, policy)
        label = finding.label
        if action == "never":
            refused = [c for c in finding.classes if policy.get(c) == "never"]
            return Screened("never", "", label, f"{', '.join(sorted(refused))} are never stored")
        masked = {c for c in finding.classes if policy.get(c) in ("redact", "never")}
        cleaned = redact(text, finding, masked) if masked else text
        if action == "ask":
            asked = [c for c in finding.classes if policy.get(c) == "ask"]
            return Screened("ask", cleaned, label, f"looks like {', '.join(sorted(asked))} information: "
                                                   "confirm before it is stored")
        return Screened(action, cleaned, label, f"{label} masked" if cleaned != text else "")

    def log_text(self, text: str) -> str:
        """What the message log keeps of a line: values of classes whose policy is
        ``never`` or ``redact`` are masked there too."""
        from .privacy import classify, redact

        finding = classify(text)
        policy = self.config.privacy.as_dict()
        masked = {c for c in finding.classes if policy.get(c) in ("redact", "never")}
        return redact(text, finding, masked) if masked else text

    # extraction and reconciliation ------------------------------------------------

    @staticmethod
    def _said_at(timestamp: str | datetime | None) -> str:
        if timestamp is None:
            return now_iso()
        if isinstance(timestamp, datetime):
            return iso(timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc))
        from .text import normalise_timestamp

        stamp = normalise_timestamp(str(timestamp), "timestamp")
        if stamp is None:
            raise InvalidInput("timestamp is empty")
        return stamp

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
        pieces: list[tuple[str, dict[str, Any], str, str | None]] = []
        sources: list[dict[str, Any]] = []
        for (role, text, name, meta), message_id in zip(items, ids):
            if role != "user":
                continue  # the assistant's words are never facts about the person
            results += self.ingest_message(text, user, message_id=message_id, session_id=session, said_at=said_at,
                                           speaker=name, metadata=meta, agent_id=agent_id, actor=actor)
            if self.config.keep_messages:
                kept = self._kept_pieces(text, meta, name, message_id)
                pieces += kept
                sources += [{"message_ids": [message_id], "session_id": session, "said_at": said_at}] * len(kept)
        if pieces:  # one embedding batch and one transaction for the whole call
            results += self._insert(user, agent_id, session, pieces, actor, valid_from=said_at, sources=sources)
        return results

    def _kept_pieces(self, text: str, metadata: dict[str, Any] | None, speaker: str | None,
                     message_id: int) -> list[tuple[str, dict[str, Any], str, str | None]]:
        """The sentences of a message worth keeping as memories, screened."""
        pieces = []
        meta = {**(metadata or {}), "message_id": message_id}
        for piece, piece_meta, kind in self._pieces(self.log_text(text), meta, speaker, "message"):
            if not worth_remembering(piece.split(": ", 1)[1] if speaker else piece):
                continue
            screened = self._screen(piece)
            if screened.action in ("store", "redact"):
                pieces.append((screened.text, piece_meta, kind, screened.label))
        return pieces

    def keep_message(
        self, text: str, user_id: str, *, message_id: int, session_id: str, said_at: str,
        speaker: str | None = None, metadata: dict[str, Any] | None = None, agent_id: str | None = None,
        vector: Any = None, actor: str = "api",
    ) -> list[AddResult]:
        """Keep what the person said (already logged as ``message_id``) as
        searchable memories, sentence by sentence, each pointing back to the
        message. Questions and small talk stay in the log only; so does what the
        privacy policy would not store without asking. ``vector``: the whole
        line's embedding, reused when the line is one sentence."""
        pieces = self._kept_pieces(text, metadata, speaker, message_id)
        if not pieces:
            return []
        vectors = [vector] if vector is not None and len(pieces) == 1 and pieces[0][0] == text else None
        source = {"message_ids": [message_id], "session_id": session_id, "said_at": said_at}
        return self._insert(user_id, agent_id, session_id, pieces, actor, valid_from=said_at, vectors=vectors,
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
        screened = self._screen(fact.text)
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
        if "raw" in p:
            raw = p["raw"]
            return self.add(raw["text"], user_id=p["user_id"], agent_id=p["agent_id"], session_id=p["session_id"],
                            metadata=raw["metadata"], kind=raw["kind"], timestamp=p.get("valid_from"),
                            actor=actor, confirmed=True)
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

    # reading -----------------------------------------------------------------------

    def get(self, memory_id: int) -> MemoryItem:
        """One memory by id; :class:`NotFound` if there is none."""
        return MemoryItem.from_row(self.store.get_memory(self._id(memory_id)))

    @staticmethod
    def _id(memory_id: Any) -> int:
        try:
            value = int(memory_id)
        except (TypeError, ValueError):
            raise InvalidInput(f"memory id must be a number, not {memory_id!r}") from None
        if value <= 0:
            raise NotFound(f"no memory with id {memory_id}")
        return value

    def get_all(
        self,
        user_id: str | None = None,
        limit: int | None = None,
        filters: Mapping[str, Any] | None = None,
        *,
        since: str | datetime | None = None,
        as_of: str | datetime | None = None,
        include_past: bool = False,
        sensitive: bool = False,
    ) -> list[MemoryItem]:
        """The user's memories, newest first (``sensitive``: only those with a
        sensitive class). ``filters`` matches ``agent_id``,
        ``session_id``, ``kind`` and metadata keys exactly; ``since`` takes a
        datetime, an ISO date or an age like ``7d``. Facts that are no longer
        true are left out unless ``include_past``; ``as_of`` gives what was
        true at that time instead."""
        user = self._user(user_id)
        columns, meta = self._split_filters(filters)
        since_iso = None
        if since is not None:
            since_iso = iso(since) if isinstance(since, datetime) else iso(parse_when(since))
        if limit is not None and limit < 0:
            raise InvalidInput("limit must not be negative")
        moment = _as_of(as_of)
        post = bool(meta) or moment is not None or sensitive
        rows = self.store.list_memories(
            user, since=since_iso, limit=None if post else limit, newest_first=True,
            current_only=not include_past and moment is None, **columns
        )
        items = [MemoryItem.from_row(r) for r in rows]
        if post:
            items = [i for i in items if _meta_match(i.metadata, meta) and _valid(i, moment, include_past)
                     and (not sensitive or i.sensitivity)]
            if limit is not None:
                items = items[:limit]
        return items

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
        moment = _as_of(as_of)
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
                for row in self.store.embeddings(missing, user_id):
                    cosine[int(row[0])] = float(np.dot(np.frombuffer(row[1], dtype=np.float32), vector))
            rows = self.store.memories_by_ids(list(fused), user_id)
            if self.config.retention_weight > 0:
                # A faded memory loses to a fresh one of equal relevance.
                now = datetime.now(timezone.utc)
                for label, row in rows.items():
                    r = retention_of(bool(row["pinned"]), row["last_accessed"] or row["valid_from"] or row["created_at"],
                                     float(row["importance"]), int(row["access_count"]), int(row["reinforced"]),
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
                if meta and not _meta_match(item.metadata, meta):
                    continue
                if not _valid(item, moment, include_past):
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

    def history(self, memory_id: int) -> list[HistoryEvent]:
        """Every change to a memory, oldest first (also after it was deleted)."""
        rows = self.store.history(self._id(memory_id))
        if not rows:
            raise NotFound(f"no memory with id {memory_id}")
        return [HistoryEvent.from_row(r) for r in rows]

    def users(self) -> list[str]:
        """Every user with at least one memory."""
        return self.store.users()

    # changing and forgetting ---------------------------------------------------------

    def update(self, memory_id: int, text: str, *, actor: str = "api") -> MemoryItem:
        """Replace a memory's text (re-embedded; the old text stays in its history)."""
        memory_id = self._id(memory_id)
        screened = self._screen(clean_text(text))
        if screened.action == "never":
            raise InvalidInput(f"not stored: {screened.reason}")
        text = screened.text
        row = self.store.get_memory(memory_id)
        user = row["user_id"]
        if text == row["text"]:
            return MemoryItem.from_row(row)
        vector = self.embedder.embed([text])[0]
        index = self._index(user)
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            self.store.update_memory(
                memory_id, text, content_hash(text), vector.tobytes(), self.embedder.id, actor
            )
        self._apply(user, index, stale, add=[(memory_id, vector)])
        return self.get(memory_id)

    def delete(self, memory_id: int, *, actor: str = "api", reason: str | None = None) -> None:
        """Forget one memory: gone from search at once, its vector scrubbed from the
        index file, its text removed from the database, the WAL and the history
        (which keeps a DELETE tombstone)."""
        memory_id = self._id(memory_id)
        row = self.store.get_memory(memory_id)
        user = row["user_id"]
        index = self._index(user)
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            self.store.delete_memory(memory_id, actor, reason)
        self._apply(user, index, stale, remove=[memory_id])
        index.save()
        self.store.purge_fts()
        self.store.checkpoint()

    def delete_all(self, user_id: str | None = None) -> int:
        """Erase everything about a user: memories, history, sessions, messages,
        index files and REPL history. Returns how many memories were removed."""
        user = self._user(user_id)
        with self.store.transaction():
            count = self.store.delete_user(user)
        index = self._indexes.pop(user, None) or UserIndex(self.index_dir, user, 0, "")
        index.destroy()
        shred(self.user_history_file(user))
        self.store.purge_fts()
        self.store.checkpoint()
        return count

    def reset(self) -> None:
        """Erase every memory of every user, and all index files."""
        with self.store.transaction():
            for table in self.store.user_tables():
                self.store.conn.execute(f"DELETE FROM {table}")
        for index in self._indexes.values():
            index.destroy()
        self._indexes.clear()
        if self.index_dir.exists():
            for path in self.index_dir.iterdir():
                shred(path)
        if self.config.history_dir.exists():
            for path in self.config.history_dir.iterdir():
                shred(path)
        self.store.vacuum()

    def user_history_file(self, user_id: str) -> Path:
        """Where the REPL keeps this user's input history."""
        from .index import user_key

        return self.config.history_dir / f"{user_key(user_id)}.txt"

    # forgetting -----------------------------------------------------------------------

    def touch(self, ids: Sequence[int]) -> None:
        """Record that these memories reached a prompt (slows their fading).
        Listing and searching do not count."""
        if ids:
            with self.store.transaction():
                self.store.touch([self._id(i) for i in ids], now_iso())

    def pin(self, memory_id: int, pinned: bool = True, *, actor: str = "api") -> MemoryItem:
        """Pinned memories never fade and are never pruned."""
        memory_id = self._id(memory_id)
        with self.store.transaction():
            self.store.set_pinned(memory_id, pinned, actor)
        return self.get(memory_id)

    def retention(self, item: MemoryItem, now: datetime | None = None) -> float:
        """How much of ``item`` is retained now (see :mod:`memcli.forgetting`)."""
        return retention(item, now, self.config.half_life_days)

    def prune(self, user_id: str | None = None, threshold: float = 0.05, *, apply: bool = False,
              now: datetime | None = None, actor: str = "api") -> list[tuple[MemoryItem, float]]:
        """Memories whose retention fell below ``threshold`` (pinned ones never),
        faded first, each with its retention. With ``apply`` they are deleted
        through the same path as :meth:`delete` (history keeps a tombstone)."""
        user = self._user(user_id)
        now = now or datetime.now(timezone.utc)
        rows = self.store.conn.execute(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND pinned = 0", [user])
        faded = []
        for row in rows:
            item = MemoryItem.from_row(row)
            r = retention(item, now, self.config.half_life_days)
            if r < threshold:
                faded.append((item, r))
        faded.sort(key=lambda pair: pair[1])
        if apply and faded:
            self.delete_many([item.id for item, _ in faded], actor=actor,
                             reason=f"pruned: retention below {threshold}")
        return faded

    def consolidate(self, user_id: str | None = None, threshold: float = 0.05, *, apply: bool = False,
                    similarity: float = 0.45, min_group: int = 3, max_group: int = 8,
                    now: datetime | None = None, actor: str = "api") -> list[Consolidation]:
        """Groups of related memories that faded below ``threshold``, each with the
        one summary memory that keeps their gist (see :mod:`memcli.consolidation`).
        With ``apply`` the summary is stored (provenance: the originals and their
        messages) and the originals are deleted as :meth:`delete` does, their
        history naming the summary. Faded memories in no group are left alone."""
        import numpy as np

        if not 0.0 < similarity <= 1.0:
            raise InvalidInput("similarity must be in (0, 1]")
        if min_group < 2 or max_group < min_group:
            raise InvalidInput("groups need min_group >= 2 and max_group >= min_group")
        user = self._user(user_id)
        faded = self.prune(user, threshold, now=now)
        if len(faded) < min_group:
            return []
        vectors = {}
        ids = [item.id for item, _ in faded]
        for start in range(0, len(ids), 500):
            for row in self.store.embeddings(ids[start:start + 500], user):
                vectors[int(row[0])] = np.frombuffer(row[1], dtype=np.float32)
        index = self._index(user)

        def neighbours(item: MemoryItem) -> list[tuple[int, float]]:
            vector = vectors.get(item.id)
            return [] if vector is None else index.search(vector, max_group * 4)

        groups = group_faded(faded, neighbours, similarity=similarity, min_group=min_group, max_group=max_group)
        results = []
        for group in groups:
            members = [item for item, _ in group]
            text, by = self._summary_text(members), "llm"
            if text is None:
                text, by = extractive_summary(members), "extractive"
            results.append(Consolidation(text, members, [r for _, r in group], written_by=by))
        if apply and results:
            self._store_summaries(user, results, actor)
        return results

    def _summary_text(self, members: Sequence[MemoryItem]) -> str | None:
        """One sentence by an instruction-tuned model, or None (then extractive)."""
        if self.llm is None or not getattr(self.llm, "has_chat_template", False):
            return None
        notes = "\n".join(f"- {m.memory}" for m in members)
        try:
            text = "".join(self.llm.stream_chat(
                [{"role": "system", "content": "Combine these notes about the user into one short sentence."
                  " Keep every name, place and date."},
                 {"role": "user", "content": notes}], max_tokens=96, temperature=0.0))
        except Exception:  # noqa: BLE001 - the extractive summary is always there to fall back on
            return None
        text = " ".join(text.split())[:400]
        if not text or self._screen(text).action not in ("store", "redact"):
            return None
        return self._screen(text).text

    def _store_summaries(self, user: str, results: Sequence[Consolidation], actor: str) -> None:
        """Every summary in, every original out, in one transaction (all or
        nothing), then one index update, one save and one scrub."""
        vectors = self.embedder.embed([r.summary for r in results])
        index = self._index(user)
        added, removed = [], []
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            for result, vector in zip(results, vectors):
                members = result.members
                ids = ", ".join(f"#{m.id}" for m in members)
                result.memory_id = self.store.insert_memory(
                    {"user_id": user, "agent_id": members[0].agent_id, "text": result.summary,
                     "metadata": {"consolidated_from": [m.id for m in members]},
                     "hash": content_hash(result.summary), "embedding": vector.tobytes(),
                     "embedder": self.embedder.id, "created_at": now_iso(), "source": merged_source(members),
                     # consolidating is a rehearsal: the summary's fading starts now,
                     # though what it covers happened long ago (valid_from)
                     "last_accessed": now_iso(), **summary_fields(members)},
                    actor=actor, reason=f"consolidated from {ids}")
                added.append((result.memory_id, vector))
                for member in members:
                    self.store.delete_memory(member.id, actor, f"consolidated into #{result.memory_id}")
                    removed.append(member.id)
        self._apply(user, index, stale, add=added, remove=removed)
        index.save()
        self.store.purge_fts()
        self.store.checkpoint()

    def delete_many(self, ids: Sequence[int], *, actor: str = "api", reason: str | None = None) -> int:
        """Delete several memories (of any users) in one transaction, with one
        index save and one scrub of the WAL and keyword index per user."""
        by_user: dict[str, list[int]] = {}
        for memory_id in ids:
            row = self.store.get_memory(self._id(memory_id))
            by_user.setdefault(row["user_id"], []).append(int(row["id"]))
        for user, user_ids in by_user.items():
            index = self._index(user)
            with self.store.transaction():
                stale = self.store.generation(user) != index.generation
                for memory_id in user_ids:
                    self.store.delete_memory(memory_id, actor, reason)
            self._apply(user, index, stale, remove=user_ids)
            index.save()
        if by_user:
            self.store.purge_fts()
            self.store.checkpoint()
        return sum(len(v) for v in by_user.values())

    def forget_session(self, session_id: str, user_id: str | None = None, *, actor: str = "api") -> dict[str, int]:
        """Erase one chat session: its messages, the memories filed under it
        (its summary included) and the session itself."""
        user = self._user(user_id)
        session = self.store.session(session_id)
        if session is None or session["user_id"] != user:
            raise NotFound(f"no session {session_id!r} for user {user!r}")
        ids = [int(r[0]) for r in self.store.conn.execute(
            "SELECT id FROM memories WHERE user_id = ? AND session_id = ?", [user, session_id])]
        removed = self.delete_many(ids, actor=actor, reason=f"session {session_id} forgotten")
        with self.store.transaction():
            messages = self.store.conn.execute(
                "DELETE FROM messages WHERE user_id = ? AND session_id = ?", [user, session_id]).rowcount
            self.store.conn.execute("DELETE FROM sessions WHERE id = ? AND user_id = ?", [session_id, user])
        self.store.checkpoint()
        return {"memories": removed, "messages": messages}

    def forget_before(self, before: str | datetime, user_id: str | None = None, *,
                      actor: str = "api") -> dict[str, int]:
        """Erase a user's memories stored, and messages said, before a date (and
        sessions left empty)."""
        user = self._user(user_id)
        cutoff = _as_of(before) if isinstance(before, datetime) else iso(parse_when(before))
        ids = [int(r[0]) for r in self.store.conn.execute(
            "SELECT id FROM memories WHERE user_id = ? AND created_at < ?", [user, cutoff])]
        removed = self.delete_many(ids, actor=actor, reason=f"forgotten: everything before {cutoff[:10]}")
        with self.store.transaction():
            messages = self.store.conn.execute(
                "DELETE FROM messages WHERE user_id = ? AND created_at < ?", [user, cutoff]).rowcount
            self.store.conn.execute(
                "DELETE FROM sessions WHERE user_id = ? AND started_at < ? AND"
                " NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id)", [user, cutoff])
        self.store.checkpoint()
        return {"memories": removed, "messages": messages}

    # export and import -----------------------------------------------------------------

    def export(
        self, user_id: str | None = None, *, all_users: bool = False, include_vectors: bool = True,
        redact: bool = False,
    ) -> dict[str, Any]:
        """A schema-versioned, JSON-ready document of one user's data (or everyone's),
        complete enough for a lossless :meth:`import_data`. ``redact`` masks every
        sensitive value in memories, history and messages (and leaves vectors
        out), for sharing."""
        users = self.store.users() if all_users else [self._user(user_id)]
        memories, history, sessions, messages = [], [], [], []
        for user in users:
            for row in self.store.list_memories(user):
                item = MemoryItem.from_row(row).to_dict()
                item["embedder"] = row["embedder"]
                if include_vectors:
                    blob = self.store.conn.execute(
                        "SELECT embedding FROM memories WHERE id = ?", [row["id"]]
                    ).fetchone()[0]
                    item["embedding"] = encode_vector(blob)
                memories.append(item)
            history += [HistoryEvent.from_row(r).to_dict() for r in self.store.history_for(user)]
            sessions += [dict(r) for r in self.store.all_sessions(user)]
            messages += [dict(r) for r in self.store.messages(user)]
        if redact:
            from .privacy import classify
            from .privacy import redact as mask

            def clean(text: Any) -> Any:
                return mask(text, classify(text)) if isinstance(text, str) else text

            for m in memories:
                m["memory"], m["value"], m["embedding"] = clean(m["memory"]), clean(m.get("value")), None
            for h in history:
                h["old_memory"], h["new_memory"] = clean(h["old_memory"]), clean(h["new_memory"])
            for msg in messages:
                msg["content"] = clean(msg["content"])
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "redacted": redact,
            "memcli_version": __version__,
            "exported_at": now_iso(),
            "embedder": self.config.embedder,
            "users": users,
            "memories": memories,
            "history": history,
            "sessions": sessions,
            "messages": messages,
        }

    def import_data(self, document: Any, user_id: str | None = None) -> ImportReport:
        """Import a memcli export or a Mem0 ``get_all`` dump. The whole document is
        validated before anything is written, and written in one transaction.
        Records without a user get ``user_id`` (default: the configured user).
        Memories already stored (same user, same text) are skipped. Vectors made
        by another embedder are recomputed."""
        import numpy as np

        from .text import normalise_timestamp

        parsed = parse_document(document, self._user(user_id))
        for n, rec in enumerate(parsed.records):
            rec.created_at = normalise_timestamp(rec.created_at, f"record {n} created_at")
            rec.updated_at = normalise_timestamp(rec.updated_at, f"record {n} updated_at") or rec.created_at
            rec.valid_from = normalise_timestamp(rec.valid_from, f"record {n} valid_from")
            rec.valid_to = normalise_timestamp(rec.valid_to, f"record {n} valid_to")
        report = ImportReport(source=parsed.source)
        dim = self.embedder.dim
        seen: set[tuple[str, str]] = set()
        keep = []
        for rec in parsed.records:
            # A superseded fact and the later one can share their text, so the
            # validity interval is part of what makes a record the same.
            key = (rec.user_id, content_hash(rec.text), rec.valid_from, rec.valid_to)
            if key in seen or self._already_stored(rec):
                report.skipped_duplicates += 1
                continue
            seen.add(key)
            keep.append(rec)
        reuse = [r.embedder == self.embedder.id and r.embedding is not None and len(r.embedding) == dim * 4
                 for r in keep]
        redo = [r for r, ok in zip(keep, reuse) if not ok]
        if redo:
            for start in range(0, len(redo), 256):
                chunk = redo[start : start + 256]
                for rec, vec in zip(chunk, self.embedder.embed([r.text for r in chunk])):
                    rec.embedding = vec.astype(np.float32).tobytes()
                    rec.embedder = self.embedder.id
                if self.progress:
                    self.progress("embedding", min(start + 256, len(redo)), len(redo))
        report.reembedded = len(redo)
        users = sorted({r.user_id for r in keep})
        indexes = {u: self._index(u) for u in users}
        id_map: dict[Any, int] = {}
        added: dict[str, list[tuple[int, Any]]] = {u: [] for u in users}
        with self.store.transaction():
            stale = {u: self.store.generation(u) != indexes[u].generation for u in users}
            message_ids = self._import_sessions(parsed.sessions, parsed.messages)
            for rec in keep:
                if rec.source.get("message_ids"):
                    rec.source = {**rec.source, "message_ids": [message_ids[i] for i in rec.source["message_ids"]
                                                                if i in message_ids]}
                new_id = self.store.insert_memory(
                    {
                        "user_id": rec.user_id, "agent_id": rec.agent_id, "session_id": rec.session_id,
                        "kind": rec.kind, "text": rec.text, "metadata": rec.metadata,
                        "hash": content_hash(rec.text), "embedding": rec.embedding,
                        "embedder": self.embedder.id, "created_at": rec.created_at or now_iso(),
                        "updated_at": rec.updated_at, "attribute": rec.attribute, "value": rec.value,
                        "valid_from": rec.valid_from, "valid_to": rec.valid_to, "source": rec.source,
                        "reinforced": rec.reinforced,
                    },
                    actor="import",
                    reason=f"imported from a {parsed.source} export",
                )
                added[rec.user_id].append((new_id, np.frombuffer(rec.embedding or b"", dtype=np.float32)))
                if rec.old_id is not None:
                    id_map[(rec.user_id, rec.old_id)] = new_id
            self._import_history(parsed.history, id_map)
        for user in users:
            self._apply(user, indexes[user], stale[user], add=added[user])
        report.imported = len(keep)
        report.users = users
        return report

    def _already_stored(self, rec: Any) -> bool:
        row = self.store.conn.execute(
            "SELECT 1 FROM memories WHERE user_id = ? AND hash = ? AND valid_from IS ? AND valid_to IS ?",
            [rec.user_id, content_hash(rec.text), rec.valid_from, rec.valid_to]).fetchone()
        return row is not None

    def _import_history(self, history: list[dict[str, Any]], id_map: dict[Any, int]) -> None:
        """Carry over earlier changes of imported memories (their ADD is recorded
        anew, as an import)."""
        for h in history:
            new_id = id_map.get((h.get("user_id"), h.get("memory_id")))
            if new_id is None or h.get("event") == "ADD":
                continue
            self.store.add_history(
                new_id, str(h.get("user_id")), str(h.get("event")), h.get("old_memory"),
                h.get("new_memory"), str(h.get("actor") or "import"), h.get("reason"), h.get("created_at"),
            )

    def _import_sessions(self, sessions: list[dict[str, Any]], messages: list[dict[str, Any]]) -> dict[Any, int]:
        """Insert sessions and messages not yet stored; map old message ids to new."""
        conn = self.store.conn
        mapping: dict[Any, int] = {}
        for s in sessions:
            conn.execute(
                "INSERT OR IGNORE INTO sessions (id, user_id, started_at, ended_at, title) VALUES (?,?,?,?,?)",
                [s["id"], s["user_id"], s.get("started_at") or now_iso(), s.get("ended_at"), s.get("title")],
            )
        for m in messages:
            stamp = m.get("created_at") or now_iso()
            known = conn.execute(
                "SELECT id FROM messages WHERE session_id = ? AND created_at = ? AND content = ? AND user_id = ?",
                [m["session_id"], stamp, m["content"], m["user_id"]],
            ).fetchone()
            if known:
                mapping[m.get("id")] = int(known[0])
                continue
            meta = m.get("metadata")
            cur = conn.execute(
                "INSERT INTO messages (session_id, user_id, role, content, created_at, metadata)"
                " VALUES (?,?,?,?,?,?)",
                [m["session_id"], m["user_id"], m["role"], m["content"], stamp,
                 meta if isinstance(meta, str) else json.dumps(meta or {}, ensure_ascii=False)],
            )
            mapping[m.get("id")] = int(cur.lastrowid)  # type: ignore[arg-type]
        return mapping

    # statistics -------------------------------------------------------------------------

    def stats(self, user_id: str | None = None) -> dict[str, Any]:
        """Counts and sizes: memories per user and kind, sessions, messages, files."""
        conn = self.store.conn
        where, args = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
        per_user = {
            r[0]: r[1]
            for r in conn.execute(f"SELECT user_id, COUNT(*) FROM memories {where} GROUP BY user_id", args)
        }
        kinds = {r[0]: r[1] for r in conn.execute(f"SELECT kind, COUNT(*) FROM memories {where} GROUP BY kind", args)}
        index_bytes = sum(p.stat().st_size for p in self.index_dir.glob("*")) if self.index_dir.exists() else 0
        return {
            "memories": sum(per_user.values()),
            "users": per_user,
            "kinds": kinds,
            "sessions": conn.execute(f"SELECT COUNT(*) FROM sessions {where}", args).fetchone()[0],
            "messages": conn.execute(f"SELECT COUNT(*) FROM messages {where}", args).fetchone()[0],
            "history_events": conn.execute(f"SELECT COUNT(*) FROM history {where}", args).fetchone()[0],
            "database": str(self.path),
            "database_bytes": sum(self.store.file_sizes().values()),
            "index_dir": str(self.index_dir),
            "index_bytes": index_bytes,
            "embedder": self.config.embedder,
            "schema": self.store.schema_migrations(),
        }


def _meta_match(metadata: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(metadata.get(k) == v for k, v in wanted.items())


def _as_of(value: str | datetime | None) -> str | None:
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


def _valid(item: MemoryItem, moment: str | None, include_past: bool) -> bool:
    if moment is None:
        return include_past or item.valid_to is None
    start = item.valid_from or item.created_at
    return start <= moment and (item.valid_to is None or item.valid_to > moment)


class Screened:
    """The privacy decision for one text: store / redact / ask / never."""

    __slots__ = ("action", "text", "label", "reason")

    def __init__(self, action: str, text: str, label: str | None, reason: str) -> None:
        self.action, self.text, self.label, self.reason = action, text, label, reason
