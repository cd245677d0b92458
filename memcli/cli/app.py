"""The ``memcli`` command line (Typer). Thin: every command calls :class:`Memory`.

Conventions (DESIGN.md): ``--user/-u`` wherever a user applies, ``--json`` for
machine-readable output, ``--yes/-y`` to skip confirmations, ``--db`` and
``--config`` on the top-level app, exit 0 / 1 (user error) / 2 (usage) / 130.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer

from ..config import Config
from ..errors import InvalidInput, MemcliError
from . import render

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="memcli",
    help="A personal assistant with memory that runs on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    """Options of the top-level app, and the Memory opened from them on demand."""

    def __init__(self, db: Optional[Path], config: Optional[Path], debug: bool) -> None:
        self.db = db
        self.config_path = config
        self.debug = debug
        self._config: Config | None = None
        self._memory: Any = None
        self.progress = render.ProgressBar()

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = Config.load(self.config_path)
            if self.db is not None:
                self._config.db = str(self.db)
        return self._config

    def memory(self) -> Any:
        if self._memory is None:
            from ..memory import Memory

            self._memory = Memory(config=self.config, progress=self.progress)
        return self._memory

    def close(self) -> None:
        self.progress.close()
        if self._memory is not None:
            self._memory.close()
            self._memory = None


_STATE: State | None = None


def state() -> State:
    """The options of the current invocation (set by the top-level callback)."""
    assert _STATE is not None, "memcli commands run through the Typer app"
    return _STATE


def handled(func: F) -> F:
    """Turn MemcliError into one line on stderr and exit 1 (a traceback only
    with --debug); Ctrl-C into exit 130. Closes the Memory either way."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        st = state()
        try:
            return func(*args, **kwargs)
        except MemcliError as exc:
            if st.debug:
                raise
            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            render.note("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        finally:
            try:
                st.close()
            except MemcliError as exc:  # e.g. an index that cannot be saved
                render.error(str(exc))

    return wrapper  # type: ignore[return-value]


def version_callback(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"memcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(None, "--db", help="SQLite file to use (its index sits beside it)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (default: XDG config, or $MEMCLI_HOME/config.toml)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Print the version."),
) -> None:
    """A personal assistant with memory that runs on your own machine.

    Data lives in one SQLite file under ~/.local/share/memcli (or $MEMCLI_HOME).
    """
    global _STATE
    _STATE = State(db, config, debug)


UserOpt = typer.Option(None, "--user", "-u", help="Whose memories (default: config 'user', then your login name).")
JsonOpt = typer.Option(False, "--json", help="Print one JSON document instead of a table.")
YesOpt = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")


def user_of(user: Optional[str]) -> str:
    return user if user is not None else state().config.user


def confirm(question: str, yes: bool) -> None:
    """Ask before destroying data; refuse without --yes when nobody can answer."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput(f"{question.rstrip('?')}: refusing without --yes (stdin is not a terminal)")
    if not typer.confirm(question, default=False):
        render.note("nothing changed")
        raise typer.Exit(1)


def parse_meta(pairs: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InvalidInput(f"--meta takes KEY=VALUE, not {pair!r}")
        key, value = pair.split("=", 1)
        if not key.strip():
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


# --- commands -------------------------------------------------------------------


@app.command()
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
    body = sys.stdin.read() if text == ["-"] else " ".join(text)
    results = state().memory().add(
        body, user_id=user_of(user), agent_id=agent, session_id=session,
        metadata=parse_meta(meta), kind=None if infer else kind, actor="cli", infer=infer, timestamp=at,
    )
    if as_json:
        render.print_json({"results": [r.to_dict() for r in results]})
        return
    if not results or (infer and all(r.kind == "message" for r in results)):
        render.note("no facts found in that text" if infer else "nothing stored")
    mem = state().memory()
    failed = False
    for r in results:
        if r.event == "PENDING":
            if sys.stdin.isatty() and typer.confirm(f"{r.reason[0].upper()}{r.reason[1:]}. Store '{r.memory}'?"):
                for applied in mem.resolve(r, True, actor="cli"):
                    render.out.print(describe(applied), highlight=False, markup=False)
                continue
            render.error(f"not stored: {r.reason} (answer in a terminal, or set the [privacy] policy)")
            failed = True
        elif r.event == "REFUSED":
            render.error(f"not stored: {r.reason}")
            failed = True
        elif not (infer and r.kind == "message"):
            render.out.print(describe(r), highlight=False, markup=False)
    kept = sum(1 for r in results if infer and r.kind == "message" and r.event == "ADD")
    if kept:
        render.note(f"(the text itself is kept too, as {kept} searchable piece{'s' if kept > 1 else ''})")
    if failed:
        raise typer.Exit(1)


def describe(r: Any) -> str:
    """One line for what happened to a memory."""
    if r.event == "ADD":
        return f"Added memory {r.id}: {r.memory}"
    if r.event == "NONE":
        return f"Already remembered as memory {r.id}: {r.memory}"
    if r.event == "UPDATE":
        return f"Updated memory {r.id}: {r.previous_memory} -> {r.memory}"
    if r.event == "SUPERSEDE":
        return f"Added memory {r.id}: {r.memory} (memory {r.previous_id} '{r.previous_memory}' is no longer current)"
    if r.event == "DELETE":
        return f"Memory {r.id} is no longer true: {r.memory}"
    if r.event == "CONFLICT":
        return f"Not stored: '{r.memory}' conflicts with memory {r.previous_id} '{r.previous_memory}'"
    if r.event in ("REFUSED", "PENDING"):
        return f"Not stored: {r.reason}"
    return f"{r.event} {r.id}: {r.memory}"


@app.command()
@handled
def search(
    query: list[str] = typer.Argument(..., help="What to look for, in plain words."),
    user: Optional[str] = UserOpt,
    limit: int = typer.Option(10, "--limit", "-n", min=1, help="How many results."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Drop results scoring below this."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="What was true then (2025-06-01, 30d, ...)."),
    include_past: bool = typer.Option(False, "--include-past", help="Also facts that are no longer true."),
    as_json: bool = JsonOpt,
) -> None:
    """Find memories by meaning (facts true now, unless --as-of or --include-past)."""
    filters = {"kind": kind} if kind else None
    items = state().memory().search(" ".join(query), user_id=user_of(user), limit=limit,
                                    filters=filters, threshold=threshold, as_of=as_of, include_past=include_past)
    if as_json:
        render.print_json({"results": [i.to_dict() for i in items]})
    elif not items:
        render.note("no memories found")
    else:
        render.out.print(render.memory_table(items, scores=True, validity=include_past or as_of is not None))


@app.command("list")
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
    mem = state().memory()
    users = mem.users() if all_users else [user_of(user)]
    filters = {"kind": kind} if kind else None
    cap = limit or None
    items = [i for u in users for i in mem.get_all(user_id=u, limit=cap, filters=filters, since=since,
                                                   as_of=as_of, include_past=include_past, sensitive=sensitive)]
    if all_users:
        items.sort(key=lambda i: i.id, reverse=True)
        items = items[:cap] if cap else items
    if cap and len(items) == cap and not as_json:
        render.note(f"showing the newest {cap}; --limit 0 shows all")
    if as_json:
        render.print_json({"results": [i.to_dict() for i in items]})
    elif not items:
        render.note("no memories yet")
    else:
        render.out.print(render.memory_table(items, users=all_users, validity=include_past or as_of is not None))


@app.command()
@handled
def show(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Show one memory with its metadata."""
    item = state().memory().get(memory_id)
    if as_json:
        render.print_json(item.to_dict())
        return
    from rich.text import Text

    for key, value in item.to_dict().items():
        line = Text(f"{key:>11}: ", style="bold")
        line.append(str(value))
        render.out.print(line)


@app.command()
@handled
def edit(
    memory_id: int = typer.Argument(..., metavar="ID"),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="The new text (otherwise $EDITOR opens)."),
    as_json: bool = JsonOpt,
) -> None:
    """Change a memory's text (the old text stays in its history)."""
    mem = state().memory()
    current = mem.get(memory_id)
    if text is None:
        text = edit_in_editor(current.memory)
        if text is None:
            render.note("unchanged")
            return
    item = mem.update(memory_id, text, actor="cli")
    if as_json:
        render.print_json(item.to_dict())
    else:
        render.out.print(f"Updated memory {item.id}")


