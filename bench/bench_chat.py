"""Chat benchmark: start-up, time to first token over a session, tokens/s,
router overhead, peak memory.

    python bench/bench_chat.py [--sizes 1000,100000] [--turns 30] [--model PATH]
                               [--session-models gemma3-270m,smollm2-135m-instruct] [--session-only]

- session (for each of --session-models): `memcli chat` started in a
  pseudo-terminal, as a person starts it: the time until its prompt appears
  (the models load in the background), and its peak memory over a short chat.
  Then one session of 10 turns in-process with the real MiniLM embedder:
  time to first token from Enter (log, embed, recall, prompt, then the model)
  at turns 1, 5 and 10 (a person memcli knows from an earlier session, who
  takes --think seconds to read and type), prompt tokens and how many of them
  the KV cache kept,
  and tokens/s while answering.

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
from typing import Any

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


SESSION = [
    "Hi! I'm Mina. I live in Busan and I work as a nurse.", "My dog is a corgi called Biscuit.",
    "I had a long shift at the hospital today.", "My sister Jiwoo lives in Toronto.",
    "What is my dog called?", "I'm learning to play the cello.", "Where does my sister live?",
    "I'm allergic to peanuts, so I cook at home a lot.", "What do you know about me?", "Where do I live?",
]


def first_prompt(model: str, lines: list[str], home: str) -> tuple[float, float, str]:
    """(seconds from start to the prompt, peak RSS in MB, transcript) of a real
    `memcli chat` in a pseudo-terminal, fed ``lines`` once the prompt is up."""
    import pty
    import select

    if True:
        Path(home, "config.toml").write_text(f'user = "mina"\n[chat]\nmodel = "{model}"\nmax_tokens = 40\n')
        env = {**os.environ, "MEMCLI_HOME": home, "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
        exe = str(Path(sys.executable).with_name("memcli"))
        master, slave = pty.openpty()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        child = subprocess.Popen([exe, "chat"], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        seen = b""
        prompt_on = b"\x1b[?2004h"  # prompt-toolkit switches bracketed paste on for each new prompt

        def read_until(done: Any, limit: float = 900.0) -> None:
            nonlocal seen
            deadline = time.perf_counter() + limit
            while not done() and time.perf_counter() < deadline:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        return
                    seen += chunk
                    if b"\x1b[6n" in chunk:  # prompt-toolkit asks where the cursor is
                        os.write(master, b"\x1b[1;1R")

        read_until(lambda: b"mina>" in seen)
        prompt_s = time.perf_counter() - start
        for line in lines:
            before = seen.count(prompt_on)
            os.write(master, line.encode() + b"\r")
            # answered: a new prompt was started and drawn
            read_until(lambda: seen.count(prompt_on) > before and b"mina>" in seen[seen.rfind(prompt_on):])
        os.write(master, b"\x04")
        child.wait(timeout=300)
        os.close(master)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return prompt_s, max(before, after) / 1024, seen.decode("utf-8", "replace")


EARLIER = [  # a returning user: what an earlier session taught
    "I'm Mina and I live in Busan.", "I work as a nurse at a children's hospital.",
    "My favourite food is kimchi stew.", "My brother Joon is a firefighter in Daegu.",
]


def session_figures(model: str, think_s: float) -> dict[str, object]:
    """One 10-turn session in-process, of a person memcli already knows: time to
    first token from Enter per turn, prompt tokens, tokens kept by the KV cache,
    and tokens/s. ``think_s``: the pause between an answer and the next line
    (reading and typing), in which the next prompt's start is evaluated."""
    from memcli.models.factory import make_llm

    with tempfile.TemporaryDirectory() as home:
        config = Config(user="mina", db=str(Path(home) / "m.db"))
        config.chat.max_tokens = 48
        llm = make_llm(model, models_dir=Config().models_dir)
        with Memory(config=config) as mem:
            mem.embedder.embed(["warm up"])
            mem.llm = llm
            if mem._core.instruction_tuned:  # measured once per model file, outside the timings
                from memcli.services.calibration import verdict

                verdict(mem._core)
            mem.add([{"role": "user", "content": line} for line in EARLIER], user_id="mina", infer=True)
            chat = ChatSession(mem, llm, config.chat, "mina")
            rows = []
            for line in SESSION:
                time.sleep(think_s)
                start = time.perf_counter()
                first = end = 0.0
                count = 0
                for _ in chat.turn(line):
                    end = time.perf_counter()
                    first = first or end
                    count += 1
                timings = chat.last.timings  # type: ignore[union-attr]
                rows.append({"ttft_ms": ((first or end) - start) * 1000,
                             "tps": (count - 1) / (end - first) if count > 1 and end > first else 0.0,
                             "prompt": int(timings.get("prompt_tokens", 0)),
                             "reused": int(timings.get("reused_tokens", 0)),
                             "answer": chat.last.answer})  # type: ignore[union-attr]
            chat.close()
        close = getattr(llm, "close", None)
        if close:
            close()
    return {"label": getattr(llm, "label", model), "n_ctx": llm.n_ctx, "rows": rows}


def sessions(models: list[str], think_s: float) -> None:
    out = []
    for model in models:
        try:
            with tempfile.TemporaryDirectory() as home:
                # the first start in a data folder assembles the bundled model; the second is every day's
                first_s, _, _ = first_prompt(model, [], home)
                prompt_s, rss, _ = first_prompt(model, ["Hi, I'm Mina and I live in Busan.", "Where do I live?"],
                                                home)
            figures = session_figures(model, think_s)
        except Exception as exc:  # a model that is not installed is reported, not fatal
            print(f"{model}: skipped ({exc})")
            continue
        rows = figures["rows"]
        assert isinstance(rows, list)
        tps = [r["tps"] for r in rows if r["tps"]]
        cells = [f"{figures['label']} (context {figures['n_ctx']:,})", f"{prompt_s:.2f} s ({first_s:.2f} s)"]
        for turn in (1, 5, 10):
            r = rows[turn - 1]
            cells.append(f"{r['ttft_ms']:.0f} ms ({r['reused']}/{r['prompt']})")
        cells += [f"{sum(tps) / len(tps):.0f}" if tps else "-", f"{rss:.0f} MB"]
        out.append(cells)
        for i, r in enumerate(rows, start=1):
            print(f"  {figures['label']} turn {i}: {r['ttft_ms']:.0f} ms, kept {r['reused']} of {r['prompt']} "
                  f"prompt tokens; {SESSION[i - 1]!r} -> {str(r['answer'])[:70]!r}", file=sys.stderr)
    print(table(["model", "start to prompt (first start)", "first token, turn 1 (kept/prompt tokens)", "turn 5", "turn 10",
                 "tokens/s", "peak memory"], out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--model", default="", help="a .gguf file (default: the bundled Gemma 3 270M)")
    parser.add_argument("--session-models", default="gemma3-270m,smollm2-135m-instruct",
                        help="names (as 'memcli models' lists them) or paths for the session figures")
    parser.add_argument("--session-only", action="store_true", help="only the session figures")
    parser.add_argument("--think", type=float, default=3.0,
                        help="seconds between an answer and the next line in the session figures")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.session_models:
        sessions([m for m in args.session_models.split(",") if m], args.think)
    if args.session_only:
        return
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
