"""Store benchmark: add throughput, search latency, reindex time, CLI start-up.

    python bench/bench_store.py [--sizes 1000,10000,100000] [--large] [--multi 100x10000]
                                [--queries 200] [--json]

``--large`` adds 1,000,000 memories for one user; ``--multi UxN`` adds a
shared-file check: U users with N memories each in one database, then the
same search measurements for one of them.

For each size, one user gets that many synthetic memories through the public
API (``Memory.add`` in batches of 1,000, one transaction each). Bulk vectors
come from the fake embedder so that 100k memories ingest in seconds; MiniLM's
own cost is measured separately (batch embedding rate, one-query latency) and
the search figures "with query embedding" embed each query with the real
MiniLM, then search, exactly as ``Memory.search`` does.

Everything is written to a temporary folder, never to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import machine, peak_rss_mb, percentiles, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402

SUBJECTS = ["I", "My sister", "My brother", "My mother", "My friend Sam", "My boss", "My partner"]
VERBS = ["likes", "bought", "visited", "cooked", "read about", "talked about", "plans to try", "dislikes"]
OBJECTS = (
    "sushi ramen kimchi pasta tacos curry bibimbap dumplings pizza salad hiking climbing tennis chess "
    "piano guitar violin jazz opera Seoul Busan Paris Lisbon Tokyo Berlin Rust Python Go typescript "
    "gardening painting pottery sailing cycling running yoga astronomy history poetry novels podcasts "
    "cats dogs parrots turtles coffee tea wine cider marathons museums beaches mountains trains"
).split()
WHEN = ["last week", "yesterday", "in March", "every Sunday", "on holiday", "after work", "in 2019", "today"]


def synthetic_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} and {rng.choice(OBJECTS)} "
        f"{rng.choice(WHEN)} (note {i})"
        for i in range(n)
    ]


def wall(cmd: list[str], env: dict[str, str], runs: int = 5) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def run_size(n: int, queries: list[str], minilm, folder: Path, full: bool = True) -> dict[str, float]:
    """Add ``n`` synthetic memories for one user, then time its searches;
    ``full`` also times a reindex and the CLI against that database and
    measures the files (``bench/goals.py`` leaves them out at 1M: the
    reindex alone is about nine minutes there)."""
    home = folder / f"n{n}"
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text('user = "bench"\nembedder = "fake"\n')
    config = Config.load(home / "config.toml")
    config.db = str(home / "memcli.db")
    texts = synthetic_texts(n)
    result: dict[str, float] = {"memories": n}
    with Memory(config=config) as m:
        start = time.perf_counter()
        for i in range(0, n, 1000):
            m.add([{"role": "user", "content": t} for t in texts[i : i + 1000]], user_id="bench")
        m.search("warm up", user_id="bench")  # index built and loaded
        result["add_per_s"] = n / (time.perf_counter() - start)

    with Memory(config=config) as m:
        start = time.perf_counter()
        m.search("warm up", user_id="bench")
        result["index_load_s"] = time.perf_counter() - start

        fake_vectors = m.embedder.embed(queries)
        hnsw_ms = []
        for v in fake_vectors:
            t0 = time.perf_counter()
            m._core.index("bench").search(v, 10)
            hnsw_ms.append((time.perf_counter() - t0) * 1000)
        result["hnsw_p50_ms"], result["hnsw_p95_ms"] = percentiles(hnsw_ms)

        api_ms = []
        for q, v in zip(queries, fake_vectors):
            t0 = time.perf_counter()
            m.search_vector(v, "bench", limit=10, text=q)
            api_ms.append((time.perf_counter() - t0) * 1000)
        result["search_p50_ms"], result["search_p95_ms"] = percentiles(api_ms)

        full_ms = []
        for q in queries:
            t0 = time.perf_counter()
            m.search_vector(minilm.embed([q])[0], "bench", limit=10, text=q)
            full_ms.append((time.perf_counter() - t0) * 1000)
        result["search_embed_p50_ms"], result["search_embed_p95_ms"] = percentiles(full_ms)

        if not full:
            return result
        start = time.perf_counter()
        m.reindex("bench")
        result["reindex_s"] = time.perf_counter() - start

    env = {**os.environ, "MEMCLI_HOME": str(home)}
    exe = str(Path(sys.executable).with_name("memcli"))
    result["cli_help_s"] = wall([exe, "--help"], env)
    result["cli_list_s"] = wall([exe, "list", "-u", "bench"], env)
    db_bytes = sum(p.stat().st_size for p in home.glob("memcli.db*") if p.is_file())
    index_bytes = sum(p.stat().st_size for p in (home / "memcli.db.index").glob("*") if p.is_file())
    result["db_mb"] = db_bytes / 1e6
    result["index_mb"] = index_bytes / 1e6
    result["disk_mb"] = (db_bytes + index_bytes) / 1e6
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def run_multi(users: int, each: int, queries: list[str], minilm, folder: Path) -> dict[str, float]:
    """U users x N memories in one file: is one user's search still as fast?"""
    home = folder / f"multi{users}x{each}"
    home.mkdir(mode=0o700)
    config = Config(user="u0", embedder="fake", db=str(home / "memcli.db"))
    texts = synthetic_texts(each)
    start = time.perf_counter()
    with Memory(config=config) as m:
        for u in range(users):
            for i in range(0, each, 1000):
                m.add([{"role": "user", "content": f"{t} ({u})"} for t in texts[i : i + 1000]], user_id=f"u{u}")
    add_rate = users * each / (time.perf_counter() - start)
    with Memory(config=config) as m:
        t0 = time.perf_counter()
        m.search("warm up", user_id="u7")
        load_s = time.perf_counter() - t0
        full = []
        for q in queries:
            t0 = time.perf_counter()
            m.search_vector(minilm.embed([q])[0], "u7", limit=10, text=q)
            full.append((time.perf_counter() - t0) * 1000)
        fake = m.embedder.embed(queries)
        given = []
        for q, v in zip(queries, fake):
            t0 = time.perf_counter()
            m.search_vector(v, "u7", limit=10, text=q)
            given.append((time.perf_counter() - t0) * 1000)
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    p50, p95 = percentiles(full)
    g50, g95 = percentiles(given)
    return {"users": users, "each": each, "add_per_s": add_rate, "index_load_s": load_s,
            "search_embed_p50_ms": p50, "search_embed_p95_ms": p95, "search_p50_ms": g50, "search_p95_ms": g95,
            "disk_mb": size / 1e6, "peak_rss_mb": peak_rss_mb()}


