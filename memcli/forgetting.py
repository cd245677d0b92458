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

from .records import MemoryItem
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
