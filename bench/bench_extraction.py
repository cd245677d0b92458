"""Precision and recall of the rules extractor on the labelled sets, and its cost.

    python bench/bench_extraction.py [--mistakes] [--labels FILE ...]

The sets are in tests/data (tab-separated; see memcli/extraction/evaluate.py).
Each is labelled as bench/heldout.json says: *held out* (written after the
tuning, scored once, frozen), *spent* (written as held out, but used to
choose a change or corrected after scoring before it was frozen: not a
held-out figure any more), or *development* (tuned against).

- development: ``extraction_labels.tsv`` (the rules' first set),
  ``extraction_chat.tsv`` (253 chat-style lines), ``extraction_shortforms.tsv``
  (chat short forms), ``extraction_emoji.tsv`` (emoji) and
  ``extraction_everyday.tsv`` (the classes an independent check found missed
  on 2026-12-08: a job with a trailing aside, an age in years, a diet "since",
  what was studied and where, "moved back to", "X and I live in", retractions);
- the files named ``*_heldout.tsv``.

The time is the rules' own cost per message (no model), on this machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine, percentiles, table  # noqa: E402

from memcli.extraction.evaluate import evaluate, load  # noqa: E402
from memcli.extraction.rules import RulesExtractor  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
NAMES = ["extraction_labels.tsv", "extraction_chat.tsv", "extraction_shortforms.tsv", "extraction_emoji.tsv",
         "extraction_everyday.tsv", "extraction_heldout.tsv", "extraction_chat_heldout.tsv",
         "extraction_shortforms_heldout.tsv", "extraction_emoji_heldout.tsv", "extraction_everyday_heldout.tsv"]


def kind(name: str) -> str:
    """held out, spent or development, as bench/heldout.json says."""
    import json

    frozen = json.loads((Path(__file__).resolve().parent / "heldout.json").read_text())["files"]
    entry = frozen.get(f"tests/data/{name}")
    return entry["status"] if entry else "development"


SETS = [(kind(name), name) for name in NAMES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, nargs="*", help="score these files instead of the sets")
    parser.add_argument("--mistakes", action="store_true", help="list every miss and invention")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    sets = [("given", path) for path in args.labels] if args.labels else [(kind, DATA / name) for kind, name in SETS]
    extractor = RulesExtractor()
    rows, details = [], []
    for kind, path in sets:
        examples = load(path)
        result = evaluate(extractor, examples)
        o = result["overall"]
        rows.append([f"{kind}: {path.name}", str(result["messages"]), str(o.tp + o.fn), str(o.tp), str(o.fp),
                     str(o.fn), f"{o.precision:.3f}", f"{o.recall:.3f}"])
        details.append((path.name, result))
    print(table(["set", "messages", "expected facts", "correct", "invented", "missed", "precision", "recall"], rows))
    for name, result in details:
        print(f"\n{name} by category")
        print(table(["category", "correct", "invented", "missed", "precision", "recall"],
                    [[c, str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}", f"{s.recall:.3f}"]
                     for c, s in sorted(result["categories"].items())]))
        if args.mistakes:
            print("\n".join(result["overall"].mistakes))
    texts = [e.text for _, path in sets for e in load(path)]
    said = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    times = []
    for text in texts * 3:
        start = time.perf_counter()
        extractor.extract(text, said)
        times.append((time.perf_counter() - start) * 1000)
    p50, p95 = percentiles(times)
    print(f"\ncost per message ({len(texts)} messages x 3): p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
          f"max {max(times):.2f} ms")


if __name__ == "__main__":
    main()
