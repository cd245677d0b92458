"""Ingestion speed: LoCoMo conversations stored as given (raw mode), with
MiniLM's windows in float32 and in int8, alternating in one process.

    python bench/bench_ingest.py --data DIR [--conversations 26,30] [--rounds 4] [--json]

Each round ingests every conversation into a fresh database once with
``MEMCLI_INT8=0`` and once with ``MEMCLI_INT8=1`` (the order swapped every
round, so a busy spell on a shared machine does not fall on one side only),
through ``Memory.add`` exactly as ``bench/locomo.py --mode raw`` does, and
times the adds alone. It prints turns per second per run, each side's median
and their ratio, and which one memcli uses on this CPU by default
(``memcli/models/cpu.py``). Recall is ``bench/locomo.py``'s business: run it
with ``MEMCLI_INT8=0`` or ``=1``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from locomo import ingest  # noqa: E402
from machine import machine, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402
from memcli.models.cpu import cpu_has_int8  # noqa: E402

SIDES = {"0": "float32", "1": "int8"}


def ingest_all(convs: list[tuple[str, dict[str, Any]]], embedder: Any, folder: Path) -> float:
    """Turns per second over every conversation, each one user, in a fresh database."""
    turns, spent = 0, 0.0
    with Memory(config=Config(user="locomo", db=str(folder / "raw.db")), embedder=embedder) as mem:
        for stem, conv in convs:
            start = time.perf_counter()
            turns += ingest(mem, f"locomo-{stem}", conv, False)
            spent += time.perf_counter() - start
    return turns / spent if spent else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of LoCoMo-format JSON files")
    parser.add_argument("--conversations", default="", help="comma-separated file stems, e.g. 26,30")
    parser.add_argument("--rounds", type=int, default=4, help="runs of each side (default 4)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    wanted = {s for s in args.conversations.split(",") if s}
    files = sorted(p for p in args.data.glob("*.json") if not wanted or p.stem in wanted)
    if not files:
        parser.error(f"no conversation files in {args.data}")
    convs = [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in files]

    from memcli.models.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    before = os.environ.get("MEMCLI_INT8")
    runs: dict[str, list[float]] = {side: [] for side in SIDES}
    try:
        for side in SIDES:  # both graphs built before anything is timed
            os.environ["MEMCLI_INT8"] = side
            embedder.embed_conversation([(None, "warm up"), ("warm up", "the model")])
        for n in range(args.rounds):
            for side in (("0", "1") if n % 2 == 0 else ("1", "0")):
                os.environ["MEMCLI_INT8"] = side
                with tempfile.TemporaryDirectory(prefix="memcli-ingest-") as tmp:
                    runs[side].append(ingest_all(convs, embedder, Path(tmp)))
    finally:
        if before is None:
            os.environ.pop("MEMCLI_INT8", None)
        else:
            os.environ["MEMCLI_INT8"] = before
    medians = {side: statistics.median(values) for side, values in runs.items()}
    ratio = medians["1"] / medians["0"] if medians["0"] else 0.0
    default = "int8" if cpu_has_int8() else "float32"
    if args.json:
        print(json.dumps({"machine": machine(), "files": [p.name for p in files], "default": default,
                          "turns_per_s": {SIDES[s]: v for s, v in runs.items()},
                          "median": {SIDES[s]: v for s, v in medians.items()}, "ratio": ratio}, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"files: {', '.join(p.name for p in files)}; raw mode; this CPU's default: {default} "
          "(MEMCLI_INT8 unset)")
    rows = [[SIDES[s], " / ".join(f"{v:.0f}" for v in runs[s]), f"{medians[s]:.0f}"] for s in SIDES]
    print(table(["windows", "turns/s, each run", "median"], rows))
    print(f"int8 / float32: {ratio:.2f}x")


if __name__ == "__main__":
    main()
