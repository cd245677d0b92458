"""Forgetting on a curve: how well a memory is retained now.

Ebbinghaus' forgetting curve, with a half-life that grows with use and
importance:

    h = H * (0.5 + 1.5 * importance) * (1 + ln(1 + accesses + reinforcements))
    R = 0.5 ** (days since last use / h)            (pinned: R = 1)

- ``H``: the configured base half-life in days (``half_life_days``, default 30);
- ``importance`` in [0, 1], set at extraction (identity, health, family high;
  passing remarks low): it scales the half-life from 0.5x to 2x;
- every time a memory reaches a prompt (an access) or is said again (a
  reinforcement) the half-life grows, logarithmically, as spaced repetition
  does: the first few uses matter most;
- "last use" is the last access, else when the memory was said or stored.

R decreases monotonically with time, increases with use and importance, and
stays in (0, 1]. In ranking, relevance is scaled by ``(1 - w) + w * R`` (``w`` =
``retention_weight``), so of two equally relevant memories the faded one
loses; ``memcli prune`` removes memories whose R fell below a threshold.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Sequence

from .part import MemoryPart
from .records import MemoryItem
from .store import MEMORY_COLUMNS, now_iso
from .text import parse_iso


def half_life_days(base: float, importance: float, accesses: int, reinforcements: int) -> float:
    importance = min(1.0, max(0.0, importance))
    use = max(0, accesses) + max(0, reinforcements)
    return base * (0.5 + 1.5 * importance) * (1.0 + math.log1p(use))


def retention(item: MemoryItem, now: datetime | None = None, base_half_life: float = 30.0) -> float:
    """How much of ``item`` is retained at ``now`` (1.0: fresh or pinned)."""
    return retention_of(item.pinned, item.last_accessed or item.valid_from or item.created_at, item.importance,
                        item.access_count, item.reinforced, now, base_half_life)


def retention_of(pinned: bool, last_used: str, importance: float, accesses: int, reinforcements: int,
                 now: datetime | None = None, base_half_life: float = 30.0) -> float:
    """:func:`retention` from the raw fields (the search path has rows, not items)."""
    if pinned:
        return 1.0
    now = now or datetime.now(timezone.utc)
    days = max(0.0, (now - parse_iso(last_used)).total_seconds() / 86400.0)
    h = half_life_days(base_half_life, importance, accesses, reinforcements)
    return 0.5 ** (days / h)


def rank_factor(r: float, weight: float) -> float:
    """Multiplier applied to relevance: 1 for a fresh memory, 1 - weight for a gone one."""
    return (1.0 - weight) + weight * r


class ForgettingMixin(MemoryPart):
    """Use, pins and pruning on :class:`memcli.Memory`."""

    def touch(self, ids: Sequence[int]) -> None:
        """Record that these memories reached a prompt (slows their fading).
        Listing and searching do not count."""
        if ids:
            with self.store.transaction():
                self.store.touch([self._id(i) for i in ids], now_iso())

    def pin(self, memory_id: int, pinned: bool = True, *, actor: str = "api") -> MemoryItem:
        """Pinned memories never fade and are never pruned."""
        memory_id = self._id(memory_id)
        with self.store.transaction():
            self.store.set_pinned(memory_id, pinned, actor)
        return self.get(memory_id)

    def retention(self, item: MemoryItem, now: datetime | None = None) -> float:
        """How much of ``item`` is retained now (see :mod:`memcli.forgetting`)."""
        return retention(item, now, self.config.half_life_days)

    def prune(self, user_id: str | None = None, threshold: float = 0.05, *, apply: bool = False,
              now: datetime | None = None, actor: str = "api") -> list[tuple[MemoryItem, float]]:
        """Memories whose retention fell below ``threshold`` (pinned ones never),
        faded first, each with its retention. With ``apply`` they are deleted
        through the same path as :meth:`delete` (history keeps a tombstone)."""
        user = self._user(user_id)
        now = now or datetime.now(timezone.utc)
        rows = self.store.conn.execute(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND pinned = 0", [user])
        faded = []
        for row in rows:
            item = MemoryItem.from_row(row)
            r = retention(item, now, self.config.half_life_days)
            if r < threshold:
                faded.append((item, r))
        faded.sort(key=lambda pair: pair[1])
        if apply and faded:
            self.delete_many([item.id for item, _ in faded], actor=actor,
                             reason=f"pruned: retention below {threshold}")
        return faded

