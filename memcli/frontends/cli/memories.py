"""Commands on memories: add, search, list, show, edit, forget, history, why,
episodes, pin, unpin. Each one calls :class:`memcli.Memory` and a renderer."""

from __future__ import annotations

from typing import Any, Optional

import typer

from memcli.base.errors import InvalidInput
from memcli.base.vocab import Actor, Event, Kind
from memcli.frontends.cli import render
from memcli.frontends.cli.state import JsonOpt, UserOpt, YesOpt, ask, confirm, edit_in_editor, handled, parse_meta, state, user_of


@handled
def add(
    text: list[str] = typer.Argument(..., help="The memory text ('-' reads it from stdin)."),
    user: Optional[str] = UserOpt,
    agent: Optional[str] = typer.Option(None, "--agent", help="Agent id to file it under."),
    session: Optional[str] = typer.Option(None, "--session", help="Session id to file it under."),
    kind: str = typer.Option("fact", "--kind", help="Kind of memory (fact, note, ...)."),
    meta: list[str] = typer.Option([], "--meta", "-m", help="Metadata KEY=VALUE (repeatable)."),
    infer: bool = typer.Option(False, "--infer", help="Extract facts from the text instead of storing it as is."),
    at: Optional[str] = typer.Option(None, "--at", help="When it was said (ISO 8601; default now)."),
    as_json: bool = JsonOpt,
) -> None:
    """Remember a piece of text (or, with --infer, the facts in it)."""
    st = state()
    body = st.env.input.read() if text == ["-"] else " ".join(text)
    mem = st.memory()
    results = mem.add(body, user_id=user_of(user), agent_id=agent, session_id=session, metadata=parse_meta(meta),
                      kind=None if infer else kind, actor=Actor.CLI, infer=infer, timestamp=at)
    if as_json:
        st.render.json({"results": [r.to_dict() for r in results]})
        return
    if not results or (infer and all(r.kind == Kind.MESSAGE for r in results)):
        st.render.note("no facts found in that text" if infer else "nothing stored")
    failed = False
    for r in results:
        if r.event == Event.PENDING:
            if ask(f"{render.sentence(r.reason)}. Store '{r.memory}'?"):
                for applied in mem.resolve(r, True, actor=Actor.CLI):
                    st.render.line(render.describe(applied))
                continue
            st.render.error(f"not stored: {r.reason} (answer in a terminal, or set the [privacy] policy)")
            failed = True
        elif r.event == Event.REFUSED:
            st.render.error(f"not stored: {r.reason}")
            failed = True
        elif not (infer and r.kind == Kind.MESSAGE):
            st.render.line(render.describe(r))
    kept = sum(1 for r in results if infer and r.kind == Kind.MESSAGE and r.event == Event.ADD)
    if kept:
        st.render.note(f"(the text itself is kept too, as {kept} searchable piece{'s' if kept > 1 else ''})")
    if failed:
        raise typer.Exit(1)


