"""The bundled all-MiniLM-L6-v2, loaded offline from its package: the real path."""

from __future__ import annotations

import numpy as np
import pytest

from memcli import Config, Memory
from memcli.models.minilm import MiniLMEmbedder

pytestmark = pytest.mark.real_models


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_vectors_are_unit_length_and_384_wide(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed(["I live in Busan", "My dog is called Pixel"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_search_by_meaning_without_shared_words(minilm: MiniLMEmbedder, tmp_path) -> None:
    with Memory(path=tmp_path / "m.db", config=Config(user="alice"), embedder=minilm) as m:
        m.add("I live in Busan, a port city in South Korea")
        m.add("My favourite dish is bibimbap")
        m.add("I have two cats")
        assert m.search("Which town is my home?", limit=1)[0].memory.startswith("I live in Busan")
        assert m.search("What food do I enjoy most?", limit=1)[0].memory == "My favourite dish is bibimbap"
        assert m.search("pets", limit=1)[0].memory == "I have two cats"


def test_the_numpy_forward_pass_gives_sentence_transformers_vectors(minilm: MiniLMEmbedder) -> None:
    """A few texts go through memcli's NumPy forward pass, batches through
    sentence-transformers: the vectors must be the same (stored vectors of one
    embedder id are compared with every query's)."""
    from memcli.models.minilm import SMALL_BATCH

    texts = ["Where do I live?", "hi", "I moved to Busan last month 🎉 and love the beach!!",
             "Caroline went to the LGBTQ support group on 7 May 2023.",
             " ".join(["a very long message about hiking in the mountains"] * 60)]  # past 256 tokens
    batch = texts * (SMALL_BATCH // len(texts) + 1)
    assert len(batch) > SMALL_BATCH
    reference = minilm.embed(batch)[: len(texts)]  # sentence-transformers
    small = np.stack([minilm.embed([t])[0] for t in texts])  # NumPy, one at a time
    assert np.abs(small - reference).max() < 1e-5
    assert np.allclose(minilm.embed(texts[:2]), reference[:2], atol=1e-5)
