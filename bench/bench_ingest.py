"""Ingestion speed: LoCoMo conversations stored as given (raw mode), with
MiniLM's windows in float32 and with 8-bit weights, alternating in one process.

    python bench/bench_ingest.py --data DIR [--conversations 26,30] [--rounds 4]
                                 [--forms float32,int8,uint8] [--json]

Each round ingests every conversation into a fresh database once per form of
the weights (the order rotated every round, so a busy spell on a shared
machine does not fall on one side only), through ``Memory.add`` exactly as
``bench/locomo.py --mode raw`` does, and times the adds alone. ``--forms``
defaults to float32 and the 8-bit form this CPU takes
(``memcli/models/cpu.py``: int8 with VNNI or AMX, uint8 with AVX2 alone);
naming both 8-bit forms compares them on one CPU. It prints turns per second
per run, each form's median and its ratio to float32. Recall is
``bench/locomo.py``'s business: run it with ``MEMCLI_INT8=0`` or ``=1``.
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
from memcli.models import cpu  # noqa: E402

FORMS = ("float32", "int8", "uint8")


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
    parser.add_argument("--forms", default="", help="comma-separated, of float32, int8, uint8 (default: float32 "
                        "and this CPU's 8-bit form)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    default = cpu.cpu_int8_form()
    forms = [f for f in args.forms.split(",") if f] or ["float32", default or "uint8"]
    if set(forms) - set(FORMS) or len(set(forms)) != len(forms):
        parser.error(f"--forms takes distinct names among {', '.join(FORMS)}")
    wanted = {s for s in args.conversations.split(",") if s}
    files = sorted(p for p in args.data.glob("*.json") if not wanted or p.stem in wanted)
    if not files:
        parser.error(f"no conversation files in {args.data}")
    convs = [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in files]

    from memcli.models.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    before, detected = os.environ.get("MEMCLI_INT8"), cpu.cpu_int8_form

    def use(form: str) -> None:
        # MEMCLI_INT8=1 takes "the CPU's" 8-bit form: name the one to time
        os.environ["MEMCLI_INT8"] = "0" if form == "float32" else "1"
        cpu.cpu_int8_form = lambda: form  # type: ignore[assignment]

    runs: dict[str, list[float]] = {form: [] for form in forms}
    try:
        for form in forms:  # every graph built before anything is timed
            use(form)
            embedder.embed_conversation([(None, "warm up"), ("warm up", "the model")])
        for n in range(args.rounds):
            for form in forms[n % len(forms):] + forms[: n % len(forms)]:
                use(form)
                with tempfile.TemporaryDirectory(prefix="memcli-ingest-") as tmp:
                    runs[form].append(ingest_all(convs, embedder, Path(tmp)))
    finally:
        cpu.cpu_int8_form = detected  # type: ignore[assignment]
        if before is None:
            os.environ.pop("MEMCLI_INT8", None)
        else:
            os.environ["MEMCLI_INT8"] = before
    medians = {form: statistics.median(values) for form, values in runs.items()}
    base = medians.get("float32", 0.0)
    ratios = {form: medians[form] / base for form in forms if form != "float32" and base}
    if args.json:
        print(json.dumps({"machine": machine(), "files": [p.name for p in files], "default": default or "float32",
                          "turns_per_s": runs, "median": medians, "ratio_to_float32": ratios}, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"files: {', '.join(p.name for p in files)}; raw mode; this CPU's default: {default or 'float32'} "
          "(MEMCLI_INT8 unset)")
    rows = [[form, " / ".join(f"{v:.0f}" for v in runs[form]), f"{medians[form]:.0f}",
             f"{ratios[form]:.2f}x" if form in ratios else ""] for form in forms]
    print(table(["weights", "turns/s, each run", "median", "to float32"], rows))


if __name__ == "__main__":
    main()