def store_queries(n: int) -> list[str]:
    """The benchmark's one-line queries, about the synthetic memories."""
    return [f"what does {random.Random(i).choice(SUBJECTS).lower()} like about "
            f"{random.Random(i + 1).choice(OBJECTS)}" for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--large", action="store_true", help="also 1,000,000 memories for one user")
    parser.add_argument("--multi", default="", help="shared-file check, e.g. 100x10000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.large else [])

    from memcli.models.minilm import MiniLMEmbedder

    minilm = MiniLMEmbedder()
    t0 = time.perf_counter()
    minilm.embed(["load the model"])
    load_s = time.perf_counter() - t0
    sample = synthetic_texts(1000, seed=99)
    t0 = time.perf_counter()
    minilm.embed(sample)
    embed_rate = len(sample) / (time.perf_counter() - t0)
    one = []
    for q in sample[:100]:
        t0 = time.perf_counter()
        minilm.embed([q])
        one.append((time.perf_counter() - t0) * 1000)
    embed_p50, _ = percentiles(one)

    queries = store_queries(args.queries)
    results = []
    with tempfile.TemporaryDirectory(prefix="memcli-bench-") as tmp:
        for n in sizes:
            results.append(run_size(n, queries, minilm, Path(tmp)))
            if not args.json:
                print(f"  done {n:,} memories", file=sys.stderr)
        multi = None
        if args.multi:
            users, each = (int(x) for x in args.multi.lower().split("x"))
            multi = run_multi(users, each, queries, minilm, Path(tmp))

    report = {
        "machine": machine(),
        "minilm": {"load_s": load_s, "batch_per_s": embed_rate, "one_query_p50_ms": embed_p50},
        "sizes": results,
        "multi": multi,
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"machine: {report['machine']}")
    print(f"MiniLM: load {load_s:.1f} s, batch embedding {embed_rate:.0f} texts/s, "
          f"one query p50 {embed_p50:.1f} ms")
    rows = []
    for r in results:
        rows.append([
            f"{int(r['memories']):,}",
            f"{r['add_per_s']:,.0f}",
            f"{r['search_embed_p50_ms']:.2f} / {r['search_embed_p95_ms']:.2f}",
            f"{r['search_p50_ms']:.2f} / {r['search_p95_ms']:.2f}",
            f"{r['hnsw_p50_ms']:.3f} / {r['hnsw_p95_ms']:.3f}",
            f"{r['reindex_s']:.2f}",
            f"{r['index_load_s']:.2f}",
            f"{r['cli_help_s']:.2f}",
            f"{r['cli_list_s']:.2f}",
            f"{r['db_mb']:.0f} + {r['index_mb']:.0f}",
            f"{r['peak_rss_mb']:.0f}",
        ])
    print(table(
        ["memories", "add/s (batch, fake emb.)", "search p50/p95 ms (MiniLM query)",
         "search p50/p95 ms (vector given)", "HNSW alone p50/p95 ms", "reindex s", "index load s",
         "`memcli --help` s", "`memcli list` s", "db + index MB", "peak RSS MB (so far)"],
        rows,
    ))
    if multi:
        print(f"shared file: {multi['users']} users x {multi['each']:,} memories: add {multi['add_per_s']:,.0f}/s; "
              f"one user's search p50/p95 {multi['search_embed_p50_ms']:.2f}/{multi['search_embed_p95_ms']:.2f} ms "
              f"(MiniLM query), {multi['search_p50_ms']:.2f}/{multi['search_p95_ms']:.2f} ms (vector given); "
              f"index load {multi['index_load_s']:.2f} s; {multi['disk_mb']:.0f} MB on disk")
    print(f"peak RSS of the benchmark process: {report['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
