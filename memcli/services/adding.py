"""Adding as given: text, or the messages of a conversation, stored as memories.

``Memory.add(..., infer=False)`` comes here. What an assistant said is never
stored as a memory (it becomes the context of what is said next). A
conversation is kept sentence by
sentence (``keep_messages``), each sentence with the last words said before it
as its context (embedded with it, keyword-indexed at a lower weight, never
shown). Text the user already has is not stored twice (event NONE). The
privacy policy screens every piece: refused, held for a yes, masked, or
stored.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from memcli.engine.core import Core
from memcli.base.errors import InvalidInput
from memcli.base.records import AddResult, MemoryItem
from memcli.base.text import clean_text, content_hash, exported_words, lead_in, split_sentences
from memcli.base.vocab import Event, Kind, Policy

# (role, text, speaker name, metadata) of one message
Said = tuple[str, str, str | None, dict[str, Any]]

# Which message a piece is of, from numbering until it is stored (a metadata
# key never stored): a piece the user already has is not stored again, and
# the rest of its message is numbered without it, since search finds a
# message's rows by their numbers (memcli.services.search.message_key; before, a
# "haha!" said before, in the middle of a message, made its two halves look
# like two messages).
TURN_MARK = "_turn"
_turn_marks = itertools.count(1)


class Adder:
    """Stores pieces of text as memories, in one transaction per call."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def add(self, messages: str | Sequence[Mapping[str, Any]], user: str, *, agent_id: str | None,
            session_id: str | None, metadata: dict[str, Any], said_at: str, dated: bool, kind: str | None,
            actor: str, confirmed: bool) -> list[AddResult]:
        """Text, or each message of a conversation, as given (see :meth:`memcli.Memory.add`)."""
        self.core.require_long_term()
        items: list[MemoryItem] = []
        valid_from = said_at if dated else None
        base = MemoryItem(0, "", user, agent_id=agent_id, session_id=session_id, valid_from=valid_from)
        if isinstance(messages, str):
            items.append(replace(base, memory=clean_text(messages), metadata=dict(metadata),
                                 kind=kind or Kind.FACT))
        else:
            walk = Turns(self.split)
            for role, content, name, meta in parse_messages(messages, metadata):
                meta["role"] = role
                if name:
                    meta["name"] = name
                walk.start(role, name, content)
                # The assistant's words shape how what follows is found (context),
                # but never become memories of the person.
                if role != "assistant":
                    walk.add(self.pieces(replace(base, kind=kind or Kind.MESSAGE), content, meta, name,
                                         walk.before))
                walk.said(content, name)
            items += walk.done()
        if not items:
            return []
        held: dict[int, AddResult] = {}
        accepted: list[MemoryItem] = []
        for pos, item in enumerate(items):
            screened = self.core.privacy.screen(item.memory)
            if screened.action == Policy.NEVER:
                held[pos] = AddResult(0, "", Event.REFUSED, screened.reason)
            elif screened.action == Policy.ASK and not confirmed:
                metadata = {k: v for k, v in item.metadata.items() if k != TURN_MARK}
                held[pos] = AddResult(0, screened.text, Event.PENDING, screened.reason, pending={
                    "raw": {"text": screened.text, "metadata": metadata, "kind": item.kind,
                            "context": item.context or ""},
                    "user_id": user, "agent_id": agent_id, "session_id": session_id, "valid_from": valid_from,
                    "sensitivity": screened.label})
            else:
                item.memory, item.sensitivity = screened.text, screened.label
                accepted.append(item)
        # Pieces of a conversation share embedding windows; text and the pieces
        # infer mode keeps beside its facts do not (see Core.embed_pieces).
        stored = iter(self.insert(accepted, actor, conversation=not isinstance(messages, str)) if accepted else [])
        return [held[pos] if pos in held else next(stored) for pos in range(len(items))]

    def insert(self, items: Sequence[MemoryItem], actor: str, *, conversation: bool = False) -> list[AddResult]:
        """Store screened memories in one transaction (one embedding batch); text
        the user already has is not stored twice (event NONE). ``conversation``:
        the items are a conversation's pieces in the order said."""
        results: list[AddResult | None] = [None] * len(items)
        first: dict[tuple[str, str], int] = {}  # (user, hash) -> position of its first occurrence in this call
        todo: list[int] = []
        turns = [item.metadata.pop(TURN_MARK, None) for item in items]
        for pos, item in enumerate(items):
            key = (item.user_id, content_hash(item.memory))
            existing = self.core.store.memories.by_hash(*key)
            if existing is not None:
                results[pos] = AddResult(existing.id, existing.memory, Event.NONE)
            elif key not in first:
                first[key] = pos
                todo.append(pos)
        renumber([(items[p], turns[p]) for p in todo])
        vectors: Any = self.core.embedding.embed_pieces([items[p] for p in todo], conversation=conversation) if todo else []
        stamp = self.core.now_iso()
        with self.core.write() as w:
            for pos, vector in zip(todo, vectors):
                item = items[pos]
                item.created_at = stamp
                w.insert(item, vector, actor=actor)
                results[pos] = AddResult(item.id, item.memory, Event.ADD, kind=item.kind)
        for pos, item in enumerate(items):
            if results[pos] is None:  # said twice in this call: the first occurrence's memory
                done = results[first[(item.user_id, content_hash(item.memory))]]
                assert done is not None
                results[pos] = AddResult(done.id, done.memory, Event.NONE)
        return [r for r in results if r is not None]

    def pieces(self, base: MemoryItem, content: str, meta: dict[str, Any], name: str | None,
               before: str = "") -> list[MemoryItem]:
        """A message as memories: sentence by sentence when ``keep_messages`` splits
        it, each piece prefixed with its speaker's name when there is one, and
        with the last words said before it (``before``: the conversation up to
        this message; masked as the message log is) as its context."""
        out = []
        said = before
        for part in self.split(content):
            text = f"{name}: {part}" if name else part
            context = lead_in(said)
            out.append(replace(base, memory=text, metadata=dict(meta), source=dict(base.source),
                               context=self.core.privacy.log_text(context) if context else None))
            said = f"{said} {text}"
        return out

    def split(self, content: str) -> list[str]:
        """A message's pieces: its sentences, or the whole of it when
        ``keep_messages`` does not split."""
        return split_sentences(content) if self.core.config.keep_messages else [content]


