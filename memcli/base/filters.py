"""Filters shared by listing and searching: columns, metadata, and validity in time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from memcli.base.errors import InvalidInput
from memcli.base.records import MemoryItem
from memcli.base.text import iso, parse_when

FILTER_COLUMNS = ("agent_id", "session_id", "kind")


def split_filters(filters: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mem0-style ``filters`` as (column filters, metadata filters)."""
    if filters is None:
        return {}, {}
    if not isinstance(filters, Mapping):
        raise InvalidInput("filters must be a dict")
    columns = {k: v for k, v in filters.items() if k in FILTER_COLUMNS}
    meta = {k: v for k, v in filters.items() if k not in FILTER_COLUMNS and k != "metadata"}
    extra = filters.get("metadata")
    if extra is not None:
        if not isinstance(extra, Mapping):
            raise InvalidInput("filters['metadata'] must be a dict")
        meta.update(extra)
    if "user_id" in meta:
        raise InvalidInput("pass user_id as its own argument, not in filters")
    return columns, meta


def meta_match(metadata: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(metadata.get(k) == v for k, v in wanted.items())


def columns_match(item: MemoryItem, columns: Mapping[str, Any]) -> bool:
    return all(getattr(item, c) == v for c, v in columns.items())


def as_of_moment(value: str | datetime | None) -> str | None:
    """An as-of moment as stored ISO text; a bare date means the end of that day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
    moment = parse_when(value, what="as-of date")
    if len(value.strip()) == 10:
        moment = moment + timedelta(days=1) - timedelta(microseconds=1)
    return iso(moment)


def since_moment(value: str | datetime | None) -> str | None:
    """A ``since`` bound (datetime, ISO date or an age like ``7d``) as stored ISO text."""
    if value is None:
        return None
    return iso(value if isinstance(value, datetime) else parse_when(value, what="since"))


def valid_at(item: MemoryItem, moment: str | None, include_past: bool) -> bool:
    """Whether ``item`` counts: true at ``moment``, or (without one) true now
    unless ``include_past``."""
    if moment is None:
        return include_past or item.valid_to is None
    return item.started <= moment and (item.valid_to is None or item.valid_to > moment)