@app.command()
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
    mem = state().memory()
    if sum(x is not None for x in (memory_id, session, before)) > 1:
        raise InvalidInput("give one of ID, --session or --before")
    if session is not None or before is not None:
        who = user_of(user)
        if session is not None:
            confirm(f"Erase session {session!r} of {who!r}, with its messages and memories?", yes)
            counts = mem.forget_session(session, who, actor="cli")
            what = f"session {session!r}"
        else:
            confirm(f"Erase everything of {who!r} stored before {before}?", yes)
            counts = mem.forget_before(before, who, actor="cli")  # type: ignore[arg-type]
            what = f"everything before {before}"
        if as_json:
            render.print_json({"user": who, **counts})
        else:
            render.out.print(f"Erased {what}: {counts['memories']} memories, {counts['messages']} messages")
        return
    if memory_id is not None:
        item = mem.get(memory_id)
        if user is not None and item.user_id != user:
            raise InvalidInput(f"memory {memory_id} does not belong to user {user!r}")
        confirm(f"Forget memory {memory_id} ({item.memory[:60]!r})?", yes)
        mem.delete(memory_id, actor="cli")
        result: dict[str, Any] = {"forgotten": [memory_id]}
        message = f"Forgot memory {memory_id}"
    elif user is not None:
        confirm(f"Erase everything memcli knows about user {user!r}?", yes)
        count = mem.delete_all(user)
        result = {"user": user, "memories_erased": count}
        message = f"Erased user {user!r}: {count} memories, with their history, sessions and index"
    else:
        raise InvalidInput("say what to forget: an ID, or --user NAME")
    if as_json:
        render.print_json(result)
    else:
        render.out.print(message, markup=False)


