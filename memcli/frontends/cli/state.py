"""What every command shares: the invocation's state, error handling, options
and confirmations. (The commands live in :mod:`.memories`, :mod:`.upkeep`,
:mod:`.chatting`, :mod:`.models` and :mod:`.serving`; the app that registers
them in :mod:`.app`.)"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer

from memcli.base.config import Config
from memcli.base.errors import InvalidInput, MemcliError
from memcli.frontends.cli.environment import Environment
from memcli.frontends.cli.render import Renderer

F = TypeVar("F", bound=Callable[..., Any])
# Click's base error as Typer raises it (usage errors, bad parameters): Typer
# 0.28 bundles its own copy of Click, whose errors are not the installed
# Click's, so the class is taken from Typer's own error rather than by
# importing click (which would also cost its import at every start).
CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class State:
    """Options of the top-level app, its environment, and the Memory opened on demand."""

    def __init__(self, db: Optional[Path], config: Optional[Path], debug: bool, env: Environment,
                 project: Optional[Path] = None) -> None:
        self.db = db
        self.config_path = config
        self.strategy: str | None = None
        self.project = project
        self.debug = debug
        self.env = env
        self.render = Renderer(env)
        self._config: Config | None = None
        self._memory: Any = None

    def choose(self, *, strategy: Optional[str] = None, project: Optional[Path] = None) -> None:
        """A strategy or a project for this invocation only (before the config is read)."""
        if strategy is not None:
            self.strategy = strategy
        if project is not None:
            self.project = project
        self._config = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = Config.load(self.config_path, strategy=self.strategy, project=self.project)
            if self.db is not None:
                self._config.db = str(self.db)
        return self._config

    def memory(self) -> Any:
        if self._memory is None:
            from memcli.memory import Memory

            self._memory = Memory(config=self.config, progress=self.render.progress, clock=self.env.clock)
        return self._memory

    def close(self) -> None:
        self.render.progress.close()
        if self._memory is not None:
            memory, self._memory = self._memory, None
            memory.close()


_STATE: State | None = None


def state() -> State:
    """The options of the current invocation (set by the top-level callback)."""
    assert _STATE is not None, "memcli commands run through the Typer app"
    return _STATE


def set_state(st: State) -> None:
    global _STATE
    _STATE = st


def unexpected(exc: BaseException) -> str:
    """One line for an error memcli did not foresee (SQLite, llama.cpp, a bug)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"unexpected {what} (run with --debug for the traceback)"


def handled(func: F) -> F:
    """MemcliError -> one line on stderr and exit 1; anything unexpected -> one
    line naming it and --debug, exit 1 (tracebacks only with --debug); Ctrl-C ->
    exit 130. Closes the Memory either way."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        st = state()
        said: list[str] = []  # the error already reported, so closing does not say it twice

        def report(message: str) -> None:
            if message not in said:
                said.append(message)
                st.render.error(message)

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, CLICK_ERROR):
            raise
        except MemcliError as exc:
            if st.debug:
                raise
            report(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            st.render.note("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:  # noqa: BLE001 - the last resort: one line, never a traceback
            if st.debug:
                raise
            report(unexpected(exc))
            raise typer.Exit(1) from None
        finally:
            try:
                st.close()
            except Exception as exc:  # noqa: BLE001 - e.g. an index that cannot be saved
                first = not said
                report(str(exc) if isinstance(exc, MemcliError) else unexpected(exc))
                if first:
                    raise typer.Exit(1) from None  # noqa: B012 - the command's work is done; closing failed

    return wrapper  # type: ignore[return-value]


UserOpt = typer.Option(None, "--user", "-u", help="Whose memories (default: config 'user', then your login name).")
JsonOpt = typer.Option(False, "--json", help="Print one JSON document instead of a table.")
YesOpt = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")


def user_of(user: Optional[str]) -> str:
    return user if user is not None else state().config.user


def ask(question: str) -> bool:
    """A yes/no question for the person at the terminal (False when nobody can answer)."""
    if not state().env.interactive_input:
        return False
    return typer.confirm(question, default=False)


def confirm(question: str, yes: bool) -> None:
    """Ask before destroying data; refuse without --yes when nobody can answer."""
    if yes:
        return
    if not state().env.interactive_input:
        raise InvalidInput(f"{question.rstrip('?')}: refusing without --yes (stdin is not a terminal)")
    if not typer.confirm(question, default=False):
        state().render.note("nothing changed")
        raise typer.Exit(1)


def parse_meta(pairs: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--meta takes KEY=VALUE, not {pair!r}")
        meta[key.strip()] = value
    return meta


def edit_in_editor(text: str) -> str | None:
    """Open $VISUAL / $EDITOR on ``text`` in a private temporary file; None if unchanged."""
    import os
    import shlex
    import subprocess
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix="memcli-edit-", suffix=".txt")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        try:
            code = subprocess.call([*shlex.split(editor), name])
        except OSError as exc:
            raise InvalidInput(f"cannot start the editor {editor!r}: {exc.strerror}; use --text") from None
        if code != 0:
            raise InvalidInput(f"the editor {editor!r} exited with status {code}; nothing changed")
        with open(name, encoding="utf-8", errors="surrogateescape") as fh:
            edited = fh.read()
    finally:
        os.unlink(name)
    return None if edited.strip() == text.strip() else edited
