"""The export document: its format, and reading one back with a one-line error
for every way it can be bad.

An export is one JSON object, schema-versioned, holding everything needed for
a lossless import: memories (every stored field of :class:`MemoryItem`, and
optionally the vector), the history of every change, and chat sessions with
their messages. Each memory is read back field by field from the same
declaration it was written from, so a new column needs no change here.

Also accepted on import, so a person can move over from other memory servers:

- a Mem0 ``get_all`` dump, either ``{"results": [...]}`` or a bare list of
  records with ``memory`` (and usually ``user_id``, ``metadata``,
  ``created_at``, ``updated_at``, ``id``);
- an OpenMemory export: the zip its ``/api/v1/backup/export`` writes, its
  ``memories.json`` or its ``memories.jsonl.gz`` (records with ``content``;
  deleted ones are left out);
- the reference MCP memory server's ``memory.json``: JSON lines of entities
  (``name``, ``entityType``, ``observations``) and relations (``from``,
  ``relationType``, ``to``); each observation and relation becomes a memory
  that names its entity in its metadata.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from memcli.base.errors import InvalidInput
from memcli.base.records import STORED_FIELDS, MemoryItem
from memcli.base.text import clean_text, normalise_timestamp
from memcli.base.vocab import Kind

FORMAT = "memcli-export"
# 1: memories, history, sessions, messages. 2: facts over time (attribute,
# value, valid_from, valid_to, source, reinforced). 3: the context a sentence
# was embedded with; the fading and privacy fields (importance, pinned,
# access_count, last_accessed, sensitivity), already in version 2 files, are
# now read back. Version 1 and 2 files still import.
SCHEMA_VERSION = 3
TIMES = ("created_at", "updated_at", "valid_from", "valid_to", "last_accessed")
# Recomputed on import rather than trusted: the id is new, the hash follows the text.
NOT_READ = ("id", "hash", "cold")  # an imported memory starts hot; `memcli prune` decides its tier


@dataclass
class Incoming:
    """One memory of a document, validated: the memory, its vector if the
    document carried one, and the id it had where it came from."""

    item: MemoryItem
    embedding: bytes | None = None
    old_id: Any = None


@dataclass
class Document:
    source: str  # memcli | mem0
    memories: list[Incoming]
    history: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


def encode_vector(blob: bytes | None) -> str | None:
    return base64.b64encode(blob).decode("ascii") if blob is not None else None


# The largest document read (an export of 200,000 memories with their vectors
# is about 450 MB); anything larger, or endless, is refused before it fills memory.
MAX_DOCUMENT_BYTES = 1 << 30


def read_document(path: str, stdin: Any = None) -> tuple[bytes, str]:
    """The bytes of an import file ('-': ``stdin``'s), at most :data:`MAX_DOCUMENT_BYTES`."""
    import os
    import stat

    if path == "-":
        stream = getattr(stdin, "buffer", stdin)
        raw = stream.read(MAX_DOCUMENT_BYTES + 1)
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        name = "stdin"
    else:
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                raise InvalidInput(f"{path} is not a regular file")
            if info.st_size > MAX_DOCUMENT_BYTES:
                raise InvalidInput(f"{path} is larger than {MAX_DOCUMENT_BYTES >> 20} MB")
            with open(path, "rb") as fh:
                raw = fh.read(MAX_DOCUMENT_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
        name = path
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"{name} is larger than {MAX_DOCUMENT_BYTES >> 20} MB")
    return raw, name


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
    except RecursionError:
        raise InvalidInput(f"{name} is nested too deeply to be an export") from None
    except ValueError as exc:  # e.g. a number of 100,000 digits
        raise InvalidInput(f"{name} holds a value that cannot be read: {str(exc)[:80]}") from None


def load_document(raw: bytes, name: str) -> Any:
    """An import file's content: JSON, JSON lines, or a zip or gzip of them
    (OpenMemory's export), each unpacked to at most :data:`MAX_DOCUMENT_BYTES`."""
    import gzip
    import io
    import zipfile

    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                members = {m.filename.rsplit("/", 1)[-1]: m for m in zf.infolist() if not m.is_dir()}
                member = members.get("memories.json") or members.get("memories.jsonl.gz")
                if member is None:
                    raise InvalidInput(f"{name} is a zip without memories.json (not an OpenMemory export)")
                if member.file_size > MAX_DOCUMENT_BYTES:
                    raise InvalidInput(f"{name}: {member.filename} is larger than {MAX_DOCUMENT_BYTES >> 20} MB")
                return load_document(zf.read(member), f"{name}:{member.filename}")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InvalidInput(f"{name} is a damaged zip file ({exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                unpacked = gz.read(MAX_DOCUMENT_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise InvalidInput(f"{name} is a damaged gzip file ({exc})") from None
        if len(unpacked) > MAX_DOCUMENT_BYTES:
            raise InvalidInput(f"{name} unpacks to more than {MAX_DOCUMENT_BYTES >> 20} MB")
        return load_document(unpacked, name)
    try:
        return load_json(raw, name)
    except InvalidInput as whole:
        lines = [line for line in raw.splitlines() if line.strip()]
        if len(lines) < 2:
            raise
        try:
            return [json.loads(line) for line in lines]  # JSON lines
        except (ValueError, RecursionError):
            raise whole from None


def parse_document(doc: Any, default_user: str) -> Document:
    """Validate an export (memcli, Mem0, OpenMemory, the MCP memory server)
    before anything is written."""
    if isinstance(doc, dict) and doc.get("format") == FORMAT:
        return _parse_memcli(doc)
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and x.get("type") in ("entity", "relation")
                                             for x in doc):
        return _parse_mcp_memory(doc, default_user)
    if isinstance(doc, dict) and isinstance(doc.get("memories"), list) and ("export_meta" in doc or "user" in doc):
        owner = doc.get("user")
        named = owner.get("user_id") if isinstance(owner, dict) else None
        return _parse_openmemory(doc["memories"], named or default_user)
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and "content" in x and "memory" not in x
                                             for x in doc):
        return _parse_openmemory(doc, default_user)
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return _parse_mem0(doc["results"], default_user)
    if isinstance(doc, list):
        return _parse_mem0(doc, default_user)
    if isinstance(doc, dict) and "schema_version" in doc:
        raise InvalidInput("not a memcli export: the 'format' field is missing or wrong")
    raise InvalidInput("not a memcli export or a Mem0 get_all dump")