# "Caroline: " opening a message: a transcript line, naming who said it.
TRANSCRIPT_LABEL = re.compile(r"([A-Z][\w'.-]*(?: [A-Z][\w'.-]*)?):\s")


class Turns:
    """A conversation walked message by message: the words said so far (the
    context each kept sentence is embedded with) and the pieces of each
    message. A turn is what one speaker says in a row: one message, or
    several sent one after another, as people type in chats; both are given
    context alike. Within a turn each sentence said so far is in the context
    under its speaker's name; a finished turn is there under the name once.
    Pieces are numbered by message, not by turn: each message of a chat is
    something said on its own, and search spreads its results over messages
    (see :func:`numbered`)."""

    def __init__(self, split: Callable[[str], list[str]]) -> None:
        self.before = ""  # the conversation up to the next message, as a lead-in
        self._split = split
        self._speaker: tuple[str, str | None] | None = None
        self._key: tuple[str, str | None, str | None] | None = None  # who, as far as can be told
        self._opening = ""  # the conversation before the current turn
        self._said: list[str] = []  # the current turn's messages
        self._pieces: list[MemoryItem] = []  # every message's pieces, numbered

    def start(self, role: str, name: str | None, content: str = "") -> None:
        """A message by ``role``/``name`` begins (a new turn if the speaker
        changed). A message without a name that opens with one, as a
        transcript's lines do ("Caroline: ..."), is that speaker's: lines of a
        pasted conversation all come as the user's, and are not one turn."""
        label = TRANSCRIPT_LABEL.match(content) if name is None else None
        key = (role, name, label.group(1) if label else None)
        if key == self._key:
            return
        self._end_turn()
        self._key, self._speaker = key, (role, name)

    def add(self, pieces: list[MemoryItem]) -> None:
        """The pieces kept of the current message."""
        self._pieces += numbered(pieces)

    def said(self, content: str, name: str | None) -> None:
        """The message's words join the context of what follows in the turn."""
        self._said.append(content)
        sentences = " ".join(f"{name}: {part}" if name else part for part in self._split(content))
        self.before = lead_in(f"{self.before} {sentences}")

    def done(self) -> list[MemoryItem]:
        """Every message's pieces, numbered, in order."""
        self._end_turn()
        return self._pieces

    def take(self) -> list[MemoryItem]:
        """The pieces gathered since the last take, the turn left open (a long
        conversation stored a chunk at a time keeps its context across chunks)."""
        taken, self._pieces = self._pieces, []
        return taken

    def _end_turn(self) -> None:
        if self._said and self._speaker is not None:
            name = self._speaker[1]
            content = " ".join(self._said)
            self._opening = lead_in(f"{self._opening} {name}: {content}" if name else f"{self._opening} {content}")
        self.before, self._said = self._opening, []


