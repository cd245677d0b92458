"""Export documents and the validation of documents to import.

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

from .errors import InvalidInput
from .text import clean_text

FORMAT = "memcli-export"
# 1: memories, history, sessions, messages. 2: facts over time (attribute,
# value, valid_from, valid_to, source, reinforced). Version 1 files still import.
SCHEMA_VERSION = 2


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
                reinforced=int(item.get("reinforced") or 0) if isinstance(item.get("reinforced") or 0, int) else 0,
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
