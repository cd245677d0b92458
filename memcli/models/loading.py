"""From a model name in the config (or on the command line) to a loaded model:
resolve the name, check from the header that the file can be used, size the
context from the model and the free memory, and load it, in the background
when a REPL should not wait for it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from memcli.base.errors import ModelError
from memcli.models.catalog import BUNDLED_BASE, Catalog, ModelEntry, Places, looks_like_path
from memcli.models.gguf import GGUFInfo, check_gguf, inspect
from memcli.models.llm import LLM, ChatMessage

Progress = Callable[[str, int, int], None]
MIN_CTX = 512
KV_CAP = 1 << 30  # no more than 1 GiB of KV cache however long the trained context
CATALOG_CACHE = "catalog-cache.json"  # headers seen, in the data folder's models/


@dataclass
class ModelChoice:
    """A model picked and checked, not loaded yet."""

    label: str  # what a person calls it: its name in the catalog, or the file name
    path: Path
    info: GGUFInfo
    n_ctx: int


def available_memory() -> int:
    """Bytes of memory this process could still use (MemAvailable; 8 GiB if unknown)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 8 << 30


def context_for(info: GGUFInfo, configured: int, free: int) -> int:
    """The context window: ``configured`` when set (> 0), else the model's trained
    length capped so the KV cache takes at most an eighth of the memory left
    after the weights (between 128 MiB and 1 GiB), in steps of 256 tokens."""
    if configured > 0:
        return configured
    trained = info.context_length or 2048
    per_token = info.kv_bytes_per_token or 1 << 17
    budget = min(KV_CAP, max(128 << 20, (free - info.size) // 8))
    n = min(trained, budget // per_token)
    return max(MIN_CTX, n // 256 * 256)


def check_usable(info: GGUFInfo, free: int) -> None:
    """Refuse, naming the file and the reason, what llama.cpp could not load or
    run as a chat model."""
    if info.kind != "model":
        raise ModelError(f"{info.path} is a {info.kind} file, not a chat model")
    if info.truncated:
        raise ModelError(f"{info.path} is incomplete: {info.size:,} of {info.expected_size:,} bytes "
                         "(an interrupted download?)")
    if info.size + (64 << 20) > free:
        raise ModelError(f"{info.path} needs about {info.size / 2**30:.1f} GiB of memory and only "
                         f"{free / 2**30:.1f} GiB is free")


class ModelOpener:
    """Resolves names against the models on this machine (the catalog is built
    only when a name, not a path, is given)."""

    def __init__(self, places: Places, models_dir: Path, *, cache_file: Path | None = None,
                 n_ctx: int = 0, threads: int = 2, config_hint: str = "the config",
                 progress: Progress | None = None) -> None:
        self.places = places
        self.models_dir = models_dir
        self.cache_file = cache_file
        self.n_ctx = n_ctx
        self.threads = threads
        self.config_hint = config_hint
        self.progress = progress

    @classmethod
    def from_config(cls, cfg: Any, progress: Progress | None = None) -> "ModelOpener":
        dirs = tuple(Path(d).expanduser() for d in cfg.chat.model_dirs)
        return cls(Places.default(dirs, cfg.models_dir), cfg.models_dir,
                   cache_file=cfg.models_dir / CATALOG_CACHE, n_ctx=cfg.chat.n_ctx,
                   threads=cfg.chat.threads, config_hint=cfg.config_path or "the config file", progress=progress)

    def catalog(self) -> Catalog:
        return Catalog(self.places, self.cache_file)

    def choose(self, model: str) -> ModelChoice:
        """Resolve ``model`` (empty: the bundled Gemma; a name, a prefix, or a path)
        and check it from its header. The bundled Gemma is assembled here."""
        model = model.strip()
        if not model or model == BUNDLED_BASE:
            from memcli.models.bundled import ensure_bundled_model

            path, label = ensure_bundled_model(self.models_dir, self.progress), BUNDLED_BASE
        elif looks_like_path(model):
            path = Path(model).expanduser()
            check_gguf(path, self.config_hint)
            label = path.name
        else:
            entry: ModelEntry = self.catalog().find(model)
            if entry.source == "bundled" and entry.name == BUNDLED_BASE:  # by a prefix: assembled on first use
                return self.choose(BUNDLED_BASE)
            path, label = entry.path, entry.name
        info = inspect(path)
        free = available_memory()
        check_usable(info, free)
        return ModelChoice(label, path, info, context_for(info, self.n_ctx, free))

    def load(self, choice: ModelChoice) -> LLM:
        from memcli.models.llama import LlamaCppLLM

        return LlamaCppLLM(choice.path, n_ctx=choice.n_ctx, threads=self.threads, config_hint=self.config_hint,
                           label=choice.label, info=choice.info)


class BackgroundModel:
    """An LLM that is still loading: it answers ``id`` and the like at once and
    waits for the load only when asked to count tokens or generate. A load that
    fails raises its ModelError at that point (and every later one)."""

    def __init__(self, choice: ModelChoice, loader: Callable[[ModelChoice], LLM]) -> None:
        self.choice = choice
        self.id = choice.path.name
        self.label = choice.label
        self.n_ctx = choice.n_ctx
        self.has_chat_template = choice.info.has_chat_template
        self.parameters = choice.info.parameters
        self._model: LLM | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(loader,), name="memcli-model-load", daemon=True)
        self._thread.start()

    def _run(self, loader: Callable[[ModelChoice], LLM]) -> None:
        try:
            self._model = loader(self.choice)
        except BaseException as exc:  # handed to whoever needs the model
            self._error = exc
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self) -> LLM:
        """The loaded model (blocks until the load ends)."""
        self._done.wait()
        if self._error is not None:
            if isinstance(self._error, ModelError):
                raise ModelError(str(self._error))
            raise ModelError(f"cannot load {self.choice.path}: {self._error}")
        assert self._model is not None
        return self._model

    def count_tokens(self, text: str) -> int:
        return self.wait().count_tokens(text)

    def stream_completion(self, prompt: str, *, max_tokens: int, temperature: float,
                          stop: Sequence[str]) -> Iterator[str]:
        return self.wait().stream_completion(prompt, max_tokens=max_tokens, temperature=temperature, stop=stop)

    def stream_chat(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Iterator[str]:
        return self.wait().stream_chat(messages, max_tokens=max_tokens, temperature=temperature)

    def generate_json(self, prompt: str, schema: dict[str, Any], *, max_tokens: int, timeout_s: float | None) -> str:
        return self.wait().generate_json(prompt, schema, max_tokens=max_tokens, timeout_s=timeout_s)

    def __getattr__(self, name: str) -> Any:
        # anything else (path, stats of the last generation, close) belongs to the model
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.wait(), name)

    def close(self) -> None:
        """Let the load finish and free the model."""
        self._done.wait()
        close = getattr(self._model, "close", None)
        if close:
            close()