@app.command()
@handled
def history(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Show every change to a memory."""
    events = state().memory().history(memory_id)
    if as_json:
        render.print_json({"results": [e.to_dict() for e in events]})
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"history of memory {memory_id}")
    for col in ("when (UTC)", "event", "old", "new", "by", "why"):
        table.add_column(col, overflow="fold")
    for e in events:
        table.add_row(render.short_time(e.created_at), e.event, Text(e.old_memory or ""),
                      Text(e.new_memory or ""), e.actor or "", Text(e.reason or ""))
    render.out.print(table)


@app.command()
@handled
def export(
    user: Optional[str] = UserOpt,
    all_users: bool = typer.Option(False, "--all-users", help="Export every user."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    no_vectors: bool = typer.Option(False, "--no-vectors", help="Leave embeddings out (smaller; import re-embeds)."),
    redact: bool = typer.Option(False, "--redact", help="Mask sensitive values (for sharing; leaves vectors out)."),
) -> None:
    """Export memories, history and chats as JSON (lossless; see `import`)."""
    import json

    from ..files import write_private

    doc = state().memory().export(user_of(user), all_users=all_users, include_vectors=not no_vectors,
                                  redact=redact)
    data = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_private(output, data)
        render.note(f"wrote {len(doc['memories'])} memories to {output}")


@app.command("import")
@handled
def import_(
    file: str = typer.Argument(..., metavar="FILE", help="A memcli export or a Mem0 get_all dump ('-': stdin)."),
    user: Optional[str] = typer.Option(None, "--user", "-u", help="User for records that name none."),
    as_json: bool = JsonOpt,
) -> None:
    """Import an export file (validated before anything is written)."""
    from ..transfer import load_json

    if file == "-":
        raw, name = sys.stdin.buffer.read(), "stdin"
    else:
        try:
            raw, name = Path(file).read_bytes(), file
        except OSError as exc:
            raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    report = state().memory().import_data(load_json(raw, name), user_id=user_of(user))
    if as_json:
        render.print_json(report.to_dict())
    else:
        render.out.print(
            f"Imported {report.imported} memories ({report.skipped_duplicates} already known, "
            f"{report.reembedded} re-embedded) from a {report.source} export"
            + (f"; {report.refused} not stored by the privacy policy" if report.refused else ""),
            markup=False,
        )


@app.command()
@handled
def stats(user: Optional[str] = typer.Option(None, "--user", "-u", help="Only this user."),
          as_json: bool = JsonOpt) -> None:
    """Counts and sizes of what is stored."""
    data = state().memory().stats(user)
    if as_json:
        render.print_json(data)
        return
    for key, value in data.items():
        render.out.print(f"[bold]{key:>15}[/]: {value}", highlight=False)


@app.command()
@handled
def reindex(user: Optional[str] = typer.Option(None, "--user", "-u", help="Only this user (default: all)."),
            as_json: bool = JsonOpt) -> None:
    """Rebuild the search index from the vectors stored in the database."""
    report = state().memory().reindex(user)
    if as_json:
        render.print_json(report)
    else:
        total = sum(report["users"].values())
        render.out.print(f"Reindexed {total} memories of {len(report['users'])} users in {report['seconds']} s")


@app.command("config")
@handled
def config_(as_json: bool = JsonOpt) -> None:
    """Show the resolved settings and where everything lives."""
    data = state().config.to_dict()
    if as_json:
        render.print_json(data)
        return
    paths = data.pop("paths")
    chat = data.pop("chat")
    for key, value in paths.items():
        render.out.print(f"[bold]{key:>8}[/]: {value}", highlight=False)
    render.out.print("")
    for key, value in data.items():
        if key != "config_path":
            render.out.print(f"{key} = {value!r}", highlight=False, markup=False)
    render.out.print("[chat]", markup=False)
    for key, value in chat.items():
        render.out.print(f"{key} = {value!r}", highlight=False, markup=False)


@app.command()
@handled
def pin(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Keep a memory forever: it never fades and is never pruned."""
    item = state().memory().pin(memory_id, True, actor="cli")
    render.print_json(item.to_dict()) if as_json else render.out.print(f"Pinned memory {item.id}")


@app.command()
@handled
def unpin(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Let a pinned memory fade again."""
    item = state().memory().pin(memory_id, False, actor="cli")
    render.print_json(item.to_dict()) if as_json else render.out.print(f"Unpinned memory {item.id}")


@app.command()
@handled
def prune(
    user: Optional[str] = UserOpt,
    threshold: float = typer.Option(0.05, "--threshold", min=0.0, max=1.0, help="Retention below which a memory goes."),
    apply: bool = typer.Option(False, "--apply", help="Delete them (default: only show what would go)."),
    consolidate: bool = typer.Option(
        False, "--consolidate",
        help="Replace each group of related faded memories by one summary, instead of deleting them."),
    similarity: float = typer.Option(0.45, "--similarity", min=0.01, max=1.0,
                                     help="With --consolidate: how alike memories must be to share a summary."),
    yes: bool = YesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Forget memories that have faded (a dry run unless --apply)."""
    mem = state().memory()
    who = user_of(user)
    if consolidate:
        _consolidate(mem, who, threshold, similarity, apply, yes, as_json)
        return
    faded = mem.prune(who, threshold)
    if apply and faded:
        confirm(f"Delete {len(faded)} faded memories of {who!r}?", yes)
        mem.delete_many([item.id for item, _ in faded], actor="cli", reason=f"pruned: retention below {threshold}")
    rows = [{"id": i.id, "memory": i.memory, "retention": round(r, 4), "importance": i.importance,
             "access_count": i.access_count, "last_used": i.last_accessed or i.valid_from or i.created_at}
            for i, r in faded]
    if as_json:
        render.print_json({"applied": apply, "threshold": threshold, "results": rows})
        return
    if not rows:
        render.note(f"nothing has faded below {threshold}")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=("deleted" if apply else "would delete (dry run; --apply to delete)"))
    for col in ("id", "retention", "memory", "importance", "uses", "last used"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), f"{r['retention']:.3f}", Text(r["memory"]), f"{r['importance']:.1f}",
                      str(r["access_count"]), str(r["last_used"])[:10])
    render.out.print(table)