def numbered(pieces: list[MemoryItem]) -> list[MemoryItem]:
    """The pieces of one message, each marked as ``part`` i of ``parts`` when
    there are several (search ranks a message's later sentences lower: see
    :func:`memcli.services.search.later_sentences`). Messages in a row are numbered
    apart: where each short message of a chat is said on its own, the one
    that answers a question is often not the best-ranked of its run."""
    if len(pieces) > 1:
        # A message stored without a log is known by its rows' numbers, which
        # insert() sets again for what it stores (renumber); a logged one
        # (infer mode) by its message id.
        mark = next(_turn_marks)
        for i, item in enumerate(pieces, start=1):
            item.metadata.update({"part": i, "parts": len(pieces), TURN_MARK: mark})
    return pieces


def renumber(stored: list[tuple[MemoryItem, int | None]]) -> None:
    """The pieces about to be stored, each with the message it is of (None:
    not one of several): each message's numbered again as ``part`` i of the
    ``parts`` stored (what is already stored, refused or held is not among
    them)."""
    messages: dict[int, list[MemoryItem]] = {}
    for item, mark in stored:
        if mark is not None:
            messages.setdefault(mark, []).append(item)
    for pieces in messages.values():
        for i, item in enumerate(pieces, start=1):
            if len(pieces) > 1:
                item.metadata.update({"part": i, "parts": len(pieces)})
            else:
                item.metadata.pop("part", None)
                item.metadata.pop("parts", None)


def parse_messages(messages: Any, base_meta: dict[str, Any]) -> list[Said]:
    """Checked (role, text, speaker name, metadata) of a Mem0-style message list;
    system messages, and a chat export's placeholders for what was sent
    instead of said, are skipped (see :func:`said_words`)."""
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
        meta.update(check_metadata(message.get("metadata")))
        name = str(message["name"]) if message.get("name") else None
        content = said_words(clean_text(message["content"], f"message {n}"), name)
        if content:
            items.append((role, content, name, meta))
    return items


def said_words(content: str, name: str | None) -> str:
    """A message's words without a chat export's marks; "" when it is only a
    placeholder for what was sent (a photo, a deleted message), which is
    skipped. A name-less transcript line keeps its speaker's label."""
    label = TRANSCRIPT_LABEL.match(content) if name is None else None
    if label is None:
        return exported_words(content)
    words = exported_words(content[label.end():])
    return f"{content[:label.end()]}{words}" if words else ""


def check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``metadata`` that survives JSON, or a one-line error."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidInput("metadata must be a dict")
    try:
        return json.loads(json.dumps(dict(metadata), ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"metadata must be JSON-serialisable: {exc}") from None
