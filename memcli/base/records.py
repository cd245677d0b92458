"""Typed records of the public API, and the one declaration of a stored memory.

:class:`MemoryItem` is both what the API returns and the shape of a row of the
``memories`` table: the store derives its column list, its inserts and its
reads from these fields, and export and import derive their documents from
them too, so a new column is one new field here (plus its migration).

Field names follow Mem0 where it has one (``id``, ``memory``, ``score``,
``user_id``, ``metadata``, ``created_at``, ``updated_at``, ``event``,
``old_memory``, ``new_memory``), so its users feel at home; ``to_dict()`` gives
the JSON shape the CLI prints with ``--json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

from memcli.base.vocab import Event, Kind


def _column(name: str | None = None, *, internal: bool = False, **kwargs: Any) -> Any:
    """A field stored in the ``memories`` column ``name`` (default: the field's own
    name); ``internal`` fields are stored and exported but not in ``to_dict()``."""
    return field(metadata={"column": name, "internal": internal}, **kwargs)


@dataclass
class MemoryItem:
    """One memory: as returned by get, get_all and search, and as stored."""

    id: int
    memory: str = _column("text")
    user_id: str = ""
    agent_id: str | None = None
    session_id: str | None = None
    kind: str = Kind.FACT
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
    cold: bool = False  # faded into the cold tier: searched only when hot results are weak (or asked)
    score: float | None = field(default=None, metadata={"stored": False})  # similarity to the query (search)
    # what was said just before a kept sentence: embedded with it, never shown
    context: str | None = _column(internal=True, default=None, repr=False)
    embedder: str | None = _column(internal=True, default=None, repr=False)  # id of the model of its vector

    @property
    def current(self) -> bool:
        return self.valid_to is None

    @property
    def message_ids(self) -> list[int]:
        """The logged messages it came from (none when it was added as given)."""
        return [i for i in self.source.get("message_ids", []) or [] if isinstance(i, int)]

    @property
    def last_used(self) -> str:
        """When it was last used: reached a prompt, else when it was said, else
        stored. A fact's or event's ``valid_from`` is when it became true or
        happened ("moved last month"), not when anyone said it, so it does not
        count; a sentence kept from a message has its time said there."""
        said = self.source.get("said_at")
        if self.last_accessed:
            return self.last_accessed
        if isinstance(said, str) and said:
            return said
        if self.kind not in (Kind.FACT, Kind.EPISODE, Kind.SUMMARY) and self.valid_from:
            return self.valid_from
        return self.created_at

    @property
    def started(self) -> str:
        """When it became true, or else when it was stored."""
        return self.valid_from or self.created_at

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (``--json``): no internal fields, ``score`` only from search."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.metadata.get("internal")}
        if self.score is None:
            data.pop("score")
        return data

    def to_record(self) -> dict[str, Any]:
        """Every stored field, by field name (exports)."""
        return {f.name: getattr(self, f.name) for f in STORED_FIELDS}

    @classmethod
    def from_row(cls, row: Any, score: float | None = None) -> "MemoryItem":
        """A memory from a row selected as :data:`MEMORY_COLUMNS` (in that order).

        Search builds one for every candidate it ranks, so this skips
        ``__init__`` and fills the fields straight from the row."""
        item = cls.__new__(cls)
        fields_ = item.__dict__
        for i, (name, decode) in enumerate(_READ_PLAN):
            value = row[i]
            fields_[name] = decode(value) if decode is not None else value
        fields_["score"] = score
        return item

    def to_row(self) -> dict[str, Any]:
        """Column -> SQLite value for every stored field but ``id``."""
        return {COLUMN_OF[f.name]: _encode(f.name, getattr(self, f.name)) for f in STORED_FIELDS if f.name != "id"}


_JSON_FIELDS = ("metadata", "source")


def _json(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if raw and raw != "{}" else {}


def _decoder(name: str) -> Any:
    """How a column's value becomes the field's (None: as it is)."""
    if name in _JSON_FIELDS:
        return _json
    if name in ("pinned", "cold"):
        return bool
    if name in ("id", "reinforced", "access_count"):
        return lambda raw: int(raw or 0)
    if name == "importance":
        return lambda raw: float(raw) if raw is not None else 0.5
    return None


def _encode(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)
    if name in ("pinned", "cold"):
        return 1 if value else 0
    if name == "context":
        return value or None
    return value


STORED_FIELDS = tuple(f for f in fields(MemoryItem) if f.metadata.get("stored", True))
COLUMN_OF = {f.name: f.metadata.get("column") or f.name for f in STORED_FIELDS}
_READ_PLAN = tuple((f.name, _decoder(f.name)) for f in STORED_FIELDS)
# What every read of a memory selects (the embedding BLOB is read only where needed).
MEMORY_COLUMNS = ", ".join(COLUMN_OF.values())


@dataclass
class AddResult:
    """What :meth:`Memory.add` did with one piece of text or one extracted fact.

    ``event`` (:class:`memcli.base.vocab.Event`): ``ADD`` (stored); ``NONE`` (already
    known: ``id`` is the existing memory, now reinforced); ``UPDATE`` (an
    existing memory refined in place); ``SUPERSEDE`` (stored, and
    ``previous_id`` is no longer current); ``DELETE`` (``id`` was retracted);
    ``CONFLICT`` (policy ``ask``: nothing applied, ``pending`` holds the new fact
    for :meth:`Memory.resolve`); ``PENDING`` (sensitive: stored only after
    :meth:`Memory.resolve`); ``REFUSED`` (the privacy policy never stores it).
    """

    id: int
    memory: str
    event: Event
    reason: str | None = None
    previous_id: int | None = None
    previous_memory: str | None = None
    pending: dict[str, Any] | None = None
    kind: str | None = None  # of the memory added: fact, episode, message...

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class TierPlan:
    """What :meth:`Memory.tier` moved (or, not applied, would move) between the
    hot tier and the cold one: memories with their retention."""

    user_id: str
    cold_below: float
    to_cold: list[tuple[MemoryItem, float]]
    to_hot: list[tuple[MemoryItem, float]]
    applied: bool = False

    def to_dict(self) -> dict[str, Any]:
        def rows(pairs: list[tuple[MemoryItem, float]]) -> list[dict[str, Any]]:
            return [{"id": m.id, "memory": m.memory, "retention": round(r, 4)} for m, r in pairs]

        return {"user_id": self.user_id, "cold_below": self.cold_below, "applied": self.applied,
                "to_cold": rows(self.to_cold), "to_hot": rows(self.to_hot)}


@dataclass
class HistoryEvent:
    """One change to a memory (:class:`memcli.base.vocab.Event`: ADD, UPDATE, DELETE,
    NONE, SUPERSEDE, PIN, UNPIN).

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
    def from_row(cls, row: Mapping[str, Any]) -> "HistoryEvent":
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
class Message:
    """One line of a chat session's log (the short-term memory)."""

    id: int
    session_id: str
    user_id: str
    role: str  # user | assistant
    content: str
    created_at: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Message":
        meta = row["metadata"]
        return cls(id=int(row["id"]), session_id=row["session_id"], user_id=row["user_id"], role=row["role"],
                   content=row["content"], created_at=row["created_at"],
                   metadata=json.loads(meta) if isinstance(meta, str) and meta else {})


@dataclass
class Session:
    """A chat session: its id, owner and when it started and ended."""

    id: str
    user_id: str
    started_at: str
    ended_at: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Session":
        return cls(id=row["id"], user_id=row["user_id"], started_at=row["started_at"], ended_at=row["ended_at"],
                   title=row["title"])


@dataclass
class ImportReport:
    """Counts from :meth:`Memory.import_data`."""

    imported: int = 0
    skipped_duplicates: int = 0
    reembedded: int = 0
    refused: int = 0  # left out by the privacy policy (e.g. credentials)
    users: list[str] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)  # users this very document was imported for before
    source: str = "memcli"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
