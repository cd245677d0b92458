"""Typed results of the public API.

Field names follow Mem0 where it has one (``id``, ``memory``, ``score``,
``user_id``, ``metadata``, ``created_at``, ``updated_at``, ``event``,
``old_memory``, ``new_memory``), so its users feel at home; ``to_dict()`` gives
the JSON shape the CLI prints with ``--json``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class MemoryItem:
    """One stored memory, as returned by get, get_all and search."""

    id: int
    memory: str
    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    kind: str = "fact"
    metadata: dict[str, Any] = field(default_factory=dict)
    hash: str = ""
    created_at: str = ""
    updated_at: str = ""
    attribute: str | None = None  # what a fact is about: "location", "preference:coffee"
    value: str | None = None
    valid_from: str | None = None  # when it became true (episodes: when it happened)
    valid_to: str | None = None  # when it stopped being true; None: still true
    source: dict[str, Any] = field(default_factory=dict)  # message_ids, session_id, said_at
    reinforced: int = 0  # how often it was said again
    access_count: int = 0  # how often it reached a prompt
    last_accessed: str | None = None
    importance: float = 0.5  # 0..1, set at extraction; slows fading
    pinned: bool = False  # never fades, never pruned
    sensitivity: str | None = None  # sensitive classes found at write time, e.g. "health"
    score: float | None = None  # similarity to the query (search only)

    @property
    def current(self) -> bool:
        return self.valid_to is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.score is None:
            data.pop("score")
        return data

    @classmethod
    def from_row(cls, row: sqlite3.Row, score: float | None = None) -> "MemoryItem":
        return cls(
            id=int(row["id"]),
            memory=row["text"],
            user_id=row["user_id"],
            agent_id=row["agent_id"],
            session_id=row["session_id"],
            kind=row["kind"],
            metadata=json.loads(row["metadata"] or "{}"),
            hash=row["hash"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            attribute=row["attribute"],
            value=row["value"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            source=json.loads(row["source"] or "{}"),
            reinforced=int(row["reinforced"] or 0),
            access_count=int(row["access_count"] or 0),
            last_accessed=row["last_accessed"],
            importance=float(row["importance"] if row["importance"] is not None else 0.5),
            pinned=bool(row["pinned"]),
            sensitivity=row["sensitivity"],
            score=score,
        )


@dataclass
class Piece:
    """One memory about to be stored as given, before it has a vector (internal)."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    kind: str = "fact"
    sensitivity: str | None = None
    context: str = ""  # what was said just before; embedded with the text (see text.CONTEXT_WORDS)


@dataclass
class AddResult:
    """What :meth:`Memory.add` did with one piece of text or one extracted fact.

    ``event``: ``ADD`` (stored); ``NONE`` (already known: ``id`` is the existing
    memory, now reinforced); ``UPDATE`` (an existing memory refined in place);
    ``SUPERSEDE`` (stored, and ``previous_id`` is no longer current);
    ``DELETE`` (``id`` was retracted); ``CONFLICT`` (policy ``ask``: nothing
    applied, ``pending`` holds the new fact for :meth:`Memory.resolve_conflict`).
    """

    id: int
    memory: str
    event: str
    reason: str | None = None
    previous_id: int | None = None
    previous_memory: str | None = None
    pending: dict[str, Any] | None = None
    kind: str | None = None  # of the memory added: fact, episode, message...

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class HistoryEvent:
    """One change to a memory: ADD, UPDATE, DELETE or IMPORT.

    After a delete, earlier events keep their kind and time but lose their text.
    """

    id: int
    memory_id: int
    user_id: str
    event: str
    old_memory: str | None
    new_memory: str | None
    actor: str | None
    reason: str | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "HistoryEvent":
        return cls(
            id=int(row["id"]),
            memory_id=int(row["memory_id"]),
            user_id=row["user_id"],
            event=row["event"],
            old_memory=row["old_text"],
            new_memory=row["new_text"],
            actor=row["actor"],
            reason=row["reason"],
            created_at=row["created_at"],
        )


@dataclass
class ImportReport:
    """Counts from :meth:`Memory.import_data`."""

    imported: int = 0
    skipped_duplicates: int = 0
    reembedded: int = 0
    refused: int = 0  # left out by the privacy policy (e.g. credentials)
    users: list[str] = field(default_factory=list)
    source: str = "memcli"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
