"""Tuned numbers live in memcli/base/tuning.py, each with what chose it, and
nowhere else does a code comment carry a benchmark figure."""

from __future__ import annotations

import io
import re
import tokenize
from datetime import date
from pathlib import Path

import memcli
from memcli.base import tuning

PACKAGE = Path(memcli.__file__).parent


def test_every_tuned_constant_says_what_chose_it() -> None:
    constants = {name for name, value in vars(tuning).items()
                 if name.isupper() and not name.startswith("_") and isinstance(value, (int, float))}
    assert constants == set(tuning.CHOSEN_BY)
    for name, choice in tuning.CHOSEN_BY.items():
        assert choice.data and choice.figure, name
        date.fromisoformat(choice.date)


def test_the_migrations_literal_keyword_weight_is_the_tuned_one() -> None:
    text = (PACKAGE / "storage" / "migrations.py").read_text()
    weights = re.findall(r"bm25\(1\.0, 0\.0, ([0-9.]+)\)", text)
    assert weights and all(float(w) == tuning.KEYWORD_CONTEXT for w in weights)


def test_no_code_comment_carries_a_benchmark_figure() -> None:
    """A recall figure ("0.836", "0.798 -> 0.820") in a comment goes stale the day the
    code changes; it belongs in tuning.CHOSEN_BY or docs/benchmarks.md."""
    figure = re.compile(r"\b0\.\d{3}\b")
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "base" / "tuning.py":
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if tok.type == tokenize.COMMENT and figure.search(tok.string):
                found.append(f"{path.relative_to(PACKAGE)}:{tok.start[0]}: {tok.string.strip()}")
    assert found == []