# --- one field at a time ------------------------------------------------------------


def _opt_str(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a string")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object")
    return value


def _count(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{where} must be a whole number, not {value!r}")
    return value


def _importance(value: Any, where: str) -> float:
    if value is None:
        return 0.5
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InvalidInput(f"{where} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _time(value: Any, where: str) -> str | None:
    return normalise_timestamp(_opt_str(value, where), where)


def _key(value: Any, where: str) -> int | str | None:
    """An id from another store: a whole number or a string (or absent)."""
    if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
        return value
    raise InvalidInput(f"{where} must be a number or a string, not {type(value).__name__}")


def _source(value: Any, where: str) -> dict[str, Any]:
    source = _object(value, where)
    ids = source.get("message_ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, (int, str)) and not isinstance(i, bool)
                                                                 for i in ids)):
        raise InvalidInput(f"{where}.message_ids must be a list of message ids")
    return source


def _read_field(name: str, value: Any, where: str) -> Any:
    """One stored field of a memory, checked by what the field holds."""
    if name == "memory":
        return clean_text(value, where)
    if name == "kind":
        return _opt_str(value, where) or Kind.FACT
    if name == "source":
        return _source(value, where)
    if name == "metadata":
        return _object(value, where)
    if name in ("reinforced", "access_count"):
        return _count(value, where)
    if name == "importance":
        return _importance(value, where)
    if name == "pinned":
        return bool(value)
    if name in TIMES:
        return _time(value, where)
    return _opt_str(value, where)


def _parse_memcli(doc: dict[str, Any]) -> Document:
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput("export has no integer schema_version")
    if version > SCHEMA_VERSION:
        raise InvalidInput(
            f"export schema version {version} is newer than this memcli reads ({SCHEMA_VERSION}); upgrade memcli")
    if version < 1:
        raise InvalidInput(f"export schema version {version} is not supported")
    memories = doc.get("memories")
    if not isinstance(memories, list):
        raise InvalidInput("export has no 'memories' list")
    incoming: list[Incoming] = []
    for n, raw in enumerate(memories):
        where = f"memories[{n}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{where} is not an object")
        user = raw.get("user_id")
        if not isinstance(user, str) or not user.strip():
            raise InvalidInput(f"{where} has no user_id")
        values = {f.name: _read_field(f.name, raw.get(f.name), f"{where}.{f.name}")
                  for f in STORED_FIELDS if f.name not in NOT_READ}
        values["created_at"] = values["created_at"] or ""
        values["updated_at"] = values["updated_at"] or ""
        blob = None
        if raw.get("embedding") is not None:
            try:
                blob = base64.b64decode(raw["embedding"], validate=True)
            except (ValueError, TypeError):
                raise InvalidInput(f"{where}: embedding is not base64") from None
        incoming.append(Incoming(MemoryItem(0, **values), blob, _key(raw.get("id"), f"{where}.id")))
    history = _list_of_objects(doc.get("history", []), "history")
    sessions = _list_of_objects(doc.get("sessions", []), "sessions")
    messages = _list_of_objects(doc.get("messages", []), "messages")
    for n, h in enumerate(history):
        where = f"history[{n}]"
        h["memory_id"] = _key(h.get("memory_id"), f"{where}.memory_id")
        for key in ("user_id", "event", "old_memory", "new_memory", "actor", "reason"):
            _opt_str(h.get(key), f"{where}.{key}")
        h["created_at"] = _time(h.get("created_at"), f"{where}.created_at")
    for n, s in enumerate(sessions):
        if not isinstance(s.get("id"), str) or not isinstance(s.get("user_id"), str):
            raise InvalidInput(f"sessions[{n}] needs string id and user_id")
        _opt_str(s.get("title"), f"sessions[{n}].title")
        for key in ("started_at", "ended_at"):
            s[key] = _time(s.get(key), f"sessions[{n}].{key}")
    for n, m in enumerate(messages):
        for key in ("session_id", "user_id", "role", "content"):
            if not isinstance(m.get(key), str):
                raise InvalidInput(f"messages[{n}] needs a string {key}")
        m["id"] = _key(m.get("id"), f"messages[{n}].id")
        m["created_at"] = _time(m.get("created_at"), f"messages[{n}].created_at")
        if m.get("metadata") is not None and not isinstance(m["metadata"], (dict, str)):
            raise InvalidInput(f"messages[{n}].metadata must be an object")
    return Document("memcli", incoming, history, sessions, messages)


