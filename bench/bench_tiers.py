"""Tier benchmark: a cold tier for memories nobody uses.

    python bench/bench_tiers.py [--memories 100000] [--faded 0.8] [--planted 200] [--embedder minilm]

One user gets N memories (synthetic sentences as in bench_store.py, plus a
planted set of distinctive facts, "Mina's passport is in the attic trunk"),
of which a share (80%) was said 300 days ago and never used: faded; the rest
is fresh. Every planted fact is among the faded ones, so once tiers are
applied it is answerable only from the cold tier. Queries: each planted
fact's question ("Where did I put Mina's passport?") and as many everyday
queries about the synthetic memories.

Measured twice, in one process: with every memory hot (no tiers: what memcli
did before), and after ``Memory.tier(apply=True)`` moved the faded ones to
the cold tier. For each: hot HNSW index entries and file size, search p50/p95
(query vector given, so the embedder's cost does not blur the difference)
for everyday and planted queries, how often the cold tier was consulted, and
recall@10 of the planted answers. With tiers, three rules: memcli's (the cold
tier joins when the best hot match is below ``cold_floor`` or a query word is
in no hot memory but in a cold one), never (what the fallback saves) and
always (``--include-cold``).

All vectors come from the chosen embedder (MiniLM by default; embedding 100k
sentences takes a few minutes on 2 cores, and is timed). Everything is
written to a temporary folder.
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
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_store import SUBJECTS, VERBS, OBJECTS, synthetic_texts  # noqa: E402
from machine import machine, peak_rss_mb, percentiles, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402
from memcli.models.embedder import make_embedder  # noqa: E402

NAMES = ("Mina Jun Hana Tomas Priya Oskar Leila Mateo Aiko Farid Ingrid Kwame Sofia Dmitri Amara Luca Noor Emeka "
         "Yuki Rafael").split()
ITEMS = ["camping stove", "violin case", "spare car key", "winter tyres", "wedding album", "bike lock key",
         "fishing rod", "sewing machine", "telescope", "snow boots"]
PLACES = ["the attic trunk", "the blue flowerpot", "the garage cabinet", "the hallway drawer", "the basement shelf",
          "the shoebox under the bed", "the kitchen tin", "the locked desk drawer", "the wardrobe top shelf",
          "the storage unit on Elm Road", "the red suitcase", "the bookcase behind the atlas"]
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=300)


def planted_pairs(n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(memory, question) pairs, each about one person's one item."""
    rng = random.Random(seed)
    combos = [(name, item) for name in NAMES for item in ITEMS]
    rng.shuffle(combos)
    return [(f"{name}'s {item} is kept in {rng.choice(PLACES)}", f"Where did I put {name}'s {item}?")
            for name, item in combos[:n]]


