"""The LLM protocol, and the factory that builds one from the config.

Two prompt styles exist because small local models differ: an instruction-
tuned GGUF carries a chat template and is driven with chat messages; a base
model (the bundled Gemma 3 270M has no template) answers best to a plain
transcript that stops at the next "User:" line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence, runtime_checkable

from ..errors import ModelError

Message = dict[str, str]


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
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        """Answer ``messages`` through the model's chat template; yield text pieces."""
        ...

    def generate_json(self, prompt: str, schema: dict[str, Any], *, max_tokens: int, timeout_s: float) -> str:
        """Complete ``prompt`` with JSON that the grammar of ``schema`` allows;
        raise TimeoutError past ``timeout_s``."""
        ...


def make_llm(
    model: str,
    *,
    models_dir: Path,
    n_ctx: int,
    threads: int,
    config_hint: str,
    progress: Callable[[str, int, int], None] | None = None,
) -> LLM:
    """Build the LLM named by ``model``: empty for the bundled Gemma, ``fake`` for
    the scripted test model, otherwise a path to a GGUF file."""
    if model == "fake":
        from .scripted import ScriptedLLM

        return ScriptedLLM(n_ctx=n_ctx)
    from .llama import LlamaCppLLM

    if not model:
        from .bundled import ensure_bundled_model

        path = ensure_bundled_model(models_dir, progress)
    else:
        path = Path(model).expanduser()
    return LlamaCppLLM(path, n_ctx=n_ctx, threads=threads, config_hint=config_hint)


def check_gguf(path: Path, config_hint: str) -> None:
    """Fail early, with a message that says how to fix it, unless ``path`` is a GGUF file."""
    fix = f"set [chat] model in {config_hint} (or pass --model PATH) to a .gguf file"
    if not path.exists():
        raise ModelError(f"model file {path} does not exist; {fix}")
    if path.is_dir():
        raise ModelError(f"model path {path} is a folder; {fix}")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}; {fix}") from None
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file; {fix}")


def chunk_text(text: str) -> Any:
    """Split text into word-sized pieces, the way a tokenizer would stream it."""
    import re

    return re.findall(r"\s*\S+", text)
