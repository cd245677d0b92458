"""How fast a chat history comes in: `memcli import` on generated exports.

    python bench/bench_import.py [--messages 20000] [--formats whatsapp,chatgpt] [--modes raw,infer]

Writes a WhatsApp chat between two people and a ChatGPT export (the person
and an assistant, 100 messages a conversation) of ``--messages`` messages,
sentences drawn from a small grammar of everyday chat (seeded, so every run
sees the same words), then runs `memcli import` on each as a new process with
the bundled MiniLM embedder and a fresh data folder, and prints messages per
second and the process's peak memory. ``raw`` keeps sentences only; ``infer``
also extracts and reconciles the person's facts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from machine import machine, table  # noqa: E402

PEOPLE = ["Ana", "Ben"]
OPENERS = ["so", "honestly", "ok", "lol", "btw", "anyway", "ugh", "yay", ""]
SUBJECTS = ["I", "we", "my sister", "my boss", "the kids", "my neighbour", "our team", "my dad"]
VERBS = ["went to", "talked about", "finally fixed", "can't stop thinking about", "booked", "cooked",
         "signed up for", "lost", "found", "painted", "planned", "cancelled"]
THINGS = ["the allotment", "a pottery class", "the train to Leeds", "that new ramen place", "the garden shed",
          "a weekend in Porto", "the dentist", "my bike", "a birthday cake", "the quarterly report", "a tiny kitten",
          "the football match", "a hike up the hill", "the flat viewing", "grandma's recipe", "the piano lessons"]
WHEN = ["today", "yesterday", "last night", "this morning", "on Sunday", "next week", "after work", ""]
QUESTIONS = ["how was your day?", "did you see that?", "are you free later?", "what do you think?",
             "want to come along?"]


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(QUESTIONS)
    words = [rng.choice(OPENERS), rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(THINGS), rng.choice(WHEN)]
    text = " ".join(w for w in words if w)
    return text[0].upper() + text[1:] + rng.choice([".", "!", " 😂", "", "..."])


def message(rng: random.Random, n: int) -> str:
    return " ".join(sentence(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))) + f" ({n})"


def whatsapp(path: Path, n: int) -> None:
    rng = random.Random(7)
    when = datetime(2021, 3, 1, 8, 0)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            when += timedelta(minutes=rng.choice([1, 2, 5, 30, 240]))
            out.write(f"{when:%d/%m/%Y}, {when:%H:%M} - {rng.choice(PEOPLE)}: {message(rng, i)}\n")


def chatgpt(path: Path, n: int) -> None:
    rng = random.Random(11)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp()
    conversations = []
    for c in range(0, n, 100):
        mapping, parent = {}, None
        for i in range(c, min(c + 100, n)):
            role = "user" if i % 2 == 0 else "assistant"
            mapping[f"n{i}"] = {"id": f"n{i}", "parent": parent, "children": [f"n{i + 1}"], "message": {
                "id": f"n{i}", "author": {"role": role}, "create_time": start + i * 60,
                "content": {"content_type": "text", "parts": [message(rng, i)]}, "metadata": {}}}
            parent = f"n{i}"
        mapping[parent]["children"] = []
        conversations.append({"id": f"c{c}", "title": f"Conversation {c // 100}", "create_time": start + c * 60,
                              "current_node": parent, "mapping": mapping})
    path.write_text(json.dumps(conversations))


def run(export: Path, mode: str, fmt: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="memcli-bench-import-") as home:
        Path(home, "config.toml").write_text('user = "bench"\n')
        env = {**os.environ, "MEMCLI_HOME": home, "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "memcli", "import", str(export), "--json"]
        command += ["--me", "Ana"] if fmt == "whatsapp" else []
        command += ["--raw"] if mode == "raw" else []
        started = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
            peak = 0
            while proc.poll() is None:
                peak = max(peak, high_water_kb(proc.pid))
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            if proc.returncode != 0:
                raise SystemExit(f"memcli import failed: {err.read().strip()}")
            report = json.loads(out.read())
    return {"format": fmt, "mode": mode, "messages": report["messages"], "memories": report["memories"],
            "facts": report["facts"], "seconds": round(seconds, 1),
            "per_s": round(report["messages"] / seconds), "peak_mb": round(peak / 1024)}


def high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--formats", default="whatsapp,chatgpt")
    parser.add_argument("--modes", default="raw,infer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.messages < 1:
        parser.error("--messages must be at least 1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="memcli-bench-exports-") as tmp:
        exports = {"whatsapp": Path(tmp) / "WhatsApp Chat with Ben.txt", "chatgpt": Path(tmp) / "conversations.json"}
        for fmt in args.formats.split(","):
            if fmt not in exports:
                parser.error(f"unknown format {fmt!r}: whatsapp or chatgpt")
            (whatsapp if fmt == "whatsapp" else chatgpt)(exports[fmt], args.messages)
            for mode in args.modes.split(","):
                rows.append(run(exports[fmt], mode, fmt))
    if args.json:
        print(json.dumps({"machine": machine(), "results": rows}, indent=2))
        return
    print(f"machine: {machine()}")
    print(table(["export", "mode", "new messages", "memories", "facts", "seconds", "messages/s", "peak memory MB"],
                [[r["format"], r["mode"], f"{r['messages']:,}", f"{r['memories']:,}", f"{r['facts']:,}",
                  str(r["seconds"]), str(r["per_s"]), f"{r['peak_mb']:,}"] for r in rows]))


if __name__ == "__main__":
    main()
