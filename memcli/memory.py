"""``Memory``: the public Python API. No terminal code lives here.

    from memcli import Memory
    with Memory() as m:
        m.add("I live in Busan", user_id="alice")
        m.search("where does she live", user_id="alice")

Writes go to SQLite first (the source of truth), then to the user's HNSW
index, which is saved when the Memory is closed (deletions are saved at once).
If a process dies in between, the index's generation no longer matches the
database and it is rebuilt from the stored vectors on next use.

This module holds the core (the index, adding as given, reading, changing and
erasing); the rest of the API comes from one part per concern: search
(:mod:`memcli.search`), learning from what is said (:mod:`memcli.learning`),
fading (:mod:`memcli.forgetting`), consolidation (:mod:`memcli.consolidation`),
export and import (:mod:`memcli.transfer`).
"""

from __future__ import annotations

import atexit
import json
import time
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .config import Config
from .consolidation import ConsolidationMixin
from .errors import InvalidInput, NotFound
from .files import shred
from .forgetting import ForgettingMixin
from .index import Progress, UserIndex
from .learning import LearningMixin
from .models.embedder import Embedder, make_embedder
from .records import AddResult, HistoryEvent, MemoryItem, Piece
from .search import SearchMixin, as_of_moment, meta_match, valid_at
from .store import Store, now_iso
from .text import clean_text, content_hash, embedding_input, iso, lead_in, parse_when
from .transfer import TransferMixin

if TYPE_CHECKING:
    from .privacy import Screened


