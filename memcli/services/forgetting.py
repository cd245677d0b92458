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
- "last use" is the last access, else when the memory was said, else when it
  was stored (:attr:`MemoryItem.last_used`; a fact's start of validity does not
  count: "I moved last month", said today, is fresh).

R decreases monotonically with time, increases with use and importance, and
stays in (0, 1]. In ranking, relevance is scaled by ``(1 - w) + w * R`` (``w`` =
``retention_weight``), so of two equally relevant memories the faded one
loses; ``memcli prune`` removes memories whose R fell below a threshold.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Sequence

from memcli.base.errors import InvalidInput
from memcli.base.records import MemoryItem, TierPlan
from memcli.base.text import parse_iso

if TYPE_CHECKING:
    from memcli.engine.core import Core
    from memcli.services.erasure import Eraser


def half_life_days(base: float, importance: float, accesses: int, reinforcements: int) -> float:
    importance = min(1.0, max(0.0, importance))
    use = max(0, accesses) + max(0, reinforcements)
    return base * (0.5 + 1.5 * importance) * (1.0 + math.log1p(use))


def retention(item: MemoryItem, now: datetime | None = None, base_half_life: float = 30.0) -> float:
    """How much of ``item`` is retained at ``now`` (1.0: fresh or pinned)."""
    if item.pinned:
        return 1.0
    now = now or datetime.now(timezone.utc)
    days = max(0.0, (now - parse_iso(item.last_used)).total_seconds() / 86400.0)
    return 0.5 ** (days / half_life_days(base_half_life, item.importance, item.access_count, item.reinforced))


def rank_factor(r: float, weight: float) -> float:
    """Multiplier applied to relevance: 1 for a fresh memory, 1 - weight for a gone one."""
    return (1.0 - weight) + weight * r


class Forgetter:
    """Use, pins and pruning (see :class:`memcli.Memory`)."""

    def __init__(self, core: "Core", eraser: "Eraser") -> None:
        self.core = core
        self.eraser = eraser

    def touch(self, ids: Sequence[Any]) -> None:
        """Record that these memories reached a prompt (slows their fading)."""
        if ids:
            with self.core.write() as w:
                w.touch([self.core.memory_id(i) for i in ids])

    def pin(self, memory_id: Any, pinned: bool, actor: str, user_id: str | None = None) -> MemoryItem:
        """Pinned memories never fade and are never pruned."""
        memory_id = self.core.owned(memory_id, user_id).id
        with self.core.write() as w:
            w.pin(memory_id, pinned, actor=actor)
        return self.core.store.memories.get(memory_id)

    def retention(self, item: MemoryItem, now: datetime | None = None) -> float:
        """How much of ``item`` is retained now (see :mod:`memcli.services.forgetting`)."""
        return retention(item, now or self.core.now(), self.core.config.half_life_for(bool(item.sensitivity)))

    def faded(self, user: str, threshold: float, now: datetime | None = None) -> list[tuple[MemoryItem, float]]:
        """The user's memories whose retention fell below ``threshold`` (pinned ones
        never), faded first, each with its retention."""
        now = now or self.core.now()
        found = []
        for item in self.core.store.lists.unpinned(user):
            r = self.retention(item, now)
            if r < threshold:
                found.append((item, r))
        found.sort(key=lambda pair: pair[1])
        return found

    def tier(self, user_id: str | None, *, apply: bool, now: datetime | None,
             cold_below: float | None = None) -> TierPlan:
        """See :meth:`memcli.Memory.tier`."""
        user = self.core.user(user_id)
        now = now or self.core.now()
        below = self.core.config.cold_below if cold_below is None else cold_below
        if not 0.0 <= below < 1.0:
            raise InvalidInput(f"cold_below must be in [0, 1), not {below}")
        to_cold, to_hot = [], []
        for item in self.core.store.lists.unpinned(user):
            r = self.retention(item, now)
            if not item.cold and r < below:
                to_cold.append((item, r))
            elif item.cold and r >= below:
                to_hot.append((item, r))
        for memory_id in self.core.store.vectors.cold_pinned(user):  # pinned never stay cold
            to_hot.append((self.core.store.memories.get(memory_id), 1.0))
        to_cold.sort(key=lambda pair: pair[1])
        plan = TierPlan(user, below, to_cold, to_hot, applied=apply)
        if apply:
            with self.core.write() as w:
                w.cool(user, [item.id for item, _ in to_cold])
                w.warm(user, [item.id for item, _ in to_hot])
                self.core.store.set_tiered_at(user, now.isoformat(timespec="seconds"))
        return plan

    def review_tiers(self, user_id: str | None, every: timedelta, now: datetime | None) -> TierPlan | None:
        """See :meth:`memcli.Memory.review_tiers`."""
        user = self.core.user(user_id)
        now = now or self.core.now()
        last = self.core.store.tiered_at(user)
        if not self.core.config.auto_tier or (last is not None and now - parse_iso(last) < every):
            return None
        return self.tier(user, apply=True, now=now)

    def prune(self, user_id: str | None, threshold: float, *, apply: bool, now: datetime | None,
              actor: str) -> list[tuple[MemoryItem, float]]:
        """See :meth:`memcli.Memory.prune`."""
        faded = self.faded(self.core.user(user_id), threshold, now)
        if apply and faded:
            self.eraser.delete_many([item.id for item, _ in faded], actor=actor,
                                    reason=f"pruned: retention below {threshold}")
        return faded
