"""Consolidation: many faded, related memories become one.

Pruning forgets a faded memory outright; consolidation keeps the gist. Faded
memories (retention below the prune threshold, never pinned ones) are grouped
by meaning: each one not yet grouped seeds a group of its nearest faded
neighbours in the user's index whose cosine similarity reaches a floor. Seeds
do not chain (a neighbour's neighbours are not pulled in), so a group stays
about one thing and its size is bounded. A group of at least ``min_group``
memories is replaced by one summary memory: written by the chat model when it
is instruction-tuned, otherwise extractive (the members' own words, oldest
first, de-duplicated, with the dates they span). The summary keeps provenance
to the originals (their ids, and the messages they came from); the originals
go through the ordinary deletion path, so their history keeps a tombstone
that names the summary.

The default similarity floor, 0.45, is where MiniLM puts sentences about one
activity ("went hiking near Jirisan" / "hiking near Busan was tiring": 0.58)
and above unrelated ones from the same person (at most about 0.26 in the
samples measured).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Sequence

from memcli.base.errors import InvalidInput
from memcli.language.grounding import supported
from memcli.base.records import MemoryItem
from memcli.base.vocab import Kind
from memcli.services.calibration import model_writes_summaries

if TYPE_CHECKING:
    from memcli.engine.core import Core
    from memcli.services.forgetting import Forgetter

# Words kept from each member in an extractive summary: enough for a fact, and
# a cap on what one long message can take from the group.
WORDS_PER_MEMBER = 20


@dataclass
class Consolidation:
    """One group of faded memories and the summary that replaces (or would replace) them."""

    summary: str
    members: list[MemoryItem]
    retention: list[float]
    memory_id: int | None = None  # the summary's id once applied
    written_by: str = "extractive"  # or "llm"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.memory_id, "memory": self.summary, "written_by": self.written_by,
                "members": [{"id": m.id, "memory": m.memory, "retention": round(r, 4)}
                            for m, r in zip(self.members, self.retention)]}


def when(item: MemoryItem) -> str:
    """When a memory was true or said, for ordering and dating a summary."""
    return item.valid_from or item.created_at


def group_faded(
    faded: Sequence[tuple[MemoryItem, float]],
    neighbours: Callable[[MemoryItem], list[tuple[int, float]]],
    *,
    similarity: float,
    min_group: int,
    max_group: int,
) -> list[list[tuple[MemoryItem, float]]]:
    """Groups of related faded memories (each at least ``min_group`` long).

    ``neighbours(item)`` gives (id, cosine) of the item's nearest memories, best
    first; only faded, not yet grouped ones with cosine >= ``similarity`` join."""
    by_id = {item.id: (item, r) for item, r in faded}
    taken: set[int] = set()
    groups = []
    for item, r in sorted(faded, key=lambda pair: when(pair[0])):
        if item.id in taken:
            continue
        group = [(item, r)]
        for other, cosine in neighbours(item):
            if len(group) >= max_group:
                break
            if other == item.id or other in taken or other not in by_id or cosine < similarity:
                continue
            if by_id[other][0].kind != item.kind:
                continue  # an episode and a fact are not one memory
            group.append(by_id[other])
        if len(group) >= min_group:
            taken.update(m.id for m, _ in group)
            group.sort(key=lambda pair: when(pair[0]))
            groups.append(group)
    return groups


def extractive_summary(members: Sequence[MemoryItem]) -> str:
    """The members' own words, oldest first, without repeats, with their dates."""
    parts: list[str] = []
    seen: set[str] = set()
    for item in sorted(members, key=when):
        words = item.memory.split()
        text = " ".join(words[:WORDS_PER_MEMBER]) + (" ..." if len(words) > WORDS_PER_MEMBER else "")
        text = text.rstrip(" .;")
        if text.lower() not in seen:
            seen.add(text.lower())
            parts.append(text)
    first, last = when(min(members, key=when))[:10], when(max(members, key=when))[:10]
    span = f"On {first}" if first == last else f"From {first} to {last}"
    return f"{span}: " + "; ".join(parts) + "."


def merged_source(members: Sequence[MemoryItem]) -> dict[str, Any]:
    """Provenance of a summary: the originals, and the messages they came from."""
    message_ids: list[int] = []
    sessions: list[str] = []
    for item in members:
        for i in item.message_ids:
            if i not in message_ids:
                message_ids.append(i)
        sid = item.source.get("session_id") or item.session_id
        if sid and sid not in sessions:
            sessions.append(str(sid))
    return {"consolidated_from": [m.id for m in members], "message_ids": message_ids, "session_ids": sessions}


