"""Export and import: the document format, its validation, and ``Memory.export`` /
``Memory.import_data``.

An export is one JSON object, schema-versioned, holding everything needed for
a lossless import: memories with their metadata, timestamps and (optionally)
their vectors, the history of every change, and chat sessions with their
messages. Import validates the whole document before anything is written.

Also accepted on import: a Mem0 ``get_all`` dump, either ``{"results": [...]}``
or a bare list of records with ``memory`` (and usually ``user_id``, ``metadata``,
``created_at``, ``updated_at``, ``id``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .errors import InvalidInput
from .part import MemoryPart
from .records import HistoryEvent, ImportReport, MemoryItem
from .store import now_iso
from .text import clean_text, content_hash, embedding_input

FORMAT = "memcli-export"
# 1: memories, history, sessions, messages. 2: facts over time (attribute,
# value, valid_from, valid_to, source, reinforced). 3: the context a sentence
# was embedded with; the fading and privacy fields (importance, pinned,
# access_count, last_accessed, sensitivity), already in version 2 files, are
# now read back. Version 1 and 2 files still import.
SCHEMA_VERSION = 3


@dataclass
class ImportRecord:
    """One memory to import, validated."""

    text: str
    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    kind: str = "fact"
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None
    embedding: bytes | None = None
    embedder: str | None = None
    old_id: Any = None
    attribute: str | None = None
    value: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    reinforced: int = 0
    importance: float | None = None
    pinned: bool = False
    access_count: int = 0
    last_accessed: str | None = None
    sensitivity: str | None = None
    context: str | None = None


@dataclass
class ParsedDocument:
    source: str  # memcli | mem0
    records: list[ImportRecord]
    history: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


def encode_vector(blob: bytes | None) -> str | None:
    return base64.b64encode(blob).decode("ascii") if blob is not None else None


def load_json(raw: bytes, name: str) -> Any:
    """Decode and parse an export file with a one-line error for every way it can be bad."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not valid UTF-8 text") from None
    if not text.strip():
        raise InvalidInput(f"{name} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "is the file truncated?"
        ) from None


def parse_document(doc: Any, default_user: str) -> ParsedDocument:
    """Validate an export (memcli or Mem0) and return records ready to insert."""
    if isinstance(doc, dict) and doc.get("format") == FORMAT:
        return _parse_memcli(doc)
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return _parse_mem0(doc["results"], default_user)
    if isinstance(doc, list):
        return _parse_mem0(doc, default_user)
    if isinstance(doc, dict) and "schema_version" in doc:
        raise InvalidInput("not a memcli export: the 'format' field is missing or wrong")
    raise InvalidInput("not a memcli export or a Mem0 get_all dump")


