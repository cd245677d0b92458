"""``memcli mcp`` and ``memcli serve``: memcli as the memory of other tools."""

from __future__ import annotations

import os
from typing import Optional

import typer

from memcli.frontends.cli.state import UserOpt, handled, state, user_of


@handled
def mcp(user: Optional[str] = UserOpt) -> None:
    """Serve your memory to MCP clients (an editor's agent, a chat app) over stdin/stdout."""
    from memcli.frontends.mcp_server import serve

    st = state()
    serve(st.memory(), user_of(user))


@handled
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to listen on (0: any free one)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="MEMCLI_TOKEN",
                                        help="Bearer token clients must send (required off loopback)."),
) -> None:
    """Serve a REST API (Mem0-shaped paths, OpenAPI at /openapi.json) over HTTP."""
    from memcli.frontends.rest import run

    st = state()
    run(st.memory(), host=host, port=port, token=token or os.environ.get("MEMCLI_TOKEN"))
