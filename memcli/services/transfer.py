"""Export and import: ``Memory.export`` and ``Memory.import_data``.

The document format and its validation live in :mod:`memcli.storage.export_format`.
An import is validated whole before anything is written, screened by the
privacy policy like any write, and written in one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from memcli.base.version import __version__
from memcli.engine.core import Core
from memcli.storage.export_format import FORMAT, SCHEMA_VERSION, Document, Incoming, encode_vector, parse_document
from memcli.base.records import ImportReport
from memcli.base.text import content_hash, embedding_input
from memcli.base.vocab import Actor, Event, Policy


class Transfer:
    """``Memory.export`` and ``Memory.import_data``."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def export(self, user_id: str | None, *, all_users: bool, include_vectors: bool,
               redact: bool) -> dict[str, Any]:
        """See :meth:`memcli.Memory.export`."""
        store = self.core.store
        users = store.lists.users() if all_users else [self.core.user(user_id)]
        memories: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        sessions: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for user in users:
            items = store.lists.select(user)
            blobs = dict(store.vectors.embeddings([i.id for i in items], user)) if include_vectors else {}
            for item in items:
                record = item.to_record()
                if include_vectors:
                    record["embedding"] = encode_vector(blobs.get(item.id))
                memories.append(record)
            history += [e.to_dict() for e in store.history.of_user(user)]
            sessions += [s.to_dict() for s in store.sessions.of_user(user)]
            messages += [m.to_dict() for m in store.sessions.messages(user)]
        if redact:
            _redact(memories, history, messages)
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "redacted": redact,
            "memcli_version": __version__,
            "exported_at": self.core.now_iso(),
            "embedder": self.core.config.embedder,
            "users": users,
            "memories": memories,
            "history": history,
            "sessions": sessions,
            "messages": messages,
        }

    def import_data(self, document: Any, user_id: str | None) -> ImportReport:
        """See :meth:`memcli.Memory.import_data`."""
        import numpy as np

        parsed = parse_document(document, self.core.user(user_id))
        digest = document_digest(document)
        report = ImportReport(source=parsed.source)
        keep = self._screened(parsed, report)
        dim, embedder = self.core.embedding.embedder.dim, self.core.embedding.embedder.id
        redo = [r for r in keep
                if not (r.item.embedder == embedder and r.embedding is not None and len(r.embedding) == dim * 4)]
        for start in range(0, len(redo), 256):
            chunk = redo[start:start + 256]
            for rec, vec in zip(chunk, self.core.embedding.embed([embedding_input(r.item.memory, r.item.context)
                                                         for r in chunk])):
                rec.embedding = vec.astype(np.float32).tobytes()
            if self.core.progress:
                self.core.progress("embedding", min(start + 256, len(redo)), len(redo))
        report.reembedded = len(redo)
        id_map: dict[Any, int] = {}
        everyone = sorted({r.item.user_id for r in parsed.memories} | {s["user_id"] for s in parsed.sessions})
        # The write lock is held from here to the commit: a second import of the
        # same document (another process, at the same moment) waits, then finds
        # it recorded, or finds its memories stored, and adds nothing.
        with self.core.write() as w:
            done = {u for u in everyone if self.core.store.imported(digest, u)}
            report.already_imported = sorted(done)
            keep = [r for r in keep if r.item.user_id not in done]
            keep = [r for r in keep if not self.core.store.memories.holds(*_key(r))]
            report.skipped_duplicates = len(parsed.memories) - report.refused - len(keep)
            message_ids = self._import_sessions(w, parsed, done)
            for rec in keep:
                item = rec.item
                if item.source.get("message_ids"):
                    item.source = {**item.source, "message_ids": [message_ids[i] for i in item.source["message_ids"]
                                                                  if i in message_ids]}
                w.insert(item, np.frombuffer(rec.embedding or b"", dtype=np.float32), actor=Actor.IMPORT,
                         reason=f"imported from a {parsed.source} export")
                if rec.old_id is not None:
                    id_map[(item.user_id, rec.old_id)] = item.id
            self._import_history(w, parsed.history, id_map)
            for user in everyone:
                if user not in done:
                    self.core.store.record_import(digest, user, sum(1 for r in keep if r.item.user_id == user))
        report.imported = len(keep)
        report.users = sorted({r.item.user_id for r in keep})
        return report

    def _screened(self, parsed: Document, report: ImportReport) -> list[Incoming]:
        """The memories to import: what the privacy policy allows, masked where it
        says, without those already stored."""
        seen: set[tuple[str, str, str | None, str | None]] = set()
        keep = []
        for rec in parsed.memories:
            item = rec.item
            # Importing is the person's own act, so 'ask' classes are stored.
            screened = self.core.privacy.screen(item.memory)
            if screened.action == Policy.NEVER:
                report.refused += 1
                continue
            if screened.text != item.memory:
                item.memory, rec.embedding = screened.text, None
            item.sensitivity = screened.label or item.sensitivity
            if item.context:
                item.context = self.core.privacy.log_text(item.context)
            key = _key(rec)
            if key in seen:
                continue
            seen.add(key)
            keep.append(rec)
        return keep

    def _import_history(self, w: Any, history: list[dict[str, Any]], id_map: dict[Any, int]) -> None:
        """Carry over earlier changes of imported memories (their ADD is recorded
        anew, as an import)."""
        for h in history:
            new_id = id_map.get((h.get("user_id"), h.get("memory_id")))
            if new_id is None or h.get("event") == Event.ADD:
                continue
            w.import_history(new_id, str(h.get("user_id")), str(h.get("event")), h.get("old_memory"),
                             h.get("new_memory"), str(h.get("actor") or Actor.IMPORT), h.get("reason"),
                             h.get("created_at"))

    def _import_sessions(self, w: Any, parsed: Document, done: set[str]) -> dict[Any, int]:
        """Sessions and messages not yet stored (of users this document was not
        imported for already); old message ids -> new."""
        mapping: dict[Any, int] = {}
        for s in parsed.sessions:
            if s["user_id"] not in done:
                w.open_session(s["id"], s["user_id"], s.get("started_at"), s.get("ended_at"), s.get("title"))
        for m in parsed.messages:
            if m["user_id"] in done:
                continue
            stamp = m.get("created_at") or self.core.now_iso()
            content = self.core.privacy.log_text(m["content"])
            known = self.core.store.sessions.find_message(m["session_id"], m["user_id"], stamp, content)
            if known is None:
                known = w.log(m["session_id"], m["user_id"], m["role"], content, _message_meta(m.get("metadata")),
                              created_at=stamp)
            mapping[m.get("id")] = known
        return mapping


