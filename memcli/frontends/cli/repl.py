"""The interactive ``memcli chat`` loop (prompt-toolkit + rich).

On a terminal: streaming answers, input history on disk, slash commands with
completion, Esc-Enter (or a trailing backslash) for multi-line input, Ctrl-C
stops the current answer and keeps the session, Ctrl-D leaves.

From a pipe: every input line is one message or slash command, answers go to
stdout as plain text, without prompts or escape codes, so it can be scripted.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, TextIO

from memcli.chat import ChatSession
from memcli.base.errors import MemcliError, ModelError
from memcli.base.files import touch_private
from memcli.base.records import MemoryItem
from memcli.base.vocab import Actor, Event
from memcli.frontends.cli.render import describe, memory_table, sentence, visible

COMMANDS = {
    "/help": "show this help",
    "/memories": "/memories [QUERY]: what I remember about you (with ids), or what matches QUERY",
    "/remember": "/remember TEXT: store exactly TEXT as a memory",
    "/forget": "/forget ID: forget one memory",
    "/why": "which memories fed the last answer, and what your message taught me",
    "/new": "start a new session",
    "/user": "/user NAME: talk as another user (starts a new session)",
    "/model": "/model [NAME]: the model in use, or switch to NAME (see 'memcli models')",
    "/exit": "leave (Ctrl-D works too)",
}


class Repl:
    """Reads lines, runs slash commands, and streams the model's answers."""

    def __init__(self, chat: ChatSession, *, interactive: bool, out: TextIO | None = None,
                 open_model: Callable[[str], Any] | None = None) -> None:
        self.chat = chat
        self.interactive = interactive
        self.out = out or sys.stdout
        self.open_model = open_model  # name -> a model (loading): what /model switches to

    # output -------------------------------------------------------------------

    def say(self, text: str, style: str | None = None) -> None:
        text = visible(text)  # what anyone stored must not drive the terminal
        if self.interactive and style:
            from rich.console import Console

            Console(file=self.out, highlight=False).print(text, style=style, markup=False)
        else:
            self.out.write(text + "\n")
            self.out.flush()

    def show_memories(self, items: list[MemoryItem], scores: bool = False) -> None:
        if not items:
            self.say("(nothing)", "dim")
            return
        if self.interactive:
            from rich.console import Console

            Console(file=self.out).print(memory_table(items, scores=scores))
            return
        for item in items:
            score = f" ({item.score:.2f})" if scores and item.score is not None else ""
            self.say(f"#{item.id}{score} {item.memory}")

    # the loop -------------------------------------------------------------------

    def run(self, lines: Iterable[str] | None = None) -> None:
        """Run until /exit or end of input (``lines``, else stdin). The session is
        ended and summarised however the loop ends, a crash included."""
        try:
            if self.interactive and lines is None:
                self._run_terminal()
            else:
                for line in (lines if lines is not None else sys.stdin):
                    line = line.rstrip("\n")
                    if line.strip() and not self.handle(line):
                        break
        finally:
            self.chat.close()

    def _run_terminal(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import WordCompleter
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

        @bindings.add("escape", "enter")
        def _newline(event) -> None:  # type: ignore[no-untyped-def]
            event.current_buffer.insert_text("\n")

        memory = self.chat.memory

        class ScrubbedHistory(FileHistory):
            """Input history on disk, with secrets masked as in the message log."""

            def store_string(self, string: str) -> None:
                super().store_string(memory.log_text(string))

        def make_session() -> PromptSession:
            path = memory.user_history_file(self.chat.user_id)
            touch_private(path)
            return PromptSession(
                history=ScrubbedHistory(str(path)),
                completer=WordCompleter(list(COMMANDS), sentence=True, match_middle=False),
                complete_while_typing=True,
                key_bindings=bindings,
            )

        session = make_session()
        user = self.chat.user_id
        loading = "" if getattr(self.chat.llm, "ready", True) else ", loading"
        self.say(f"memcli chat, {user} (session {self.chat.session_id}), {model_label(self.chat.llm)}{loading}. "
                 "/help for commands, Ctrl-D to leave.", "dim")
        while True:
            if self.chat.user_id != user:  # /user switched: history is per user
                user = self.chat.user_id
                session = make_session()
            try:
                line = session.prompt(f"{user}> ")
                while line.endswith("\\"):
                    line = line[:-1] + "\n" + session.prompt("... ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                self.say("bye", "dim")
                return
            if line.strip() and not self.handle(line):
                return

    def handle(self, line: str) -> bool:
        """One input: a slash command or a message. False means leave."""
        try:
            if line.lstrip().startswith("/"):
                return self.command(line.strip())
            self.answer(line)
        except ModelError as exc:
            self.say(f"error: {exc}", "bold red")
            if not self.interactive:
                raise  # from a pipe nobody can answer; the line is logged, memcli exits 1
            self.offer_bundled()
        except MemcliError as exc:
            self.say(f"error: {exc}", "bold red")
        return True

    def offer_bundled(self) -> None:
        """After a model failed to load: offer the bundled one."""
        from memcli.models.catalog import BUNDLED_BASE

        if self.ask(f"Use the bundled model ({BUNDLED_BASE}) instead? [Y/n] ", default=True):
            self.switch_model(BUNDLED_BASE)
        else:
            self.say("/model NAME switches to another model", "dim")

    def answer(self, text: str) -> None:
        stream = self.chat.turn(text)
        wrote = False
        try:
            for piece in stream:
                if not wrote:
                    piece = piece.lstrip()
                    wrote = True
                self.out.write(visible(piece))
                self.out.flush()
        except KeyboardInterrupt:
            stream.close()  # type: ignore[attr-defined]  # a generator
            self.out.write(" [stopped]")
        finally:
            self.out.write("\n")
            self.out.flush()
        self.after_turn()

    def after_turn(self) -> None:
        """On a terminal, say what was learnt, and ask about conflicts (policy ask)."""
        last = self.chat.last
        if last is None or not self.interactive:
            return
        for result in last.learned:
            if result.event == Event.PENDING:
                if self.ask(f"{sentence(result.reason)}. Remember '{result.memory}'? [y/N] "):
                    for applied in self.chat.memory.resolve(result, True, actor=Actor.CHAT):
                        self.say(f"({describe(applied)})", "dim")
                else:
                    self.say("(not stored)", "dim")
            elif result.event == Event.CONFLICT:
                question = (f"You said '{result.memory}', but I remember '{result.previous_memory}'. "
                            "Replace it? [y/N] ")
                if self.ask(question):
                    for applied in self.chat.memory.resolve_conflict(result, True, actor=Actor.CHAT):
                        self.say(f"({describe(applied)})", "dim")
                else:
                    self.chat.memory.resolve_conflict(result, False, actor=Actor.CHAT)
                    self.say("(kept what I knew)", "dim")
            elif result.event != Event.NONE:
                self.say(f"({describe(result)})", "dim")

    def ask(self, question: str, default: bool = False) -> bool:
        return ask(question, default)

    def switch_model(self, name: str) -> None:
        """Load ``name`` now (with a note) and use it from the next turn."""
        if self.open_model is None:
            self.say("this chat cannot switch models", "yellow")
            return
        self.say(f"loading {name or 'the bundled model'}...", "dim")
        try:
            llm = self.open_model(name)
            wait = getattr(llm, "wait", None)
            if wait is not None:
                wait()  # a broken model is reported here, not on the next turn
        except ModelError as exc:
            self.say(f"error: {exc}; still talking to {model_label(self.chat.llm)}", "bold red")
            return
        old = self.chat.use_model(llm)
        close = getattr(old, "close", None)
        if close is not None:
            try:
                close()
            except MemcliError:
                pass  # the old model had failed to load: nothing to free
        self.say(f"now talking to {model_label(llm)} (context {llm.n_ctx:,} tokens)", "dim")

    # slash commands ----------------------------------------------------------------

    def command(self, line: str) -> bool:
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        handler: Callable[[str], bool | None] | None = {
            "/help": self.cmd_help, "/memories": self.cmd_memories, "/remember": self.cmd_remember,
            "/forget": self.cmd_forget, "/why": self.cmd_why, "/new": self.cmd_new, "/user": self.cmd_user,
            "/model": self.cmd_model,
            "/exit": lambda _: False, "/quit": lambda _: False,
        }.get(name)
        if handler is None:
            self.say(f"unknown command {name}; /help lists them", "yellow")
            return True
        return handler(arg) is not False

    def cmd_help(self, _: str) -> None:
        for name, text in COMMANDS.items():
            self.say(f"{name:<10} {text}")

    def cmd_memories(self, query: str) -> None:
        mem, user = self.chat.memory, self.chat.user_id
        if query:
            self.show_memories(mem.search(query, user_id=user, limit=10), scores=True)
        else:
            self.show_memories(mem.get_all(user_id=user, limit=30))

    def cmd_remember(self, text: str) -> None:
        if not text:
            self.say("usage: /remember TEXT", "yellow")
            return
        [result] = self.chat.memory.add(text, user_id=self.chat.user_id, session_id=self.chat.session_id,
                                        actor=Actor.CHAT)
        if result.event == Event.PENDING:
            if self.interactive and self.ask(f"{sentence(result.reason)}. Store it? [y/N] "):
                [result] = self.chat.memory.resolve(result, True, actor=Actor.CHAT)
            else:
                self.say(f"Not stored: {result.reason}", "yellow")
                return
        if result.event == Event.REFUSED:
            self.say(f"Not stored: {result.reason}", "yellow")
            return
        verb = "Remembered" if result.event == Event.ADD else "Already remembered"
        self.say(f"{verb} as memory {result.id}", "green")

    def cmd_forget(self, arg: str) -> None:
        if not arg.isdigit():
            self.say("usage: /forget ID (ids are shown by /memories)", "yellow")
            return
        item = self.chat.memory.get(int(arg), user_id=self.chat.user_id)
        self.chat.memory.delete(item.id, actor=Actor.CHAT, user_id=self.chat.user_id)
        self.say(f"Forgot memory {item.id}", "green")

    def cmd_why(self, _: str) -> None:
        last = self.chat.last
        if last is None:
            self.say("nothing answered yet in this session", "dim")
            return
        if last.profile:
            self.say(f"Profile ({len(last.profile)} facts, in every prompt):")
            self.show_memories(last.profile)
        reused = last.timings.get("reused_tokens")
        cache = f", {int(reused)} of them kept from the last turn's cache" if reused else ""
        self.say(f"The last answer used {len(last.memories)} memories and {last.short_term} recent "
                 f"messages ({last.prompt_tokens} prompt tokens{cache}):")
        self.show_memories(last.memories, scores=True)
        if last.learned:
            self.say("From your message:")
            for result in last.learned:
                self.say(f"  {describe(result)}")

    def cmd_model(self, name: str) -> None:
        if not name:
            llm = self.chat.llm
            state = "" if getattr(llm, "ready", True) else ", still loading"
            self.say(f"{model_label(llm)} (context {llm.n_ctx:,} tokens{state}); /model NAME switches, "
                     "'memcli models' lists the models found", "dim")
            return
        self.switch_model(name)

    def cmd_new(self, _: str) -> None:
        self.chat.close()
        self.say(f"new session {self.chat.open(None)}", "dim")

    def cmd_user(self, name: str) -> None:
        if not name:
            self.say(f"you are {self.chat.user_id}; /user NAME switches", "dim")
            return
        self.chat.switch_user(name)
        self.say(f"now talking as {self.chat.user_id} (session {self.chat.session_id})", "dim")


def ask(question: str, default: bool = False) -> bool:
    """A yes/no question on the terminal; Enter gives ``default``."""
    from prompt_toolkit import prompt

    try:
        answer = prompt(question).strip().lower()
    except (EOFError, KeyboardInterrupt):
        return False
    return default if not answer else answer in ("y", "yes")


def model_label(llm: object) -> str:
    return str(getattr(llm, "label", None) or getattr(llm, "id", "the model"))
