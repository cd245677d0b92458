"""memcli and Mem0 side by side, in one process, on the same embedder.

    pip install -e '.[bench]'      # mem0ai, faiss-cpu
    python bench/peers/mem0_side_by_side.py [--sizes 1000,10000] [--data ../shared/data/locomo]

Mem0 runs fully offline: its huggingface embedder points at the folder of the
bundled all-MiniLM-L6-v2 (the model memcli uses), its vector store is a local
FAISS index, telemetry is off, and every add uses infer=False, so no LLM is
ever called. Workloads, each for both systems in this one run:

- add throughput and search latency (query embedding included) at each size,
  one user, the same synthetic texts, added one message list of 100 at a time;
- LoCoMo evidence recall at a 300-word budget in raw mode: every turn added
  as "Speaker: text" with its dia_id in the metadata, the same questions.

The machine is shared and noisy, so ratios (memcli / Mem0) are printed beside
the times.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

os.environ["MEM0_TELEMETRY"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENAI_API_KEY", "unused-offline")  # Mem0 builds an LLM client it never calls with infer=False

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_store import synthetic_texts  # noqa: E402
from locomo import DIA, sessions  # noqa: E402
from machine import machine, percentiles, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402
from memcli.models.minilm import MiniLMEmbedder, bundled_model_dir  # noqa: E402


def make_mem0(folder: Path) -> Any:
    from mem0 import Memory as Mem0

    logging.getLogger("mem0").setLevel(logging.ERROR)
    return Mem0.from_config({
        "embedder": {"provider": "huggingface",
                     "config": {"model": str(bundled_model_dir()), "embedding_dims": 384,
                                "model_kwargs": {"device": "cpu"}}},
        "vector_store": {"provider": "faiss",
                         "config": {"collection_name": "bench", "path": str(folder / "faiss"),
                                    "embedding_model_dims": 384, "distance_strategy": "cosine"}},
        "history_db_path": str(folder / "mem0_history.db"),
    })


class MemcliSide:
    name = "memcli"

    def __init__(self, folder: Path, embedder: MiniLMEmbedder) -> None:
        self.mem = Memory(config=Config(user="bench", db=str(folder / "memcli.db")), embedder=embedder)

    def add(self, texts: list[str], user: str, metas: list[dict[str, Any]] | None = None) -> None:
        self.mem.add([{"role": "user", "content": t, **({"metadata": m} if m else {})}
                      for t, m in zip(texts, metas or [None] * len(texts))], user_id=user)

    def search(self, query: str, user: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        return [(h.memory, h.metadata) for h in self.mem.search(query, user_id=user, limit=limit)]

    def close(self) -> None:
        self.mem.close()


class Mem0Side:
    name = "Mem0"

    def __init__(self, folder: Path) -> None:
        self.mem = make_mem0(folder)

    def add(self, texts: list[str], user: str, metas: list[dict[str, Any]] | None = None) -> None:
        # Mem0 takes one metadata per call: a call per message when they differ
        if metas:
            for t, m in zip(texts, metas):
                self.mem.add([{"role": "user", "content": t}], user_id=user, metadata=m, infer=False)
        else:
            self.mem.add([{"role": "user", "content": t} for t in texts], user_id=user, infer=False)

    def search(self, query: str, user: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        found = self.mem.search(query, top_k=limit, filters={"user_id": user}, threshold=0.0)
        return [(r["memory"], r.get("metadata") or {}) for r in found.get("results", [])]

    def close(self) -> None:
        pass


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def scale(sides: list[Any], sizes: list[int], queries: list[str]) -> list[dict[str, Any]]:
    """Per size: each side's add rate (memories/s) and search p50 / p95 (ms),
    the sides filled alike, one size after another."""
    results = []
    done = {s.name: 0 for s in sides}
    texts = synthetic_texts(max(sizes))
    for n in sizes:
        figures: dict[str, Any] = {"memories": n}
        for side in sides:
            start = done[side.name]
            seconds = sum(timed(lambda i=i: side.add(texts[i : i + 100], "scale")) for i in range(start, n, 100))
            done[side.name] = n
            lat = []
            for q in queries:
                lat.append(timed(lambda q=q: side.search(q, "scale", 10)) * 1000)
            p50, p95 = percentiles(lat)
            figures[side.name] = {"add_per_s": (n - start) / seconds, "search_p50_ms": p50, "search_p95_ms": p95}
        results.append(figures)
    return results


def scale_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in results:
        a, b = r["memcli"], r["Mem0"]
        rows.append([f"{r['memories']:,}", f"{a['add_per_s']:.0f}", f"{b['add_per_s']:.0f}",
                     f"{a['add_per_s'] / b['add_per_s']:.2f}",
                     f"{a['search_p50_ms']:.1f} / {a['search_p95_ms']:.1f}",
                     f"{b['search_p50_ms']:.1f} / {b['search_p95_ms']:.1f}",
                     f"{a['search_p50_ms'] / b['search_p50_ms']:.2f}"])
    return rows


def side_by_side_queries(n: int) -> list[str]:
    return [f"what does my friend like about {w}" for w in synthetic_texts(n, seed=4)]


def locomo_recall(side: Any, data: Path, budget: int = 300) -> tuple[float, float]:
    recalls, seconds = [], 0.0
    for path in sorted(data.glob("*.json")):
        conv = json.loads(path.read_text(encoding="utf-8"))
        user = f"locomo-{path.stem}"
        for when, turns in sessions(conv):
            texts = [f"{t['speaker']}: {t['text']}" for t in turns if t.get("text")]
            metas = [{"dia_id": t["dia_id"]} for t in turns if t.get("text")]
            seconds += timed(lambda: side.add(texts, user, metas))
        for qa in conv.get("qa", []):
            evidence = {e for raw in qa.get("evidence", []) for e in DIA.findall(str(raw))}
            if qa.get("category") == 5 or not evidence:
                continue
            used, covered = 0, set()
            for text, meta in side.search(str(qa["question"]), user, 50):
                words = len(text.split())
                if used + words > budget:
                    continue
                used += words
                covered |= set(DIA.findall(str(meta.get("dia_id", ""))))
            recalls.append(len(evidence & covered) / len(evidence))
    return statistics.mean(recalls), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--data", type=Path, default=ROOT.parent.parent / "shared" / "data" / "locomo")
    args = parser.parse_args()
    try:
        import mem0  # noqa: F401
    except ImportError:
        sys.exit("Mem0 is not installed: pip install -e '.[bench]'")
    print(f"machine: {machine()}")
    embedder = MiniLMEmbedder()
    queries = side_by_side_queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="memcli-vs-mem0-") as tmp:
        folder = Path(tmp)
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        sides = [MemcliSide(folder / "a", embedder), Mem0Side(folder / "b")]
        rows = scale_rows(scale(sides, [int(s) for s in args.sizes.split(",")], queries))
        print(table(["memories", "memcli add/s", "Mem0 add/s", "ratio", "memcli search p50/p95 ms",
                     "Mem0 search p50/p95 ms", "ratio (p50)"], rows))
        if args.data.exists():
            (folder / "c").mkdir()
            (folder / "d").mkdir()
            lsides = [MemcliSide(folder / "c", embedder), Mem0Side(folder / "d")]
            recall = {s.name: locomo_recall(s, args.data) for s in lsides}
            a, b = recall["memcli"], recall["Mem0"]
            print(table(["LoCoMo raw, 300 words", "memcli", "Mem0", "ratio"],
                        [["evidence recall", f"{a[0]:.3f}", f"{b[0]:.3f}", f"{a[0] / b[0]:.2f}"],
                         ["ingest s", f"{a[1]:.0f}", f"{b[1]:.0f}", f"{a[1] / b[1]:.2f}"]]))
            for s in lsides:
                s.close()
        for s in sides:
            s.close()


if __name__ == "__main__":
    main()
