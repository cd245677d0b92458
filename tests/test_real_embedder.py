"""The bundled all-MiniLM-L6-v2, loaded offline from its package: the real path."""

from __future__ import annotations

import numpy as np
import pytest

from memcli import Config, Memory
from memcli.models.minilm import MiniLMEmbedder
from memcli.base.text import without_emoji

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


TEXTS = ["Where do I live?", "hi", "I moved to Busan last month 🎉 and love the beach!!",
         "Caroline went to the LGBTQ support group on 7 May 2023.",
         " ".join(["a very long message about hiking in the mountains"] * 60)]  # past 256 tokens
EMBEDDED = [without_emoji(t) for t in TEXTS]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """sentence-transformers' vectors for what memcli embeds of TEXTS (their
    emoji left out): what the model's card defines."""
    from sentence_transformers import SentenceTransformer

    from memcli.models.minilm import bundled_model_dir

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    return model.encode(EMBEDDED, normalize_embeddings=True, convert_to_numpy=True)


def test_memcli_vectors_are_sentence_transformers_vectors(minilm: MiniLMEmbedder, reference: np.ndarray) -> None:
    """memcli runs the model on ONNX Runtime: one at a time (queries) and in a
    batch (imports) the vectors must be sentence-transformers' (stored vectors
    of one embedder id are compared with every query's)."""
    from memcli.models.minilm import SMALL_BATCH

    one_by_one = np.stack([minilm.embed([t])[0] for t in TEXTS])
    assert np.abs(one_by_one - reference).max() < 1e-5
    batch = TEXTS * (SMALL_BATCH // len(TEXTS) + 1)
    assert len(batch) > SMALL_BATCH
    batched = minilm.embed(batch)
    for copy in range(len(batch) // len(TEXTS)):
        assert np.abs(batched[copy * len(TEXTS): (copy + 1) * len(TEXTS)] - reference).max() < 1e-5


def test_the_numpy_fallback_gives_the_same_vectors(reference: np.ndarray) -> None:
    """Where onnxruntime is missing, queries run through the NumPy forward pass."""
    from memcli.models.bert_numpy import BertWeights, NumpyBert
    from memcli.models.minilm import bundled_model_dir

    numpy_bert = NumpyBert(BertWeights(bundled_model_dir()))
    assert np.abs(numpy_bert.encode(EMBEDDED[:2]) - reference[:2]).max() < 1e-5
    assert np.abs(np.stack([numpy_bert.encode([t])[0] for t in EMBEDDED]) - reference).max() < 1e-5


def test_without_onnxruntime_the_embedder_falls_back(monkeypatch: pytest.MonkeyPatch,
                                                     reference: np.ndarray) -> None:
    """A machine without onnxruntime still embeds: queries on NumPy, batches on
    sentence-transformers, the same vectors."""
    import sys

    from memcli.models.minilm import SMALL_BATCH

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    fallback = MiniLMEmbedder()
    assert np.abs(fallback.embed(TEXTS[:1]) - reference[:1]).max() < 1e-5
    batch = TEXTS * (SMALL_BATCH // len(TEXTS) + 1)
    assert np.abs(fallback.embed(batch)[: len(TEXTS)] - reference).max() < 1e-5
    # a conversation's pieces, each embedded with its context (no shared windows without ONNX Runtime)
    pairs = [(None, TEXTS[2]), (TEXTS[2], TEXTS[3])]
    assert np.abs(fallback.embed_conversation(pairs)
                  - fallback.embed([TEXTS[2], f"{TEXTS[2]} {TEXTS[3]}"])).max() < 1e-5


CONVERSATION = [("Mina", "I'm Mina. I just moved to Busan last month."), ("Jun", "Oh nice! How do you like it?"),
                ("Mina", "I love the beach there. My dog Biscuit runs on the sand every morning."),
                ("Jun", "That sounds fun. I started learning the guitar."),
                ("Mina", "Cool! I work night shifts as a nurse, so mornings are free."),
                ("Jun", "I'm visiting my parents in Daegu next week.")]


def test_a_conversation_embedded_in_windows_stays_beside_its_pieces(minilm: MiniLMEmbedder) -> None:
    """Pieces of a conversation share windows (memcli.models.windows); each
    vector stays close to its piece embedded alone with its context (0.80 to
    0.99 here), nearest to it or to a neighbour whose context overlaps it."""
    from memcli.base.text import lead_in, split_sentences

    pairs, said = [], ""
    for name, text in CONVERSATION:
        for sentence in split_sentences(text):
            pairs.append((lead_in(said) or None, f"{name}: {sentence}"))
            said = f"{said} {name}: {sentence}"
    windowed = minilm.embed_conversation(pairs)
    alone = minilm.embed([f"{c} {t}" if c else t for c, t in pairs])
    assert windowed.shape == alone.shape and np.allclose(np.linalg.norm(windowed, axis=1), 1.0, atol=1e-5)
    similar = windowed @ alone.T
    assert (np.diag(similar) > 0.7).all()
    assert all(abs(int(nearest) - i) <= 2 for i, nearest in enumerate(np.argmax(similar, axis=1)))


def test_a_conversation_added_with_the_real_embedder_is_found_by_meaning(minilm: MiniLMEmbedder,
                                                                         tmp_path) -> None:
    messages = [{"role": "user", "name": name, "content": text} for name, text in CONVERSATION]
    with Memory(path=tmp_path / "m.db", config=Config(user="mina"), embedder=minilm) as m:
        m.add(messages, infer=False)
        assert "Busan" in " ".join(r.memory for r in m.search("Which city is Mina's home now?", limit=2))
        assert "guitar" in " ".join(r.memory for r in m.search("What instrument is Jun learning?", limit=3))
        # by meaning alone: "Where are Jun's parents?" puts it 3rd or 4th of nine by the weights' rounding
        # (every Jun line matches "Jun", and fusion counts ranks, not how much of the query matched)
        assert "Daegu" in m.search("Which family members will someone visit?", limit=1)[0].memory


@pytest.mark.parametrize("form", ["int8", "uint8"])
def test_8bit_windows_give_each_piece_nearly_its_float32_vector(minilm: MiniLMEmbedder, form: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the CPU multiplies 8-bit weights exactly, conversations run
    through them (memcli.models.cpu: signed with VNNI, unsigned with AVX2
    alone; both forms run here whatever the CPU); each piece's vector stays
    by its float32 one, and nearest to it."""
    from memcli.models import cpu
    from memcli.base.text import lead_in, split_sentences

    monkeypatch.setattr(cpu, "cpu_int8_form", lambda: form)

    pairs, said = [], ""
    for name, text in CONVERSATION:
        for sentence in split_sentences(text):
            pairs.append((lead_in(said) or None, f"{name}: {sentence}"))
            said = f"{said} {name}: {sentence}"
    monkeypatch.setenv("MEMCLI_INT8", "0")
    full = minilm.embed_conversation(pairs)
    monkeypatch.setenv("MEMCLI_INT8", "1")
    eight = minilm.embed_conversation(pairs)
    assert not np.array_equal(full, eight)  # the 8-bit graph did run
    similar = eight @ full.T
    assert (np.diag(similar) > 0.97).all()
    assert list(np.argmax(similar, axis=1)) == list(range(len(pairs)))


def test_search_embeds_on_its_worker_and_ranks_as_the_sequential_path(minilm: MiniLMEmbedder, tmp_path) -> None:
    # The real embedder declares itself concurrent: Memory.search embeds the
    # query beside the keyword side; the ranking must be search_vector's.
    assert minilm.concurrent
    with Memory(path=tmp_path / "m.db", config=Config(user="alice"), embedder=minilm) as m:
        m.add([{"role": "user", "content": text} for text in [
            "I live in Busan, a port city in South Korea", "My sister recommended a bakery near the harbour",
            "I have two cats called Miso and Tofu", "I play tennis on Sundays with my sister"]])
        for query in ["what did my sister recomend", "Which town is my home?", "cats"]:
            together = [(h.id, h.score) for h in m.search(query, limit=3)]
            apart = [(h.id, h.score) for h in m.search_vector(minilm.embed([query])[0], "alice", limit=3, text=query)]
            assert together == apart and together


def test_the_query_benchmark_runs_and_prints_its_table(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "bench" / "bench_query.py"
    out = subprocess.run([sys.executable, str(script), "--memories", "40", "--queries", "3", "--hogs", "0"],
                         capture_output=True, text=True, check=True).stdout
    [row] = [line for line in out.splitlines() if line.startswith("| 0 ")]
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    assert len(cells) == 8
    for cell in cells:
        p50, p95 = (float(x) for x in cell.split(" / "))
        assert 0 < p50 <= p95


def test_emoji_leave_a_vector_as_it_is(minilm: MiniLMEmbedder) -> None:
    """MiniLM reads every emoji as one unknown token: they are left out of what
    is embedded, unless a message is nothing else."""
    plain, decorated, only = minilm.embed(["so proud of you see you soon", "so proud of you 😍🎉 see you soon",
                                           "😂😂"])
    assert float(plain @ decorated) > 0.9999
    assert np.isfinite(only).all() and abs(float(np.linalg.norm(only)) - 1.0) < 1e-5
    windowed = minilm.embed_conversation([(None, "Jo: so proud of you 😍🎉"), ("Jo: so proud of you 😍🎉", "Mel: 😂😂")])
    assert np.isfinite(windowed).all() and np.allclose(np.linalg.norm(windowed, axis=1), 1.0, atol=1e-5)
