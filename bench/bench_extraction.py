"""Precision and recall of the rules extractor on the labelled messages.

    python bench/bench_extraction.py [--labels tests/data/extraction_labels.tsv] [--mistakes]

The label set was written for this project (statements, questions,
hypotheticals, negations, third parties and assistant lines); the rules were
developed against it, so treat the figures as an upper bound for unseen text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine, table  # noqa: E402

from memcli.extract.evaluate import evaluate, load  # noqa: E402
from memcli.extract.rules import RulesExtractor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "extraction_labels.tsv")
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "data" / "extraction_heldout.tsv")
    parser.add_argument("--mistakes", action="store_true", help="list every miss and invention")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for label, path in (("development set", args.labels), ("held-out set", args.heldout)):
        report(label, path, args.mistakes)


def report(label: str, path: Path, mistakes: bool) -> None:
    examples = load(path)
    result = evaluate(RulesExtractor(), examples)
    print(f"\n{label} ({path.name}): {result['messages']} labelled messages, "
          f"{sum(len(e.expected) for e in examples)} expected facts")
    rows = []
    for name, score in sorted(result["categories"].items()):
        rows.append([name, str(score.tp), str(score.fp), str(score.fn), f"{score.precision:.3f}", f"{score.recall:.3f}"])
    o = result["overall"]
    rows.append(["**all**", str(o.tp), str(o.fp), str(o.fn), f"**{o.precision:.3f}**", f"**{o.recall:.3f}**"])
    print(table(["category", "correct", "invented", "missed", "precision", "recall"], rows))
    if mistakes:
        print("\n".join(o.mistakes))


if __name__ == "__main__":
    main()
