"""The base of the parts :class:`memcli.Memory` is assembled from.

``Memory`` is one class written in several modules, one per concern (search,
learning, forgetting, consolidation, transfer). Each part uses the core that
``memcli/memory.py`` defines; this base declares that core once, for type
checkers only, so every part is checked against the same signatures (and
``Memory``'s own definitions are checked against them too). At run time it is
an empty class.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from .config import Config
    from .index import Progress, UserIndex
    from .models.embedder import Embedder
    from .privacy import Screened
    from .records import AddResult, HistoryEvent, MemoryItem, Piece
    from .store import Store

    class MemoryPart:
        store: Store
        config: Config
        llm: Any
        progress: Progress | None
        _extractor: Any

        @property
        def embedder(self) -> Embedder: ...
        def _user(self, user_id: str | None) -> str: ...
        @staticmethod
        def _id(memory_id: Any) -> int: ...
        def _index(self, user_id: str) -> UserIndex: ...
        def _apply(self, user_id: str, index: UserIndex, stale: bool, add: Iterable[tuple[int, Any]] = (),
                   remove: Sequence[int] = ()) -> None: ...
        def _insert(self, user: str, agent_id: str | None, session_id: str | None, items: Sequence[Piece],
                    actor: str, valid_from: str | None = None,
                    sources: Sequence[dict[str, Any]] | None = None) -> list[AddResult]: ...
        def _messages(self, messages: Any,
                      base_meta: dict[str, Any]) -> list[tuple[str, str, str | None, dict[str, Any]]]: ...
        def _pieces(self, content: str, meta: dict[str, Any], name: str | None, kind: str,
                    before: str = "") -> list[Piece]: ...
        @staticmethod
        def _check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]: ...
        @staticmethod
        def _said_at(timestamp: str | datetime | None) -> str: ...
        def screen(self, text: str) -> Screened: ...
        def log_text(self, text: str) -> str: ...
        def get(self, memory_id: int) -> MemoryItem: ...
        def history(self, memory_id: int) -> list[HistoryEvent]: ...
        def delete_many(self, ids: Sequence[int], *, actor: str = "api", reason: str | None = None) -> int: ...
        def prune(self, user_id: str | None = None, threshold: float = 0.05, *, apply: bool = False,
                  now: datetime | None = None, actor: str = "api") -> list[tuple[MemoryItem, float]]: ...
else:
    class MemoryPart:
        """Empty at run time (see the module docstring)."""
