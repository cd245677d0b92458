"""memcli: a personal assistant with memory that runs on your own machine.

``from memcli import Memory`` gives the whole memory store to Python programs;
importing it loads no model, no torch and no terminal libraries. The names
below are loaded when first used, so a program (or ``memcli --help``) that
needs only one of them does not pay for the rest.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "ChatConfig": "config", "Config": "config", "Consolidation": "consolidation",
    "ConfigError": "errors", "InvalidInput": "errors", "MemcliError": "errors", "ModelError": "errors",
    "NotFound": "errors", "StorageError": "errors", "Memory": "memory",
    "AddResult": "records", "HistoryEvent": "records", "ImportReport": "records", "MemoryItem": "records",
    "Message": "records", "Session": "records", "TierPlan": "records", "Event": "vocab", "Kind": "vocab",
}
__all__ = [
    "AddResult", "ChatConfig", "Config", "ConfigError", "Consolidation", "Event", "HistoryEvent", "ImportReport",
    "InvalidInput", "Kind", "MemcliError", "Memory", "MemoryItem", "Message", "ModelError", "NotFound", "Session",
    "StorageError", "TierPlan", "__version__",
]

if TYPE_CHECKING:
    from .config import ChatConfig, Config
    from .consolidation import Consolidation
    from .errors import ConfigError, InvalidInput, MemcliError, ModelError, NotFound, StorageError
    from .memory import Memory
    from .records import AddResult, HistoryEvent, ImportReport, MemoryItem, Message, Session, TierPlan
    from .vocab import Event, Kind


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'memcli' has no attribute {name!r}")
