"""Building the chat model the config names (imports llama.cpp only when needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from memcli.models.llm import LLM


def make_llm(
    model: str,
    *,
    models_dir: Path,
    n_ctx: int = 0,
    threads: int = 2,
    config_hint: str = "the config",
    progress: Callable[[str, int, int], None] | None = None,
    model_dirs: tuple[Path, ...] = (),
) -> LLM:
    """Build and load the LLM named by ``model``: empty for the bundled Gemma,
    ``fake`` for the scripted test model, a name from ``memcli models`` (or a
    prefix of one), or a path to a GGUF file. ``n_ctx`` 0 sizes the context
    from the model."""
    if model == "fake":
        from memcli.models.scripted import ScriptedLLM

        return ScriptedLLM(n_ctx=n_ctx or 2048)
    from memcli.models.catalog import Places
    from memcli.models.loading import CATALOG_CACHE, ModelOpener

    opener = ModelOpener(Places.default(model_dirs, models_dir), models_dir,
                         cache_file=models_dir / CATALOG_CACHE, n_ctx=n_ctx, threads=threads,
                         config_hint=config_hint, progress=progress)
    return opener.load(opener.choose(model))