def _opt_str(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a string")
    return value


def _metadata(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: metadata must be an object")
    return value


def _parse_memcli(doc: dict[str, Any]) -> ParsedDocument:
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise InvalidInput("export has no integer schema_version")
    if version > SCHEMA_VERSION:
        raise InvalidInput(
            f"export schema version {version} is newer than this memcli reads ({SCHEMA_VERSION}); upgrade memcli"
        )
    if version < 1:
        raise InvalidInput(f"export schema version {version} is not supported")
    memories = doc.get("memories")
    if not isinstance(memories, list):
        raise InvalidInput("export has no 'memories' list")
    records: list[ImportRecord] = []
    for n, item in enumerate(memories):
        where = f"memories[{n}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} is not an object")
        user = item.get("user_id")
        if not isinstance(user, str) or not user.strip():
            raise InvalidInput(f"{where} has no user_id")
        blob = None
        if item.get("embedding") is not None:
            try:
                blob = base64.b64decode(item["embedding"], validate=True)
            except (ValueError, TypeError):
                raise InvalidInput(f"{where}: embedding is not base64") from None
        records.append(
            ImportRecord(
                text=clean_text(item.get("memory"), f"{where}.memory"),
                user_id=user,
                agent_id=_opt_str(item.get("agent_id"), f"{where}.agent_id"),
                session_id=_opt_str(item.get("session_id"), f"{where}.session_id"),
                kind=_opt_str(item.get("kind"), f"{where}.kind") or "fact",
                metadata=_metadata(item.get("metadata"), where),
                created_at=_opt_str(item.get("created_at"), f"{where}.created_at"),
                updated_at=_opt_str(item.get("updated_at"), f"{where}.updated_at"),
                embedding=blob,
                embedder=_opt_str(item.get("embedder"), f"{where}.embedder"),
                old_id=item.get("id"),
                attribute=_opt_str(item.get("attribute"), f"{where}.attribute"),
                value=_opt_str(item.get("value"), f"{where}.value"),
                valid_from=_opt_str(item.get("valid_from"), f"{where}.valid_from"),
                valid_to=_opt_str(item.get("valid_to"), f"{where}.valid_to"),
                source=_metadata(item.get("source"), f"{where}.source"),
                reinforced=_count(item.get("reinforced"), f"{where}.reinforced"),
                importance=_importance(item.get("importance"), f"{where}.importance"),
                pinned=bool(item.get("pinned")),
                access_count=_count(item.get("access_count"), f"{where}.access_count"),
                last_accessed=_opt_str(item.get("last_accessed"), f"{where}.last_accessed"),
                sensitivity=_opt_str(item.get("sensitivity"), f"{where}.sensitivity"),
                context=_opt_str(item.get("context"), f"{where}.context"),
            )
        )
    history = _list_of_objects(doc.get("history", []), "history")
    sessions = _list_of_objects(doc.get("sessions", []), "sessions")
    messages = _list_of_objects(doc.get("messages", []), "messages")
    for n, s in enumerate(sessions):
        if not isinstance(s.get("id"), str) or not isinstance(s.get("user_id"), str):
            raise InvalidInput(f"sessions[{n}] needs string id and user_id")
    for n, m in enumerate(messages):
        for key in ("session_id", "user_id", "role", "content"):
            if not isinstance(m.get(key), str):
                raise InvalidInput(f"messages[{n}] needs a string {key}")
    return ParsedDocument("memcli", records, history, sessions, messages)


def _count(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{where} must be a whole number, not {value!r}")
    return value


def _importance(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InvalidInput(f"{where} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _list_of_objects(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise InvalidInput(f"export field '{name}' must be a list of objects")
    return value


def _parse_mem0(items: list[Any], default_user: str) -> ParsedDocument:
    records: list[ImportRecord] = []
    for n, item in enumerate(items):
        where = f"results[{n}]"
        if not isinstance(item, dict) or "memory" not in item:
            raise InvalidInput(f"{where} is not a Mem0 memory (no 'memory' field)")
        metadata = dict(_metadata(item.get("metadata"), where))
        if item.get("id") is not None:
            metadata.setdefault("mem0_id", str(item["id"]))
        user = item.get("user_id") or default_user
        if not isinstance(user, str):
            raise InvalidInput(f"{where}.user_id must be a string")
        records.append(
            ImportRecord(
                text=clean_text(item.get("memory"), f"{where}.memory"),
                user_id=user,
                agent_id=_opt_str(item.get("agent_id"), f"{where}.agent_id"),
                session_id=_opt_str(item.get("run_id"), f"{where}.run_id"),
                metadata=metadata,
                created_at=_opt_str(item.get("created_at"), f"{where}.created_at"),
                updated_at=_opt_str(item.get("updated_at"), f"{where}.updated_at"),
            )
        )
    return ParsedDocument("mem0", records)


class TransferMixin(MemoryPart):
    """``Memory.export`` and ``Memory.import_data``."""

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
            blobs = dict(self.store.conn.execute(
                "SELECT id, embedding FROM memories WHERE user_id = ?", [user])) if include_vectors else {}
            for row in self.store.list_memories(user):
                item = MemoryItem.from_row(row).to_dict()
                item["embedder"] = row["embedder"]
                item["context"] = row["context"]
                if include_vectors:
                    item["embedding"] = encode_vector(blobs.get(row["id"]))
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
                m["context"] = clean(m.get("context"))
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
            rec.last_accessed = normalise_timestamp(rec.last_accessed, f"record {n} last_accessed")
        report = ImportReport(source=parsed.source)
        dim = self.embedder.dim
        seen: set[tuple[str, str, str | None, str | None]] = set()
        keep = []
        for rec in parsed.records:
            # The privacy policy applies to imports as to any write: what is never
            # stored is dropped, what is redacted is masked (and re-embedded).
            # Importing is the person's own act, so 'ask' classes are stored.
            screened = self.screen(rec.text)
            if screened.action == "never":
                report.refused += 1
                continue
            if screened.text != rec.text:
                rec.text, rec.embedding = screened.text, None
            rec.sensitivity = screened.label or rec.sensitivity
            if rec.context:
                rec.context = self.log_text(rec.context)
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
                for rec, vec in zip(chunk, self.embedder.embed([embedding_input(r.text, r.context) for r in chunk])):
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
                        "reinforced": rec.reinforced, "importance": rec.importance, "pinned": rec.pinned,
                        "access_count": rec.access_count, "last_accessed": rec.last_accessed,
                        "sensitivity": rec.sensitivity, "context": rec.context,
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
            m = {**m, "content": self.log_text(m["content"])}
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
