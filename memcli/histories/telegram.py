"""Telegram Desktop's ``result.json``: the whole account's export (``chats`` ->
``list``) or one chat (``messages``); each message has ``from``,
``date_unixtime`` and ``text``, a string or a list of typed pieces."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from memcli.histories import ChatMessage, Conversation, Notes
from memcli.histories.sources import Entry, json_items


def read(entry: Entry, notes: Notes, me: str | None) -> Iterator[Conversation]:
    whole = b'"chats"' in entry.head()
    if me is None and whole:
        me = notes.me = account_name(entry)
    chats = json_items(entry, "chats.list.item") if whole else _one_chat(entry)
    for n, chat in enumerate(chats):
        if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
            continue
        key = str(chat.get("id") or f"{entry.name}#{n}")
        found = Conversation(f"telegram:{key}", str(chat.get("name") or "Saved Messages"))
        for message in chat["messages"]:
            said = message_of(message, me, key)
            if said is None:
                notes.skipped += 1
                continue
            notes.saw(said.speaker)
            found.messages.append(said)
        yield found


def account_name(entry: Entry) -> str | None:
    """The exporting account's name, as its own messages show it under ``from``."""
    for info in json_items(entry, "personal_information"):
        if isinstance(info, dict):
            name = " ".join(str(info.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
            return name or None
    return None


def _one_chat(entry: Entry) -> Iterator[dict[str, Any]]:
    chat: dict[str, Any] = {"messages": []}
    for item in json_items(entry, ""):
        chat = item
    yield chat


def text_of(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "".join(p if isinstance(p, str) else str(p.get("text") or "") for p in value
                       if isinstance(p, (str, dict))).strip()
    return ""


def message_of(message: Any, me: str | None, chat_key: str) -> ChatMessage | None:
    if not isinstance(message, dict) or message.get("type", "message") != "message":
        return None  # a service line: someone joined, a call, a pinned message
    text = text_of(message.get("text"))
    speaker = str(message.get("from") or "").strip() or None
    stamp = message.get("date_unixtime")
    try:
        when = datetime.fromtimestamp(int(stamp), timezone.utc) if stamp is not None else None
    except (TypeError, ValueError):
        when = None
    if when is None and isinstance(message.get("date"), str):
        try:
            when = datetime.fromisoformat(message["date"]).astimezone(timezone.utc)
        except ValueError:
            when = None
    if not text or when is None:
        return None
    role = "user" if me is not None and speaker is not None and speaker.casefold() == me.casefold() else "other"
    return ChatMessage(f"{chat_key}#{message.get('id')}", role, text, when, speaker)
