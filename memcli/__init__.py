"""memcli: a personal assistant with memory that runs on your own machine.

``from memcli import Memory`` gives the whole memory store to Python programs;
importing it loads no model, no torch and no terminal libraries. The names
below are loaded when first used, so a program (or ``memcli --help``) that
needs only one of them does not pay for the rest.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from memcli.base.version import __version__

_WHERE = {
    "ChatConfig": "base.config", "Config": "base.config", "Consolidation": "services.consolidation",
    "ConfigError": "base.errors", "InvalidInput": "base.errors", "MemcliError": "base.errors",
    "ModelError": "base.errors", "NotFound": "base.errors", "StorageError": "base.errors", "Memory": "memory",
    "AddResult": "base.records", "HistoryEvent": "base.records", "ImportReport": "base.records",
    "MemoryItem": "base.records", "Message": "base.records", "Session": "base.records",
    "TierPlan": "base.records", "Event": "base.vocab", "Kind": "base.vocab",
}
__all__ = [
    "AddResult", "ChatConfig", "Config", "ConfigError", "Consolidation", "Event", "HistoryEvent", "ImportReport",
    "InvalidInput", "Kind", "MemcliError", "Memory", "MemoryItem", "Message", "ModelError", "NotFound", "Session",
    "StorageError", "TierPlan", "__version__",
]

if TYPE_CHECKING:
    from memcli.base.config import ChatConfig, Config
    from memcli.services.consolidation import Consolidation
    from memcli.base.errors import ConfigError, InvalidInput, MemcliError, ModelError, NotFound, StorageError
    from memcli.memory import Memory
    from memcli.base.records import AddResult, HistoryEvent, ImportReport, MemoryItem, Message, Session, TierPlan
    from memcli.base.vocab import Event, Kind


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'memcli' has no attribute {name!r}")