@handled
def search(
    query: list[str] = typer.Argument(..., help="What to look for, in plain words."),
    user: Optional[str] = UserOpt,
    limit: int = typer.Option(10, "--limit", "-n", min=1, help="How many results."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Drop results scoring below this."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="What was true then (2025-06-01, 30d, ...)."),
    include_past: bool = typer.Option(False, "--include-past", help="Also facts that are no longer true."),
    include_cold: bool = typer.Option(False, "--include-cold", help="Also search the cold tier (faded memories; "
                                                                    "by default only when nothing hot matches well)."),
    as_json: bool = JsonOpt,
) -> None:
    """Find memories by meaning (facts true now, unless --as-of or --include-past)."""
    st = state()
    items = st.memory().search(" ".join(query), user_id=user_of(user), limit=limit,
                               filters={"kind": kind} if kind else None, threshold=threshold, as_of=as_of,
                               include_past=include_past, include_cold=include_cold)
    if as_json:
        st.render.json({"results": [i.to_dict() for i in items]})
    elif not items:
        st.render.note("no memories found")
    else:
        st.render.print(render.memory_table(items, scores=True, validity=include_past or as_of is not None))


@handled
def list_(
    user: Optional[str] = UserOpt,
    kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind."),
    since: Optional[str] = typer.Option(None, "--since", help="Only newer than this: 2026-11-01, 7d, 12h, today."),
    limit: int = typer.Option(50, "--limit", "-n", min=0, help="At most this many, newest first (0: all)."),
    all_users: bool = typer.Option(False, "--all-users", help="Every user's memories."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="What was true then (2025-06-01, 30d, ...)."),
    include_past: bool = typer.Option(False, "--include-past", help="Also facts that are no longer true."),
    sensitive: bool = typer.Option(False, "--sensitive", help="Only memories holding sensitive data."),
    as_json: bool = JsonOpt,
) -> None:
    """List memories, newest first (facts true now, unless --as-of or --include-past)."""
    st = state()
    mem = st.memory()
    users = mem.users() if all_users else [user_of(user)]
    cap = limit or None
    items = [i for u in users for i in mem.get_all(user_id=u, limit=cap, filters={"kind": kind} if kind else None,
                                                   since=since, as_of=as_of, include_past=include_past,
                                                   sensitive=sensitive)]
    if all_users:
        items.sort(key=lambda i: i.id, reverse=True)
        items = items[:cap] if cap else items
    if cap and len(items) == cap and not as_json:
        st.render.note(f"showing the newest {cap}; --limit 0 shows all")
    if as_json:
        st.render.json({"results": [i.to_dict() for i in items]})
    elif not items:
        st.render.note("no memories yet")
    else:
        st.render.print(render.memory_table(items, users=all_users, validity=include_past or as_of is not None))


@handled
def show(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Show one memory with its metadata."""
    st = state()
    item = st.memory().get(memory_id)
    if as_json:
        st.render.json(item.to_dict())
    else:
        st.render.fields(item.to_dict(), width=11)


@handled
def edit(
    memory_id: int = typer.Argument(..., metavar="ID"),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="The new text (otherwise $EDITOR opens)."),
    as_json: bool = JsonOpt,
) -> None:
    """Change a memory's text (the old text stays in its history)."""
    st = state()
    mem = st.memory()
    current = mem.get(memory_id)
    if text is None:
        text = edit_in_editor(current.memory)
        if text is None:
            st.render.note("unchanged")
            return
    item = mem.update(memory_id, text, actor=Actor.CLI)
    if as_json:
        st.render.json(item.to_dict())
    else:
        st.render.line(f"Updated memory {item.id}")


@handled
def forget(
    memory_id: Optional[int] = typer.Argument(None, metavar="[ID]", help="The memory to forget."),
    user: Optional[str] = typer.Option(None, "--user", "-u", help="Without ID: erase everything about this user."),
    session: Optional[str] = typer.Option(None, "--session", help="Erase one chat session (messages and memories)."),
    before: Optional[str] = typer.Option(None, "--before", help="Erase what was stored before this date."),
    yes: bool = YesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Forget one memory (ID), a session (--session), everything before a date
    (--before), or everything about a user (--user NAME alone)."""
    st = state()
    mem = st.memory()
    if sum(x is not None for x in (memory_id, session, before)) > 1:
        raise InvalidInput("give one of ID, --session or --before")
    result: dict[str, Any]
    if session is not None or before is not None:
        who = user_of(user)
        if session is not None:
            confirm(f"Erase session {session!r} of {who!r}, with its messages and memories?", yes)
            counts = mem.forget_session(session, who, actor=Actor.CLI)
            what = f"session {session!r}"
        else:
            confirm(f"Erase everything of {who!r} stored before {before}?", yes)
            counts = mem.forget_before(before, who, actor=Actor.CLI)  # type: ignore[arg-type]
            what = f"everything before {before}"
        result = {"user": who, **counts}
        message = f"Erased {what}: {counts['memories']} memories, {counts['messages']} messages"
    elif memory_id is not None:
        item = mem.get(memory_id, user_id=user)
        confirm(f"Forget memory {memory_id} ({item.memory[:60]!r})?", yes)
        mem.delete(memory_id, actor=Actor.CLI, user_id=user)
        result, message = {"forgotten": [memory_id]}, f"Forgot memory {memory_id}"
    elif user is not None:
        confirm(f"Erase everything memcli knows about user {user!r}?", yes)
        count = mem.delete_all(user)
        result = {"user": user, "memories_erased": count}
        message = f"Erased user {user!r}: {count} memories, with their history, sessions and index"
    else:
        raise InvalidInput("say what to forget: an ID, or --user NAME")
    if as_json:
        st.render.json(result)
    else:
        st.render.line(message)


@handled
def history(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Show every change to a memory."""
    st = state()
    events = st.memory().history(memory_id)
    if as_json:
        st.render.json({"results": [e.to_dict() for e in events]})
    else:
        st.render.print(render.history_table(memory_id, events))


@handled
def why(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Where a memory came from: its source messages and its history."""
    st = state()
    data = st.memory().why(memory_id)
    if as_json:
        st.render.json(data)
        return
    for line in render.why_lines(data):
        st.render.print(line)


@handled
def episodes(
    user: Optional[str] = UserOpt,
    type_: Optional[str] = typer.Option(None, "--type", help="Only this type (event, session, ...)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only since then: 2026-11-01, 7d, today."),
    limit: int = typer.Option(20, "--limit", "-n", min=0, help="At most this many (0: all)."),
    as_json: bool = JsonOpt,
) -> None:
    """The episodic log: dated events and session summaries, most recent first."""
    st = state()
    items = st.memory().episodes(user_of(user), type=type_, since=since, limit=limit or None)
    if as_json:
        st.render.json({"results": [i.to_dict() for i in items]})
    elif not items:
        st.render.note("no episodes yet")
    else:
        st.render.print(render.episode_table(items))


@handled
def pin(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Keep a memory forever: it never fades and is never pruned."""
    _pin(memory_id, True, as_json)


@handled
def unpin(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Let a pinned memory fade again."""
    _pin(memory_id, False, as_json)


def _pin(memory_id: int, pinned: bool, as_json: bool) -> None:
    st = state()
    item = st.memory().pin(memory_id, pinned, actor=Actor.CLI)
    if as_json:
        st.render.json(item.to_dict())
    else:
        st.render.line(f"{'Pinned' if pinned else 'Unpinned'} memory {item.id}")
