"""Which real misspellings a search reaches (memcli/spelling.py), both ways.

    python bench/bench_spelling.py [--pairs bench/spelling/common.tsv] [--cost 10000,100000]

For each pair of ``misspelt<TAB>spelt right`` (common English misspellings,
not the LoCoMo harness's typo model), it asks whether a search for the word
spelt right also ranks the memories that hold the misspelling, and whether
a search for the misspelling ranks those that spell it right, and if not,
why not (two edits apart, the first letters changed, too short, both English
words).

``--cost SIZES`` also times what looking costs: for each size, one user of
that many synthetic memories (as in bench_store.py, the fake embedder), 200
queries asked three times, each once with misspellings looked for and once
with that step switched off, the two in alternating order, so the shared
machine's drift falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import OBJECTS, SUBJECTS, synthetic_texts  # noqa: E402
from machine import machine, percentiles, table  # noqa: E402

import memcli.services.search  # noqa: E402
from memcli import Config, Memory  # noqa: E402

from memcli.language.spelling import beginnings, looked_for, misspellings, one_edit, stems  # noqa: E402


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


def cost(size: int) -> list[str]:
    """Search p50 / p95 ms without and with misspellings looked for."""
    times: dict[bool, list[float]] = {False: [], True: []}
    looking = memcli.services.search.looked_for
    queries = [f"what does {random.Random(i).choice(SUBJECTS).lower()} like about "
               f"{random.Random(i + 1).choice(OBJECTS)}" for i in range(200)]
    with tempfile.TemporaryDirectory() as folder, \
            Memory(config=Config(user="bench", embedder="fake", db=os.path.join(folder, "m.db"))) as mem:
        texts = synthetic_texts(size)
        for start in range(0, size, 1000):
            mem.add([{"role": "user", "content": t} for t in texts[start:start + 1000]], infer=False)
        mem.search(queries[0])  # the first search reads the embedder's vocabulary
        try:
            for round_ in range(3):
                for query in queries:
                    for on in ((False, True) if round_ % 2 == 0 else (True, False)):
                        memcli.services.search.looked_for = looking if on else (lambda words: {})  # type: ignore
                        begun = time.perf_counter()
                        mem.search(query)
                        times[on].append((time.perf_counter() - begun) * 1000)
        finally:
            memcli.services.search.looked_for = looking
    off, on = percentiles(times[False]), percentiles(times[True])
    return [f"{size:,}", f"{off[0]:.2f} / {off[1]:.2f}", f"{on[0]:.2f} / {on[1]:.2f}", f"{on[0] - off[0]:+.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=Path(__file__).resolve().parent / "spelling" / "common.tsv")
    parser.add_argument("--cost", default="", help="memory counts to time the search at, e.g. 10000,100000")
    args = parser.parse_args()
    print(machine())
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
    if args.cost:
        rows = [cost(int(n)) for n in args.cost.split(",")]
        print(table(["memories", "search p50 / p95 ms, not looking", "looking", "p50 difference"], rows))


if __name__ == "__main__":
    main()
