"""`memcli mcp` through the MCP SDK's own stdio client: spawned, initialised,
every tool called, and two servers on one store kept apart."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from memcli import Memory

MEMCLI_TOOLS = {"add", "search", "list", "get", "why", "update", "delete", "episodes", "pin"}
OPENMEMORY_TOOLS = {"add_memories", "search_memory", "list_memories", "delete_memories", "delete_all_memories"}


def server(user: str) -> Any:
    from mcp.client.stdio import StdioServerParameters

    return StdioServerParameters(command=sys.executable, args=["-m", "memcli", "mcp", "--user", user],
                                 env=dict(os.environ))


async def call(client: Any, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        return {"error": result.content[0].text}
    return result.structured_content


def test_every_tool_through_the_sdk_client(home: Path) -> None:
    from mcp import Client

    async def session() -> None:
        async with Client(server("mina")) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == MEMCLI_TOOLS | OPENMEMORY_TOOLS
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert tools["search"].input_schema["required"] == ["query"] and tools["search"].description

            added = await call(client, "add", text="I live in Seoul. My dog is called Biscuit.")
            assert {r["memory"] for r in added["results"]} >= {"Lives in Seoul", "Has a dog named Biscuit"}
            moved = await call(client, "add", messages=[{"role": "assistant", "content": "Where do you live now?"},
                                                        {"role": "user", "content": "I moved to Busan last month."}])
            assert any(r["event"] == "SUPERSEDE" for r in moved["results"])
            hits = [h["memory"] for h in (await call(client, "search", query="lives in Busan", limit=3))["results"]]
            assert "Lives in Busan" in hits
            now = [h["memory"] for h in (await call(client, "search", query="lives in Seoul"))["results"]]
            past = [h["memory"] for h in (await call(client, "search", query="lives in Seoul", include_past=True))
                    ["results"]]
            assert "Lives in Seoul" not in now and "Lives in Seoul" in past
            listed = (await call(client, "list", kind="fact"))["results"]
            busan = next(i for i in listed if i["memory"] == "Lives in Busan")
            assert (await call(client, "get", id=busan["id"]))["value"] == "Busan"
            assert (await call(client, "why", id=busan["id"]))["messages"][0]["content"] == "I moved to Busan last month."
            assert (await call(client, "pin", id=busan["id"]))["pinned"] is True
            assert (await call(client, "update", id=busan["id"], text="Lives in Busan, by the sea"))["memory"] \
                == "Lives in Busan, by the sea"
            assert (await call(client, "episodes"))["results"][0]["memory"] == "Moved to Busan"
            dog = next(i for i in listed if i["memory"] == "Has a dog named Biscuit")
            assert await call(client, "delete", ids=[dog["id"]]) == {"deleted": 1}
            assert "no memory with id" in (await call(client, "get", id=dog["id"]))["error"]
            assert (await call(client, "add"))["error"].endswith("give either text or messages")

            assert (await call(client, "add_memories", text="I am vegetarian."))["results"][0]["memory"] \
                == "Is vegetarian"
            assert (await call(client, "search_memory", query="vegetarian"))["results"][0]["memory"] \
                == "Is vegetarian"
            veg = (await call(client, "list_memories"))["results"][0]
            assert await call(client, "delete_memories", memory_ids=[veg["id"]]) == {"deleted": 1}

            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            assert resources == {"memcli://profile", "memcli://episodes/recent"}
            profile = (await client.read_resource("memcli://profile")).contents[0].text
            assert "Lives in Busan, by the sea" in profile

            dry = await call(client, "delete_all_memories")
            assert dry["erased"] is False and dry["would_erase"]["memories"] > 0
            assert (await call(client, "delete_all_memories", confirm=True))["erased"] is True
            assert (await call(client, "list"))["results"] == []

    asyncio.run(session())


def test_two_servers_on_one_store_never_mix_their_users(home: Path) -> None:
    from mcp import Client

    with Memory() as m:
        [bob] = m.add("bob's secret recipe", user_id="bob")

    async def session() -> None:
        async with Client(server("alice")) as alice, Client(server("bob")) as bob_client:
            await call(alice, "add", text="alice keeps bees", infer=False)
            assert "no memory with id" in (await call(alice, "get", id=bob.id))["error"]
            assert "no memory with id" in (await call(alice, "delete", ids=[bob.id]))["error"]
            assert "no memory with id" in (await call(alice, "update", id=bob.id, text="x"))["error"]
            assert {h["user_id"] for h in (await call(alice, "search", query="secret recipe bees"))["results"]} \
                == {"alice"}
            assert [h["memory"] for h in (await call(bob_client, "search", query="recipe"))["results"]] \
                == ["bob's secret recipe"]
            await call(alice, "delete_all_memories", confirm=True)
            assert (await call(bob_client, "list"))["results"][0]["memory"] == "bob's secret recipe"

    asyncio.run(session())


def test_the_server_says_nothing_but_protocol_on_stdout(home: Path) -> None:
    """A client reads stdout as JSON-RPC: one stray print would break it."""
    import json
    import subprocess

    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "test", "version": "0"}}}
    result = subprocess.run([sys.executable, "-m", "memcli", "mcp"], input=json.dumps(hello) + "\n",
                            capture_output=True, text=True, env=dict(os.environ), timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["jsonrpc"] == "2.0" for line in lines)