class Memory(SearchMixin, LearningMixin, ForgettingMixin, ConsolidationMixin, TransferMixin):
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
            np.frombuffer(b"".join(r[1] or b"" for r in rows), dtype=np.float32).reshape(len(rows), index.dim)
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
            vectors = self.embedder.embed([embedding_input(r["text"], r["context"]) for r in rows])
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
        items: list[Piece] = []
        if isinstance(messages, str):
            items.append(Piece(clean_text(messages), dict(base_meta), kind or "fact"))
        else:
            before = ""  # the conversation so far, for each sentence's context
            for role, content, name, meta in self._messages(messages, base_meta):
                meta["role"] = role
                if name:
                    meta["name"] = name
                items += self._pieces(content, meta, name, kind or "message", before)
                before = lead_in(f"{before} {name}: {content}" if name else f"{before} {content}")
        if not items:
            return []
        valid_from = said_at if timestamp is not None else None
        held: dict[int, AddResult] = {}
        accepted: list[Piece] = []
        for pos, piece in enumerate(items):
            screened = self.screen(piece.text)
            if screened.action == "never":
                held[pos] = AddResult(0, "", "REFUSED", screened.reason)
            elif screened.action == "ask" and not confirmed:
                held[pos] = AddResult(0, screened.text, "PENDING", screened.reason, pending={
                    "raw": {"text": screened.text, "metadata": piece.metadata, "kind": piece.kind,
                            "context": piece.context},
                    "user_id": user, "agent_id": agent_id, "session_id": session_id, "valid_from": valid_from,
                    "sensitivity": screened.label})
            else:
                piece.text, piece.sensitivity = screened.text, screened.label
                accepted.append(piece)
        stored = iter(self._insert(user, agent_id, session_id, accepted, actor, valid_from=valid_from)
                      if accepted else [])
        return [held[pos] if pos in held else next(stored) for pos in range(len(items))]

    def _insert(
        self,
        user: str,
        agent_id: str | None,
        session_id: str | None,
        items: Sequence[Piece],
        actor: str,
        valid_from: str | None = None,
        sources: Sequence[dict[str, Any]] | None = None,
    ) -> list[AddResult]:
        """Store pieces as given, in one transaction; text the user already has is
        not stored twice (event NONE)."""
        results: list[AddResult | None] = [None] * len(items)
        fresh: dict[str, int] = {}  # hash -> position of its first occurrence in this call
        todo: list[int] = []
        for pos, piece in enumerate(items):
            digest = content_hash(piece.text)
            existing = self.store.find_by_hash(user, digest)
            if existing is not None:
                results[pos] = AddResult(int(existing["id"]), existing["text"], "NONE")
            elif digest in fresh:
                continue  # resolved to the first occurrence's id below
            else:
                fresh[digest] = pos
                todo.append(pos)
        vectors: Any = self.embedder.embed(
            [embedding_input(items[p].text, items[p].context) for p in todo]) if todo else []
        index = self._index(user)
        stamp = now_iso()
        added: list[tuple[int, Any]] = []
        with self.store.transaction():
            stale = self.store.generation(user) != index.generation
            for pos, vec in zip(todo, vectors):
                piece = items[pos]
                memory_id = self.store.insert_memory(
                    {
                        "user_id": user, "agent_id": agent_id, "session_id": session_id,
                        "kind": piece.kind, "text": piece.text, "metadata": piece.metadata,
                        "hash": content_hash(piece.text), "context": piece.context or None,
                        "embedding": vec.tobytes(), "embedder": self.embedder.id,
                        "created_at": stamp, "valid_from": valid_from, "sensitivity": piece.sensitivity,
                        "source": sources[pos] if sources is not None else None,
                    },
                    actor=actor,
                )
                results[pos] = AddResult(memory_id, piece.text, "ADD", kind=piece.kind)
                added.append((memory_id, vec))
        self._apply(user, index, stale, add=added)
        for pos, piece in enumerate(items):
            if results[pos] is None:
                first = results[fresh[content_hash(piece.text)]]
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

    def _pieces(self, content: str, meta: dict[str, Any], name: str | None, kind: str,
                before: str = "") -> list[Piece]:
        """A message as memories: sentence by sentence when ``keep_messages`` splits
        it, each piece prefixed with its speaker's name when there is one, and
        with the last words said before it (``before``: the conversation up to
        this message; masked as the message log is) as its context."""
        from .text import split_sentences

        parts = split_sentences(content) if self.config.keep_messages else [content]
        out = []
        said = before
        for i, part in enumerate(parts, start=1):
            piece_meta = dict(meta)
            if len(parts) > 1:
                piece_meta.update({"part": i, "parts": len(parts)})
            text = f"{name}: {part}" if name else part
            context = lead_in(said)
            out.append(Piece(text, piece_meta, kind, context=self.log_text(context) if context else ""))
            said = f"{said} {text}"
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

    def screen(self, text: str) -> Screened:
        """The privacy policy's decision on text about to be stored as a memory:
        store, redact (the text comes back masked), ask, or never."""
        from .privacy import screen

        return screen(text, self.config.privacy.as_dict())

    def log_text(self, text: str) -> str:
        """What the message log keeps of a line: values of classes whose policy is
        ``never`` or ``redact`` are masked there too."""
        from .privacy import mask_for_log

        return mask_for_log(text, self.config.privacy.as_dict())

    @staticmethod
    def _said_at(timestamp: str | datetime | None) -> str:
        """When something was said, as stored ISO text (default now)."""
        if timestamp is None:
            return now_iso()
        if isinstance(timestamp, datetime):
            return iso(timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc))
        from .text import normalise_timestamp

        stamp = normalise_timestamp(str(timestamp), "timestamp")
        if stamp is None:
            raise InvalidInput("timestamp is empty")
        return stamp

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
        moment = as_of_moment(as_of)
        post = bool(meta) or moment is not None or sensitive
        rows = self.store.list_memories(
            user, since=since_iso, limit=None if post else limit, newest_first=True,
            current_only=not include_past and moment is None, **columns
        )
        items = [MemoryItem.from_row(r) for r in rows]
        if post:
            items = [i for i in items if meta_match(i.metadata, meta) and valid_at(i, moment, include_past)
                     and (not sensitive or i.sensitivity)]
            if limit is not None:
                items = items[:limit]
        return items


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
        screened = self.screen(clean_text(text))
        if screened.action == "never":
            raise InvalidInput(f"not stored: {screened.reason}")
        text = screened.text
        row = self.store.get_memory(memory_id)
        user = row["user_id"]
        if text == row["text"]:
            return MemoryItem.from_row(row)
        vector = self.embedder.embed([embedding_input(text, row["context"])])[0]
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
        self.delete_many([memory_id], actor=actor, reason=reason)

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

    def delete_many(self, ids: Sequence[int], *, actor: str = "api", reason: str | None = None) -> int:
        """Delete several memories (of any users) in one transaction per user, with
        one index save and one scrub of the WAL and keyword index. A sentence
        kept from the same conversation whose context held words of a deleted
        memory loses that context and is re-embedded from its own text, so the
        words leave no trace there either."""
        by_user: dict[str, list[Any]] = {}
        for memory_id in ids:
            row = self.store.get_memory(self._id(memory_id))
            by_user.setdefault(row["user_id"], []).append(row)
        for user, rows in by_user.items():
            user_ids = [int(row["id"]) for row in rows]
            index = self._index(user)
            rewritten = self._contexts_holding(user, rows)
            vectors: Any = self.embedder.embed(list(rewritten.values())) if rewritten else []
            with self.store.transaction():
                stale = self.store.generation(user) != index.generation
                for memory_id in user_ids:
                    self.store.delete_memory(memory_id, actor, reason)
                for memory_id, vector in zip(rewritten, vectors):
                    self.store.drop_context(memory_id, vector.tobytes(), self.embedder.id)
            self._apply(user, index, stale, add=list(zip(rewritten, vectors)), remove=user_ids)
            index.save()
        if by_user:
            self.store.purge_fts()
            self.store.checkpoint()
        return sum(len(v) for v in by_user.values())

    def _contexts_holding(self, user: str, rows: Sequence[Any]) -> dict[int, str]:
        """The memories (id -> text) whose stored context holds words of the
        memory ``rows`` being deleted, leaving those out. Context never crosses
        one add call, and every memory of one call shares its created_at."""
        from .text import said_in

        gone: dict[str, list[str]] = {}
        for row in rows:
            gone.setdefault(row["created_at"], []).append(row["text"])
        leaving = {int(row["id"]) for row in rows}
        found: dict[int, str] = {}
        for stamp, texts in gone.items():
            for row in self.store.with_context(user, stamp):
                if int(row["id"]) not in leaving and any(said_in(t, row["context"]) for t in texts):
                    found[int(row["id"])] = row["text"]
        return found

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
        cutoff = iso(before if before.tzinfo else before.replace(tzinfo=timezone.utc)) \
            if isinstance(before, datetime) else iso(parse_when(before))
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

