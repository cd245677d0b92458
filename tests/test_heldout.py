"""Held-out labelled files are frozen once scored: bench/heldout.json records each
one's sha256, and any edit fails here."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_frozen_held_out_file_is_unchanged() -> None:
    frozen = json.loads((ROOT / "bench" / "heldout.json").read_text())["files"]
    assert frozen
    for name, entry in frozen.items():
        data = (ROOT / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{name} was edited after it was frozen"
        date.fromisoformat(entry["frozen"])
        assert entry["status"] in ("held out", "spent")
        assert entry["status"] == "held out" or entry["why_spent"]


def test_every_file_called_held_out_is_frozen() -> None:
    frozen = json.loads((ROOT / "bench" / "heldout.json").read_text())["files"]
    named = {str(p.relative_to(ROOT)) for folder in ("bench", "tests")
             for p in (ROOT / folder).rglob("*") if p.is_file() and "heldout" in p.name and p.suffix in (".tsv", ".txt", ".json") and p.name != "heldout.json"}
    assert named == set(frozen)
