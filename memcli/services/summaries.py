"""A conversation in one sentence: by a chat model, or from the person's own sentences."""

from __future__ import annotations

from typing import Any

from memcli.base.text import split_sentences, worth_remembering


def llm_summary(llm: Any, rows: list[tuple[str, str]]) -> str | None:
    """One sentence about the user by a chat model, from (role, text) lines; None on failure."""
    transcript = "\n".join(f"{role}: {text}" for role, text in rows[-40:])
    try:
        text = "".join(llm.stream_chat(
            [{"role": "system", "content": "Summarise this conversation in one sentence about the user."},
             {"role": "user", "content": transcript}], max_tokens=80, temperature=0.0))
    except Exception:  # noqa: BLE001 - a summary is optional; fall back to the extractive one
        return None
    return " ".join(text.split())[:300] or None


def extractive_summary(lines: list[str], storable: Any) -> str | None:
    """"Talked about: ..." from the person's own sentences (the first four worth
    keeping, 14 words each), or None."""
    picked = []
    for line in lines:
        for sentence in split_sentences(line):
            kept = storable(sentence) if worth_remembering(sentence) else None
            if kept:
                picked.append(" ".join(kept.split()[:14]))
    return "Talked about: " + "; ".join(picked[:4]) if picked else None
