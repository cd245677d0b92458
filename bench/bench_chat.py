"""Chat benchmark: model load, time to first token, tokens/s, router overhead, peak memory.

    python bench/bench_chat.py [--sizes 1000,100000] [--turns 30] [--model PATH]

- load: constructing the llama.cpp model from the assembled GGUF (assembly
  itself, done once per data folder, is timed separately when it happens).
- first token and tokens/s: real generation with the bundled model.
- router overhead per turn (no generation: a scripted model answers at once):
  writing the user's line, recall (search + ranking), prompt assembly with the
  real Gemma tokenizer, and the writes after the answer, for N stored
  memories of one user. The store at N memories is filled with the fake
  embedder (100k MiniLM embeddings would take minutes); the embedding calls a
  turn makes (the query, and the sentences kept from the line) are counted,
  MiniLM's time for one is measured on its own, and the "total" column adds
  that many of them.
- peak memory: `memcli chat` run as a child process with the real bundled
  models on a short piped conversation (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_store import synthetic_texts  # noqa: E402
from machine import machine, percentiles, table  # noqa: E402

from memcli import Config, Memory  # noqa: E402
from memcli.chat import ChatSession  # noqa: E402
from memcli.models.bundled import ensure_bundled_model  # noqa: E402
from memcli.models.llama import LlamaCppLLM  # noqa: E402
from memcli.models.scripted import ScriptedLLM  # noqa: E402

QUESTIONS = [
    "what did my sister cook last week?", "I went hiking in the mountains with my friend Sam today",
    "do you remember what my boss likes?", "I started learning the violin after work",
    "where did my partner travel in March?", "my brother bought a new bike yesterday",
]


class TokenizerOnly(ScriptedLLM):
    """Answers at once, but counts tokens with the real model's tokenizer."""

    def __init__(self, real: LlamaCppLLM) -> None:
        super().__init__(["Okay."] * 10_000, n_ctx=real.n_ctx)
        self.real = real

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)


def generation(llm: LlamaCppLLM) -> tuple[float, float]:
    """(time to first token in ms, tokens per second) over a few real prompts."""
    firsts, rates = [], []
    # A prompt shaped like a real turn: header, 16 remembered lines, the question.
    # The lines differ per prompt so llama.cpp's prefix cache cannot skip them.
    for n in range(3):
        memories = "\n".join(f'- 2026-11-{10 + i}: "{t}"' for i, t in enumerate(synthetic_texts(16, seed=n)))
        prompt = (f"A conversation between a user and a friendly assistant with a good memory.\n\n"
                  f"What the assistant remembers the user saying before:\n{memories}\n\n"
                  f"User: Tell me a short story about a cat number {n}.\nAssistant:")
        generation.prompt_tokens = llm.count_tokens(prompt)  # type: ignore[attr-defined]
        start = time.perf_counter()
        first = None
        count = 0
        for _ in llm.stream_completion(prompt, max_tokens=64, temperature=0.0, stop=[]):
            if first is None:
                first = time.perf_counter()
            count += 1
        end = time.perf_counter()
        firsts.append(((first or end) - start) * 1000)
        if count > 1:
            rates.append((count - 1) / (end - (first or start)))
    return percentiles(firsts)[0], sum(rates) / len(rates)


def router(n: int, turns: int, real: LlamaCppLLM, folder: Path) -> dict[str, float]:
    config = Config(user="bench", embedder="fake", db=str(folder / f"chat{n}.db"))
    with Memory(config=config) as mem:
        texts = synthetic_texts(n)
        for i in range(0, n, 1000):
            mem.add([{"role": "user", "content": t} for t in texts[i : i + 1000]], user_id="bench")
        mem.search("warm up", user_id="bench")
        chat = ChatSession(mem, TokenizerOnly(real), config.chat, "bench")
        embed = mem.embedder.embed
        calls = {"n": 0, "ms": 0.0}

        def counted(texts: list[str]) -> object:
            t0 = time.perf_counter()
            try:
                return embed(texts)
            finally:
                calls["n"] += 1
                calls["ms"] += (time.perf_counter() - t0) * 1000

        mem.embedder.embed = counted  # type: ignore[method-assign]
        parts = []
        for t in range(turns):
            calls["ms"] = 0.0
            start = time.perf_counter()
            "".join(chat.turn(QUESTIONS[t % len(QUESTIONS)] + f" ({t})"))
            total = (time.perf_counter() - start) * 1000
            timings = chat.last.timings  # type: ignore[union-attr]
            parts.append(total - calls["ms"] - timings.get("first_token_ms", 0.0))
        per_turn = calls["n"] / turns
        chat.close()
    p50, p95 = percentiles(parts)
    return {"n": n, "no_embed_p50": p50, "no_embed_p95": p95, "embeds_per_turn": per_turn}


def peak_chat_rss(model: str) -> float:
    """Peak RSS in MB of a real `memcli chat` child process."""
    with tempfile.TemporaryDirectory() as home:
        Path(home, "config.toml").write_text(f'user = "bench"\n[chat]\nmodel = "{model}"\nmax_tokens = 24\n')
        env = {**os.environ, "MEMCLI_HOME": home}
        exe = str(Path(sys.executable).with_name("memcli"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run([exe, "chat"], input="My name is Mina and I live in Busan.\nWhere do I live?\n/why\n",
                       text=True, env=env, capture_output=True, check=True, timeout=600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--model", default="", help="a .gguf file (default: the bundled Gemma 3 270M)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="memcli-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        path = Path(args.model) if args.model else ensure_bundled_model(folder / "models")
        assemble_s = time.perf_counter() - start
        start = time.perf_counter()
        real = LlamaCppLLM(path, n_ctx=2048, threads=2)
        load_s = time.perf_counter() - start
        ttft_ms, tps = generation(real)

        from memcli.models.minilm import MiniLMEmbedder

        minilm = MiniLMEmbedder()
        minilm.embed(["load"])
        embed_ms = []
        for q in QUESTIONS * 5:
            t0 = time.perf_counter()
            minilm.embed([q])
            embed_ms.append((time.perf_counter() - t0) * 1000)
        embed_p50, embed_p95 = percentiles(embed_ms)

        print(f"model: {path.name}; first assembly + sha256 check {assemble_s:.1f} s (once per data folder); "
              f"load {load_s:.2f} s; time to first token p50 {ttft_ms:.0f} ms "
              f"(prompt of {generation.prompt_tokens} tokens); {tps:.0f} tokens/s")  # type: ignore[attr-defined]
        print(f"MiniLM query embedding: p50 {embed_p50:.1f} ms, p95 {embed_p95:.1f} ms")
        rows = []
        for n in [int(s) for s in args.sizes.split(",")]:
            r = router(n, args.turns, real, folder)
            rows.append([f"{n:,}", f"{r['no_embed_p50']:.1f} / {r['no_embed_p95']:.1f}",
                         f"{r['embeds_per_turn']:.1f} x {embed_p50:.1f}",
                         f"{r['no_embed_p50'] + r['embeds_per_turn'] * embed_p50:.1f}"])
            print(f"  done {n:,}", file=sys.stderr)
        print(table(["memories", "router without embedding, p50 / p95 ms", "MiniLM calls per turn x p50 ms",
                     "router total p50 ms"], rows))
    rss = peak_chat_rss(args.model)
    print(f"peak memory of a `memcli chat` session with the bundled models: {rss:.0f} MB")


if __name__ == "__main__":
    main()
