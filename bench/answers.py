"""Answers, not only recall: LoCoMo questions asked through memcli's own chat, with
memory and without it, scored against the gold answers.

    python bench/answers.py [--data ../shared/data/locomo] [--model NAME] [--questions 200]
                            [--seed 7] [--memory both|with|without] [--json]

A fixed sample of questions (``--questions`` of the development six with
evidence, drawn with ``--seed``) is asked, each in a fresh chat session,
through :class:`memcli.chat.ChatSession` (the prompt path `memcli chat` uses:
profile, recalled memories, the line) of the model ``--model`` names (a name
from `memcli models`, a path to a GGUF, ``smollm2`` or empty for the bundled
Gemma), after the question's conversation was stored as given (raw mode, as
bench/locomo.py stores it). ``without`` asks the same model with memory off.
Scores, by category: LoCoMo's token F1 (lower case, punctuation and articles
out) and whether the gold answer is contained in the reply, with the prompt
tokens used. The machine's load changes the time, never the scores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import string
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from locomo import CATEGORIES, ingest  # noqa: E402
from machine import machine, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402

ARTICLES = re.compile(r"\b(a|an|the|and)\b")


def normalise(text: str) -> str:
    """LoCoMo's answer normalisation: lower case, no punctuation, no articles."""
    text = "".join(ch for ch in str(text).lower() if ch not in string.punctuation)
    return " ".join(ARTICLES.sub(" ", text).split())


def token_f1(reply: str, gold: str) -> float:
    said, want = normalise(reply).split(), normalise(gold).split()
    common = sum((Counter(said) & Counter(want)).values())
    if not said or not want or not common:
        return 0.0
    precision, recall = common / len(said), common / len(want)
    return 2 * precision * recall / (precision + recall)


def contains(reply: str, gold: str) -> bool:
    want = normalise(gold)
    return bool(want) and want in normalise(reply)


def sample(files: list[Path], n: int, seed: int) -> list[tuple[Path, dict[str, Any]]]:
    """``n`` questions with evidence (no category 5), the same for a seed."""
    every = [(path, q) for path in files for q in json.loads(path.read_text(encoding="utf-8"))["qa"]
             if q.get("category") in CATEGORIES and q.get("evidence") and str(q.get("answer", "")).strip()]
    return random.Random(seed).sample(every, min(n, len(every)))


def ask(files: list[Path], picked: list[tuple[Path, dict[str, Any]]], llm: Any, memory: bool,
        folder: Path) -> list[dict[str, Any]]:
    from memcli.chat import ChatSession

    config = Config(user="locomo", embedder="minilm", db=str(folder / f"answers-{memory}.db"))
    rows = []
    with Memory(config=config, llm=llm) as mem:
        for path in files:
            asked = [q for p, q in picked if p == path]
            if not asked:
                continue
            user = f"locomo-{path.stem}"
            if memory:
                ingest(mem, user, json.loads(path.read_text(encoding="utf-8")), False)
            for q in asked:
                chat = ChatSession(mem, llm, config.chat, user, use_memory=memory)
                started = time.perf_counter()
                reply = "".join(chat.turn(q["question"]))
                seconds = time.perf_counter() - started
                prompt_tokens = chat.last.prompt_tokens if chat.last else 0
                chat.close()
                rows.append({"conversation": path.stem, "category": CATEGORIES[q["category"]],
                             "question": q["question"], "gold": str(q["answer"]), "reply": reply,
                             "f1": token_f1(reply, str(q["answer"])), "contains": contains(reply, str(q["answer"])),
                             "prompt_tokens": prompt_tokens, "seconds": seconds})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_cat[r["category"]].append(r)

    def score(rs: list[dict[str, Any]]) -> dict[str, float]:
        return {"questions": len(rs), "f1": statistics.mean(r["f1"] for r in rs) if rs else 0.0,
                "contains": statistics.mean(1.0 if r["contains"] else 0.0 for r in rs) if rs else 0.0,
                "prompt_tokens": statistics.mean(r["prompt_tokens"] for r in rs) if rs else 0.0}

    return {"all": score(rows), "by_category": {c: score(v) for c, v in sorted(by_cat.items())},
            "seconds_per_question": statistics.mean(r["seconds"] for r in rows) if rows else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "locomo")
    parser.add_argument("--model", default="smollm2", help="a model name, a GGUF path, or '' for the bundled Gemma")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory", choices=["both", "with", "without"], default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.questions < 1:
        parser.error("--questions must be at least 1")
    files = sorted(args.data.glob("*.json"))
    if not files:
        parser.error(f"no conversations in {args.data}")
    from memcli.models.factory import make_llm

    llm = make_llm(args.model, models_dir=Config().models_dir)
    picked = sample(files, args.questions, args.seed)
    modes = {"both": [True, False], "with": [True], "without": [False]}[args.memory]
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="memcli-answers-") as tmp:
            for memory in modes:
                rows = ask(files, picked, llm, memory, Path(tmp))
                results["with memory" if memory else "without memory"] = {"summary": summary(rows), "rows": rows}
    finally:
        # freed now, not at interpreter exit, where llama.cpp's teardown can crash the process
        close = getattr(llm, "close", None)
        if close is not None:
            close()
    report = {"machine": machine(), "model": args.model or "gemma3-270m (bundled)", "questions": len(picked),
              "seed": args.seed, "results": {k: v["summary"] for k, v in results.items()}}
    if args.json:
        print(json.dumps({**report, "rows": {k: v["rows"] for k, v in results.items()}}, indent=2))
        return
    print(f"machine: {report['machine']}")
    print(f"model: {report['model']}; {len(picked)} questions (seed {args.seed}) of {', '.join(f.name for f in files)}")
    head = ["memory", "category", "questions", "token F1", "contains gold", "prompt tokens"]
    lines = []
    for mode, res in report["results"].items():
        for cat, s in [("all", res["all"]), *res["by_category"].items()]:
            lines.append([mode, cat, str(s["questions"]), f"{s['f1']:.3f}", f"{s['contains']:.3f}",
                          f"{s['prompt_tokens']:.0f}"])
    print(table(head, lines))


if __name__ == "__main__":
    main()
