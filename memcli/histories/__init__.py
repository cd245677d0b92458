"""Chat histories people bring: ChatGPT's and Claude's exports, WhatsApp's
"Export chat" and Telegram's ``result.json``, read into one shape.

Every reader yields :class:`Conversation` objects one at a time (the JSON
exports are parsed as a stream, so memory stays bounded whatever the file's
size), each holding its messages in the order said, with the export's own
time for each. Who is the person is said by ``me`` (a speaker's name in a
chat between people) or by the role (``user`` in ChatGPT and Claude); the
reader marks each message ``user`` (the person), ``assistant`` (a model) or
``other`` (another person, named). Nothing here stores anything:
:mod:`memcli.services.history` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ChatMessage:
    """One message: ``role`` is user (the person), assistant (a model) or other
    (another person, ``speaker``); ``key`` is stable across exports of the same chat."""

    key: str
    role: str
    text: str
    time: datetime
    speaker: str | None = None


@dataclass
class Conversation:
    """One conversation or chat of an export."""

    key: str       # stable across exports: the export's id, or the chat's name
    title: str
    messages: list[ChatMessage] = field(default_factory=list)


@dataclass
class Notes:
    """What a reader decided and saw, for the report: the date order of a WhatsApp
    file, the speakers, the lines it passed over."""

    date_order: str | None = None
    me: str | None = None  # the person, where the export says (Telegram's account name)
    speakers: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def saw(self, speaker: str | None) -> None:
        if speaker:
            self.speakers[speaker] = self.speakers.get(speaker, 0) + 1

