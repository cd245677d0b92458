"""Terminal output: rich tables for people, plain JSON for programs, one-line
errors on stderr, and progress bars for long work.

Every table and every one-line description of a result is built here; the
commands only choose what to show. Memory text is always wrapped in
``Text`` (never read as rich markup), and every text shown on a terminal
passes through :func:`visible`: a memory may hold anything anyone wrote (an
import, a pasted message, another program through the API), and an escape
sequence in it must not clear the screen or retitle the window. ``--json``
output stays exact.

rich is imported on first use, not with this module: ``memcli --help`` and a
command that prints JSON never need it (its console, table and text modules
are about a third of the CLI's import time).
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable

from memcli.base.records import AddResult, HistoryEvent, MemoryItem
from memcli.base.vocab import Event
from memcli.frontends.cli.environment import Environment

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text


# C0 and C1 control characters (but tab and newline), DEL, and the bidirectional
# overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``) instead of
    acting on the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def shown(text: str | None) -> Text:
    """Text for a table cell or a line: visible, never markup."""
    from rich.text import Text

    return Text(visible(text or ""))


class Renderer:
    """Consoles on the environment's stdout and stderr."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        env = self.env
        force = env.stdout_isatty if env.stdout_isatty is not None else None
        # emoji=False: no ":code:" is ever meant as an emoji here, and its table costs 4 ms of every start
        return Console(file=env.output, soft_wrap=False, highlight=False, no_color=not env.use_colors,
                       force_terminal=force, emoji=False)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(file=self.env.errors, highlight=False, no_color=not self.env.use_colors, emoji=False)

    @cached_property
    def progress(self) -> ProgressBar:
        return ProgressBar(self.err)

    def print(self, renderable: RenderableType) -> None:
        self.out.print(renderable)

    def line(self, text: str, wrap: bool = False) -> None:
        """One line of plain text on stdout (no markup, no highlighting); ``wrap``
        leaves a long line whole for the terminal to wrap (paths stay copyable)."""
        self.out.print(shown(text), highlight=False, soft_wrap=wrap)

    def json(self, data: Any) -> None:
        """One JSON document on stdout, nothing else (no colour, no wrapping)."""
        stream = self.env.output
        stream.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        stream.flush()

    def error(self, message: str) -> None:
        from rich.text import Text

        # The message is plain text: "[chat] model" must not be read as markup.
        line = Text("error:", style="bold red")
        line.append(f" {visible(message)}")
        self.err.print(line, highlight=False, soft_wrap=True)

    def note(self, message: str) -> None:
        self.err.print(shown(message), highlight=False, soft_wrap=True)

    def fields(self, data: dict[str, Any], width: int) -> None:
        """``key: value`` lines, keys right-aligned to ``width`` in bold."""
        from rich.text import Text

        for key, value in data.items():
            line = Text(f"{key:>{width}}: ", style="bold")
            line.append(visible(str(value)))
            self.out.print(line)


def short_time(stamp: str | None) -> str:
    if not stamp:
        return ""
    return stamp[:16].replace("T", " ")


def describe(r: AddResult) -> str:
    """One line for what happened to a memory."""
    if r.event == Event.ADD:
        return f"Added memory {r.id}: {r.memory}"
    if r.event == Event.NONE:
        return f"Already remembered as memory {r.id}: {r.memory}"
    if r.event == Event.UPDATE:
        return f"Updated memory {r.id}: {r.previous_memory} -> {r.memory}"
    if r.event == Event.SUPERSEDE:
        return f"Added memory {r.id}: {r.memory} (memory {r.previous_id} '{r.previous_memory}' is no longer current)"
    if r.event == Event.DELETE:
        return f"Memory {r.id} is no longer true: {r.memory}"
    if r.event == Event.CONFLICT:
        return f"Not stored: '{r.memory}' conflicts with memory {r.previous_id} '{r.previous_memory}'"
    if r.event in (Event.REFUSED, Event.PENDING):
        return f"Not stored: {r.reason}"
    return f"{r.event} {r.id}: {r.memory}"


def sentence(text: str | None) -> str:
    """``text`` with a capital first letter (a reason, shown as a question's start)."""
    return f"{text[0].upper()}{text[1:]}" if text else ""


# --- tables ------------------------------------------------------------------------


