"""What a server around one :class:`memcli.Memory` needs, whatever its protocol."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, Callable, TypeVar

from memcli.base.errors import InvalidInput, MemcliError, NotFound
from memcli.memory import Memory

T = TypeVar("T")
log = logging.getLogger("memcli.server")


def log_to_stderr(level: int = logging.INFO) -> None:
    """Server logs go to stderr (stdout may be the protocol's own channel)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("memcli %(levelname)s %(message)s"))
    root = logging.getLogger("memcli")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class Service:
    """One Memory shared by every request of a server. A Memory is one SQLite
    connection and one set of in-memory indexes, so calls are serialised; the
    store itself is shared with other processes safely (WAL, the write lock,
    the index change log)."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self._lock = threading.Lock()
        self._warm: threading.Thread | None = None

    def warm_up(self) -> None:
        """Load the embedder in the background, so the server answers its first
        message at once and the first search waits only if it must."""
        def load() -> None:
            try:
                self.memory.embedder.embed(["warm up"])
            except MemcliError as exc:  # reported again, to the caller, when a tool needs it
                log.warning("the embedder could not be loaded: %s", exc)

        self._warm = threading.Thread(target=load, name="memcli-warm-up", daemon=True)
        self._warm.start()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return fn(*args, **kwargs)

    def close(self) -> None:
        with self._lock:
            self.memory.close()


def status_of(exc: BaseException) -> int:
    """The HTTP status of a memcli error."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidInput):
        return 422
    if isinstance(exc, MemcliError):
        return 400
    return 500


def message_of(exc: BaseException) -> str:
    """What a client is told: the CLI's own one-line message, or a generic line
    for anything unexpected (details go to the server's log, never the client)."""
    if isinstance(exc, MemcliError):
        return str(exc)
    log.error("unexpected %s: %s", type(exc).__name__, exc)
    return f"internal error ({type(exc).__name__}); see the server's log"
