"""llama-cpp-python behind the LLM protocol. ``llama_cpp`` is imported on
construction only, so nothing pays for it until a chat starts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

from memcli.base.errors import ModelError
from memcli.models.gguf import GGUFInfo, check_gguf
from memcli.models.llm import ChatMessage


# End-of-turn markers of common chat templates: generation stops at the one the
# template uses, should the model write it as text rather than as its token.
_TURN_MARKERS = ("<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>", "<|endoftext|>", "</s>",
                 "<|END_OF_TURN_TOKEN|>", "<|return|>", "<｜end▁of▁sentence｜>")
_TURN_STARTS = ("<|im_start|>user", "<start_of_turn>user", "<|start_header_id|>user", "<|user|>")


class LlamaCppLLM:
    """A GGUF model run by llama.cpp on the CPU.

    Prompts are turned into tokens here and handed to llama.cpp as tokens, so
    the KV cache keeps whatever prefix a new prompt shares with the last one:
    a chat whose prompt starts the same way each turn evaluates only what is
    new (``last_reused_tokens`` / ``last_prompt_tokens`` say how much)."""

    def __init__(self, path: Path, *, n_ctx: int = 2048, threads: int = 2, config_hint: str = "the config",
                 label: str = "", info: GGUFInfo | None = None) -> None:
        check_gguf(path, config_hint)
        try:
            from memcli.models.llama_runtime import LoadFailed, load, vocabulary
        except ImportError:
            raise ModelError("llama-cpp-python is not installed (pip install llama-cpp-python)") from None
        try:
            # swa_full: a sliding-window model (Gemma 3) can otherwise not
            # keep a prefix of its cache, and every turn would start cold.
            self._llm: Any = load(str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                  seed=0, swa_full=True)
        except LoadFailed as exc:
            raise ModelError(f"llama.cpp cannot load {path}: {exc.reason}") from None
        self.path = path
        self.id = path.name
        self.label = label or path.name
        self.n_ctx = n_ctx
        meta = self._llm.metadata or {}
        self.chat_template: str = meta.get("tokenizer.chat_template") or ""
        self.has_chat_template = bool(self.chat_template)
        vocab = vocabulary(self._llm)
        self.parameters = info.parameters if info else vocab["parameters"]
        self._bos_id: int = vocab["bos_id"]
        self._bos, self._eos, self._eot = vocab["bos"], vocab["eos"], vocab["eot"]
        self._add_bos = vocab["add_bos"]
        self.turn_stops = self._template_stops()
        self._formatters: dict[bool, Any] = {}
        self._grammars: dict[str, Any] = {}
        # one evaluation at a time: a turn, a background warm-up, an extraction
        self._busy = threading.Lock()  # a plain Lock: a warm-up thread releases what its caller took
        self.last_prompt_tokens = 0
        self.last_reused_tokens = 0

    def _template_stops(self) -> list[str]:
        return template_stops(self.chat_template, self._eos, self._eot)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def render_chat(self, messages: Sequence[ChatMessage], answer: bool = True) -> str:
        """``messages`` in the model's own chat template, ready for the answer
        (``answer`` False: only the messages, for warming the cache)."""
        if not self.chat_template:
            raise ModelError(f"{self.path.name} has no chat template; use prompt_format = \"transcript\"")
        return render_template(self.chat_template, messages, bos=self._bos, eos=self._eos, answer=answer,
                               name=self.path.name, cache=self._formatters)

    def _tokens(self, prompt: str) -> list[int]:
        tokens = list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
        bos = self._bos_id
        if self._add_bos and bos >= 0 and (not tokens or tokens[0] != bos):
            tokens.insert(0, bos)
        return tokens

    def _reusable(self, tokens: list[int]) -> int:
        cached = self._llm.input_ids[: self._llm.n_tokens]
        reused = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            reused += 1
        return min(reused, max(0, len(tokens) - 1))

    def _stream(self, tokens: list[int], **kwargs: Any) -> Iterator[str]:
        with self._busy:
            self._check_open()
            self.last_prompt_tokens, self.last_reused_tokens = len(tokens), self._reusable(tokens)
            for chunk in self._llm.create_completion(tokens, stream=True, **kwargs):
                text = chunk["choices"][0].get("text") or ""
                if text:
                    yield text

    def warm(self, prompt: str | Sequence[ChatMessage], chat: bool = False) -> None:
        """Evaluate ``prompt`` (the start of the next prompt) into the KV cache in
        a background thread; the next generation waits for it if it must."""
        if self._llm is None:
            return
        text = self.render_chat(prompt, answer=False) if chat else str(prompt)  # type: ignore[arg-type]
        tokens = self._tokens(text)

        def run() -> None:
            try:
                if self._llm is None or self._reusable(tokens) >= len(tokens) - 1:
                    return
                # one token is generated and dropped: what stays is the prompt's cache
                for _ in self._llm.create_completion(tokens, max_tokens=1, temperature=0.0, stream=True):
                    pass
            finally:
                self._busy.release()

        # Taken here, not in the thread: the next turn must find the warm-up
        # under way (and wait for it), never slip in before the thread starts.
        self._busy.acquire()
        try:
            threading.Thread(target=run, name="memcli-warm", daemon=True).start()
        except BaseException:
            self._busy.release()
            raise

    def _check_open(self) -> None:
        if self._llm is None:
            raise ModelError(f"{self.label} was closed")

    def stream_completion(
        self, prompt: str, *, max_tokens: int, temperature: float, stop: Sequence[str]
    ) -> Iterator[str]:
        return self._stream(self._tokens(prompt), max_tokens=max_tokens, temperature=temperature,
                            stop=list(stop), repeat_penalty=1.1)

    def stream_chat(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float) -> Iterator[str]:
        return self._stream(self._tokens(self.render_chat(messages)), max_tokens=max_tokens,
                            temperature=temperature, stop=self.turn_stops, repeat_penalty=1.1)

    def generate_json(self, prompt: str, schema: dict[str, Any], *, max_tokens: int, timeout_s: float | None) -> str:
        import json
        import time

        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        grammar = self._grammars.get(key)
        if grammar is None:
            grammar = LlamaGrammar.from_json_schema(key, verbose=False)
            self._grammars[key] = grammar
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        pieces: list[str] = []
        with self._busy:
            self._check_open()
            for chunk in self._llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0,
                                                     grammar=grammar, stream=True):
                pieces.append(chunk["choices"][0].get("text") or "")
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"no complete answer within {timeout_s:.0f} s")
        return "".join(pieces)

    def close(self) -> None:
        """Free the weights and the context now rather than at garbage collection
        (after a warm-up still running; later calls raise ModelError)."""
        with self._busy:
            llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()


def template_stops(template: str, eos: str = "", eot: str = "") -> list[str]:
    """Stop strings from a chat template: its end-of-turn markers (and the start
    of a user turn, should a small model run on into one)."""
    stops = [m for m in _TURN_MARKERS if m in template]
    if eos and eos not in stops and template:
        stops.append(eos)
    if eot and eot not in stops:
        stops.append(eot)
    stops += [m for m in _TURN_STARTS if m.split("user")[0] in template]
    return stops


def render_template(template: str, messages: Sequence[ChatMessage], *, bos: str = "", eos: str = "",
                    answer: bool = True, name: str = "the model", cache: dict[Any, Any] | None = None) -> str:
    """``messages`` in a chat template, ready for the answer (``answer`` False:
    only the messages). Templates that refuse a system message (Mistral's) or
    turns that do not alternate (Gemma's, Mistral's) get the messages again with
    the system text put before the first user message and a speaker's turns in
    a row joined, as the model would have been shown them in training."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    key = (template, bos, eos, answer)
    formatter = (cache or {}).get(key)
    if formatter is None:
        formatter = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos, add_generation_prompt=answer)
        if cache is not None:
            cache[key] = formatter
    try:
        return str(formatter(messages=list(messages)).prompt)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a template's own raise_exception, or a Jinja error: try the plain form
        pass
    try:
        return str(formatter(messages=alternating(messages)).prompt)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"the chat template of {name} failed: {exc}") from None


def alternating(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The system text before the first user message, and each speaker's turns in
    a row joined: user, assistant, user ... as strict templates want them."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    out: list[ChatMessage] = []
    for m in messages:
        if m["role"] == "system":
            continue
        if out and out[-1]["role"] == m["role"]:
            out[-1] = {"role": m["role"], "content": out[-1]["content"] + "\n\n" + m["content"]}
        else:
            out.append({"role": m["role"], "content": m["content"]})
    if out and out[0]["role"] == "assistant":
        out.insert(0, {"role": "user", "content": ""})
    if system:
        if out and out[0]["role"] == "user":
            out[0] = {"role": "user", "content": system + "\n\n" + out[0]["content"]}
        else:
            out.insert(0, {"role": "user", "content": system})
    return out

