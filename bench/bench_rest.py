"""REST latency and throughput: `memcli serve` on loopback, 1, 4 and 16 concurrent
clients, beside the same calls in-process.

    python bench/bench_rest.py [--memories 10000] [--requests 40] [--embedder minilm|fake]

One user with N memories (synthetic sentences, embedded in batches) is served
by a `memcli serve` process; each client adds memories as given (infer=false)
and searches, one request at a time. A request's latency is measured by its
client, so it includes HTTP, JSON and the server's queueing behind other
clients (the server serialises calls to its one Memory). Throughput is the
requests completed per second by all clients together. Everything runs in a
temporary folder.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_store import synthetic_texts  # noqa: E402
from machine import machine, percentiles, table  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(home: Path, n: int, embedder: str) -> None:
    from memcli import Config, Memory

    (home / "config.toml").write_text(f'user = "bench"\nembedder = "{embedder}"\n')
    config = Config.load(home / "config.toml")
    config.db = str(home / "memcli.db")
    texts = synthetic_texts(n)
    with Memory(config=config) as m:
        for start in range(0, n, 1000):
            m.add([{"role": "user", "content": t} for t in texts[start:start + 1000]], user_id="bench")
        m.search("warm up", user_id="bench")


def in_process(home: Path, requests: int) -> dict[str, list[float]]:
    from memcli import Config, Memory

    config = Config.load(home / "config.toml")
    config.db = str(home / "memcli.db")
    queries = synthetic_texts(requests, seed=21)
    adds, searches = [], []
    with Memory(config=config) as m:
        m.search("warm up", user_id="bench")
        for n, q in enumerate(queries):
            t0 = time.perf_counter()
            m.add(f"in-process note {n}: {q}", user_id="bench")
            adds.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            m.search(q, user_id="bench", limit=10)
            searches.append((time.perf_counter() - t0) * 1000)
    return {"add": adds, "search": searches}


def over_http(base: str, clients: int, requests: int) -> tuple[dict[str, list[float]], float]:
    import httpx2 as httpx

    adds: list[float] = []
    searches: list[float] = []
    lock = threading.Lock()
    queries = synthetic_texts(requests, seed=33)

    def client(k: int) -> None:
        with httpx.Client(base_url=base, timeout=300) as api:
            for n, q in enumerate(queries):
                t0 = time.perf_counter()
                r = api.post("/memories", json={"text": f"client {k} note {n}: {q}", "user_id": "bench",
                                                "infer": False})
                a = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                s = api.post("/search", json={"query": q, "user_id": "bench", "limit": 10})
                b = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200 and s.status_code == 200, (r.text, s.text)
                with lock:
                    adds.append(a)
                    searches.append(b)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"add": adds, "search": searches}, (len(adds) + len(searches)) / wall


def main() -> None:
    import httpx2 as httpx

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40, help="adds and searches per client")
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "fake"])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="memcli-rest-") as tmp:
        home = Path(tmp)
        fill(home, args.memories, args.embedder)
        local = in_process(home, args.requests)
        a50, a95 = percentiles(local["add"])
        s50, s95 = percentiles(local["search"])
        rows.append(["in-process", "1", f"{a50:.1f} / {a95:.1f}", f"{s50:.1f} / {s95:.1f}",
                     f"{2 * args.requests / ((sum(local['add']) + sum(local['search'])) / 1000):.0f}"])
        port = free_port()
        env = {**os.environ, "MEMCLI_HOME": str(home)}
        server = subprocess.Popen([sys.executable, "-m", "memcli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    httpx.post(f"{base}/search", json={"query": "warm up", "user_id": "bench"}, timeout=120)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for clients in (1, 4, 16):
                got, rate = over_http(base, clients, args.requests)
                a50, a95 = percentiles(got["add"])
                s50, s95 = percentiles(got["search"])
                rows.append([f"REST, {clients} client{'s' if clients > 1 else ''}", str(clients),
                             f"{a50:.1f} / {a95:.1f}", f"{s50:.1f} / {s95:.1f}", f"{rate:.0f}"])
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"machine: {machine()}")
    print(f"{args.memories:,} memories of one user, {args.embedder} embedder, {args.requests} adds and searches "
          "per client")
    print(table(["how", "clients", "add p50 / p95 ms", "search p50 / p95 ms", "requests/s"], rows))


if __name__ == "__main__":
    main()
