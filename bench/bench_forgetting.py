"""Forgetting benchmark: prune time at scale, and what retention does to ranking.

    python bench/bench_forgetting.py [--memories 100000] [--pairs 200]

1. Prune: N memories of one user with ages spread over two years and mixed
   importance and use; times the dry run (scoring every memory), then
   consolidation (grouping related faded memories, then replacing each group
   by a summary, in one transaction), then --apply on the faded memories left
   (deleting them through the normal deletion path).
2. Ranking: pairs of memories with the same text but different ages (a stale
   one, a year old and never used, and a fresh one, a day old); for each pair
   a query that matches both equally. Counts how often the stale one outranks
   the fresh one with retention off (retention_weight 0) and on (the default).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_store import synthetic_texts  # noqa: E402
from machine import machine, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402


def document(records: list[dict[str, object]]) -> dict[str, object]:
    """A memcli export holding ``records`` (no vectors: the import embeds them)."""
    return {"format": "memcli-export", "schema_version": 3, "memories": records}


def prune_bench(n: int, folder: Path) -> list[str]:
    rng = random.Random(5)
    now = datetime.now(timezone.utc)
    config = Config(user="bench", embedder="fake", db=str(folder / "prune.db"))
    with Memory(config=config) as m:
        # spread ages, importance and use: the fixture arrives as an import document
        records = []
        for text in synthetic_texts(n):
            stamp = (now - timedelta(days=rng.uniform(0, 730))).isoformat()
            records.append({"memory": text, "user_id": "bench", "kind": "message", "created_at": stamp,
                            "valid_from": stamp, "importance": rng.choice([0.2, 0.5, 0.8]),
                            "access_count": rng.choice([0, 0, 0, 1, 3])})
        m.import_data(document(records))
        start = time.perf_counter()
        faded = m.prune("bench", threshold=0.05)
        dry_s = time.perf_counter() - start
        start = time.perf_counter()
        groups = m.consolidate("bench", threshold=0.05)
        group_s = time.perf_counter() - start
        start = time.perf_counter()
        m.consolidate("bench", threshold=0.05, apply=True)
        merge_s = time.perf_counter() - start
        rest = m.prune("bench", threshold=0.05)
        start = time.perf_counter()
        m.delete_many([i.id for i, _ in rest], reason="bench prune")
        apply_s = time.perf_counter() - start
        left = m.stats("bench")["memories"]
    members = sum(len(g.members) for g in groups)
    return [f"{n:,}", f"{len(faded):,}", f"{dry_s:.2f}", f"{len(groups):,} ({members:,})", f"{group_s:.2f}",
            f"{merge_s:.2f}", f"{len(rest):,}", f"{apply_s:.2f}", f"{left:,}"]


def ranking_bench(pairs: int, folder: Path) -> tuple[int, int, int]:
    config = Config(user="r", embedder="fake", db=str(folder / "rank.db"))
    now = datetime.now(timezone.utc)
    texts = synthetic_texts(pairs, seed=11)
    old = (now - timedelta(days=365)).isoformat()
    new = (now - timedelta(days=1)).isoformat()
    with Memory(config=config) as m:
        # same words, one an exclamation apart: equal relevance for the fake embedder
        m.import_data(document([{"memory": t, "user_id": "r", "created_at": old, "valid_from": old} for t in texts]
                               + [{"memory": t + "!", "user_id": "r", "created_at": new, "valid_from": new}
                                  for t in texts]))
        ids = {i.memory: i.id for i in m.get_all("r")}
        stale_ids = [ids[t] for t in texts]
        fresh_ids = [ids[t + "!"] for t in texts]
        counts = []
        for weight in (0.0, config.retention_weight):
            m.config.retention_weight = weight
            wins = 0
            for text, stale, fresh in zip(texts, stale_ids, fresh_ids):
                order = [h.id for h in m.search(text, user_id="r", limit=10)]
                if stale in order and (fresh not in order or order.index(stale) < order.index(fresh)):
                    wins += 1
            counts.append(wins)
    return pairs, counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="memcli-bench-") as tmp:
        row = prune_bench(args.memories, Path(tmp))
        print(table(["memories", "faded below 0.05", "prune dry run s", "consolidation groups (members)",
                     "consolidate dry run s", "consolidate apply s", "then pruned", "prune apply s", "left"],
                    [row]))
        pairs, before, after = ranking_bench(args.pairs, Path(tmp))
        print(table(["pairs", "stale outranks fresh, retention off", "stale outranks fresh, retention on"],
                    [[str(pairs), f"{before} ({before / pairs:.0%})", f"{after} ({after / pairs:.0%})"]]))


if __name__ == "__main__":
    main()
