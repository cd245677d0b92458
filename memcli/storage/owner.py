"""What a table group needs of the :class:`~memcli.storage.database.Store` that owns it.

The table groups (memories, keywords, history, sessions) are built by the store
and call back into it for its connection, its clock and its generation
counters. They name this protocol rather than the store itself, so that the
store can import them without an import circle.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol, Sequence


class Owner(Protocol):
    """The store, as its table groups see it."""

    conn: sqlite3.Connection

    def now(self) -> str: ...

    def bump_generation(self, user_id: str, memory_id: int, change: str) -> None: ...

    def bump_generation_many(self, user_id: str, memory_ids: Sequence[int], change: str) -> None: ...

    def bump_cold_generation(self, user_id: str) -> None: ...
