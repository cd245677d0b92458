"""A conversation's pieces embedded in shared windows: where each piece's
vector is pooled from. The model here is a stand-in whose token states are
the tokens themselves (one-hot), so a piece's vector says exactly which
tokens it was pooled over."""

from __future__ import annotations

import numpy as np

from memcli.models.windows import CONTEXT_WEIGHT, WINDOW, embed_in_windows

DIM = 64
CLS, SEP = 1, 2


def tokenize(texts: list[str]) -> list[list[int]]:
    return [[VOCAB.setdefault(word, len(VOCAB) + 3) for word in text.split()] for text in texts]


VOCAB: dict[str, int] = {}
RUNS: list[np.ndarray] = []


def states(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    RUNS.append(ids.copy())
    return np.eye(DIM, dtype=np.float32)[ids % DIM] * mask[..., None]


def alone(texts: list[str]) -> np.ndarray:
    return np.full((len(texts), DIM), -1.0, dtype=np.float32)


def bag(text: str, context: str | None = None) -> np.ndarray:
    """The unit vector of a piece pooled over its context's tokens (each
    weighing CONTEXT_WEIGHT) and its own (each weighing 1)."""
    vector = np.zeros(DIM, dtype=np.float32)
    for words, weight in ((context or "", CONTEXT_WEIGHT), (text, 1.0)):
        for token in tokenize([words])[0]:
            vector[token % DIM] += weight
    return vector / np.linalg.norm(vector)


def embed(pairs: list[tuple[str | None, str]], window: int = WINDOW) -> np.ndarray:
    RUNS.clear()
    return embed_in_windows(pairs, tokenize, states, (CLS, SEP), alone, DIM, window=window)


def test_a_piece_that_follows_on_is_pooled_over_what_was_said_before_it_and_its_own_words() -> None:
    pairs = [(None, "Ann: I moved to Busan."),
             ("Ann: I moved to Busan.", "Ann: The sea is close."),
             ("to Busan. Ann: The sea is close.", "Bo: Lucky you!")]
    vectors = embed(pairs)
    assert np.allclose(vectors[0], bag("Ann: I moved to Busan."))
    assert np.allclose(vectors[1], bag("Ann: The sea is close.", "Ann: I moved to Busan."))
    # its context is seven words: the seven laid before it in the window
    assert np.allclose(vectors[2], bag("Bo: Lucky you!", "to Busan. Ann: The sea is close."))
    assert len(RUNS) == 1 and RUNS[0].shape[0] == 1  # one window, every token run once
    assert list(RUNS[0][0][[0, -1]]) == [CLS, SEP]


def test_a_piece_after_words_that_were_not_kept_gets_its_own_context() -> None:
    pairs = [(None, "Ann: I moved to Busan."),
             ("Ann: I moved to Busan. Assistant: How exciting!", "Ann: It is lovely.")]
    vectors = embed(pairs)
    assert np.allclose(vectors[1], bag("Ann: It is lovely.", "Ann: I moved to Busan. Assistant: How exciting!"))
    assert RUNS[0][0].tolist().count(VOCAB["exciting!"]) == 1


def test_windows_keep_to_their_size_and_a_new_window_starts_with_the_context() -> None:
    said, pairs = "", []
    for n in range(40):
        text = f"Ann: sentence number{n} here."
        pairs.append((" ".join(said.split()[-6:]) or None, text))
        said = f"{said} {text}"
    vectors = embed(pairs, window=24)
    assert all(len(row) <= 24 for run in RUNS for row in run)
    assert sum(len(run) for run in RUNS) > 1
    for (context, text), vector in zip(pairs, vectors):  # every piece pooled over its context and words
        assert np.allclose(vector, bag(text, context))


def test_a_piece_too_long_for_a_window_is_embedded_on_its_own_and_the_order_is_kept() -> None:
    long = "Ann: " + " ".join(f"w{n}" for n in range(30))
    pairs = [(None, "Ann: hello there."), ("Ann: hello there.", long), ("w28 w29", "Bo: wow.")]
    vectors = embed(pairs, window=24)
    assert np.allclose(vectors[1], -1.0)
    assert np.allclose(vectors[0], bag("Ann: hello there."))
    # the long piece is not in the window, so the next one brings its context
    assert np.allclose(vectors[2], bag("Bo: wow.", "w28 w29"))


def test_a_piece_weighs_its_context_less_than_its_own_words() -> None:
    vectors = embed([(None, "Ann: I moved to Busan."), ("Ann: I moved to Busan.", "Ann: Sea air!")])
    weights = {word: vectors[1][VOCAB[word] % DIM] for word in ("Busan.", "Sea", "air!")}
    assert 0 < CONTEXT_WEIGHT < 1
    assert np.isclose(weights["Busan."], CONTEXT_WEIGHT * weights["Sea"]) and np.isclose(weights["Sea"], weights["air!"])
