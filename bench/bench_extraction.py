"""Precision and recall of the rules extractor on the labelled sets, and its cost.

    python bench/bench_extraction.py [--mistakes] [--labels FILE ...]

Eight sets, all in tests/data (tab-separated; see memcli/extract/evaluate.py):

- development: ``extraction_labels.tsv`` (the rules' first set),
  ``extraction_chat.tsv`` (253 chat-style lines written 2026-11-25 before the
  rules were reworked for them, then tuned against) and
  ``extraction_shortforms.tsv`` (24 lines typed with chat short forms, "my fav
  food is sushi", written 2026-12-03 before the rules read short forms) and
  ``extraction_emoji.tsv`` (24 lines typed with emoji, "I'm a nurse 👩‍⚕️ night
  shifts are rough", written 2026-12-03 before the rules were looked at for
  emoji);
- held-out: ``extraction_heldout.tsv`` (written after the first tuning),
  ``extraction_chat_heldout.tsv`` (108 chat-style lines written after the
  second tuning and never tuned against) and
  ``extraction_shortforms_heldout.tsv`` (20 short-form lines written after
  the rules read short forms; two labels corrected after it was scored: see
  the file's header) and ``extraction_emoji_heldout.tsv`` (20 lines with
  emoji written after the rules' handling of them was settled; two labels
  put in the other sets' attributes after it was scored: see its header).

The held-out figures are the honest ones. The time is the rules' own cost
per message (no model), on this machine.
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
SETS = [("development", "extraction_labels.tsv"), ("development", "extraction_chat.tsv"),
        ("development", "extraction_shortforms.tsv"), ("development", "extraction_emoji.tsv"),
        ("held-out", "extraction_heldout.tsv"), ("held-out", "extraction_chat_heldout.tsv"),
        ("held-out", "extraction_shortforms_heldout.tsv"), ("held-out", "extraction_emoji_heldout.tsv")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, nargs="*", help="score these files instead of the eight sets")
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
