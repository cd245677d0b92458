"""Whether an instruction-tuned chat model earns the work the rules do, measured once per model file.

``extractor = "auto"`` and ``summaries = "auto"`` do not trust a model for
having a chat template. The first time such a model is used, it is scored on
a small calibration set shipped in the package, beside the rules and the
extractive summary:

- extraction: the lines of ``memcli/extract/calibration.tsv`` (statements
  the rules find hard, and questions, hypotheticals and other people's news
  that must yield nothing), scored as ``bench/bench_extraction.py`` scores
  (precision, recall, F1); the model's facts pass through the same grounding
  check as in use. The model is used for extraction only if its F1 beats the
  rules' and its precision is at least 0.9.
- summaries: a few short conversations; a summary is scored on how much of
  it the person's own lines support (grounding) and how many of the
  conversation's key words it keeps (coverage). The model writes summaries
  only if it is grounded (0.8 or more) and covers more than the extractive
  summary does.

The verdict is cached by the model file's sha256 in the data folder
(``models/verdicts.json``); ``memcli config`` shows it. Models without a
file (the scripted test model) are measured once per process.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

Progress = Callable[[str, int, int], None]
CALIBRATION_LINES = Path(__file__).parent / "extract" / "calibration.tsv"
# (what the person said, what the assistant said, the words a summary should keep)
SUMMARY_CASES = [
    (["I just got back from Lisbon.", "We ate so many custard tarts.", "My sister Ana came along too."],
     ["Sounds like a great trip!", "Custard tarts are the best."], ["lisbon", "custard", "ana"]),
    (["I started a pottery class on Tuesdays.", "My first bowl came out wonky but I love it."],
     ["Wonky bowls have character!"], ["pottery", "bowl", "tuesday"]),
    (["I'm training for the Berlin marathon.", "My knee has been sore after long runs."],
     ["Rest is important.", "Have you seen a physio?"], ["berlin", "marathon", "knee"]),
]
LLM_PRECISION_FLOOR = 0.9
GROUNDED_FLOOR = 0.8


@dataclass
class Verdict:
    """What a model was scored, and what memcli will use it for."""

    model: str
    key: str
    extraction: dict[str, Any]  # {"llm": scores, "rules": scores, "use": "llm" | "rules"}
    summaries: dict[str, Any]  # {"llm": scores, "extractive": scores, "use": "llm" | "extractive"}
    measured_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_key(llm: Any) -> str:
    """The sha256 of the model's file (a model without one: its id)."""
    path = getattr(llm, "path", None)
    if path is None or not Path(path).is_file():
        return f"id:{getattr(llm, 'id', type(llm).__name__)}"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def cached(cache_file: Path | None, key: str) -> Verdict | None:
    if cache_file is None or not cache_file.exists():
        return None
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8")).get(key)
        return Verdict(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None  # a damaged cache is measured again


def store(cache_file: Path, verdict: Verdict) -> None:
    from .files import write_private

    try:
        known = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    except (OSError, ValueError):
        known = {}
    known = known if isinstance(known, dict) else {}
    known[verdict.key] = verdict.to_dict()
    write_private(cache_file, json.dumps(known, indent=2, sort_keys=True).encode("utf-8"))


def measure(llm: Any, key: str, progress: Progress | None = None) -> Verdict:
    """Score the model on the calibration set, beside the rules and the extractive summary."""
    from .episodes import extractive_summary, llm_summary
    from .extract.evaluate import evaluate, load
    from .extract.llm import LLMExtractor
    from .extract.rules import RulesExtractor
    from .grounding import content, stem, support

    examples = load(CALIBRATION_LINES)
    steps = len(examples) + len(SUMMARY_CASES)

    class Counting(LLMExtractor):
        done = 0

        def extract(self, text: str, said_at: datetime, *, speaker: str | None = None) -> list[Any]:
            facts = super().extract(text, said_at, speaker=speaker)
            Counting.done += 1
            if progress:
                progress("measuring the model", Counting.done, steps)
            return facts

    model = evaluate(Counting(llm, fallback=None, timeout_s=None, max_tokens=300), examples)["overall"]
    rules = evaluate(RulesExtractor(), examples)["overall"]

    def scores(s: Any) -> dict[str, float]:
        f1 = 2 * s.precision * s.recall / (s.precision + s.recall) if s.precision + s.recall else 0.0
        return {"precision": round(s.precision, 3), "recall": round(s.recall, 3), "f1": round(f1, 3)}

    extraction = {"llm": scores(model), "rules": scores(rules)}
    extraction["use"] = ("llm" if extraction["llm"]["f1"] > extraction["rules"]["f1"]
                         and extraction["llm"]["precision"] >= LLM_PRECISION_FLOOR else "rules")

    def coverage(text: str, keys: list[str]) -> float:
        found = content(text)
        return sum(1 for k in keys if stem(k) in found) / len(keys)

    grounded, covered, plain = [], [], []
    for n, (said, answered, keys) in enumerate(SUMMARY_CASES, start=1):
        rows = [("user", line) for line in said] + [("assistant", line) for line in answered]
        summary = llm_summary(llm, rows) or ""
        grounded.append(support(summary, " ".join(said)) if summary else 0.0)
        covered.append(coverage(summary, keys))
        plain.append(coverage(extractive_summary(said, lambda s: s) or "", keys))
        if progress:
            progress("measuring the model", len(examples) + n, steps)
    summaries: dict[str, Any] = {
        "llm": {"grounded": round(sum(grounded) / len(grounded), 3), "coverage": round(sum(covered) / len(covered), 3)},
        "extractive": {"grounded": 1.0, "coverage": round(sum(plain) / len(plain), 3)},
    }
    summaries["use"] = ("llm" if summaries["llm"]["grounded"] >= GROUNDED_FLOOR
                        and summaries["llm"]["coverage"] > summaries["extractive"]["coverage"] else "extractive")
    return Verdict(model=str(getattr(llm, "id", "model")), key=key, extraction=extraction, summaries=summaries,
                   measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def verdict_for(llm: Any, cache_file: Path | None, progress: Progress | None = None) -> Verdict:
    """The model's verdict: from the cache, or measured now (and cached)."""
    key = model_key(llm)
    found = cached(cache_file, key)
    if found is not None:
        return found
    verdict = measure(llm, key, progress)
    if cache_file is not None and not key.startswith("id:"):
        store(cache_file, verdict)
    return verdict
