"""Claude's ``conversations.json``: a list of conversations, each with
``chat_messages`` (``sender`` human or assistant; ``text``, or ``content``
pieces; ISO ``created_at``)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from memcli.base.errors import InvalidInput
from memcli.histories import ChatMessage, Conversation, Notes
from memcli.histories.sources import Entry, json_items

ROLES = {"human": "user", "user": "user", "assistant": "assistant"}


def read(entry: Entry, notes: Notes) -> Iterator[Conversation]:
    for n, conv in enumerate(json_items(entry, "item")):
        if not isinstance(conv, dict) or not isinstance(conv.get("chat_messages"), list):
            raise InvalidInput(f"{entry.name}: conversation {n + 1} is not a Claude conversation (no chat_messages)")
        key = str(conv.get("uuid") or f"{entry.name}#{n}")
        found = Conversation(f"claude:{key}", str(conv.get("name") or "Untitled"))
        for m, message in enumerate(conv["chat_messages"]):
            said = message_of(message, conv, f"{key}#{m}")
            if said is None:
                notes.skipped += 1
                continue
            found.messages.append(said)
        yield found


def text_of(message: dict[str, Any]) -> str:
    pieces = message.get("content")
    if isinstance(pieces, list) and pieces:
        return "\n".join(str(p.get("text") or "") for p in pieces
                         if isinstance(p, dict) and p.get("type") == "text").strip()
    return str(message.get("text") or "").strip()


def message_of(message: Any, conv: dict[str, Any], fallback_key: str) -> ChatMessage | None:
    if not isinstance(message, dict):
        return None
    role = ROLES.get(str(message.get("sender")))
    text = text_of(message)
    stamp = parse_time(message.get("created_at") or conv.get("created_at"))
    if role is None or not text or stamp is None:
        return None
    return ChatMessage(str(message.get("uuid") or fallback_key), role, text, stamp)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
