"""How memcli builds a ``llama_cpp.Llama``: quiet, able to say why a load failed,
and safe on CPUs with Intel AMX.

llama-cpp-python leaves three things without a public switch. Each workaround
below names the behaviour it works around, and ``tests/test_llama_runtime.py``
pins that behaviour, so an upgrade that changes it fails a test instead of
silently breaking the workaround. Nothing here assigns to an attribute of a
``llama_cpp`` module.

1. ``verbose=False`` makes ``Llama()`` point file descriptors 1 and 2 at
   /dev/null for the whole load. memcli loads in a background thread while the
   REPL draws its prompt, which that blanked. So models load with
   ``verbose=True`` (no redirection) and the noise is caught instead: llama.cpp's
   own log through its public callback (``llama_log_set``), and the Python-side
   prints of the load (system info, metadata) by a ``sys.stderr`` that keeps
   only the loading thread's writes (other threads' output passes through).
   After the load ``verbose`` is set back to False, so generation prints nothing.
2. ``Llama()`` raises a bare "Failed to load model"; the reason is in the log
   ("unknown model architecture: 'x'"), which the callback keeps.
3. On a CPU with AMX, llama.cpp repacks Q4_K weights into AMX buffers and then
   crashes on the first token (ggml-org/llama.cpp#20824). ``Llama`` has no
   parameter for it, but it builds its model parameters into its own
   ``model_params`` attribute before loading: a subclass turns
   ``use_extra_bufts`` off as that attribute is set.
"""

from __future__ import annotations

import ctypes
import io
import os
import re
import sys
import threading
from collections import deque
from contextlib import contextmanager
from typing import Any, Iterator

_LOCK = threading.Lock()  # one load at a time: the log callback is process-wide
_SINK: "_LogSink | None" = None
_CLASS: Any = None


class _LogSink:
    """llama.cpp's log: the recent lines kept, a load's lines collected, and all
    of it on stderr with MEMCLI_DEBUG=1."""

    def __init__(self) -> None:
        import llama_cpp

        self.recent: deque[str] = deque(maxlen=200)
        self.capture: list[str] | None = None
        # kept referenced for as long as it is installed (the process)
        self._callback = llama_cpp.llama_log_callback(self._collect)
        llama_cpp.llama_log_set(self._callback, ctypes.c_void_p(0))

    def _collect(self, level: int, text: bytes, user_data: Any) -> None:
        line = text.decode("utf-8", "replace")
        self.recent.append(line)
        if self.capture is not None:
            self.capture.append(line)
        if os.environ.get("MEMCLI_DEBUG") and sys.__stderr__ is not None:
            sys.__stderr__.write(line)


class _LoadingThreadStderr(io.TextIOBase):
    """``sys.stderr`` during a load: the loading thread's writes are kept, every
    other thread's go where they always went."""

    def __init__(self, real: Any, kept: list[str]) -> None:
        self._real = real
        self._kept = kept
        self._thread = threading.get_ident()

    def write(self, text: str) -> int:
        if threading.get_ident() == self._thread:
            self._kept.append(text)
            return len(text)
        return int(self._real.write(text))

    def flush(self) -> None:
        self._real.flush()

    def fileno(self) -> int:
        return int(self._real.fileno())


def _sink() -> _LogSink:
    global _SINK
    if _SINK is None:
        _SINK = _LogSink()
    return _SINK


def _amx() -> bool:
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").replace(" ", "")
    return "AMX_INT8=1" in info


def llama_class() -> Any:
    """``llama_cpp.Llama``, or on an AMX CPU a subclass that loads without the extra
    CPU buffer types (see the module docstring, 3)."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from llama_cpp import Llama

    if not _amx():
        _CLASS = Llama
        return _CLASS

    class NoExtraBuffers(Llama):  # type: ignore[misc]
        @property
        def model_params(self) -> Any:
            return self.__dict__["_memcli_model_params"]

        @model_params.setter
        def model_params(self, params: Any) -> None:
            if hasattr(params, "use_extra_bufts"):
                params.use_extra_bufts = False
            self.__dict__["_memcli_model_params"] = params

    _CLASS = NoExtraBuffers
    return _CLASS


class LoadFailed(Exception):
    """llama.cpp refused the file; ``reason`` is its own word for why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load(model_path: str, **kwargs: Any) -> Any:
    """A ``Llama`` for ``model_path``, loaded quietly; raises :class:`LoadFailed`."""
    sink = _sink()
    kept: list[str] = []
    cls = llama_class()
    with _LOCK:
        sink.capture = kept
        try:
            with _stderr_of_this_thread(kept):
                llm = cls(model_path=model_path, verbose=True, **kwargs)
        except (ValueError, RuntimeError) as exc:
            raise LoadFailed(reason("".join(kept)) or str(exc)) from None
        finally:
            sink.capture = None
    llm.verbose = False  # from now on, generation prints nothing
    return llm


@contextmanager
def _stderr_of_this_thread(kept: list[str]) -> Iterator[None]:
    if os.environ.get("MEMCLI_DEBUG"):
        yield
        return
    real = sys.stderr
    sys.stderr = _LoadingThreadStderr(real, kept)
    try:
        yield
    finally:
        sys.stderr = real


def reason(log: str) -> str:
    """The innermost cause of a failed load, from llama.cpp's log."""
    found = re.findall(r"error loading model(?: [a-z ]+)?: (.+)", log)
    if found:
        # "error loading model: error loading model architecture: unknown ..."
        return re.sub(r"^(error loading model[a-z ]*: )+", "", found[-1]).strip()
    lines = [line.strip() for line in log.splitlines() if "error" in line.lower() or "failed" in line.lower()]
    return lines[-1] if lines else ""


def vocabulary(llm: Any) -> dict[str, Any]:
    """What the chat code needs of the model's vocabulary, through llama.cpp's public
    vocabulary functions: the BOS / EOS / end-of-turn texts and whether BOS is added."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)

    def text(token: int) -> str:
        return llama_cpp.llama_vocab_get_text(vocab, token).decode("utf-8", "replace") if token >= 0 else ""

    bos, eos, eot = (llama_cpp.llama_vocab_bos(vocab), llama_cpp.llama_vocab_eos(vocab),
                     llama_cpp.llama_vocab_eot(vocab))
    return {"bos_id": bos, "bos": text(bos), "eos": text(eos), "eot": text(eot),
            "add_bos": bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
            "parameters": int(llama_cpp.llama_model_n_params(llm.model))}