def memory_table(items: Iterable[MemoryItem], *, scores: bool = False, users: bool = False,
                 title: str | None = None, validity: bool = False) -> Table:
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    if scores:
        table.add_column("score", justify="right", no_wrap=True)
    if users:
        table.add_column("user", no_wrap=True)
    table.add_column("memory", overflow="fold", ratio=1)
    table.add_column("kind", no_wrap=True)
    if validity:
        table.add_column("true", no_wrap=True)
    table.add_column("created (UTC)", no_wrap=True)
    for item in items:
        row = [str(item.id)]
        if scores:
            row.append(f"{item.score:.3f}" if item.score is not None else "")
        if users:
            row.append(item.user_id)
        kind = item.kind + (f" [{item.sensitivity}]" if item.sensitivity else "") + (" (pinned)" if item.pinned else "") + (" (cold)" if item.cold else "")
        row += [item.memory, kind]
        if validity:
            start = item.started[:10]
            row.append(f"{start} .. {item.valid_to[:10]}" if item.valid_to else f"since {start}")
        row.append(short_time(item.created_at))
        table.add_row(*[shown(x) for x in row])
    return table


def episode_table(items: Iterable[MemoryItem]) -> Table:
    from rich.table import Table

    table = Table()
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("when", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("episode", overflow="fold", ratio=1)
    for item in items:
        table.add_row(str(item.id), item.started[:10], shown(item.attribute), shown(item.memory))
    return table


def history_table(memory_id: int, events: Iterable[HistoryEvent]) -> Table:
    from rich.table import Table

    table = Table(title=f"history of memory {memory_id}")
    for col in ("when (UTC)", "event", "old", "new", "by", "why"):
        table.add_column(col, overflow="fold")
    for e in events:
        table.add_row(short_time(e.created_at), shown(e.event), shown(e.old_memory), shown(e.new_memory),
                      shown(e.actor), shown(e.reason))
    return table


def prune_table(rows: Iterable[dict[str, Any]], applied: bool) -> Table:
    from rich.table import Table

    table = Table(title=("deleted" if applied else "would delete (dry run; --apply to delete)"))
    for col in ("id", "retention", "memory", "importance", "uses", "last used"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), f"{r['retention']:.3f}", shown(r["memory"]), f"{r['importance']:.1f}",
                      str(r["access_count"]), str(r["last_used"])[:10])
    return table


def tier_table(plan: Any) -> Table:
    """The moves of a :class:`memcli.TierPlan` between the hot and cold tiers."""
    from rich.table import Table

    done = plan.applied
    table = Table(title=(f"tiers (cold below retention {plan.cold_below})"
                         + ("" if done else ": dry run; --apply to move")))
    for col in ("id", "retention", "memory", "move"):
        table.add_column(col, overflow="fold")
    for moves, label in ((plan.to_cold, "moved to cold" if done else "to cold"),
                         (plan.to_hot, "moved to hot" if done else "to hot")):
        for item, r in moves:
            table.add_row(str(item.id), f"{r:.3f}", shown(item.memory), label)
    return table


def consolidation_table(groups: Iterable[Any], applied: bool) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=("consolidated" if applied else "would consolidate (dry run; --apply to do it)"))
    for col in ("summary", "memory", "replaces"):
        table.add_column(col, overflow="fold")
    for g in groups:
        table.add_row(str(g.memory_id) if g.memory_id else "new", shown(g.summary),
                      Text(", ".join(f"#{m.id}" for m in g.members)))
    return table


def why_lines(data: dict[str, Any]) -> list[Text]:
    """A memory, its validity, its source messages and its history, as lines."""
    from rich.text import Text

    m = data["memory"]
    lines = [Text(f"memory {m['id']}: ", style="bold") + shown(m["memory"])]
    span = f"true from {short_time(m.get('valid_from'))}" if m.get("valid_from") else ""
    if m.get("valid_to"):
        span += f" until {short_time(m['valid_to'])}"
    if span:
        lines.append(Text(f"  {span}"))
    lines.append(Text("source messages:" if data["messages"] else "source messages: none (added directly)"))
    for msg in data["messages"]:
        source = msg.get("source")
        where = (f"{source.get('conversation')!r} in {source.get('file')} ({source.get('format')})" if source
                 else f"session {msg['session_id']}")
        who = msg.get("speaker") or msg["role"]
        lines.append(shown(f"  [{short_time(msg['said_at'])}, {where}] {who}: ") + shown(msg["content"]))
    lines.append(Text("history:"))
    for e in data["history"]:
        line = shown(f"  {short_time(e['created_at'])} {e['event']}: ") + shown(e.get("new_memory") or
                                                                               e.get("old_memory"))
        if e.get("reason"):
            line.append(f"  ({visible(e['reason'])})", style="dim")
        lines.append(line)
    return lines


class ProgressBar:
    """A ``progress(label, done, total)`` callback drawing a rich bar on stderr.

    The bar appears on the first call and closes itself when done == total.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if total <= 0 or not self.console.is_terminal:
            return  # a bar is for a person watching; in a log it is only stray lines
        if self._progress is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(), console=self.console, transient=True, redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
        if label not in self._tasks:
            self._tasks[label] = self._progress.add_task(label, total=total)
        self._progress.update(self._tasks[label], completed=done, total=total)
        if all(t.finished for t in self._progress.tasks):
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._tasks = {}
