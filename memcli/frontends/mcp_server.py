"""``memcli mcp``: the person's memory as a Model Context Protocol server over stdio.

One server process serves one user (``--user``, default as everywhere): no
tool takes a user, and every id a client passes is checked against that user
(another user's memory is "not found", as a missing one). Tools call
:class:`memcli.Memory` and nothing else; an error is the CLI's one-line
message, returned as the tool's error. Logs go to stderr; stdout is the
protocol's. The embedder loads in the background after the handshake, so a
client is never kept waiting to connect; a tool that needs it waits for it.

Besides memcli's own tools, the names OpenMemory's server used
(``add_memories``, ``search_memory``, ``list_memories``, ``delete_memories``,
``delete_all_memories``) are served too, so configurations written for it
keep working.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

from pydantic import BaseModel, Field

from memcli.base.errors import InvalidInput
from memcli.memory import Memory
from memcli.frontends.service import Service, message_of

ACTOR = "mcp"
INSTRUCTIONS = (
    "memcli remembers the person you are talking with, across sessions and tools. Call `search` before "
    "answering anything about them (where they live, work, family, likes, what happened), and `add` with what "
    "they tell you about themselves, in their own words (infer=true finds the facts and keeps them up to date: a "
    "move replaces the old city). Never add what you, the assistant, said or guessed."
)


class ChatLine(BaseModel):
    role: Literal["user", "assistant"] = Field(description="Who said it: the person ('user') or the assistant.")
    content: str = Field(description="What was said.")


def _items(found: list[Any]) -> dict[str, Any]:
    return {"results": [i.to_dict() for i in found]}


class _Calls:
    """What every tool needs: the person's memory, and a call through the service
    whose every failure reaches the client as one line."""

    def __init__(self, memory: Memory, user: str, service: Service) -> None:
        from mcp.server.mcpserver.exceptions import ToolError

        self.memory, self.user, self.service, self.tool_error = memory, user, service, ToolError

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return self.service.call(fn, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure reaches the client as one line
            raise self.tool_error(message_of(exc)) from None


def build(memory: Memory, user: str) -> Any:
    """The MCP server of ``user``'s memory."""
    from mcp.server.mcpserver import MCPServer

    service = Service(memory)
    server = MCPServer("memcli", instructions=INSTRUCTIONS, log_level="WARNING")
    calls = _Calls(memory, user, service)
    _own_tools(server, calls)
    _openmemory_tools(server, calls)
    _resources(server, calls)
    server._memcli_service = service  # type: ignore[attr-defined]  # closed by serve()
    return server


