"""A scripted LLM for tests and demos: deterministic, instant, no model file.

It records every prompt it receives (``prompts``), so tests can assert what
the memory router put in front of the model. Its answer is the next scripted
reply, or, when the script is empty, a line that echoes the memories it was
given, so a conversation through the CLI shows what the model saw.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

from memcli.models.llm import ChatMessage

Reply = str | Callable[[str], str] | BaseException


class ScriptedLLM:
    id = "scripted"
    has_chat_template = False

    def __init__(self, replies: Sequence[Reply] = (), *, n_ctx: int = 2048, chat_template: bool = False) -> None:
        self.replies = list(replies)
        self.n_ctx = n_ctx
        self.has_chat_template = chat_template
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        # about what a BPE tokenizer gives for English: words plus punctuation
        return len(re.findall(r"\w+|[^\w\s]", text))

    def _answer(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.replies:
            reply = self.replies.pop(0)
            if isinstance(reply, BaseException):
                raise reply
            return reply(prompt) if callable(reply) else reply
        remembered = [re.sub(r'^(?:\d{4}-\d\d-\d\d(?:, the user said)?: )?"?(.*?)"?$', r"\1", line)
                      for line in re.findall(r"^- (.*)$", prompt, flags=re.M)]
        if remembered:
            return "I remember: " + "; ".join(remembered[:8])
        return "I don't know anything about that yet."

    def stream_completion(
        self, prompt: str, *, max_tokens: int, temperature: float, stop: Sequence[str]
    ) -> Iterator[str]:
        yield from chunk_text(self._answer(prompt))[:max_tokens]

    def generate_json(self, prompt: str, schema: dict[str, object], *, max_tokens: int, timeout_s: float | None) -> str:
        """The next scripted reply; a reply that is an exception instance is raised
        (e.g. ``TimeoutError()`` to play a model that never finishes)."""
        self.prompts.append(prompt)
        if not self.replies:
            return '{"facts": []}'
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply(prompt) if callable(reply) else reply

    def stream_chat(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Iterator[str]:
        flat = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
        yield from chunk_text(self._answer(flat))[:max_tokens]


def chunk_text(text: str) -> list[str]:
    """Split text into word-sized pieces, the way a tokenizer would stream it."""
    return re.findall(r"\s*\S+", text)