def _consolidate(mem: Any, who: str, threshold: float, similarity: float, apply: bool, yes: bool,
                 as_json: bool) -> None:
    groups = mem.consolidate(who, threshold, similarity=similarity)
    if apply and groups:
        count = sum(len(g.members) for g in groups)
        confirm(f"Replace {count} faded memories of {who!r} by {len(groups)} summaries?", yes)
        groups = mem.consolidate(who, threshold, similarity=similarity, apply=True, actor="cli")
    if as_json:
        render.print_json({"applied": apply, "threshold": threshold, "similarity": similarity,
                           "results": [g.to_dict() for g in groups]})
        return
    if not groups:
        render.note(f"no group of related memories has faded below {threshold}")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=("consolidated" if apply else "would consolidate (dry run; --apply to do it)"))
    for col in ("summary", "memory", "replaces"):
        table.add_column(col, overflow="fold")
    for g in groups:
        table.add_row(str(g.memory_id) if g.memory_id else "new", Text(g.summary),
                      Text(", ".join(f"#{m.id}" for m in g.members)))
    render.out.print(table)


@app.command()
@handled
def episodes(
    user: Optional[str] = UserOpt,
    type_: Optional[str] = typer.Option(None, "--type", help="Only this type (event, session, ...)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only since then: 2026-11-01, 7d, today."),
    limit: int = typer.Option(20, "--limit", "-n", min=0, help="At most this many (0: all)."),
    as_json: bool = JsonOpt,
) -> None:
    """The episodic log: dated events and session summaries, most recent first."""
    items = state().memory().episodes(user_of(user), type=type_, since=since, limit=limit or None)
    if as_json:
        render.print_json({"results": [i.to_dict() for i in items]})
    elif not items:
        render.note("no episodes yet")
    else:
        render.out.print(render.episode_table(items))