def _list_of_objects(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise InvalidInput(f"export field '{name}' must be a list of objects")
    return value


def _parse_mem0(items: list[Any], default_user: str) -> Document:
    incoming: list[Incoming] = []
    for n, raw in enumerate(items):
        where = f"results[{n}]"
        if not isinstance(raw, dict) or "memory" not in raw:
            raise InvalidInput(f"{where} is not a Mem0 memory (no 'memory' field)")
        metadata = dict(_object(raw.get("metadata"), f"{where}.metadata"))
        if raw.get("id") is not None:
            metadata.setdefault("mem0_id", str(raw["id"]))
        user = raw.get("user_id") or default_user
        if not isinstance(user, str):
            raise InvalidInput(f"{where}.user_id must be a string")
        item = MemoryItem(0, clean_text(raw.get("memory"), f"{where}.memory"), user,
                          agent_id=_opt_str(raw.get("agent_id"), f"{where}.agent_id"),
                          session_id=_opt_str(raw.get("run_id"), f"{where}.run_id"),
                          metadata=metadata,
                          created_at=_time(raw.get("created_at"), f"{where}.created_at") or "",
                          updated_at=_time(raw.get("updated_at"), f"{where}.updated_at") or "")
        incoming.append(Incoming(item))
    return Document("mem0", incoming)


def _parse_openmemory(items: list[Any], user: str) -> Document:
    if not isinstance(user, str) or not user.strip():
        raise InvalidInput("the OpenMemory export names no user")
    incoming: list[Incoming] = []
    for n, raw in enumerate(items):
        where = f"memories[{n}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{where} is not an object")
        if raw.get("state") == "deleted":
            continue
        metadata = dict(_object(raw.get("metadata"), f"{where}.metadata"))
        for key, value in (("openmemory_id", raw.get("id")), ("app", raw.get("app")),
                           ("categories", raw.get("categories")), ("state", raw.get("state"))):
            if value:
                metadata.setdefault(key, value if isinstance(value, (str, list)) else str(value))
        item = MemoryItem(0, clean_text(raw.get("content"), f"{where}.content"), user, metadata=metadata,
                          created_at=_time(raw.get("created_at"), f"{where}.created_at") or "",
                          updated_at=_time(raw.get("updated_at"), f"{where}.updated_at") or "")
        incoming.append(Incoming(item))
    return Document("openmemory", incoming)


def _parse_mcp_memory(items: list[dict[str, Any]], user: str) -> Document:
    """The reference MCP memory server's knowledge graph: what it observed of each
    entity, and the relations between them, each one memory of ``user``."""
    import re

    def spoken(name: str) -> str:
        return re.sub(r"[_\s]+", " ", name).strip()

    me = {user.casefold(), "user", "me", "default_user", "the user"}
    incoming: list[Incoming] = []
    for n, raw in enumerate(items):
        where = f"line {n + 1}"
        if raw["type"] == "entity":
            entity = _opt_str(raw.get("name"), f"{where}.name")
            if not entity:
                raise InvalidInput(f"{where}: an entity without a name")
            kind = _opt_str(raw.get("entityType"), f"{where}.entityType")
            observations = raw.get("observations") or []
            if not isinstance(observations, list):
                raise InvalidInput(f"{where}.observations must be a list")
            for observation in observations:
                said = clean_text(observation, f"{where}.observations")
                text = said if entity.casefold() in me else f"{spoken(entity)}: {said}"
                incoming.append(Incoming(MemoryItem(0, text, user, kind=Kind.NOTE, metadata={
                    "entity": entity, "entity_type": kind, "imported_from": "mcp-memory"})))
        else:
            parts = [_opt_str(raw.get(k), f"{where}.{k}") for k in ("from", "relationType", "to")]
            if not all(parts):
                raise InvalidInput(f"{where}: a relation needs from, relationType and to")
            source, relation, target = (str(p) for p in parts)
            text = f"{spoken(source)} {spoken(relation)} {spoken(target)}"
            incoming.append(Incoming(MemoryItem(0, text, user, kind=Kind.NOTE, metadata={
                "relation": relation, "from": source, "to": target, "imported_from": "mcp-memory"})))
    return Document("mcp-memory", incoming)
