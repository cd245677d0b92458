"""The embedder protocol and the factory that picks an implementation by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

from memcli.base.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    ``id`` names the model and its version; it is stored beside every vector so
    an index or an import can tell whether vectors are comparable.

    An embedder may also offer ``embed_conversation(pairs)``: vectors for a
    conversation's pieces, (context, text) in the order said, in the same
    space as ``embed``'s (the bundled MiniLM embeds them in shared windows:
    :mod:`memcli.models.windows`). Without it each piece's context and text
    are embedded together with ``embed``.

    An embedder whose ``concurrent`` attribute is true may be called from a
    worker thread while the caller reads the database (a search embeds its
    query while it looks up the query's keywords): worth it when its work
    releases the GIL.
    """

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """Return an array of shape (len(texts), dim), float32, unit length rows."""
        ...


def make_embedder(name: str) -> Embedder:
    """Build the embedder named in the config: ``minilm`` or ``fake``."""
    if name == "fake":
        from memcli.models.fake import HashEmbedder

        return HashEmbedder()
    if name == "minilm":
        from memcli.models.minilm import MiniLMEmbedder

        return MiniLMEmbedder()
    raise ConfigError(f"unknown embedder {name!r} (choose 'minilm' or 'fake')")
