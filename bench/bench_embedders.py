"""What an embedder costs: memcli's MiniLM beside sentence-transformers models from folders.

    python bench/bench_embedders.py --data DIR --model-dir FOLDER [--model-dir FOLDER ...]
                                    [--texts 320] [--queries 60]

For each: texts per second embedding the first ``--texts`` turns of the first
LoCoMo file in ``--data`` in one call (each embedder sorts them by length and
runs batches of 32), and the p50 / p95 of one question embedded at a time (a
search's query). memcli's
MiniLM runs as memcli runs it (ONNX Runtime, :mod:`memcli.models.minilm`);
each folder through sentence-transformers (torch), on the CPU. Recall with
such a folder: ``bench/locomo.py --model-dir FOLDER``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import machine  # noqa: E402
from locomo import sessions  # noqa: E402
from folder_embedder import FolderEmbedder, is_model_folder  # noqa: E402


def timed(embed: Callable[[Sequence[str]], Any], texts: list[str], questions: list[str]) -> tuple[float, float, float]:
    """(texts/s for ``texts`` in one call, query p50 ms, query p95 ms)."""
    embed(texts[:32])
    embed(questions[:3])
    start = time.perf_counter()
    embed(texts)
    rate = len(texts) / (time.perf_counter() - start)
    lat = []
    for q in questions:
        start = time.perf_counter()
        embed([q])
        lat.append((time.perf_counter() - start) * 1000)
    lat.sort()
    return rate, lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.95 * len(lat)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of LoCoMo-format JSON files")
    parser.add_argument("--model-dir", type=Path, action="append", default=[], metavar="FOLDER",
                        help="a sentence-transformers model folder to time beside MiniLM (repeatable)")
    parser.add_argument("--texts", type=int, default=320)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    files = sorted(args.data.glob("*.json"))
    if not files:
        parser.error(f"no LoCoMo files found in {args.data}")
    if args.texts < 1 or args.queries < 1:
        parser.error("--texts and --queries must be at least 1")
    for folder in args.model_dir:
        if not is_model_folder(folder):
            parser.error(f"{folder} is not a sentence-transformers model folder (no modules.json)")
    conv = json.loads(files[0].read_text(encoding="utf-8"))
    texts = [str(t["text"]) for _, session in sessions(conv) for t in session if t.get("text")][: args.texts]
    questions = [str(q["question"]) for q in conv.get("qa", [])][: args.queries]
    if not texts or not questions:
        parser.error(f"{files[0]} has no turns or no questions")
    print(f"machine: {machine()}")
    print(f"{len(texts)} turns of {files[0].name} in one call, {len(questions)} questions one at a time")
    print("| embedder | texts/s | query p50 / p95 ms |")
    print("|---|---|---|")
    from memcli.models.minilm import MiniLMEmbedder

    rate, p50, p95 = timed(MiniLMEmbedder().embed, texts, questions)
    print(f"| memcli MiniLM (ONNX Runtime) | {rate:.0f} | {p50:.1f} / {p95:.1f} |", flush=True)
    for folder in args.model_dir:
        model = FolderEmbedder(folder)
        rate, p50, p95 = timed(model.embed, texts, questions)
        print(f"| {folder} (sentence-transformers) | {rate:.0f} | {p50:.1f} / {p95:.1f} |", flush=True)


if __name__ == "__main__":
    main()
