"""ChatGPT's ``conversations.json``: a list of conversations, each a tree of
messages (``mapping``) whose active branch ends at ``current_node``; an edited
prompt leaves the older branch beside it, which is not what was kept."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from memcli.histories import ChatMessage, Conversation, Notes
from memcli.histories.sources import Entry, json_items

ROLES = {"user": "user", "assistant": "assistant"}  # system and tool messages are not conversation


def read(entry: Entry, notes: Notes) -> Iterator[Conversation]:
    for n, conv in enumerate(json_items(entry, "item")):
        if not isinstance(conv, dict) or not isinstance(conv.get("mapping"), dict):
            raise_shape(entry, n)
        key = str(conv.get("conversation_id") or conv.get("id") or f"{entry.name}#{n}")
        title = str(conv.get("title") or "Untitled")
        found = Conversation(f"chatgpt:{key}", title)
        for node_id, message in branch(conv):
            said = message_of(node_id, message, conv)
            if said is None:
                notes.skipped += 1
                continue
            found.messages.append(said)
        yield found


def raise_shape(entry: Entry, n: int) -> None:
    from memcli.base.errors import InvalidInput

    raise InvalidInput(f"{entry.name}: conversation {n + 1} is not a ChatGPT conversation (no mapping)")


def branch(conv: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The active branch, root first: from ``current_node`` up its parents (or,
    without one, the first child of each node from the root)."""
    mapping: dict[str, Any] = conv["mapping"]
    node = conv.get("current_node")
    path: list[str] = []
    seen: set[str] = set()
    if node in mapping:
        while node is not None and node in mapping and node not in seen:
            seen.add(node)
            path.append(node)
            node = mapping[node].get("parent")
        path.reverse()
    else:
        roots = [k for k, v in mapping.items() if not v.get("parent") or v.get("parent") not in mapping]
        node = roots[0] if roots else None
        while node is not None and node not in seen:
            seen.add(node)
            path.append(node)
            children = mapping[node].get("children") or []
            node = children[0] if children and children[0] in mapping else None
    return [(k, mapping[k].get("message")) for k in path if isinstance(mapping[k].get("message"), dict)]


def message_of(node_id: str, message: dict[str, Any], conv: dict[str, Any]) -> ChatMessage | None:
    role = ROLES.get(str((message.get("author") or {}).get("role")))
    meta = message.get("metadata") or {}
    if role is None or meta.get("is_visually_hidden_from_conversation"):
        return None
    content = message.get("content") or {}
    parts = content.get("parts") if isinstance(content, dict) else None
    if isinstance(content, dict) and content.get("content_type") not in (None, "text", "multimodal_text"):
        return None  # code, tool output, reasoning: not what was said
    text = "\n".join(p for p in (parts or []) if isinstance(p, str)).strip()
    if not text:
        return None
    stamp = message.get("create_time") or conv.get("create_time")
    if not isinstance(stamp, (int, float)):
        return None
    return ChatMessage(str(message.get("id") or node_id), role, text, datetime.fromtimestamp(stamp, timezone.utc))
