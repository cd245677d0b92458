"""CLI start-up: `memcli --help` and `memcli list`, whole processes.

    python bench/bench_cli.py [--runs 10] [--rounds 2]

Each command runs ``--runs`` times as a fresh process of the installed
``memcli`` script (the one beside this Python) against a small database in a
temporary MEMCLI_HOME, and the median is printed; ``--rounds`` repeats the
pair, since this machine is shared. One warm-up run first writes the
``.pyc`` files, so what is timed is what a user's second run costs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import wall  # noqa: E402
from machine import machine, table  # noqa: E402


def startup(runs: int, rounds: int) -> list[tuple[float, float]]:
    """(``--help`` s, ``list`` s) per round: medians of ``runs`` whole-process
    runs of the installed script against a small database."""
    exe = str(Path(sys.executable).with_name("memcli"))
    medians = []
    with tempfile.TemporaryDirectory() as home:
        Path(home, "config.toml").write_text('user = "bench"\nembedder = "fake"\n')
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["MEMCLI_HOME"] = home
        for text in ("I live in Seoul", "I like tea", "My sister is called Mina"):
            subprocess.run([exe, "add", text], env=env, stdout=subprocess.DEVNULL, check=True)
        for _ in range(rounds):
            wall([exe, "--help"], env, runs=1)
            medians.append((wall([exe, "--help"], env, runs), wall([exe, "list"], env, runs)))
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows = [[str(n), f"{h:.3f}", f"{ls:.3f}"] for n, (h, ls) in enumerate(startup(args.runs, args.rounds), 1)]
    print(machine())
    print(f"median of {args.runs} whole-process runs each")
    print(table(["round", "`memcli --help` s", "`memcli list` s"], rows))


if __name__ == "__main__":
    main()
