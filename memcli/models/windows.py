"""A conversation's pieces embedded in shared windows ("late chunking").

Each kept sentence of a conversation is embedded with the words said before
it (its context). Embedded one by one, every sentence pays for its context
again: about 35 tokens through the model for a sentence of 13. Here the
pieces, in the order they were said, are laid end to end in windows of up
to :data:`WINDOW` tokens; the model runs once over each window, and a
piece's vector is the mean of the final token states over its context and
its own words (each context token weighing :data:`CONTEXT_WEIGHT`),
normalised. Every token is run once (plus a piece's context again where a
window starts), and each token's state has seen the whole
window, what came after it included: a sentence's vector depends on what
else was in the same call (a message added on its own sees only what came
before it). The vectors are in the space of the model's ordinary ones
(queries are embedded as always), a few hundredths of cosine apart from them.

A piece continues the window when its context ends where the previous piece
ended (the next sentence of the same talk); otherwise (something not kept
was said between them, such as the assistant's words) its context is put
into the window before it. A piece too long for a window is embedded on its
own, as before.

On the LoCoMo development six this made raw-mode ingestion faster at a
higher recall than one piece at a time (the window size and context weight
are in :mod:`memcli.base.tuning`; figures in docs/benchmarks.md). Where the
CPU multiplies 8-bit weights exactly the windows run through MiniLM with
8-bit weights (:mod:`memcli.models.cpu`), faster again at the same recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from memcli.base.text import embedding_input
from memcli.base.tuning import CONTEXT_WEIGHT, WINDOW

# WINDOW tokens per MiniLM pass (it was trained on inputs of up to 128). Each of a
# piece's context tokens weighs CONTEXT_WEIGHT in its vector against its own words'
# 1: the context says what a short line is about ("It's a mix of drama and
# romance!" after talk of a screenplay) but should not outweigh a line that says
# it all itself. The values and what chose them: memcli/base/tuning.py.


@dataclass
class Span:
    """Where a piece's vector is pooled from: ``window``'s tokens [start, end)."""

    window: int
    start: int
    end: int


def lay_out(pieces: Sequence[tuple[list[int], list[int], bool]], room: int) -> tuple[list[list[int]], list[Span | None]]:
    """Windows of token ids and each piece's span in them.

    ``pieces``: (context tokens, text tokens, whether the piece follows on
    from the one before) in order; ``room``: the tokens a window may hold
    besides its two special tokens. Spans count from the window's first
    token, [CLS] at 0. A piece that cannot fit a window gets ``None``.
    """
    windows: list[list[int]] = []
    spans: list[Span | None] = []
    current: list[int] = []
    for context, text, follows in pieces:
        if len(context) + len(text) > room:
            spans.append(None)
            continue
        # the previous piece must be the window's last words, not one embedded on its own
        follows = follows and bool(current) and spans[-1:] != [None]
        add = text if follows else context + text
        if len(current) + len(add) > room:
            windows.append(current)
            current, add = [], context + text
        text_start = len(current) + len(add) - len(text)
        current = current + add
        start = max(0, text_start - len(context))
        spans.append(Span(len(windows), start + 1, len(current) + 1))
    if current:
        windows.append(current)
    return windows, spans


def follows_on(context: str | None, previous: str | None) -> bool:
    """Whether a piece whose context is ``context`` was said right after the
    piece ``previous``: the context ends with the previous piece's last word."""
    if not context or not previous:
        return False
    last = previous.split()
    return bool(last) and context.split()[-1] == last[-1]


def embed_in_windows(pairs: Sequence[tuple[str | None, str]], tokenize: Callable[[list[str]], list[list[int]]],
                     states: Callable[[np.ndarray, np.ndarray], np.ndarray], specials: tuple[int, int],
                     alone: Callable[[list[str]], np.ndarray], dim: int, batch: int = 32,
                     window: int = WINDOW) -> np.ndarray:
    """Unit vectors for a conversation's pieces, ``pairs`` of (context, text)
    in the order said.

    ``tokenize`` gives token ids without special tokens; ``states`` runs the
    model on (ids, mask) and returns the last layer's token states;
    ``specials`` are the [CLS] and [SEP] ids; ``alone`` embeds texts one by
    one the ordinary way (for pieces too long for a window).
    """
    out = np.empty((len(pairs), dim), dtype=np.float32)
    if not pairs:
        return out
    contexts = tokenize([c or "" for c, _ in pairs])
    texts = tokenize([t for _, t in pairs])
    follows = [i > 0 and follows_on(pairs[i][0], pairs[i - 1][1]) for i in range(len(pairs))]
    windows, spans = lay_out(list(zip(contexts, texts, follows)), window - 2)
    cls, sep = specials
    by_window: list[list[int]] = [[] for _ in windows]
    for i, span in enumerate(spans):
        if span is not None:
            by_window[span.window].append(i)
    order = sorted(range(len(windows)), key=lambda k: len(windows[k]))
    for first in range(0, len(order), batch):
        rows = order[first: first + batch]
        length = max(len(windows[k]) for k in rows) + 2
        ids = np.zeros((len(rows), length), dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.int64)
        for r, k in enumerate(rows):
            tokens = [cls, *windows[k], sep]
            ids[r, : len(tokens)] = tokens
            mask[r, : len(tokens)] = 1
        got = states(ids, mask)
        # pooled batch by batch: a long import's token states are never all held at once
        for r, k in enumerate(rows):
            for i in by_window[k]:
                span = spans[i]
                assert span is not None
                own = span.end - len(texts[i])
                vector = CONTEXT_WEIGHT * got[r, span.start: own].sum(0) + got[r, own: span.end].sum(0)
                out[i] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    long = [i for i, span in enumerate(spans) if span is None]
    if long:
        out[long] = alone([embedding_input(pairs[i][1], pairs[i][0]) for i in long])
    return out
