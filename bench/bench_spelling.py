"""Which real misspellings a search reaches (memcli/spelling.py), both ways.

    python bench/bench_spelling.py [--pairs bench/spelling/common.tsv]

For each pair of ``misspelt<TAB>spelt right`` (common English misspellings,
not the LoCoMo harness's typo model), it asks whether a search for the word
spelt right also ranks the memories that hold the misspelling, and whether
a search for the misspelling ranks those that spell it right, and if not,
why not (two edits apart, the first letters changed, too short, both English
words). Nothing is timed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import table  # noqa: E402

from memcli.spelling import beginnings, looked_for, misspellings, one_edit, stems  # noqa: E402


def reached(asked: str, held: str) -> bool:
    """Whether a search for ``asked`` also ranks memories that say ``held``."""
    return why_not(asked, held) == ""


def why_not(asked: str, held: str) -> str:
    """Why a search for ``asked`` does not reach ``held`` ("" when it does),
    following memcli/spelling.py and Searcher._misspelt step by step."""
    stem = looked_for([asked]).get(asked)
    if stem is None:
        return "too short"
    term = stems([held]).get(held, held)
    if term == stem:
        return ""  # the stemmer already makes them one word ("occured", "occurred")
    if not any(term.startswith(start) for start in beginnings(stem)):
        return "first letters changed"
    if not one_edit(stem, term):
        return "two or more edits apart (as stems)"
    if not misspellings(stem, [term]):
        return "both English words"
    if stems([term]).get(term) != term:
        return "its stem is stemmed again to another"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=Path(__file__).resolve().parent / "spelling" / "common.tsv")
    args = parser.parse_args()
    pairs = [line.split("\t") for line in args.pairs.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    right_finds = sum(reached(r, m) for m, r in pairs)
    misspelt_finds = sum(reached(m, r) for m, r in pairs)
    # before misspellings were looked for: only where the stemmer makes them one word
    same = sum(stems([m]).get(m) == stems([r]).get(r) for m, r in pairs)
    missed: dict[str, list[str]] = {}
    for m, r in pairs:
        if not reached(r, m):
            missed.setdefault(why_not(r, m), []).append(m)
    print(table(["search for", "finds the other", "share", "by the stemmer alone"], [
        ["the word spelt right (the memory misspells it)", f"{right_finds} / {len(pairs)}",
         f"{right_finds / len(pairs):.2f}", f"{same / len(pairs):.2f}"],
        ["the misspelling (the memory spells it right)", f"{misspelt_finds} / {len(pairs)}",
         f"{misspelt_finds / len(pairs):.2f}", f"{same / len(pairs):.2f}"],
    ]))
    for reason, words in sorted(missed.items()):
        print(f"not reached, {reason}: {len(words)} ({', '.join(words)})")


if __name__ == "__main__":
    main()
