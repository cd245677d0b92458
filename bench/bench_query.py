"""Query latency on a quiet and on a busy machine: embedding a one-line query
and searching, with other CPU-bound processes running beside it.

    python bench/bench_query.py [--memories 2500] [--queries 200] [--hogs 0,1,2]

A laptop is rarely idle. This starts 0, 1 or 2 processes that spin on a core
(``while True: pass``) and measures, for each, ``Memory.search`` as a program
calls it: the query embedded by MiniLM, then the hybrid search (HNSW + BM25 +
fusion), on one user's memories (synthetic sentences, as in bench_store.py).
The query-embedding paths are compared in one run: sentence-transformers
(torch, as memcli used for every text until 2026-12-01), memcli's NumPy
forward pass on one BLAS thread (2026-12-01), ONNX Runtime on one thread and
on two (what memcli does now: every core, a pool that does not spin); and the search alone (vector given) with NumPy's BLAS on all
threads and on one.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_store import synthetic_texts  # noqa: E402
from bench_tiers import everyday_queries  # noqa: E402
from machine import machine, percentiles, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402


@contextmanager
def hogs(n: int) -> Iterator[None]:
    """``n`` processes that keep a core busy each."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.5 if n else 0)
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def timed(queries: list[str], run: Callable[[str], Any]) -> tuple[float, float]:
    run(queries[0])
    samples = []
    for q in queries:
        t0 = time.perf_counter()
        run(q)
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def fill(m: Memory, minilm: Any, n: int) -> None:
    """``n`` synthetic memories for user "bench", embedded by MiniLM in
    batches and brought in through the export format (as a restore would)."""
    texts = synthetic_texts(n)
    vectors = minilm.embed(texts)
    records = [{"memory": t, "user_id": "bench", "kind": "message", "embedder": minilm.id,
                "embedding": base64.b64encode(v.tobytes()).decode()}
               for t, v in zip(texts, vectors)]
    m.import_data({"format": "memcli-export", "schema_version": 3, "memories": records})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=2500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hogs", default="0,1,2")
    args = parser.parse_args()

    from memcli.models.minilm import MiniLMEmbedder

    from memcli.models.bert_numpy import BertWeights, NumpyBert
    from memcli.models.minilm import bundled_model_dir
    from memcli.base.threads import one_blas_thread

    minilm = MiniLMEmbedder()
    torch_model = minilm._load_torch()
    onnx_bert = minilm._load_fast()
    numpy_bert = NumpyBert(BertWeights(bundled_model_dir()))
    queries = everyday_queries(args.queries)

    def by_torch(q: str) -> Any:
        return torch_model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[0]

    def by_numpy(q: str) -> Any:
        with one_blas_thread():
            return numpy_bert.encode([q])[0]

    def by_memcli(q: str) -> Any:
        return minilm.embed([q])[0]

    print(f"# {machine()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="memcli-query-") as tmp:
        config = Config.from_dict({"user": "bench", "embedder": "minilm", "db": str(Path(tmp) / "q.db")})
        with Memory(config=config, embedder=minilm) as m:
            fill(m, minilm, args.memories)
            fixed = {q: by_memcli(q) for q in queries}
            searcher = m._searcher

            def search_all_threads(q: str) -> Any:
                return searcher._search_vector(fixed[q], "bench", 10, None, None, as_of=None, include_past=False,
                                               text=q, include_cold=False, speaker=None)

            for n in [int(x) for x in args.hogs.split(",")]:
                with hogs(n):
                    torch_q = timed(queries, by_torch)
                    numpy_q = timed(queries, by_numpy)
                    onnx_1 = timed(queries, lambda q: onnx_bert.encode([q], threads=1))
                    onnx_2 = timed(queries, lambda q: onnx_bert.encode([q], threads=2))
                    search_many = timed(queries, search_all_threads)
                    search_one = timed(queries, lambda q: m.search_vector(fixed[q], "bench", limit=10, text=q))
                    full_torch = timed(queries, lambda q: m.search_vector(by_torch(q), "bench", limit=10, text=q))
                    full = timed(queries, lambda q: m.search(q, "bench", limit=10))
                rows.append([str(n)] + [f"{a:.1f} / {b:.1f}" for a, b in
                                        (torch_q, numpy_q, onnx_1, onnx_2, search_many, search_one,
                                         full_torch, full)])
    print(f"# {args.memories:,} memories of one user, {args.queries} one-line queries; p50 / p95 ms")
    print(table(["CPU hogs beside it", "embed: torch", "embed: NumPy, 1 thread", "embed: ONNX, 1 thread",
                 "embed: ONNX, 2 threads (now)", "search: BLAS all threads",
                 "search: BLAS 1 thread", "search + torch embed (before)", "Memory.search (now)"], rows))


if __name__ == "__main__":
    main()