@app.command()
@handled
def why(memory_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt) -> None:
    """Where a memory came from: its source messages and its history."""
    data = state().memory().why(memory_id)
    if as_json:
        render.print_json(data)
        return
    from rich.text import Text

    m = data["memory"]
    head = Text(f"memory {m['id']}: ", style="bold")
    head.append(m["memory"])
    render.out.print(head)
    span = f"true from {render.short_time(m.get('valid_from'))}" if m.get("valid_from") else ""
    if m.get("valid_to"):
        span += f" until {render.short_time(m['valid_to'])}"
    if span:
        render.out.print(f"  {span}", highlight=False)
    render.out.print("source messages:" if data["messages"] else "source messages: none (added directly)")
    for msg in data["messages"]:
        line = Text(f"  [{render.short_time(msg['said_at'])}, session {msg['session_id']}] {msg['role']}: ")
        line.append(msg["content"])
        render.out.print(line)
    render.out.print("history:")
    for e in data["history"]:
        line = Text(f"  {render.short_time(e['created_at'])} {e['event']}: ")
        line.append(e.get("new_memory") or e.get("old_memory") or "")
        if e.get("reason"):
            line.append(f"  ({e['reason']})", style="dim")
        render.out.print(line)


@app.command()
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
    from ..models.llm import make_llm
    from .repl import Repl

    st = state()
    cfg = st.config
    mem = st.memory()
    who = user_of(user)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if session and resume:
        raise InvalidInput("use --session ID or --resume, not both")
    session_id = session
    if resume:
        session_id = ChatSession.last_session_id(mem, who)
        if session_id is None:
            render.note("no earlier session to resume; starting a new one")
    if interactive:
        render.note("loading the model...")
    llm = make_llm(
        model if model is not None else cfg.chat.model,
        models_dir=cfg.models_dir, n_ctx=cfg.chat.n_ctx, threads=cfg.chat.threads,
        config_hint=cfg.config_path or "the config file", progress=st.progress,
    )
    conversation = ChatSession(mem, llm, cfg.chat, who, session_id, use_memory=not no_memory)
    Repl(conversation, interactive=interactive).run()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
