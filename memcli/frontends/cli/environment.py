"""What the command line reads from the world, in one object (httpie's ``Environment``).

Commands never look at ``sys.stdin.isatty()``, ``NO_COLOR`` or the clock
themselves: they ask the :class:`Environment` the app was started with. A
test passes its own (``CliRunner().invoke(app, args, obj=Environment(...))``)
to reach the branches a terminal would take: a confirmation answered "y",
colour on or off, a fixed clock.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, TextIO


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-less stand-in
        return False


@dataclass
class Environment:
    """Streams, whether they are terminals, colour, and the clock.

    Streams left as None are the process's own at the moment of use (so a
    test runner's captured streams are found); a flag left as None is read
    from the stream.
    """

    stdin: TextIO | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    stdin_isatty: bool | None = None
    stdout_isatty: bool | None = None
    colors: bool | None = None
    clock: Callable[[], datetime] = field(default=_system_clock)

    @property
    def input(self) -> TextIO:
        return self.stdin or sys.stdin

    @property
    def output(self) -> TextIO:
        return self.stdout or sys.stdout

    @property
    def errors(self) -> TextIO:
        return self.stderr or sys.stderr

    @property
    def interactive_input(self) -> bool:
        """Whether a person can answer a question (stdin is a terminal)."""
        return self.stdin_isatty if self.stdin_isatty is not None else _isatty(self.input)

    @property
    def interactive_output(self) -> bool:
        return self.stdout_isatty if self.stdout_isatty is not None else _isatty(self.output)

    @property
    def use_colors(self) -> bool:
        """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
        if self.colors is not None:
            return self.colors
        return self.interactive_output and not os.environ.get("NO_COLOR")
