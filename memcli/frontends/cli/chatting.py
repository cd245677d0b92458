"""``memcli chat``: pick the model, open a session, run the REPL while the
models load in the background."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

import typer

from memcli.base.errors import InvalidInput, ModelError
from memcli.frontends.cli.state import UserOpt, handled, state, user_of


@handled
def chat(
    user: Optional[str] = UserOpt,
    session: Optional[str] = typer.Option(None, "--session", help="Continue (or start) the session with this id."),
    resume: bool = typer.Option(False, "--resume", help="Continue your last session."),
    model: Optional[str] = typer.Option(None, "--model", help="The model for this chat: a name 'memcli models' "
                                                               "lists, a prefix of one, or a .gguf path."),
    no_memory: bool = typer.Option(False, "--no-memory", help="Leave long-term memory out (to compare)."),
    strategy: Optional[str] = typer.Option(None, "--strategy", help="A strategy for this session: assistant, chat, "
                                                                    "support, coding or private (see `memcli config`)."),
    project: Optional[Path] = typer.Option(None, "--project", help="Keep this session's memories with a project "
                                                                  "(its folder) instead of a person."),
) -> None:
    """Talk with the local model; it remembers you across sessions."""
    from memcli.chat import ChatSession
    from memcli.frontends.cli.repl import Repl

    st = state()
    st.choose(strategy=strategy, project=project)
    cfg = st.config
    mem = st.memory()
    who = user_of(user)
    interactive = st.env.interactive_input and st.env.interactive_output
    if session and resume:
        raise InvalidInput("use --session ID or --resume, not both")
    session_id = session
    if resume:
        session_id = ChatSession.last_session_id(mem, who)
        if session_id is None:
            st.render.note("no earlier session to resume; starting a new one")
    llm = open_model(model if model is not None else cfg.chat.model, interactive)
    review: threading.Thread | None = None
    if not no_memory:
        warm = getattr(mem.embedder, "warm", None)
        if warm is not None:  # the embedder loads while the person types
            threading.Thread(target=_quietly, args=(warm,), name="memcli-embedder-load", daemon=True).start()
        if cfg.long_term and cfg.auto_tier:
            review = threading.Thread(target=_quietly, args=(lambda: _review_tiers(mem, who),),
                                      name="memcli-tiers", daemon=True)
            review.start()
    try:
        conversation = ChatSession(mem, llm, cfg.chat, who, session_id, use_memory=not no_memory and cfg.long_term)
        Repl(conversation, interactive=interactive, out=st.env.output,
             open_model=lambda name: open_model(name, interactive=False)).run(
            None if interactive else st.env.input)
    finally:
        if review is not None:
            review.join()
        close = getattr(mem.llm if mem.llm is not None else llm, "close", None)
        if close is not None:
            close()


def _review_tiers(mem: Any, who: str) -> None:
    """Move faded memories to the cold tier, at most once a day, on a connection
    of its own (the chat's index catches up from the change log)."""
    from memcli.memory import Memory

    with Memory(config=mem.config, embedder=mem.embedder, clock=mem.now) as own:
        own.review_tiers(who)


def open_model(name: str, interactive: bool) -> Any:
    """The chat model, loading in the background (llama.cpp's load is not waited
    for here: the first turn waits only if it must). A model that cannot be
    used is a one-line error; on a terminal memcli offers the bundled one."""
    from memcli.models.catalog import BUNDLED_BASE
    from memcli.models.loading import BackgroundModel, ModelOpener

    st = state()
    if name == "fake":
        from memcli.models.factory import make_llm

        return make_llm("fake", models_dir=st.config.models_dir, n_ctx=st.config.chat.n_ctx)
    opener = ModelOpener.from_config(st.config, progress=st.render.progress)
    try:
        choice = opener.choose(name)
    except ModelError as exc:
        if not name or name == BUNDLED_BASE:
            raise
        if not interactive:
            raise ModelError(f"{exc} (--model {BUNDLED_BASE} uses the bundled model)") from None
        st.render.error(str(exc))
        from memcli.frontends.cli.repl import ask

        if not ask(f"Use the bundled model ({BUNDLED_BASE}) instead? [Y/n] ", default=True):
            raise typer.Exit(1) from None
        choice = opener.choose(BUNDLED_BASE)
    return BackgroundModel(choice, opener.load)


def _quietly(func: Any) -> None:
    try:
        func()
    except Exception:  # the turn that needs it will report the error itself
        pass