def summary_fields(members: Sequence[MemoryItem]) -> dict[str, Any]:
    """Stored fields of a summary: the importance of its most important member,
    the span it covers, a shared attribute if all agree, a sensitivity label."""
    ends = [m.valid_to for m in members]
    attributes = {m.attribute for m in members}
    labels = sorted({c for m in members if m.sensitivity for c in m.sensitivity.split(",")})
    return {
        "kind": members[0].kind if members[0].kind == Kind.EPISODE else Kind.SUMMARY,
        "importance": max(m.importance for m in members),
        "valid_from": min(when(m) for m in members),
        # Only a group of facts that all stopped being true is itself past.
        "valid_to": max(e for e in ends if e) if all(ends) else None,
        "attribute": attributes.pop() if len(attributes) == 1 else None,
        "sensitivity": ",".join(labels) or None,
    }


class Consolidator:
    """``Memory.consolidate``: faded, related memories replaced by one summary."""

    def __init__(self, core: "Core", forgetter: "Forgetter") -> None:
        self.core = core
        self.forgetter = forgetter

    def consolidate(self, user_id: str | None, threshold: float, *, apply: bool, similarity: float,
                    min_group: int, max_group: int, now: datetime | None, actor: str) -> list[Consolidation]:
        """See :meth:`memcli.Memory.consolidate`."""
        import numpy as np

        if not 0.0 < similarity <= 1.0:
            raise InvalidInput("similarity must be in (0, 1]")
        if min_group < 2 or max_group < min_group:
            raise InvalidInput("groups need min_group >= 2 and max_group >= min_group")
        user = self.core.user(user_id)
        faded = self.forgetter.faded(user, threshold, now)
        if len(faded) < min_group:
            return []
        vectors = {i: np.frombuffer(blob, dtype=np.float32)
                   for i, blob in self.core.store.vectors.embeddings([item.id for item, _ in faded], user)}
        def neighbours(item: MemoryItem) -> list[tuple[int, float]]:
            vector = vectors.get(item.id)  # faded memories are mostly cold: both tiers are searched
            return [] if vector is None else self.core.nearest_both_tiers(user, vector, max_group * 4)

        groups = group_faded(faded, neighbours, similarity=similarity, min_group=min_group, max_group=max_group)
        results = []
        for group in groups:
            members = [item for item, _ in group]
            text, by = self._summary_text(members), "llm"
            if text is None:
                text, by = extractive_summary(members), "extractive"
            results.append(Consolidation(text, members, [r for _, r in group], written_by=by))
        if apply and results:
            self._store_summaries(user, results, actor)
        return results

    def _summary_text(self, members: Sequence[MemoryItem]) -> str | None:
        """One sentence by an instruction-tuned model, or None (then extractive)."""
        llm = self.core.llm
        if not model_writes_summaries(self.core):
            return None
        notes = "\n".join(f"- {m.memory}" for m in members)
        try:
            text = "".join(llm.stream_chat(
                [{"role": "system", "content": "Combine these notes about the user into one short sentence."
                  " Keep every name, place and date."},
                 {"role": "user", "content": notes}], max_tokens=96, temperature=0.0))
        except Exception:  # noqa: BLE001 - the extractive summary is always there to fall back on
            return None
        text = " ".join(text.split())[:400]
        # kept only when the memories it replaces support it
        if not text or not supported(text, " ".join(m.memory for m in members), 0.8):
            return None
        return self.core.privacy.storable(text)

    def _store_summaries(self, user: str, results: Sequence[Consolidation], actor: str) -> None:
        """Every summary in, every original out, in one transaction (all or
        nothing), then one index update, one save and one scrub."""
        vectors = self.core.embedding.embed([r.summary for r in results])
        now = self.core.now_iso()
        with self.core.write() as w:
            for result, vector in zip(results, vectors):
                members = result.members
                ids = ", ".join(f"#{m.id}" for m in members)
                summary = MemoryItem(0, result.summary, user, agent_id=members[0].agent_id,
                                     metadata={"consolidated_from": [m.id for m in members]},
                                     source=merged_source(members),
                                     # consolidating is a rehearsal: the summary's fading starts now,
                                     # though what it covers happened long ago (valid_from)
                                     last_accessed=now, **summary_fields(members))
                result.memory_id = w.insert(summary, vector, actor=actor, reason=f"consolidated from {ids}")
                for member in members:
                    w.delete(member.id, actor=actor, reason=f"consolidated into #{result.memory_id}")
        self.core.store.scrub()
