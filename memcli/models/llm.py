"""The LLM protocol, and the factory that builds one from the config.

Two prompt styles exist because small local models differ: an instruction-
tuned GGUF carries a chat template and is driven with chat messages; a base
model (the bundled Gemma 3 270M has no template) answers best to a plain
transcript that stops at the next "User:" line.
"""

from __future__ import annotations

from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

ChatMessage = dict[str, str]  # {"role": ..., "content": ...}


@runtime_checkable
class LLM(Protocol):
    """A local language model that streams text."""

    id: str
    n_ctx: int
    has_chat_template: bool

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's own tokenizer."""
        ...

    def stream_completion(
        self, prompt: str, *, max_tokens: int, temperature: float, stop: Sequence[str]
    ) -> Iterator[str]:
        """Continue ``prompt``; yield text pieces as they are generated."""
        ...

    def stream_chat(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        """Answer ``messages`` through the model's chat template; yield text pieces."""
        ...

    def generate_json(self, prompt: str, schema: dict[str, Any], *, max_tokens: int, timeout_s: float | None) -> str:
        """Complete ``prompt`` with JSON that the grammar of ``schema`` allows;
        raise TimeoutError past ``timeout_s``."""
        ...
