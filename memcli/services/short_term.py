"""Short-term memory: chat sessions and the log of every message said in them.

A line is logged before anything else happens to it (masked where the privacy
policy says), so nothing said is lost when a later step fails. The last few
exchanges of a session go back into the prompt (:mod:`memcli.chat`).
"""

from __future__ import annotations

import secrets
from typing import Any

from memcli.engine.core import Core
from memcli.base.errors import NotFound
from memcli.base.records import Message, Session
from memcli.base.text import clean_text


class ShortTerm:
    """Sessions and their message logs."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def new_session_id(self) -> str:
        """A fresh session id: the time, then random hex; never one already in use
        (two people starting a chat in the same second must not share, or be
        refused, one id)."""
        while True:
            found = f"{self.core.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            if self.core.store.sessions.get(found) is None:
                return found

    def start(self, session_id: str | None, user_id: str) -> tuple[Session, bool]:
        """The session ``session_id`` of ``user_id`` (created if new; a fresh id when
        None), and whether it existed already. Another user's session is NotFound."""
        user = self.core.user(user_id)
        session_id = session_id or self.new_session_id()
        existing = self.core.store.sessions.get(clean_text(session_id, "session id"))
        if existing is not None and existing.user_id != user:
            raise NotFound(f"no session {session_id!r} for user {user!r}")
        if existing is None:
            with self.core.write() as w:
                w.open_session(session_id, user)
        session = self.core.store.sessions.get(session_id)
        assert session is not None
        return session, existing is not None

    def end(self, session_id: str) -> None:
        with self.core.write() as w:
            w.end_session(session_id)

    def log(self, session_id: str, user_id: str, role: str, content: str,
            metadata: dict[str, Any] | None = None) -> int:
        """Write one message to the session's log (created if it is missing, e.g.
        forgotten mid-session); returns the message's id."""
        with self.core.write() as w:
            w.open_session(session_id, user_id)
            return w.log(session_id, user_id, role, self.core.privacy.log_text(content), metadata)

    def recent(self, session_id: str, limit: int, before_id: int | None = None) -> list[Message]:
        return self.core.store.sessions.recent(session_id, limit, before_id)

    def session(self, session_id: str) -> Session | None:
        return self.core.store.sessions.get(session_id)

    def last_session(self, user_id: str) -> Session | None:
        return self.core.store.sessions.last(self.core.user(user_id))

    def sessions(self, user_id: str | None) -> list[Session]:
        return self.core.store.sessions.of_user(self.core.user(user_id))

    def messages(self, user_id: str | None) -> list[Message]:
        return self.core.store.sessions.messages(self.core.user(user_id))
