"""Deterministic stand-ins for tests: an embedder whose similarity tracks shared
words, and (in :mod:`memcli.models.scripted`) an LLM that answers from a script."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the is are was were be been am i you he she it we they my your his her its our their "
    "to of in on at for and or but with do does did what where when who how which that this "
    "me us them so as by from".split()
)


def _bucket(token: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


def _stem(word: str) -> str:
    """Crude plural/verb-s folding so "lives" meets "live" and "dogs" meets "dog"."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class HashEmbedder:
    """Hashed bag of words, word bigrams and character trigrams.

    Texts that share content words land close together; unrelated texts are
    nearly orthogonal. Stop words are dropped so "Where do I live?" still
    matches "I live in Busan" mostly through "live". Deterministic across runs
    and machines (blake2b, not Python's salted ``hash``).
    """

    id = "fake-hash-v1"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        words = [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]
        features: list[tuple[str, float]] = [(w, 1.0) for w in words]
        features += [(a + " " + b, 0.5) for a, b in zip(words, words[1:])]
        for w in words:
            padded = f"#{w}#"
            features += [("3:" + padded[i : i + 3], 0.25) for i in range(len(padded) - 2)]
        for token, weight in features:
            slot, sign = _bucket(token, self.dim)
            vec[slot] += sign * weight
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            # Texts with no content words still need a valid unit vector.
            slot, sign = _bucket("<empty>" + text, self.dim)
            vec[slot] = sign
            norm = 1.0
        return vec / norm

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32, copy=False)
