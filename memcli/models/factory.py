"""Building the chat model the config names (imports llama.cpp only when needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .llm import LLM


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