def everyday_queries(n: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    return [f"What {rng.choice(SUBJECTS).lower()} {rng.choice(VERBS)} {rng.choice(OBJECTS)}?" for _ in range(n)]


def embed_all(embedder: Any, texts: Sequence[str]) -> tuple[dict[str, Any], float]:
    """Every text's vector, in batches, and the seconds it took."""
    import numpy as np

    start = time.perf_counter()
    vectors = np.concatenate([embedder.embed(list(texts[i:i + 512])) for i in range(0, len(texts), 512)])
    return dict(zip(texts, vectors)), time.perf_counter() - start


def document(texts: Sequence[str], said: datetime, vectors: dict[str, Any], embedder_id: str) -> list[dict[str, Any]]:
    """Import records carrying their vectors (the store is filled without embedding again)."""
    import base64

    stamp = said.isoformat()
    return [{"memory": t, "user_id": "bench", "kind": "message", "created_at": stamp, "updated_at": stamp,
             "embedder": embedder_id, "embedding": base64.b64encode(vectors[t].tobytes()).decode()} for t in texts]


def measure(m: Memory, queries: list[str], vectors: Any, expected: dict[str, int] | None,
            cold: str) -> dict[str, Any]:
    """Search p50/p95 (vector given), share of searches that read the cold tier,
    and recall@10 of the expected answers. ``cold``: "default" (memcli's rule),
    "never" or "always"."""
    core = m._core
    searcher = m._searcher
    cold_reads = 0
    original, rule = core.cold.vectors, searcher._cold_needed

    def counted(user: str) -> Any:
        nonlocal cold_reads
        cold_reads += 1
        return original(user)

    core.cold.vectors = counted  # type: ignore[method-assign]
    if cold != "default":
        searcher._cold_needed = lambda *args: cold == "always"  # type: ignore[method-assign]
    times, hits = [], 0
    try:
        m.search_vector(vectors[0], "bench", limit=10, text=queries[0])  # warm: index and cold vectors loaded
        cold_reads = 0
        for q, v in zip(queries, vectors):
            t0 = time.perf_counter()
            found = m.search_vector(v, "bench", limit=10, text=q)
            times.append((time.perf_counter() - t0) * 1000)
            if expected is not None and expected[q] in [i.id for i in found]:
                hits += 1
    finally:
        core.cold.vectors, searcher._cold_needed = original, rule  # type: ignore[method-assign]
    p50, p95 = percentiles(times)
    return {"p50": p50, "p95": p95, "cold_share": cold_reads / len(queries),
            "recall": hits / len(queries) if expected is not None else None}


def index_size(m: Memory) -> tuple[int, float]:
    entries = len(m._core.index("bench").live)
    m._core.index("bench").save()
    folder = m.index_dir
    return entries, sum(p.stat().st_size for p in folder.glob("*.hnsw")) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--faded", type=float, default=0.8)
    parser.add_argument("--planted", type=int, default=200)
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "fake"])
    parser.add_argument("--vectors", type=Path, help="a .npz file to keep the embeddings in between runs")
    args = parser.parse_args()

    pairs = planted_pairs(args.planted)
    background = synthetic_texts(args.memories - len(pairs))
    everyday = everyday_queries(len(pairs))
    questions = [q for _, q in pairs]
    n_faded = int(args.memories * args.faded) - len(pairs)
    old = [t for t, _ in pairs] + background[:n_faded]
    fresh = background[n_faded:]

    embedder = make_embedder(args.embedder)
    texts = old + fresh + questions + everyday
    if args.vectors and args.vectors.exists():
        import numpy as np

        saved = np.load(args.vectors)
        vectors, seconds = dict(zip(texts, saved["vectors"])), float(saved["seconds"])
        assert len(saved["vectors"]) == len(texts), "--vectors holds another corpus"
    else:
        vectors, seconds = embed_all(embedder, texts)
        if args.vectors:
            import numpy as np

            np.savez(args.vectors, vectors=np.stack([vectors[t] for t in texts]), seconds=seconds)
    print(f"# {machine()}")
    print(f"# {args.memories:,} memories ({len(old):,} faded, {len(pairs)} planted among them), "
          f"embedder {args.embedder}: {len(vectors):,} texts embedded in {seconds:.0f} s")

    rows = []
    with tempfile.TemporaryDirectory(prefix="memcli-tiers-") as tmp:
        config = Config.from_dict({"user": "bench", "embedder": args.embedder, "db": str(Path(tmp) / "t.db")})
        with Memory(config=config, embedder=embedder, clock=lambda: NOW) as m:
            records = document(old, T0, vectors, embedder.id) + document(fresh, NOW, vectors, embedder.id)
            report = m.import_data({"format": "memcli-export", "schema_version": 3, "memories": records})
            assert report.imported == len(records) and not report.reembedded, report
            ids = {item.memory: item.id for item in m.get_all("bench")}
            expected = {q: ids[t] for t, q in pairs}
            q_vectors = [vectors[q] for q in questions]
            e_vectors = [vectors[q] for q in everyday]

            entries, size = index_size(m)
            every = measure(m, everyday, e_vectors, None, "default")
            plant = measure(m, questions, q_vectors, expected, "default")
            rows.append(["all hot (no tiers)", f"{entries:,}", f"{size:.1f}", f"{every['p50']:.1f} / {every['p95']:.1f}",
                         f"{plant['p50']:.1f} / {plant['p95']:.1f}", "-", f"{plant['recall']:.3f}"])

            start = time.perf_counter()
            plan = m.tier("bench", apply=True)
            tier_s = time.perf_counter() - start
            entries, size = index_size(m)
            every = measure(m, everyday, e_vectors, None, "default")
            plant = measure(m, questions, q_vectors, expected, "default")
            rows.append([f"tiers (cold when needed; floor {config.cold_floor})", f"{entries:,}", f"{size:.1f}",
                         f"{every['p50']:.1f} / {every['p95']:.1f}", f"{plant['p50']:.1f} / {plant['p95']:.1f}",
                         f"{every['cold_share']:.0%} / {plant['cold_share']:.0%}", f"{plant['recall']:.3f}"])
            hot_only = measure(m, questions, q_vectors, expected, "never")
            hot_every = measure(m, everyday, e_vectors, None, "never")
            rows.append(["tiers, hot only", f"{entries:,}", f"{size:.1f}",
                         f"{hot_every['p50']:.1f} / {hot_every['p95']:.1f}",
                         f"{hot_only['p50']:.1f} / {hot_only['p95']:.1f}", "0% / 0%", f"{hot_only['recall']:.3f}"])
            forced = measure(m, questions, q_vectors, expected, "always")
            forced_every = measure(m, everyday, e_vectors, None, "always")
            rows.append(["tiers, cold always (--include-cold)", f"{entries:,}", f"{size:.1f}",
                         f"{forced_every['p50']:.1f} / {forced_every['p95']:.1f}",
                         f"{forced['p50']:.1f} / {forced['p95']:.1f}", "100% / 100%", f"{forced['recall']:.3f}"])
    print(f"# tier(apply=True) moved {len(plan.to_cold):,} memories to the cold tier in {tier_s:.1f} s; "
          f"peak RSS {peak_rss_mb():.0f} MB")
    print(table(["search", "hot index entries", "hot index MB", "everyday p50/p95 ms", "planted p50/p95 ms",
                 "cold tier read (everyday / planted)", "planted recall@10"], rows))


if __name__ == "__main__":
    main()
