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
