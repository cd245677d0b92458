"""``memcli chat``: load the model, open a session, run the REPL."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import InvalidInput
from .state import UserOpt, handled, state, user_of


@handled
def chat(
    user: Optional[str] = UserOpt,
    session: Optional[str] = typer.Option(None, "--session", help="Continue (or start) the session with this id."),
    resume: bool = typer.Option(False, "--resume", help="Continue your last session."),
    model: Optional[str] = typer.Option(None, "--model", help="A .gguf file to use instead of the configured model."),
    no_memory: bool = typer.Option(False, "--no-memory", help="Leave long-term memory out (to compare)."),
) -> None:
    """Talk with the local model; it remembers you across sessions."""
    from ..chat import ChatSession
    from ..models.factory import make_llm
    from .repl import Repl

    st = state()
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
    if interactive:
        st.render.note("loading the model...")
    llm = make_llm(model if model is not None else cfg.chat.model, models_dir=cfg.models_dir, n_ctx=cfg.chat.n_ctx,
                   threads=cfg.chat.threads, config_hint=cfg.config_path or "the config file",
                   progress=st.render.progress)
    conversation = ChatSession(mem, llm, cfg.chat, who, session_id, use_memory=not no_memory)
    Repl(conversation, interactive=interactive, out=st.env.output).run(None if interactive else st.env.input)
