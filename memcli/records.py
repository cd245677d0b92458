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
    score: float | None = None  # similarity to the query (search only)

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
            score=score,
        )


@dataclass
class AddResult:
    """What :meth:`Memory.add` did with one piece of text.

    ``event`` is ``ADD`` (stored) or ``NONE`` (the same text was already stored
    for this user; ``id`` then points at the existing memory).
    """

    id: int
    memory: str
    event: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    users: list[str] = field(default_factory=list)
    source: str = "memcli"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
