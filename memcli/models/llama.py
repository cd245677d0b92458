"""llama-cpp-python behind the LLM protocol. ``llama_cpp`` is imported on
construction only, so nothing pays for it until a chat starts."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import ModelError
from .gguf import check_gguf
from .llm import ChatMessage


class LlamaCppLLM:
    """A GGUF model run by llama.cpp on the CPU."""

    def __init__(self, path: Path, *, n_ctx: int = 2048, threads: int = 2, config_hint: str = "the config") -> None:
        check_gguf(path, config_hint)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError("llama-cpp-python is not installed (pip install llama-cpp-python)") from None
        try:
            with quiet_stderr(), _without_amx_buffers():
                self._llm: Any = Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                    verbose=False, seed=0,
                )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp cannot load {path}: {exc}; set [chat] model in {config_hint}") from None
        self.path = path
        self.id = path.name
        self.n_ctx = n_ctx
        template = self._llm.metadata.get("tokenizer.chat_template") if self._llm.metadata else None
        self.has_chat_template = bool(template)
        self._grammars: dict[str, Any] = {}

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream_completion(
        self, prompt: str, *, max_tokens: int, temperature: float, stop: Sequence[str]
    ) -> Iterator[str]:
        for chunk in self._llm.create_completion(
            prompt, max_tokens=max_tokens, temperature=temperature, stop=list(stop), stream=True,
            repeat_penalty=1.1,
        ):
            text = chunk["choices"][0].get("text") or ""
            if text:
                yield text

    def stream_chat(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Iterator[str]:
        for chunk in self._llm.create_chat_completion(
            messages=list(messages), max_tokens=max_tokens, temperature=temperature, stream=True,
            repeat_penalty=1.1,
        ):
            delta = chunk["choices"][0].get("delta") or {}
            if delta.get("content"):
                yield delta["content"]


    def generate_json(self, prompt: str, schema: dict[str, Any], *, max_tokens: int, timeout_s: float | None) -> str:
        import json
        import time

        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        grammar = self._grammars.get(key)
        if grammar is None:
            with quiet_stderr():
                grammar = LlamaGrammar.from_json_schema(key, verbose=False)
            self._grammars[key] = grammar
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        pieces: list[str] = []
        for chunk in self._llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0,
                                                 grammar=grammar, stream=True):
            pieces.append(chunk["choices"][0].get("text") or "")
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"no complete answer within {timeout_s:.0f} s")
        return "".join(pieces)


@contextmanager
def _without_amx_buffers() -> Iterator[None]:
    """Load weights without llama.cpp's extra CPU buffer types when the build
    uses Intel AMX.

    Why: a llama.cpp built with -march=native on a CPU with AMX repacks Q4_K
    weights into AMX buffers, and its AMX matrix multiply then segfaults on the
    first decode (ggml-org/llama.cpp#20824; seen here with the bundled Gemma on
    a Xeon with amx_int8). pip caches the wheel it compiled, so an install-time
    flag cannot be relied on; switching the extra buffers off at load time can.
    Elsewhere (AVX2 machines, AMD) nothing changes."""
    import llama_cpp
    import llama_cpp.llama_cpp as api

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").replace(" ", "")
    default = getattr(api, "llama_model_default_params", None)
    if "AMX_INT8=1" not in info or default is None:
        yield
        return

    def params() -> Any:
        p = default()
        if hasattr(p, "use_extra_bufts"):
            p.use_extra_bufts = False
        return p

    api.llama_model_default_params = params
    try:
        yield
    finally:
        api.llama_model_default_params = default


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """llama.cpp writes notices straight to file descriptor 2, past Python's
    sys.stderr; silence them while the model loads (MEMCLI_DEBUG=1 keeps them)."""
    if os.environ.get("MEMCLI_DEBUG"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
