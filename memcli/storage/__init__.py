"""SQLite storage: the only place memcli's SQL lives.

``Store`` (:mod:`.database`) opens the file, runs the migrations
(:mod:`.migrations`) and owns transactions; its table groups hold the queries:
``store.memories`` (:mod:`.memories`), ``store.keywords`` (:mod:`.keywords`),
``store.history`` (:mod:`.history`) and ``store.sessions`` (:mod:`.sessions`).
"""

from memcli.storage.database import Clock, Store, now_iso, utc_now

__all__ = ["Clock", "Store", "now_iso", "utc_now"]
