"""Which prompt format answers memory questions better on a model?

    python bench/prompt_formats.py [--model PATH]

Plays the same small memory quiz through ChatSession twice, once as a plain
transcript (completion with stop strings) and once through the model's chat
template (create_chat_completion; a GGUF without a template gets
llama-cpp-python's fallback format), and prints how many answers contain the
expected word, with the answers themselves.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import machine  # noqa: E402

from memcli import Config, Memory  # noqa: E402
from memcli.chat import ChatSession  # noqa: E402
from memcli.models.factory import make_llm  # noqa: E402

FACTS = [
    "My name is Mina Park.",
    "I live in Busan, near Haeundae beach.",
    "I work as a nurse at a children's hospital.",
    "My dog is a corgi called Biscuit.",
    "I am allergic to peanuts.",
    "My sister Jiwoo lives in Toronto.",
    "I play the cello in a community orchestra.",
    "My favourite food is kimchi stew.",
]
QUIZ = [
    ("What is my name?", "mina"),
    ("Which city do I live in?", "busan"),
    ("What is my job?", "nurse"),
    ("What is my dog called?", "biscuit"),
    ("What am I allergic to?", "peanut"),
    ("Where does my sister live?", "toronto"),
    ("Which instrument do I play?", "cello"),
    ("What is my favourite food?", "kimchi"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="", help="a .gguf file (default: the bundled Gemma 3 270M)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(user="mina", db=str(Path(tmp) / "m.db"))
        config.chat.temperature = 0.0
        llm = make_llm(args.model, models_dir=Config().models_dir, n_ctx=2048, threads=2, config_hint="-")
        print(f"model: {llm.id}, has chat template: {llm.has_chat_template}")
        with Memory(config=config) as mem:
            for fact in FACTS:
                mem.add(fact, user_id="mina")
            for fmt in ("transcript", "chat"):
                config.chat.prompt_format = fmt
                right = 0
                words = 0
                started = time.perf_counter()
                for question, expected in QUIZ:
                    chat = ChatSession(mem, llm, config.chat, "mina", use_memory=True)
                    chat.settings.store_user_messages = False
                    answer = "".join(chat.turn(question)).strip().replace("\n", " / ")
                    ok = expected in answer.lower()
                    right += ok
                    words += len(answer.split())
                    print(f"  [{fmt}] {'ok ' if ok else 'BAD'} {question} -> {answer[:100]}")
                print(f"{fmt}: {right}/{len(QUIZ)} answers contain the fact, "
                      f"{words / len(QUIZ):.0f} words per answer on average "
                      f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