def _key(rec: Incoming) -> tuple[str, str, str | None, str | None]:
    """What makes an imported memory the same as one stored: user, text, and the
    validity interval (a superseded fact and the later one can share their text)."""
    item = rec.item
    return (item.user_id, content_hash(item.memory), item.valid_from, item.valid_to)


def document_digest(document: Any) -> str:
    """The identity of an import document: its content, whatever its layout."""
    import hashlib

    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _message_meta(meta: Any) -> dict[str, Any]:
    """A message's metadata: an object, or (in exports before schema 3) its JSON text."""
    if isinstance(meta, str):
        try:
            meta = json.loads(meta or "{}")
        except ValueError:
            return {"text": meta}
    return meta if isinstance(meta, dict) else {}


def _redact(memories: list[dict[str, Any]], history: list[dict[str, Any]], messages: list[dict[str, Any]]) -> None:
    """Mask every sensitive value for sharing (vectors would give the text away too)."""
    from memcli.base.privacy import classify
    from memcli.base.privacy import redact as mask

    def clean(text: Any) -> Any:
        return mask(text, classify(text)) if isinstance(text, str) else text

    for m in memories:
        m["memory"], m["value"], m["embedding"] = clean(m["memory"]), clean(m.get("value")), None
        m["context"] = clean(m.get("context"))
    for h in history:
        h["old_memory"], h["new_memory"] = clean(h["old_memory"]), clean(h["new_memory"])
    for msg in messages:
        msg["content"] = clean(msg["content"])
