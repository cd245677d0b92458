"""Terminal output: rich tables for people, plain JSON for programs, one-line
errors on stderr, and progress bars for long work. ``NO_COLOR`` is honoured
by rich itself."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..records import MemoryItem

out = Console(soft_wrap=False, highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """One JSON document on stdout, nothing else (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    # The message is plain text: "[chat] model" must not be read as markup.
    line = Text("error:", style="bold red")
    line.append(f" {message}")
    err.print(line, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    err.print(message, highlight=False, soft_wrap=True, markup=False)


def short_time(stamp: str | None) -> str:
    if not stamp:
        return ""
    return stamp[:16].replace("T", " ")


def memory_table(items: Iterable[MemoryItem], *, scores: bool = False, users: bool = False,
                 title: str | None = None, validity: bool = False) -> Table:
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
        kind = item.kind + (f" [{item.sensitivity}]" if item.sensitivity else "") + (" (pinned)" if item.pinned else "")
        row += [item.memory, kind]
        if validity:
            start = (item.valid_from or item.created_at)[:10]
            row.append(f"{start} .. {item.valid_to[:10]}" if item.valid_to else f"since {start}")
        row.append(short_time(item.created_at))
        # Text(), not str: memory text must never be read as rich markup.
        table.add_row(*[Text(x) for x in row])
    return table


class ProgressBar:
    """A ``progress(label, done, total)`` callback drawing a rich bar on stderr.

    The bar appears on the first call and closes itself when done == total.
    """

    def __init__(self) -> None:
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if total <= 0:
            return
        if self._progress is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(), console=err, transient=True, redirect_stdout=False, redirect_stderr=False,
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


def episode_table(items: Iterable[MemoryItem]) -> Table:
    table = Table()
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("when", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("episode", overflow="fold", ratio=1)
    for item in items:
        table.add_row(str(item.id), (item.valid_from or item.created_at)[:10], Text(item.attribute or ""),
                      Text(item.memory))
    return table
