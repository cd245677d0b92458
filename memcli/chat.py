"""A chat session with memory: the router that fills the prompt, and the turn loop.

No terminal code: the REPL (``memcli.frontends.cli.repl``) and programs both drive
:class:`ChatSession`.

A turn:
1. the user's line is written to the session's message log, before anything
   else can fail;
2. the router gathers candidates: long-term memories similar to the line
   (cosine score), plus the few newest facts as a fallback for vague questions;
   ranks them; and takes them best first while they fit the memory budget;
3. the prompt is assembled in the model's own format, stable part first so
   llama.cpp's KV cache keeps it: a header and the profile, then this
   session's recent exchanges (from an anchor that moves every few turns;
   small models get the person's lines only), then this line's memories and
   the line (see :meth:`ChatSession.build_prompt`);
4. the answer streams; it is written to the log even when interrupted;
5. facts and dated events are extracted from the user's line and reconciled
   with what is known (``extractor`` in the config); with
   ``store_user_messages`` the line itself is kept too, sentence by sentence
   (not questions or small talk);
6. while the person reads and types, the start of the next prompt is
   evaluated in the background (:meth:`ChatSession.warm_next`).

When a session ends (or an earlier one is resumed) it gets a summary in the
episodic log: written by the model when it is instruction-tuned, otherwise
extractive (the person's own lines, shortened).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from memcli.base.config import ChatConfig
from memcli.base.errors import InvalidInput, MemcliError
from memcli.memory import Memory
from memcli.models.llm import LLM, ChatMessage
from memcli.base.records import AddResult, MemoryItem
from memcli.base.text import clean_text
from memcli.base.vocab import Actor, Kind

# "\n- ": a base model that runs on into the remembered lines' list format
STOP = ["\nUser:", "\nuser:", "\nUSER:", "\nAssistant:", "\n- "]
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


@dataclass
class PromptParts:
    """A turn's prompt before it is written out in one of the two formats."""

    front: str  # header and profile: the same turn after turn
    recent: list[tuple[str, str]]  # (role, text) of this session's window
    recalled: str  # memories found for this line (may be empty)
    line: str

    def messages(self) -> list[ChatMessage]:
        """Chat-template messages: the recalled memories go with the new line, so
        everything before it stays as the model's cache has it. Without the
        assistant's answers, the person's earlier lines close the system message
        (templates that insist on alternating roles accept that)."""
        if any(role != "user" for role, _ in self.recent):
            messages: list[ChatMessage] = [{"role": "system", "content": self.front}]
            messages += [{"role": role, "content": content} for role, content in self.recent]
        else:
            front = self.front
            if self.recent:
                front += "\n\nWhat the user said earlier in this conversation:\n" + "\n".join(
                    f"- {content}" for _, content in self.recent)
            messages = [{"role": "system", "content": front}]
        last = f"({self.recalled})\n\n{self.line}" if self.recalled else self.line
        messages.append({"role": "user", "content": last})
        return messages

    def transcript(self, prefix: bool = False) -> str:
        """A plain transcript for a base model (``prefix``: only what does not
        depend on the new line)."""
        lines = [self.front, ""]
        lines += [_speaker_line(role, content) for role, content in self.recent]
        if prefix:
            return "\n".join(lines) + "\n"
        if self.recalled:
            lines += (["", self.recalled, ""] if self.recent else [self.recalled, ""])
        lines += [f"User: {self.line}", "Assistant:"]
        return "\n".join(lines)


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
        self._anchor = 0  # first message of the session's window in the prompt
        self._front_ids: list[int] | None = None  # profile facts at the front of the prompt
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

    def use_model(self, llm: LLM) -> LLM:
        """Talk to ``llm`` from the next turn on; returns the model it replaces."""
        old, self.llm = self.llm, llm
        if self.memory.llm is old:
            self.memory.llm = llm
        self._token_cache.clear()
        return old

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
        stream: Iterator[str] | None = None
        try:
            if isinstance(prompt_obj, str):
                stream = self.llm.stream_completion(
                    prompt_obj, max_tokens=self.settings.max_tokens,
                    temperature=self.settings.temperature, stop=self.stop_strings())
            else:
                stream = self.llm.stream_chat(
                    prompt_obj, max_tokens=self.settings.max_tokens, temperature=self.settings.temperature)
            first = True
            said = pending = ""
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
                # whitespace waits for what follows it: an answer never ends in a newline
                held = len(piece) - len(piece.rstrip())
                out, hold = piece[: len(piece) - held], piece[len(piece) - held:]
                if out:
                    out, pending = pending + out, ""
                    pieces.append(out)
                    yield out
                pending += hold
                if cut >= 0:
                    break
        except (GeneratorExit, KeyboardInterrupt):
            turn.interrupted = True
            raise
        finally:
            turn.answer = "".join(pieces).strip()
            t_gen = time.perf_counter()
            try:
                evaluated = getattr(self.llm, "last_prompt_tokens", None)
                if isinstance(evaluated, int) and evaluated:
                    turn.timings["prompt_tokens"] = evaluated
                    turn.timings["reused_tokens"] = getattr(self.llm, "last_reused_tokens", 0)
            except MemcliError:
                pass  # a model that failed to load has no figures; the line is still remembered
            close_stream = getattr(stream, "close", None)
            if close_stream is not None:
                close_stream()  # frees the model for the next evaluation now, not at garbage collection
            self._remember(turn, message_id)
            turn.timings["write_ms"] = (time.perf_counter() - t_gen) * 1000
            if not turn.interrupted:
                try:
                    self.warm_next()
                except MemcliError:
                    pass  # only a head start: the next turn evaluates whatever is missing

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
        """Fill the context window within ``n_ctx - max_tokens`` tokens of the model's
        own tokenizer.

        The prompt is laid out so that it starts the same way turn after turn
        and the model's KV cache can keep that prefix: first the header and the
        person's profile (up to an eighth of the budget), then this session's
        earlier exchanges from an anchor that moves only every few turns (up to
        three eighths), and only then what changes every turn: the memories
        recalled for this line, and the line."""
        parts = self._parts(turn, touch=True)
        if self.use_chat_template():
            messages = parts.messages()
            turn.prompt = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
            return messages
        turn.prompt = parts.transcript()
        return turn.prompt

    def _parts(self, turn: Turn, touch: bool) -> "PromptParts":
        budget = self.llm.n_ctx - self.settings.max_tokens - RESERVE
        header = (
            f"A conversation between {self.user_id} and a friendly assistant with a good memory. "
            "The assistant answers in one or two short sentences and uses what it remembers."
        )
        user_line = f"User: {turn.user_text}"
        used = self.tokens(header) + self.tokens(user_line) + 8
        if used > budget:
            raise InvalidInput(
                f"the message is too long for the model's context ({used} tokens, budget {budget})")
        # the history first: when its anchor moves the front is rebuilt too (the
        # prefix is evaluated again anyway)
        recent = self._recent(turn.message_id, min(budget - used, budget * 3 // 8))
        used += sum(self.tokens(_speaker_line(role, content)) + 1 for role, content in recent)
        turn.short_term = len(recent)
        profile_budget = min(budget - used, budget // 8)
        profile_lines: list[str] = []
        shown: list[MemoryItem] = []
        front, newer = self._front_profile(turn.profile)
        turn.memories = newer + turn.memories  # learnt this session: shown after the history for now
        for item in front:
            line = memory_line(item)
            cost = self.tokens(line) + 1
            if cost <= profile_budget:
                profile_budget -= cost
                used += cost
                profile_lines.append(line)
                shown.append(item)
        turn.profile = shown
        memory_budget = budget - used
        in_profile = {item.id for item in shown}
        memory_lines: list[str] = []
        kept: list[MemoryItem] = []
        for item in turn.memories:
            line = memory_line(item)
            cost = self.tokens(line) + 1
            if item.id in in_profile or cost > memory_budget:
                continue
            in_profile.add(item.id)  # no memory twice
            memory_budget -= cost
            used += cost
            memory_lines.append(line)
            kept.append(item)
        turn.memories = kept
        if touch and (shown or kept):
            self.memory.touch([m.id for m in shown + kept])  # reaching the prompt is what counts as use
        turn.prompt_tokens = used
        front_text = header
        if profile_lines:
            front_text += "\n\nAbout the user:\n" + "\n".join(profile_lines)
        recalled = ("What the assistant remembers that may matter here:\n" + "\n".join(memory_lines)
                    if memory_lines else "")
        return PromptParts(front_text, recent, recalled, turn.user_text)

    def warm_next(self) -> None:
        """Have the model evaluate now, while the person reads and types, the
        start of the next turn's prompt (front and history, this exchange
        included), so the next answer begins after only the new line and its
        memories are read. A model that cannot warm is left alone."""
        warm = getattr(self.llm, "warm", None)
        if warm is None:
            return
        probe = Turn(user_text="")
        probe.message_id = 1 << 62  # after every message so far
        probe.profile = self.memory.profile(self.user_id) if self.use_memory else []
        parts = self._parts(probe, touch=False)
        if self.use_chat_template():
            warm(parts.messages()[:-1], chat=True)
        else:
            warm(parts.transcript(prefix=True), chat=False)

    def keeps_answers(self) -> bool:
        """Whether the assistant's earlier answers of this session go back into the
        prompt (``history_answers``; auto: for models of 1B parameters and more)."""
        choice = self.settings.history_answers
        if choice != "auto":
            return choice == "keep"
        parameters = getattr(self.llm, "parameters", None)
        return not isinstance(parameters, int) or parameters >= 1_000_000_000

    def _front_profile(self, profile: list[MemoryItem]) -> tuple[list[MemoryItem], list[MemoryItem]]:
        """The profile facts for the front of the prompt, and the newer ones.

        The front keeps the facts it had while all of them are still current, so
        a fact learnt mid-session does not change the prompt's prefix (it goes
        with the recalled memories instead); once one of them stops being true
        (a move, a retraction, a deletion) the front is rebuilt."""
        current = {item.id: item for item in profile}
        if self._front_ids is None or any(i not in current for i in self._front_ids):
            self._front_ids = list(current)
        front = [current[i] for i in self._front_ids]
        return front, [item for item in profile if item.id not in set(self._front_ids)]

    def _recent(self, before_id: int, token_budget: int) -> list[tuple[str, str]]:
        """This session's earlier messages for the prompt: from the anchor on.
        The anchor stays put while the window holds at most twice
        ``short_term_turns`` exchanges and fits its budget; past that it jumps
        forward to keep the last ``short_term_turns``, so the prompt's prefix
        changes once every few turns instead of every turn."""
        k = self.settings.short_term_turns
        if k <= 0:
            return []
        keep_answers = self.keeps_answers()
        history = [m for m in self.memory.recent_messages(self.session_id, 4 * k + 2, before_id=before_id)
                   if m.id >= self._anchor and (keep_answers or m.role == "user")]

        def exchanges(msgs: list[Any]) -> int:
            return sum(1 for m in msgs if m.role == "user")

        def cost(msgs: list[Any]) -> int:
            return sum(self.tokens(_speaker_line(m.role, m.content)) + 1 for m in msgs)

        if exchanges(history) > 2 * k or cost(history) > token_budget:
            starts = [i for i, m in enumerate(history) if m.role == "user"]
            history = history[starts[-k]:] if len(starts) >= k else history
            while history and cost(history) > token_budget:
                nxt = next((i for i, m in enumerate(history) if i > 0 and m.role == "user"), len(history))
                history = history[nxt:]
            self._anchor = history[0].id if history else before_id
            self._front_ids = None
        return [(m.role, m.content) for m in history]


def _speaker_line(role: str, content: str) -> str:
    return f"{'User' if role == 'user' else 'Assistant'}: {content}"


def memory_line(item: MemoryItem) -> str:
    """How one memory reads in the prompt: facts plainly, events with their date,
    verbatim lines quoted."""
    when = (item.valid_from or item.created_at)[:10]
    if item.kind == Kind.EPISODE:
        return f"- {when}: {item.memory}"
    if item.kind == Kind.FACT:
        return f"- {item.memory}"
    return f'- {when}, the user said: "{item.memory}"'