def _own_tools(server: Any, calls: _Calls) -> None:
    """memcli's own tools."""
    run, memory, user = calls.run, calls.memory, calls.user
    ToolError = calls.tool_error

    @server.tool(description="Remember what the person said: `text`, or the lines of a conversation in `messages`. "
                             "infer=true (default) extracts facts and reconciles them with what is known; "
                             "infer=false stores the text as given. Only the person's own words become memories.")
    def add(text: str | None = None, messages: list[ChatLine] | None = None, infer: bool = True,
            metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        if (text is None) == (messages is None):
            raise ToolError("give either text or messages")
        said: Any = text if text is not None else [m.model_dump() for m in messages or []]
        return _items(run(memory.add, said, user_id=user, metadata=metadata, infer=infer, actor=ACTOR))

    @server.tool(description="Find what is remembered about the person, by meaning, best first. as_of (a date) "
                             "answers what was true then; include_past adds facts that are no longer true; "
                             "include_cold searches faded memories too.")
    def search(query: str, limit: int = Field(default=10, ge=1, le=100), as_of: str | None = None,
               include_past: bool = False, include_cold: bool = False) -> dict[str, Any]:
        return _items(run(memory.search, query, user_id=user, limit=limit, as_of=as_of, include_past=include_past,
                         include_cold=include_cold))

    @server.tool(name="list", description="The person's memories, newest first. kind: fact, episode, message, "
                                          "note, summary; since: a date or an age such as 7d.")
    def list_(kind: str | None = None, since: str | None = None,
              limit: int = Field(default=50, ge=1, le=1000)) -> dict[str, Any]:
        return _items(run(memory.get_all, user_id=user, limit=limit, filters={"kind": kind} if kind else None,
                         since=since))

    @server.tool(description="One memory by id.")
    def get(id: int) -> dict[str, Any]:
        return dict(run(memory.get, id, user_id=user).to_dict())

    @server.tool(description="Where a memory came from: the messages it was learnt from, and every change to it.")
    def why(id: int) -> dict[str, Any]:
        return dict(run(memory.why, id, user_id=user))

    @server.tool(description="Replace a memory's text (the old text stays in its history).")
    def update(id: int, text: str) -> dict[str, Any]:
        return dict(run(memory.update, id, text, actor=ACTOR, user_id=user).to_dict())

    @server.tool(description="Forget memories by id: gone from search at once, their text and vectors erased.")
    def delete(ids: list[int]) -> dict[str, Any]:
        return {"deleted": run(memory.delete_many, ids, actor=ACTOR, user_id=user)}

    @server.tool(description="The episodic log: dated events and session summaries, most recent first.")
    def episodes(since: str | None = None, type: str | None = None,
                 limit: int = Field(default=20, ge=1, le=1000)) -> dict[str, Any]:
        return _items(run(memory.episodes, user, type=type, since=since, limit=limit))

    @server.tool(description="Pin a memory (it never fades and is never pruned), or unpin it with pinned=false.")
    def pin(id: int, pinned: bool = True) -> dict[str, Any]:
        return dict(run(memory.pin, id, pinned, actor=ACTOR, user_id=user).to_dict())


def _openmemory_tools(server: Any, calls: _Calls) -> None:
    """The names OpenMemory's server used, so configurations written for it keep working."""
    run, memory, user = calls.run, calls.memory, calls.user

    @server.tool(description="Add a memory (OpenMemory's name for `add` with infer=true).")
    def add_memories(text: str) -> dict[str, Any]:
        return _items(run(memory.add, text, user_id=user, infer=True, actor=ACTOR))

    @server.tool(description="Search the memories (OpenMemory's name for `search`).")
    def search_memory(query: str) -> dict[str, Any]:
        return _items(run(memory.search, query, user_id=user, limit=10))

    @server.tool(description="List the memories (OpenMemory's name for `list`).")
    def list_memories() -> dict[str, Any]:
        return _items(run(memory.get_all, user_id=user, limit=100))

    @server.tool(description="Delete memories by id (OpenMemory's name for `delete`).")
    def delete_memories(memory_ids: list[int]) -> dict[str, Any]:
        return {"deleted": run(memory.delete_many, memory_ids, actor=ACTOR, user_id=user)}

    @server.tool(description="Erase EVERYTHING remembered about the person: memories, history, sessions, messages. "
                             "Call with confirm=true only when the person asked for exactly that; without it, "
                             "this says what would be erased and erases nothing.")
    def delete_all_memories(confirm: bool = False) -> dict[str, Any]:
        if not confirm:
            counts = run(memory.stats, user)
            return {"erased": False, "would_erase": {"memories": counts["memories"], "sessions": counts["sessions"],
                                                     "messages": counts["messages"]},
                    "note": "nothing was erased: call again with confirm=true to erase all of it"}
        return {"erased": True, "memories": run(memory.delete_all, user)}


def _resources(server: Any, calls: _Calls) -> None:
    """The person's profile and recent episodes, as MCP resources."""
    run, memory, user = calls.run, calls.memory, calls.user

    @server.resource("memcli://profile", name="profile", mime_type="application/json",
                     description="The person's current core facts: name, home, work, family, pets, diet ...")
    def profile() -> str:
        import json

        return json.dumps([i.to_dict() for i in run(memory.profile, user)], ensure_ascii=False)

    @server.resource("memcli://episodes/recent", name="recent episodes", mime_type="application/json",
                     description="The twenty most recent events and session summaries.")
    def recent_episodes() -> str:
        import json

        return json.dumps([i.to_dict() for i in run(memory.episodes, user, limit=20)], ensure_ascii=False)


def serve(memory: Memory, user: str) -> None:
    """Run the server on stdin/stdout until the client goes away."""
    from memcli.frontends.service import log_to_stderr

    if not user.strip():
        raise InvalidInput("the MCP server needs a user")
    log_to_stderr()
    server = build(memory, user)
    server._memcli_service.warm_up()
    try:
        server.run(transport="stdio")
    finally:
        server._memcli_service.close()
