"""Do the person's memories reach the answer? A small memory quiz per model.

    python bench/prompt_formats.py [--models gemma3-270m,smollm2-135m-instruct] [--held-out] [-v]

Eight facts are stored; eight questions are asked, once each in a fresh
session and once all in one session after some small talk, with the
assistant's earlier answers kept in the prompt ([chat] history_answers =
"keep") and dropped ("drop"). Each model is driven in its own format (chat
template or transcript). It prints how many answers contain the expected
word (-v: every answer). --held-out uses a second person's facts and
questions, written after the setting was tuned on the first.
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

from machine import machine, table  # noqa: E402

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
# Written after history_answers was tuned on the set above, never used to tune
# anything: a second person, other facts, other wording (--held-out).
HELD_OUT_FACTS = [
    "Call me Tomás, everyone does.",
    "These days I'm based in Lisbon, in a flat near the river.",
    "I teach chemistry at a secondary school.",
    "We have a grey cat named Pimenta.",
    "Shellfish makes me really ill, I can't eat it.",
    "My brother Rui moved to Montreal last year.",
    "On weekends I play bass in a jazz trio.",
    "Nothing beats a plate of grilled sardines for me.",
]
HELD_OUT_QUIZ = [
    ("What's my name?", "tom"),
    ("Which city am I based in?", "lisbon"),
    ("What subject do I teach?", "chemistry"),
    ("What is our cat called?", "pimenta"),
    ("What food makes me ill?", "shellfish"),
    ("Where did my brother move?", "montreal"),
    ("What instrument do I play on weekends?", "bass"),
    ("What's my favourite dish?", "sardine"),
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


SMALL_TALK = ["Hi there!", "I had a long day at work.", "The weather is nice today."]


def quiz(llm: object, facts: list[str], questions: list[tuple[str, str]], user: str, answers: str,
         one_session: bool, verbose: bool) -> int:
    """How many answers contain the expected word: each question in a fresh
    session, or all in one session after some small talk."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(user=user, db=str(Path(tmp) / "m.db"), extractor="rules")
        config.chat.temperature, config.chat.max_tokens = 0.0, 48
        config.chat.history_answers = answers
        config.chat.store_user_messages = False
        with Memory(config=config) as mem:
            for fact in facts:
                mem.add(fact, user_id=user)
            right = 0
            chat = ChatSession(mem, llm, config.chat, user)  # type: ignore[arg-type]
            if one_session:
                for line in SMALL_TALK:
                    "".join(chat.turn(line))
            for question, expected in questions:
                if not one_session:
                    chat = ChatSession(mem, llm, config.chat, user)  # type: ignore[arg-type]
                answer = "".join(chat.turn(question)).strip().replace("\n", " / ")
                ok = expected in answer.lower()
                right += ok
                if verbose:
                    print(f"  [{answers}, {'one session' if one_session else 'fresh'}] {'ok ' if ok else 'BAD'} "
                          f"{question} -> {answer[:90]}", file=sys.stderr)
    return right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="gemma3-270m,smollm2-135m-instruct",
                        help="names as 'memcli models' lists them, or paths")
    parser.add_argument("--held-out", action="store_true", help="the second person's facts and questions")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer (on stderr)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    facts, questions, user = (HELD_OUT_FACTS, HELD_OUT_QUIZ, "tomas") if args.held_out else (FACTS, QUIZ, "mina")
    rows = []
    for model in args.models.split(","):
        llm = make_llm(model, models_dir=Config().models_dir, n_ctx=2048)
        started = time.perf_counter()
        cells = [f"{getattr(llm, 'label', model)} ({'chat template' if llm.has_chat_template else 'transcript'})"]
        for answers in ("keep", "drop"):
            for one_session in (False, True):
                right = quiz(llm, facts, questions, user, answers, one_session, args.verbose)
                cells.append(f"{right}/{len(questions)}")
        cells.append(f"{time.perf_counter() - started:.0f} s")
        rows.append(cells)
        close = getattr(llm, "close", None)
        if close:
            close()
    print(f"{'held-out' if args.held_out else 'development'} set: answers that contain the fact")
    print(table(["model", "answers kept, fresh sessions", "kept, one session", "answers dropped, fresh",
                 "dropped, one session", "time"], rows))


if __name__ == "__main__":
    main()
