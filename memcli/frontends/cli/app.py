"""The ``memcli`` command line (Typer). Thin: every command calls :class:`memcli.Memory`.

Conventions (DESIGN.md): ``--user/-u`` wherever a user applies, ``--json`` for
machine-readable output, ``--yes/-y`` to skip confirmations, ``--db`` and
``--config`` on the top-level app, exit 0 / 1 (user error) / 2 (usage) / 130.
The commands live in :mod:`.memories`, :mod:`.upkeep` and :mod:`.chatting`;
what they share (state, errors, options) in :mod:`.state`; what the world
looks like (streams, terminals, colour, clock) in :mod:`.environment`.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from memcli.frontends.cli import chatting, memories, models, serving, upkeep
from memcli.frontends.cli.environment import Environment
from memcli.frontends.cli.state import State, set_state

app = typer.Typer(
    name="memcli",
    help="A personal assistant with memory that runs on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help and usage errors: Typer's Rich panels import
    # rich.markdown and its parser just to print help, 0.10 to 0.15 s of a
    # `memcli --help` that takes 0.23 s without them.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version_callback(value: bool) -> None:
    if value:
        from memcli.base.version import __version__

        typer.echo(f"memcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(None, "--db", help="SQLite file to use (its index sits beside it)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (default: XDG config, or $MEMCLI_HOME/config.toml)."),
    project: Optional[Path] = typer.Option(None, "--project", help="Use the memories of the project in this folder "
                                                                  "(its git root) instead of a person's."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Print the version."),
) -> None:
    """A personal assistant with memory that runs on your own machine.

    Data lives in one SQLite file under ~/.local/share/memcli (or $MEMCLI_HOME).
    """
    env = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    set_state(State(db, config, debug, env, project=project))


COMMANDS: dict[str, Any] = {
    "add": memories.add, "search": memories.search, "list": memories.list_, "show": memories.show,
    "edit": memories.edit, "forget": memories.forget, "history": memories.history, "export": upkeep.export,
    "import": upkeep.import_, "stats": upkeep.stats, "reindex": upkeep.reindex, "config": upkeep.config_,
    "pin": memories.pin, "unpin": memories.unpin, "prune": upkeep.prune, "episodes": memories.episodes,
    "why": memories.why, "chat": chatting.chat, "models": models.models, "mcp": serving.mcp, "serve": serving.serve,
}
for name, command in COMMANDS.items():
    app.command(name)(command)


# the top-level options that take a value (the command's name comes after them)
_VALUED = ("--db", "--config", "--project")


def invoked(args: list[str]) -> str | None:
    """The command a command line names, when it plainly names one: past the
    top-level options, with no help or version asked before it."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif arg.startswith("-"):
            if not (arg == "--debug" or arg.split("=")[0] in _VALUED):  # help, version, or unknown
                return None
        else:
            return arg if arg in COMMANDS else None
    return None


def for_command(name: str | None) -> typer.Typer:
    """The app with only the command ``name`` (all of them for None): Typer
    builds every command's Click parameters from its signature at each start,
    30-odd ms of a `memcli list` on a slow machine, and one command needs one."""
    if name is None:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands = [info for info in app.registered_commands if info.name == name]
    return narrowed


def main() -> None:
    """Console-script entry point."""
    try:
        for_command(invoked(sys.argv[1:]))()
    except KeyboardInterrupt:
        sys.exit(130)
