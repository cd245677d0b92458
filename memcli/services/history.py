"""A life's chat history brought in: ChatGPT, Claude, WhatsApp and Telegram
exports become sessions, messages and memories, each at the export's own time.

What becomes what:

- the person's own messages are logged, their facts extracted and reconciled
  (``infer``), and their sentences kept as searchable memories;
- another person's messages are logged and kept as searchable memories under
  their name (``metadata["name"]``), never as the person's facts;
- an assistant's messages are logged as context, never kept as memories.

Each conversation is a session (its title the conversation's or the chat's
name). Every message keeps the export's key for it, so the same export again
adds nothing and a later one adds only what is new. Messages are stored a
chunk at a time, each chunk in one transaction with its log rows: a kill in
the middle leaves whole chunks, and the same command again finishes the rest.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from memcli.base.errors import InvalidInput
from memcli.base.records import AddResult, MemoryItem
from memcli.base.text import exported_words, iso, parse_when, worth_remembering
from memcli.base.vocab import Actor, Event, Kind, Policy
from memcli.engine.core import Core
from memcli.histories import ChatMessage, Conversation, Notes
from memcli.histories.sources import Entry, detect
from memcli.services.adding import Adder, Turns
from memcli.services.learning import Learner

Progress = Callable[[str, int, int], None]
CHUNK = 500  # messages per transaction


@dataclass
class HistoryReport:
    """What an import brought in (or, with ``dry_run``, would)."""

    source: str
    format: str
    files: list[str] = field(default_factory=list)
    conversations: int = 0
    messages: int = 0          # new messages logged
    already: int = 0           # messages imported before, skipped
    before_since: int = 0      # messages older than --since, skipped
    placeholders: int = 0      # "<Media omitted>" and the like: not the person's words
    memories: int = 0          # memories stored (sentences and facts)
    facts: int = 0             # of which facts and events extracted from the person's words
    first: str | None = None
    last: str | None = None
    speakers: dict[str, int] = field(default_factory=dict)
    date_order: str | None = None
    skipped_lines: int = 0     # lines of the export that are no one's message
    me: str | None = None
    dry_run: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def saw(self, message: ChatMessage) -> None:
        stamp = iso(message.time)
        self.first = stamp if self.first is None or stamp < self.first else self.first
        self.last = stamp if self.last is None or stamp > self.last else self.last


class HistoryImporter:
    """Reads an export and stores it for one user (see the module docstring)."""

    def __init__(self, core: Core, adder: Adder, learner: Learner) -> None:
        self.core = core
        self.adder = adder
        self.learner = learner

    def run(self, path: Path, user: str, *, format: str | None, me: str | None, since: str | None,
            infer: bool, dry_run: bool, progress: Progress | None, actor: str = Actor.IMPORT,
            found: list[tuple[str, Entry]] | None = None) -> HistoryReport:
        """Import the export at ``path`` (``found``: its files and formats, when
        :func:`memcli.histories.sources.detect` was asked already)."""
        started = time.perf_counter()
        found = found or detect(path, format)
        report = HistoryReport(str(path), found[0][0], [e.name for _, e in found], me=me, dry_run=dry_run)
        cutoff = parse_when(since, now=self.core.now(), what="--since") if since else None
        if not dry_run:
            self.core.require_long_term()
        for fmt, entry in found:
            notes = Notes()
            for conv in read(fmt, entry, notes, me, title=_title(path, entry)):
                report.me = report.me or notes.me
                report.conversations += 1
                self._conversation(conv, user, fmt, entry, report, cutoff=cutoff, infer=infer, dry_run=dry_run,
                                   progress=progress if fmt == "whatsapp" else None, actor=actor)
                if progress and entry.size and fmt != "whatsapp":  # a stream: how far into the file, in KB
                    progress(f"importing {entry.name} (KB)", entry.position >> 10, entry.size >> 10)
            if progress and entry.size and fmt != "whatsapp":
                progress(f"importing {entry.name} (KB)", entry.size >> 10, entry.size >> 10)
            for who, n in notes.speakers.items():
                report.speakers[who] = report.speakers.get(who, 0) + n
            report.date_order = notes.date_order or report.date_order
            report.skipped_lines += notes.skipped
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _conversation(self, conv: Conversation, user: str, fmt: str, entry: Entry, report: HistoryReport, *,
                      cutoff: datetime | None, infer: bool, dry_run: bool, progress: Progress | None,
                      actor: str) -> None:
        if fmt in ("whatsapp", "telegram") and report.me is None and not dry_run:
            names = ", ".join(sorted({m.speaker for m in conv.messages if m.speaker}))
            raise InvalidInput(f"{entry.name}: say which speaker you are with --me NAME (speakers: {names})")
        if report.me is not None and fmt in ("whatsapp", "telegram") and not any(
                m.role == "user" for m in conv.messages) and conv.messages and not dry_run:
            names = ", ".join(sorted({m.speaker for m in conv.messages if m.speaker}))
            raise InvalidInput(f"{entry.name}: no speaker named {report.me!r} in {conv.title!r} (speakers: {names})")
        session = "import-" + hashlib.sha256(f"{user}\n{conv.key}".encode()).hexdigest()[:20]
        known = self.core.store.sessions.import_keys(session, user)
        new: list[ChatMessage] = []
        for m in conv.messages:
            if m.key in known:
                report.already += 1
            elif cutoff is not None and m.time < cutoff:
                report.before_since += 1
            elif not exported_words(m.text):
                report.placeholders += 1
            else:
                new.append(m)
                report.saw(m)
        report.messages += len(new)
        if dry_run or not new:
            return
        source = {"format": fmt, "file": entry.name, "conversation": conv.title}
        walk = Turns(self.adder.split)
        for start in range(0, len(new), CHUNK):
            self._store(new[start:start + CHUNK], user, session, conv, source, walk, report, infer=infer,
                        actor=actor)
            if progress:
                progress(f"importing {conv.title[:40]}", start + len(new[start:start + CHUNK]), len(new))

    def _store(self, chunk: list[ChatMessage], user: str, session: str, conv: Conversation, source: dict[str, Any],
               walk: Turns, report: HistoryReport, *, infer: bool, actor: str) -> None:
        """One chunk, its log rows and its memories in one transaction."""
        core = self.core
        with core.write() as w:
            w.open_session(session, user, started_at=iso(conv.messages[0].time), title=conv.title)
            results: list[AddResult] = []
            for m in chunk:
                text = exported_words(m.text)
                said_at = iso(m.time)
                name = m.speaker if m.role == "other" else None
                meta: dict[str, Any] = {"source": source, **({"name": m.speaker} if m.speaker else {})}
                message_id = w.log(session, user, m.role, core.privacy.log_text(text), meta, created_at=said_at,
                                   import_key=m.key)
                walk.start(m.role, name, text)
                if m.role == "user" and infer:
                    results += self.learner.ingest_message(text, user, message_id=message_id, session_id=session,
                                                           said_at=said_at, metadata={"source": source},
                                                           actor=actor)
                if m.role != "assistant":  # a model's words are context, never memories
                    walk.add(self._pieces(text, user, m, name, message_id, session, said_at, source, walk.before,
                                          infer))
                walk.said(text, name)
            pieces = walk.take()
            if pieces:
                results += self.adder.insert(pieces, actor, conversation=True)
        report.memories += sum(1 for r in results if r.event in (Event.ADD, Event.SUPERSEDE, Event.UPDATE))
        report.facts += sum(1 for r in results if r.kind in (Kind.FACT, Kind.EPISODE) and r.event != Event.NONE)

    def _pieces(self, text: str, user: str, m: ChatMessage, name: str | None, message_id: int, session: str,
                said_at: str, source: dict[str, Any], before: str, infer: bool) -> list[MemoryItem]:
        """A message's sentences as memories, each pointing back to its message."""
        base = MemoryItem(0, "", user, session_id=session, kind=Kind.MESSAGE, valid_from=said_at,
                          source={"message_ids": [message_id], "session_id": session, "said_at": said_at,
                                  **source})
        meta = {"message_id": message_id, "role": m.role, **({"name": name} if name else {})}
        kept = []
        for piece in self.adder.pieces(base, self.core.privacy.log_text(text), meta, name, before):
            words = piece.memory.split(": ", 1)[1] if name else piece.memory
            if infer and not worth_remembering(words):
                continue  # small talk and questions stay in the log (as in a chat); raw mode keeps all
            screened = self.core.privacy.screen(piece.memory)
            if screened.action in (Policy.STORE, Policy.REDACT):
                piece.memory, piece.sensitivity = screened.text, screened.label
                kept.append(piece)
        return kept


def read(fmt: str, entry: Entry, notes: Notes, me: str | None, *, title: str) -> Iterator[Conversation]:
    """The conversations of one file of an export."""
    if fmt == "chatgpt":
        from memcli.histories import chatgpt

        return chatgpt.read(entry, notes)
    if fmt == "claude":
        from memcli.histories import claude

        return claude.read(entry, notes)
    if fmt == "telegram":
        from memcli.histories import telegram

        return telegram.read(entry, notes, me)
    from memcli.histories import whatsapp

    return whatsapp.read(entry, notes, me, title)


def _title(path: Path, entry: Entry) -> str:
    """A WhatsApp chat's name, from the file ("WhatsApp Chat with Ana.txt") or its
    zip ("WhatsApp Chat - Ana.zip" holding "_chat.txt")."""
    stem = Path(entry.name).stem
    if stem.lstrip("_").lower() in ("chat", "") and path.is_file():
        stem = path.stem
    for lead in ("WhatsApp Chat with ", "WhatsApp Chat - ", "Chat de WhatsApp con ", "WhatsApp-Chat mit "):
        if stem.startswith(lead):
            return stem[len(lead):].strip() or stem
    return stem
