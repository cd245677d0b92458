"""A fake embedder that notes what it is given, for tests of what gets embedded."""

from __future__ import annotations

from memcli.models.fake import HashEmbedder


class RecordingEmbedder(HashEmbedder):
    """The fake embedder, noting each text it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts += list(texts)
        return super().embed(texts)
