"""memcli: a personal assistant with memory that runs on your own machine.

``from memcli import Memory`` gives the whole memory store to Python programs;
importing it loads no model, no torch and no terminal libraries.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import ChatConfig, Config  # noqa: E402
from .consolidation import Consolidation  # noqa: E402
from .errors import ConfigError, InvalidInput, MemcliError, ModelError, NotFound, StorageError  # noqa: E402
from .memory import Memory  # noqa: E402
from .records import AddResult, HistoryEvent, ImportReport, MemoryItem, Message, Session  # noqa: E402
from .vocab import Event, Kind  # noqa: E402

__all__ = [
    "AddResult",
    "ChatConfig",
    "Config",
    "Consolidation",
    "ConfigError",
    "HistoryEvent",
    "ImportReport",
    "InvalidInput",
    "MemcliError",
    "Memory",
    "MemoryItem",
    "Message",
    "Event",
    "Kind",
    "Session",
    "ModelError",
    "NotFound",
    "StorageError",
    "__version__",
]
