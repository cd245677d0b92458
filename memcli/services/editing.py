"""Changing a memory's text by hand (``memcli edit``, ``Memory.update``)."""

from __future__ import annotations

from typing import Any

from memcli.engine.core import Core
from memcli.base.errors import InvalidInput
from memcli.base.records import MemoryItem
from memcli.base.text import clean_text, embedding_input
from memcli.base.vocab import Policy


class Editor:
    """``Memory.update``: the new text is screened and re-embedded; the old one stays in the history."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def update(self, memory_id: Any, text: str, actor: str, user_id: str | None = None) -> MemoryItem:
        item = self.core.owned(memory_id, user_id)
        memory_id = item.id
        screened = self.core.privacy.screen(clean_text(text))
        if screened.action == Policy.NEVER:
            raise InvalidInput(f"not stored: {screened.reason}")
        if screened.text == item.memory:
            return item
        vector = self.core.embedding.embed([embedding_input(screened.text, item.context)])[0]
        with self.core.write() as w:
            w.update_text(memory_id, screened.text, vector, actor=actor)
        return self.core.store.memories.get(memory_id)
