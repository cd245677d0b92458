"""memcli as the memory of other tools: an MCP server (:mod:`.mcp_server`) and a
REST API (:mod:`.rest`). Both are thin layers over :class:`memcli.Memory`: no
SQL and no policy of their own, the same errors, the same user isolation.
What they share (one Memory per server, calls serialised, errors to messages,
the embedder warmed up in the background) is in :mod:`.service`."""
