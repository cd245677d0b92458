"""A chat session with memory: the router that fills the prompt, and the turn loop.

No terminal code: the REPL (``memcli.cli.repl``) and programs both drive
:class:`ChatSession`.

A turn:
1. the user's line is written to the session's message log, before anything
   else can fail;
2. the router gathers candidates: long-term memories similar to the line
   (cosine score), plus the few newest facts as a fallback for vague questions;
   ranks them; and takes them best first while they fit the memory budget;
3. the last k exchanges of this session (short-term memory) fill what is left
   of the prompt budget, newest first, and the prompt is assembled in the
   model's own format;
4. the answer streams; it is written to the log even when interrupted;
5. facts and dated events are extracted from the user's line and reconciled
   with what is known (``extractor`` in the config); with
   ``store_user_messages`` the line itself is kept too, sentence by sentence
   (not questions or small talk).

When a session ends (or an earlier one is resumed) it gets a summary in the
episodic log: written by the model when it is instruction-tuned, otherwise
extractive (the person's own lines, shortened).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from .config import ChatConfig
from .errors import InvalidInput
from .memory import Memory
from .models.llm import LLM, ChatMessage
from .records import AddResult, MemoryItem
from .text import clean_text
from .vocab import Actor, Kind

STOP = ["\nUser:", "\nuser:", "\nUSER:", "\nAssistant:"]
# Prompt tokens kept free for the format's own words and the tokenizer's slack.
RESERVE = 24


@dataclass
class Turn:
    """What one turn used and produced (``/why`` shows it)."""

    user_text: str
    message_id: int = 0
    profile: list[MemoryItem] = field(default_factory=list)  # the person's core facts, in every prompt
    memories: list[MemoryItem] = field(default_factory=list)
    short_term: int = 0  # messages of this session put back into the prompt
    prompt: str = ""
    prompt_tokens: int = 0
    answer: str = ""
    interrupted: bool = False
    learned: list[AddResult] = field(default_factory=list)  # what extraction did with the line
    timings: dict[str, float] = field(default_factory=dict)


class ChatSession:
    """One conversation between a user and the local model, with memory.

    Args:
        memory: the store.
        llm: the model (see :mod:`memcli.models.llm`).
        settings: the ``[chat]`` config.
        user_id: whose memories are used and written.
        session_id: continue this session (created if new); default a new one.
        use_memory: False leaves long-term memory out entirely (to compare).
    """

    def __init__(
        self,
        memory: Memory,
        llm: LLM,
        settings: ChatConfig,
        user_id: str,
        session_id: str | None = None,
        use_memory: bool = True,
    ) -> None:
        self.memory = memory
        self.llm = llm
        self.settings = settings
        self.use_memory = use_memory
        self.user_id = clean_text(user_id, "user id")
        self.session_id = ""
        self.last: Turn | None = None
        self._token_cache: dict[str, int] = {}
        if memory.llm is None:
            memory.llm = llm  # lets extractor = "auto" use an instruction-tuned model
        self.open(session_id)

    # sessions -----------------------------------------------------------------

    def open(self, session_id: str | None = None) -> str:
        """Switch to ``session_id`` (continuing it) or to a fresh session."""
        session, resumed = self.memory.start_session(session_id, self.user_id)
        self.session_id = session.id
        self.last = None
        if resumed:
            self.summarise()
        return session.id

    @classmethod
    def last_session_id(cls, memory: Memory, user_id: str) -> str | None:
        session = memory.last_session(user_id)
        return session.id if session else None

    def close(self) -> None:
        """End the session: mark it ended and record its summary episode."""
        self.memory.end_session(self.session_id)
        self.summarise()

    def summarise(self) -> MemoryItem | None:
        """Write (or rewrite) this session's summary in the episodic log."""
        if not self.use_memory:
            return None
        return self.memory.summarise_session(self.session_id, self.user_id, actor=Actor.CHAT)

    def switch_user(self, user_id: str) -> None:
        self.close()
        self.user_id = clean_text(user_id, "user id")
        self.open(None)

    # the turn -------------------------------------------------------------------

    def turn(self, text: str) -> Iterator[str]:
        """Answer ``text``: yields the answer's pieces as they stream. Closing the
        generator early (Ctrl-C) still records the partial answer."""
        text = clean_text(text, "message")
        turn = Turn(user_text=text)
        self.last = turn
        started = time.perf_counter()
        message_id = self.memory.log_message(self.session_id, self.user_id, "user", text)
        turn.message_id = message_id
        query_vector = self.memory.embedder.embed([text])[0] if self.use_memory else None
        t_embed = time.perf_counter()
        turn.profile = self.memory.profile(self.user_id) if self.use_memory else []
        turn.memories = self.recall(text, query_vector) if self.use_memory else []
        t_recall = time.perf_counter()
        prompt_obj = self.build_prompt(turn)
        t_prompt = time.perf_counter()
        turn.timings = {"embed_ms": (t_embed - started) * 1000, "recall_ms": (t_recall - t_embed) * 1000,
                        "prompt_ms": (t_prompt - t_recall) * 1000}
        pieces: list[str] = []
        try:
            if isinstance(prompt_obj, str):
                stream = self.llm.stream_completion(
                    prompt_obj, max_tokens=self.settings.max_tokens,
                    temperature=self.settings.temperature, stop=self.stop_strings())
            else:
                stream = self.llm.stream_chat(
                    prompt_obj, max_tokens=self.settings.max_tokens, temperature=self.settings.temperature)
            first = True
            said = ""
            for piece in stream:
                if first:
                    turn.timings["first_token_ms"] = (time.perf_counter() - t_prompt) * 1000
                    first = False
                if not said.strip():
                    piece = piece.lstrip()  # a base model often opens with a newline or two
                    if not piece:
                        continue
                # A blank line ends the answer, but only once something was said
                # (as a server-side stop it would end some answers before they began).
                cut = (said + piece).find("\n\n")
                if cut >= 0:
                    piece = piece[: max(0, cut - len(said))]
                said += piece
                if piece:
                    pieces.append(piece)
                    yield piece
                if cut >= 0:
                    close = getattr(stream, "close", None)
                    if close:
                        close()
                    break
        except (GeneratorExit, KeyboardInterrupt):
            turn.interrupted = True
            raise
        finally:
            turn.answer = "".join(pieces).strip()
            t_gen = time.perf_counter()
            self._remember(turn, message_id)
            turn.timings["write_ms"] = (time.perf_counter() - t_gen) * 1000

    def _remember(self, turn: Turn, message_id: int) -> None:
        if turn.answer or turn.interrupted:
            self.memory.log_message(self.session_id, self.user_id, "assistant", turn.answer,
                                    {"interrupted": True} if turn.interrupted else None)
        if not self.use_memory:
            return
        said_at = self.memory.now().isoformat(timespec="microseconds")
        if self.memory.config.extractor != "off":
            turn.learned = self.memory.ingest_message(
                turn.user_text, self.user_id, message_id=message_id, session_id=self.session_id,
                said_at=said_at, actor=Actor.CHAT)
        if self.settings.store_user_messages:
            # Each sentence's context is the line's own earlier sentences only: the
            # assistant is our local model (by default a tiny base model that often
            # echoes), and its words must no more shape how the person's memories
            # are found than they become facts about the person.
            self.memory.keep_message(turn.user_text, self.user_id, message_id=message_id,
                                     session_id=self.session_id, said_at=said_at, metadata={"role": "user"},
                                     actor=Actor.CHAT)

    # the router -------------------------------------------------------------------

    def recall(self, text: str, vector: Any) -> list[MemoryItem]:
        """Long-term candidates for this line, best first."""
        limit = self.settings.memory_results
        hits = self.memory.search_vector(vector, self.user_id, limit=limit * 2, text=text)
        chosen = [h for h in hits if (h.score or 0.0) >= self.settings.min_score]
        seen = {h.id for h in chosen}
        # The newest few facts ride along with a low score, so "what do you know
        # about me?" (similar to nothing) still brings something.
        for item in self.memory.get_all(self.user_id, limit=3):
            if item.id not in seen:
                item.score = self.settings.min_score / 2
                chosen.append(item)
                seen.add(item.id)
        chosen.sort(key=lambda m: m.score or 0.0, reverse=True)
        return chosen[: limit + 3]

    def stop_strings(self) -> list[str]:
        """Where a base model's answer ends: the next speaker's line (it sometimes
        names the user by name) or a blank line."""
        name = self.user_id.strip()
        return STOP + [f"\n{name}:", f"\n{name.capitalize()}:"]

    def tokens(self, text: str) -> int:
        cached = self._token_cache.get(text)
        if cached is None:
            cached = self.llm.count_tokens(text)
            if len(self._token_cache) > 4096:
                self._token_cache.clear()
            self._token_cache[text] = cached
        return cached

    def use_chat_template(self) -> bool:
        fmt = self.settings.prompt_format
        if fmt == "chat":
            return True
        if fmt == "transcript":
            return False
        return bool(self.llm.has_chat_template)

    def build_prompt(self, turn: Turn) -> str | list[ChatMessage]:
        """Fill the context window: header, memories, recent exchanges, the new line,
        within ``n_ctx - max_tokens`` tokens of the model's own tokenizer."""
        budget = self.llm.n_ctx - self.settings.max_tokens - RESERVE
        header = (
            f"A conversation between {self.user_id} and a friendly assistant with a good memory. "
            "The assistant answers in one or two short sentences and uses what it remembers."
        )
        user_line = f"User: {turn.user_text}"
        used = self.tokens(header) + self.tokens(user_line) + 4
        if used > budget:
            raise InvalidInput(
                f"the message is too long for the model's context ({used} tokens, budget {budget})")
        # The profile and the memories get up to half of what is left (the profile
        # first, whatever the line is about); recent exchanges the rest.
        memory_budget = (budget - used) // 2
        profile_budget = memory_budget // 2
        profile_lines, memory_lines = [], []
        shown: list[MemoryItem] = []
        for item in turn.profile:
            line = memory_line(item)
            cost = self.tokens(line) + 1
            if cost <= profile_budget:
                profile_budget -= cost
                memory_budget -= cost
                used += cost
                profile_lines.append(line)
                shown.append(item)
        turn.profile = list(shown)
        in_profile = {item.id for item in shown}
        kept: list[MemoryItem] = []
        for item in turn.memories:
            line = memory_line(item)
            cost = self.tokens(line) + 1
            if item.id in in_profile or cost > memory_budget:
                continue
            memory_budget -= cost
            used += cost
            memory_lines.append(line)
            kept.append(item)
        turn.memories = kept
        if shown or kept:
            self.memory.touch([m.id for m in shown + kept])  # reaching the prompt is what counts as use
        history = self.memory.recent_messages(
            self.session_id, 2 * self.settings.short_term_turns, before_id=turn.message_id)
        recent: list[tuple[str, str]] = []
        for message in reversed(history):
            line = f"{'User' if message.role == 'user' else 'Assistant'}: {message.content}"
            cost = self.tokens(line) + 1
            if used + cost > budget:
                break
            used += cost
            recent.append((message.role, message.content))
        recent.reverse()
        turn.short_term = len(recent)
        turn.prompt_tokens = used
        memory_block = (
            "What the assistant remembers about the user:\n" + "\n".join(memory_lines)
            if memory_lines else "The assistant does not remember anything relevant about the user yet."
        )
        if profile_lines:
            memory_block = "About the user:\n" + "\n".join(profile_lines) + "\n\n" + memory_block
        if self.use_chat_template():
            messages: list[ChatMessage] = [{"role": "system", "content": f"{header}\n\n{memory_block}"}]
            messages += [{"role": role, "content": content} for role, content in recent]
            messages.append({"role": "user", "content": turn.user_text})
            turn.prompt = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
            return messages
        lines = [header, "", memory_block, ""]
        lines += [f"{'User' if role == 'user' else 'Assistant'}: {content}" for role, content in recent]
        lines += [user_line, "Assistant:"]
        turn.prompt = "\n".join(lines)
        return turn.prompt


def memory_line(item: MemoryItem) -> str:
    """How one memory reads in the prompt: facts plainly, events with their date,
    verbatim lines quoted."""
    when = (item.valid_from or item.created_at)[:10]
    if item.kind == Kind.EPISODE:
        return f"- {when}: {item.memory}"
    if item.kind == Kind.FACT:
        return f"- {item.memory}"
    return f'- {when}, the user said: "{item.memory}"'
