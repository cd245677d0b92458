"""``Memory``: the public Python API, a facade over the parts that do the work.

    from memcli import Memory
    with Memory() as m:
        m.add("I live in Busan", user_id="alice")
        m.search("where does she live", user_id="alice")

Every method is a one-line delegate to the part that owns the concern; the
parts hold one shared :class:`memcli.engine.core.Core` (the store, each user's index,
the embedder, the privacy policy and the one write path). Where each part
lives is drawn in ``docs/architecture.md``. No terminal code lives here.
"""

from __future__ import annotations

import atexit
import weakref
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from memcli.services.adding import check_metadata
from memcli.base.config import Config
from memcli.engine.core import Core
from memcli.base.records import AddResult, HistoryEvent, ImportReport, MemoryItem, Message, Session, TierPlan
from memcli.base.text import said_at_text
from memcli.base.vocab import Actor

if TYPE_CHECKING:
    from memcli.services.adding import Adder
    from memcli.services.consolidation import Consolidation, Consolidator
    from memcli.services.editing import Editor
    from memcli.services.episodes import Episodes
    from memcli.services.erasure import Eraser
    from memcli.services.forgetting import Forgetter
    from memcli.services.history import HistoryImporter
    from memcli.storage.index import Progress
    from memcli.services.learning import Learner
    from memcli.models.embedder import Embedder
    from memcli.base.privacy import Screened
    from memcli.services.reading import Reader
    from memcli.services.search import Searcher
    from memcli.services.short_term import ShortTerm
    from memcli.storage import Clock
    from memcli.services.transfer import Transfer


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
            is instruction-tuned) and for session summaries.
        clock: a function returning the current UTC datetime, from which every
            stored time is taken (default: the system clock).
    """

    def __init__(self, path: str | Path | None = None, config: Config | Mapping[str, Any] | str | Path | None = None,
                 *, embedder: Embedder | None = None, progress: Progress | None = None, llm: Any = None,
                 clock: Clock | None = None) -> None:
        if isinstance(config, Config):
            cfg = config
        elif isinstance(config, Mapping):
            cfg = Config.from_dict(dict(config), source="<dict>")
        else:
            cfg = Config.load(config)
        if path is not None:
            cfg.db = str(path)
        core = Core(cfg, embedder=embedder, progress=progress, llm=llm, clock=clock)
        self._core = core
        self._closed = False
        ref = weakref.ref(self)
        self._atexit = lambda: (ref() and ref().close())  # type: ignore[union-attr]
        atexit.register(self._atexit)

    # lifecycle and settings ---------------------------------------------------------------

    def close(self) -> None:
        """Save changed indexes and close the database. Safe to call twice."""
        if not self._closed:
            self._closed = True
            atexit.unregister(self._atexit)
            self._core.close()

    def __enter__(self) -> "Memory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The parts, each made (and its module imported) on first use: a command
    # that only lists memories never loads search, import or consolidation
    # (`memcli list` must start in well under 0.3 s on a slow machine).

    @cached_property
    def _adder(self) -> Adder:
        from memcli.services.adding import Adder

        return Adder(self._core)

    @cached_property
    def _reader(self) -> Reader:
        from memcli.services.reading import Reader

        return Reader(self._core)

    @cached_property
    def _editor(self) -> Editor:
        from memcli.services.editing import Editor

        return Editor(self._core)

    @cached_property
    def _eraser(self) -> Eraser:
        from memcli.services.erasure import Eraser

        return Eraser(self._core)

    @cached_property
    def _searcher(self) -> Searcher:
        from memcli.services.search import Searcher

        return Searcher(self._core)

    @cached_property
    def _learner(self) -> Learner:
        from memcli.services.learning import Learner

        return Learner(self._core, self._adder)

    @cached_property
    def _episodes(self) -> Episodes:
        from memcli.services.episodes import Episodes

        return Episodes(self._core, self._eraser)

    @cached_property
    def _forgetter(self) -> Forgetter:
        from memcli.services.forgetting import Forgetter

        return Forgetter(self._core, self._eraser)

    @cached_property
    def _consolidator(self) -> Consolidator:
        from memcli.services.consolidation import Consolidator

        return Consolidator(self._core, self._forgetter)

    @cached_property
    def _transfer(self) -> Transfer:
        from memcli.services.transfer import Transfer

        return Transfer(self._core)

    @cached_property
    def _history(self) -> HistoryImporter:
        from memcli.services.history import HistoryImporter

        return HistoryImporter(self._core, self._adder, self._learner)

    @cached_property
    def _short_term(self) -> ShortTerm:
        from memcli.services.short_term import ShortTerm

        return ShortTerm(self._core)

    @property
    def config(self) -> Config:
        return self._core.config

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._core.path

    @property
    def index_dir(self) -> Path:
        """The folder of the HNSW index files."""
        return self._core.index_dir

    @property
    def embedder(self) -> Embedder:
        """The embedder, built on first use (the real one loads its model lazily too)."""
        return self._core.embedding.embedder

    @property
    def llm(self) -> Any:
        """The chat model extraction and summaries may use (None: rules and extractive)."""
        return self._core.llm

    @llm.setter
    def llm(self, model: Any) -> None:
        self._core.llm = model

    @property
    def extractor(self) -> Any:
        """The fact extractor the config chose (see ``extractor`` in the config)."""
        return self._learner.extractor

    def now(self) -> datetime:
        """The current time by this Memory's clock."""
        return self._core.now()

    # adding ------------------------------------------------------------------------------

    def add(self, messages: str | Sequence[Mapping[str, Any]], user_id: str | None = None,
            agent_id: str | None = None, session_id: str | None = None, metadata: Mapping[str, Any] | None = None,
            infer: bool = False, *, timestamp: str | datetime | None = None, kind: str | None = None,
            actor: str = Actor.API, confirmed: bool = False) -> list[AddResult]:
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
        ``confirmed`` stores sensitive text the policy would otherwise hold
        back for a yes (policy ``ask``).
        """
        user, meta, said_at = self._core.user(user_id), check_metadata(metadata), said_at_text(
            timestamp, self._core.now_iso)
        if infer:
            return self._learner.learn(messages, user, agent_id=agent_id, session_id=session_id, metadata=meta,
                                       said_at=said_at, actor=actor)
        return self._adder.add(messages, user, agent_id=agent_id, session_id=session_id, metadata=meta,
                               said_at=said_at, dated=timestamp is not None, kind=kind, actor=actor,
                               confirmed=confirmed)

    def ingest_message(self, text: str, user_id: str, *, message_id: int | None, session_id: str | None,
                       said_at: str, speaker: str | None = None, metadata: dict[str, Any] | None = None,
                       agent_id: str | None = None, actor: str = Actor.API) -> list[AddResult]:
        """Extract facts and events from one message the person said (already in
        the message log as ``message_id``) and reconcile each with memory."""
        return self._learner.ingest_message(text, user_id, message_id=message_id, session_id=session_id,
                                            said_at=said_at, speaker=speaker, metadata=metadata,
                                            agent_id=agent_id, actor=actor)

    def keep_message(self, text: str, user_id: str, *, message_id: int, session_id: str, said_at: str,
                     speaker: str | None = None, metadata: dict[str, Any] | None = None,
                     agent_id: str | None = None, before: str = "", actor: str = Actor.API) -> list[AddResult]:
        """Keep what the person said (already logged as ``message_id``) as
        searchable memories, sentence by sentence, each pointing back to the
        message and embedded with the words said before it (``before``: what
        preceded the message). Questions and small talk stay in the log only;
        so does what the privacy policy would not store without asking."""
        return self._learner.keep_message(text, user_id, message_id=message_id, session_id=session_id,
                                          said_at=said_at, speaker=speaker, metadata=metadata, agent_id=agent_id,
                                          before=before, actor=actor)

    def resolve(self, result: AddResult, accept: bool = True, *, actor: str = Actor.API) -> list[AddResult]:
        """Settle a result that waits for the person: a ``CONFLICT`` (policy ask:
        ``accept`` supersedes the old fact) or a ``PENDING`` sensitive memory
        (``accept`` stores it). Declining stores nothing (a conflict's refusal
        is noted in the old fact's history)."""
        return self._learner.resolve(result, accept, actor)

    resolve_conflict = resolve

    def record_episode(self, user_id: str | None, type: str, summary: str, metadata: Mapping[str, Any] | None = None,
                       *, occurred_at: str | datetime | None = None, session_id: str | None = None,
                       actor: str = Actor.API) -> MemoryItem:
        """Record a dated event or a session summary in the episodic log."""
        return self._episodes.record(user_id, type, summary, metadata, occurred_at=occurred_at,
                                     session_id=session_id, actor=actor)

    # searching and reading -----------------------------------------------------------------

    def search(self, query: str, user_id: str | None = None, limit: int = 10,
               filters: Mapping[str, Any] | None = None, threshold: float | None = None, *,
               as_of: str | datetime | None = None, include_past: bool = False,
               include_cold: bool = False) -> list[MemoryItem]:
        """The user's memories closest in meaning to ``query``, best first, each
        with ``score`` (cosine similarity). Never returns another user's memory.
        Only facts that are true now, unless ``as_of`` (what was true then) or
        ``include_past``. Cold memories (see :meth:`tier`) take part when the
        best hot match is weak, or always with ``include_cold``."""
        return self._searcher.search(query, user_id, limit, filters, threshold, as_of=as_of,
                                     include_past=include_past, include_cold=include_cold)

    def search_vector(self, vector: Any, user_id: str, limit: int = 10, filters: Mapping[str, Any] | None = None,
                      threshold: float | None = None, *, as_of: str | datetime | None = None,
                      include_past: bool = False, text: str | None = None,
                      include_cold: bool = False) -> list[MemoryItem]:
        """Like :meth:`search` with the query vector already embedded. With
        ``text``, vector hits are fused with keyword (BM25) hits by reciprocal
        rank; ``score`` stays the cosine similarity."""
        return self._searcher.search_vector(vector, user_id, limit, filters, threshold, as_of=as_of,
                                            include_past=include_past, text=text, include_cold=include_cold)

    def get(self, memory_id: int, user_id: str | None = None) -> MemoryItem:
        """One memory by id; :class:`NotFound` if there is none (or, with
        ``user_id``, if it is another user's: every id-based method takes it)."""
        return self._reader.get(memory_id, user_id)

    def get_all(self, user_id: str | None = None, limit: int | None = None,
                filters: Mapping[str, Any] | None = None, *, since: str | datetime | None = None,
                as_of: str | datetime | None = None, include_past: bool = False,
                sensitive: bool = False) -> list[MemoryItem]:
        """The user's memories, newest first (``sensitive``: only those with a
        sensitive class). ``filters`` matches ``agent_id``, ``session_id``,
        ``kind`` and metadata keys exactly; ``since`` takes a datetime, an ISO
        date or an age like ``7d``. Facts that are no longer true are left out
        unless ``include_past``; ``as_of`` gives what was true at that time
        instead."""
        return self._reader.get_all(self._core.user(user_id), limit, filters, since=since, as_of=as_of,
                                    include_past=include_past, sensitive=sensitive)

    def profile(self, user_id: str | None = None, limit: int = 12) -> list[MemoryItem]:
        """The person's current core facts: name, age, where they live and are from,
        work and study, relationship, family, pets, diet, allergies, health and
        languages; the newest of each attribute, in that order. ``memcli chat``
        puts them in every prompt, whatever the line is about."""
        return self._reader.profile(self._core.user(user_id), limit)

    def history(self, memory_id: int, user_id: str | None = None) -> list[HistoryEvent]:
        """Every change to a memory, oldest first (also after it was deleted)."""
        return self._reader.history(memory_id, user_id)

    def why(self, memory_id: int, user_id: str | None = None) -> dict[str, Any]:
        """Where a memory came from: the messages it was extracted from, and its history."""
        return self._reader.why(memory_id, user_id)

    def episodes(self, user_id: str | None = None, type: str | None = None, since: str | datetime | None = None,
                 limit: int | None = 10) -> list[MemoryItem]:
        """The episodic log, most recent first (by when it happened)."""
        return self._episodes.listed(user_id, type, since, limit)

    def users(self) -> list[str]:
        """Every user with at least one memory."""
        return self._core.store.lists.users()

    def stats(self, user_id: str | None = None) -> dict[str, Any]:
        """Counts and sizes: memories per user and kind, sessions, messages, files."""
        return self._reader.stats(user_id)

    # changing ---------------------------------------------------------------------------------

    def update(self, memory_id: int, text: str, *, actor: str = Actor.API, user_id: str | None = None) -> MemoryItem:
        """Replace a memory's text (re-embedded; the old text stays in its history)."""
        return self._editor.update(memory_id, text, actor, user_id)

    def pin(self, memory_id: int, pinned: bool = True, *, actor: str = Actor.API,
            user_id: str | None = None) -> MemoryItem:
        """Pinned memories never fade and are never pruned."""
        return self._forgetter.pin(memory_id, pinned, actor, user_id)

    def touch(self, ids: Sequence[int]) -> None:
        """Record that these memories reached a prompt (slows their fading).
        Listing and searching do not count."""
        self._forgetter.touch(ids)

    def retention(self, item: MemoryItem, now: datetime | None = None) -> float:
        """How much of ``item`` is retained now (see :mod:`memcli.services.forgetting`)."""
        return self._forgetter.retention(item, now)

    def reindex(self, user_id: str | None = None) -> dict[str, Any]:
        """Rebuild the index of one user (or of every user) from stored vectors."""
        return self._core.reindex(user_id)

    # forgetting ---------------------------------------------------------------------------------

    def delete(self, memory_id: int, *, actor: str = Actor.API, reason: str | None = None,
               user_id: str | None = None) -> None:
        """Forget one memory: gone from search at once, its vector scrubbed from the
        index file, its text removed from the database, the WAL and the history
        (which keeps a DELETE tombstone)."""
        self._eraser.delete_many([memory_id], actor=actor, reason=reason, user_id=user_id)

    def delete_many(self, ids: Sequence[int], *, actor: str = Actor.API, reason: str | None = None,
                    user_id: str | None = None) -> int:
        """Delete several memories (of any users) in one transaction per user, with
        one index save and one scrub of the WAL and keyword index. A sentence
        kept from the same conversation whose context held words of a deleted
        memory loses that context and is re-embedded from its own text, so the
        words leave no trace there either."""
        return self._eraser.delete_many(ids, actor=actor, reason=reason, user_id=user_id)

    def delete_all(self, user_id: str | None = None) -> int:
        """Erase everything about a user: memories, history, sessions, messages,
        index files and REPL history. Returns how many memories were removed."""
        return self._eraser.delete_all(self._core.user(user_id))

    def forget_session(self, session_id: str, user_id: str | None = None, *,
                       actor: str = Actor.API) -> dict[str, int]:
        """Erase one chat session: its messages, the memories filed under it
        (its summary included) and the session itself."""
        return self._eraser.forget_session(session_id, self._core.user(user_id), actor)

    def forget_before(self, before: str | datetime, user_id: str | None = None, *,
                      actor: str = Actor.API) -> dict[str, int]:
        """Erase a user's memories stored, and messages said, before a date (and
        sessions left empty)."""
        return self._eraser.forget_before(before, self._core.user(user_id), actor)

    def reset(self) -> None:
        """Erase every memory of every user, and all index files."""
        self._eraser.reset()

    def prune(self, user_id: str | None = None, threshold: float = 0.05, *, apply: bool = False,
              now: datetime | None = None, actor: str = Actor.API) -> list[tuple[MemoryItem, float]]:
        """Memories whose retention fell below ``threshold`` (pinned ones never),
        faded first, each with its retention. With ``apply`` they are deleted
        through the same path as :meth:`delete` (history keeps a tombstone)."""
        return self._forgetter.prune(user_id, threshold, apply=apply, now=now, actor=actor)

    def tier(self, user_id: str | None = None, *, apply: bool = False, now: datetime | None = None,
             cold_below: float | None = None) -> TierPlan:
        """Which memories belong in the cold tier: unpinned ones whose retention is
        below ``cold_below`` (default: the config's). Cold memories leave the HNSW
        index and the default keyword ranking but stay stored, listed, exported
        and explained; search reaches them when hot results are weak. Cold ones
        whose retention rose (or that were pinned) go back. With ``apply`` the
        moves are made (else only planned)."""
        return self._forgetter.tier(user_id, apply=apply, now=now, cold_below=cold_below)

    def review_tiers(self, user_id: str | None = None, *, every: timedelta = timedelta(days=1),
                     now: datetime | None = None) -> TierPlan | None:
        """:meth:`tier` with ``apply``, unless the user's tiers were reviewed less
        than ``every`` ago or ``auto_tier`` is off (then None). The chat calls it
        in the background as it starts."""
        return self._forgetter.review_tiers(user_id, every, now)

    def consolidate(self, user_id: str | None = None, threshold: float = 0.05, *, apply: bool = False,
                    similarity: float = 0.45, min_group: int = 3, max_group: int = 8,
                    now: datetime | None = None, actor: str = Actor.API) -> list[Consolidation]:
        """Groups of related memories that faded below ``threshold``, each with the
        one summary memory that keeps their gist (see :mod:`memcli.services.consolidation`).
        With ``apply`` the summary is stored (provenance: the originals and their
        messages) and the originals are deleted as :meth:`delete` does, their
        history naming the summary. Faded memories in no group are left alone."""
        return self._consolidator.consolidate(user_id, threshold, apply=apply, similarity=similarity,
                                              min_group=min_group, max_group=max_group, now=now, actor=actor)

    # sensitive data ---------------------------------------------------------------------------------

    def screen(self, text: str) -> Screened:
        """The privacy policy's decision on text about to be stored as a memory:
        store, redact (the text comes back masked), ask, or never."""
        return self._core.privacy.screen(text)

    def log_text(self, text: str) -> str:
        """What the message log keeps of a line: values of classes whose policy is
        ``never`` or ``redact`` are masked there too."""
        return self._core.privacy.log_text(text)

    def user_history_file(self, user_id: str) -> Path:
        """Where the REPL keeps this user's input history."""
        return self._core.config.user_history_file(user_id)

    # sessions and messages (short-term memory) -----------------------------------------------------

    def start_session(self, session_id: str | None = None, user_id: str | None = None) -> tuple[Session, bool]:
        """Continue ``session_id`` (created if new; a fresh id when None) for the
        user; returns the session and whether it existed already."""
        return self._short_term.start(session_id, self._core.user(user_id))

    def end_session(self, session_id: str) -> None:
        """Mark a session as ended (its summary is :meth:`summarise_session`)."""
        self._short_term.end(session_id)

    def summarise_session(self, session_id: str, user_id: str | None = None, *,
                          actor: str = Actor.API) -> MemoryItem | None:
        """Write (or rewrite) a session's summary in the episodic log (None when
        nothing in it was worth one)."""
        return self._episodes.summarise_session(session_id, self._core.user(user_id), actor)

    def log_message(self, session_id: str, user_id: str, role: str, content: str,
                    metadata: dict[str, Any] | None = None) -> int:
        """Write one message to a session's log, masked as the privacy policy says;
        returns its id."""
        return self._short_term.log(session_id, self._core.user(user_id), role, content, metadata)

    def recent_messages(self, session_id: str, limit: int, before_id: int | None = None) -> list[Message]:
        """The last ``limit`` messages of a session (older than ``before_id``), oldest first."""
        return self._short_term.recent(session_id, limit, before_id)

    def session(self, session_id: str) -> Session | None:
        return self._short_term.session(session_id)

    def last_session(self, user_id: str | None = None) -> Session | None:
        """The user's session with the newest message."""
        return self._short_term.last_session(self._core.user(user_id))

    def sessions(self, user_id: str | None = None) -> list[Session]:
        return self._short_term.sessions(user_id)

    def messages(self, user_id: str | None = None) -> list[Message]:
        """Every message the user's sessions logged, oldest first."""
        return self._short_term.messages(user_id)

    # export and import --------------------------------------------------------------------------------

    def export(self, user_id: str | None = None, *, all_users: bool = False, include_vectors: bool = True,
               redact: bool = False) -> dict[str, Any]:
        """A schema-versioned, JSON-ready document of one user's data (or everyone's),
        complete enough for a lossless :meth:`import_data`. ``redact`` masks every
        sensitive value in memories, history and messages (and leaves vectors
        out), for sharing."""
        return self._transfer.export(user_id, all_users=all_users, include_vectors=include_vectors, redact=redact)

    def import_path(self, path: str | Path, user_id: str | None = None, *, format: str | None = None,
                    me: str | None = None, since: str | None = None, infer: bool = True, dry_run: bool = False,
                    progress: Progress | None = None) -> dict[str, Any]:
        """Import an export at ``path`` (a file, a folder or a .zip), its format
        detected (``format`` names it instead): memcli, Mem0, OpenMemory and MCP
        memory exports, or a chat history from ChatGPT, Claude, WhatsApp or
        Telegram. In a chat between people ``me`` names the person; in ChatGPT
        and Claude it is the user role. Each message keeps the export's time;
        importing the same export again adds nothing (see
        :mod:`memcli.services.history`). ``since`` (a date or an age such as
        ``30d``) leaves older messages out; ``infer=False`` keeps sentences
        without extracting facts; ``dry_run`` only reads. Returns the report as
        a dict (``kind``: ``memories`` or ``history``)."""
        from memcli.histories.sources import MEMORY_FORMATS, detect

        found = detect(Path(path), format)
        if found[0][0] in MEMORY_FORMATS:
            from memcli.storage.export_format import MAX_DOCUMENT_BYTES, load_document, read_document

            fmt, entry = found[0]
            if Path(path).is_dir():
                with entry.open() as f:
                    raw = f.read(MAX_DOCUMENT_BYTES + 1)
            else:
                raw, _ = read_document(str(path))  # a zip too (an OpenMemory backup)
            if dry_run:
                return {"kind": "memories", "format": fmt, "files": [entry.name], "dry_run": True}
            report = self.import_data(load_document(raw, str(path)), user_id=user_id)
            return {"kind": "memories", **report.to_dict()}
        history = self._history.run(Path(path), self._core.user(user_id), format=format, me=me, since=since,
                                    infer=infer, dry_run=dry_run, progress=progress, found=found)
        return {"kind": "history", **history.to_dict()}

    def import_data(self, document: Any, user_id: str | None = None) -> ImportReport:
        """Import a memcli export or a Mem0 ``get_all`` dump. The whole document is
        validated before anything is written, and written in one transaction.
        Records without a user get ``user_id`` (default: the configured user).
        Memories already stored (same user, same text) are skipped. Vectors made
        by another embedder are recomputed."""
        return self._transfer.import_data(document, user_id)


def model_trust(config: Config) -> dict[str, Any]:
    """What the configured chat model is and what it earned on the calibration set
    (``memcli config``): read from its file's header and the verdict cache; no model
    is loaded and no database opened."""
    from memcli.services.calibration import trust_report

    return trust_report(config)
