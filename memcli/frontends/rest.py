"""``memcli serve``: a REST API over :class:`memcli.Memory` (FastAPI on uvicorn).

Paths and JSON follow Mem0's self-hosted server where it has an equivalent
(``POST /memories``, ``POST /search``, ``GET /memories?user_id=``,
``GET/PUT/DELETE /memories/{id}``, ``GET /memories/{id}/history``,
``DELETE /memories?user_id=``), plus memcli's own (as-of search, why,
episodes, profile, export, import). OpenAPI at ``/openapi.json``.

Safety: it listens on 127.0.0.1 unless told otherwise, and refuses to listen
anywhere else without a token; with a token, every request must carry
``Authorization: Bearer <token>`` (compared in constant time) or gets 401.
Request bodies are size-limited (413). Errors are ``{"error": "..."}`` with
the CLI's own message and a status (404 unknown id, 422 bad input, 400 other
memcli errors); nothing unexpected ever shows a client a traceback (500 with
a generic line; the details go to the server's log on stderr). An id-based
call with ``user_id`` never reaches another user's memory.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field

from memcli.base.errors import InvalidInput, MemcliError
from memcli.storage.export_format import MAX_DOCUMENT_BYTES
from memcli.memory import Memory
from memcli.frontends.service import Service, log, message_of, status_of

ACTOR = "rest"
MAX_BODY_BYTES = 1 << 20  # every request but an import
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Error(BaseModel):
    error: str = Field(description="What went wrong, in one line (the CLI's own message).")


class ChatLine(BaseModel):
    role: Literal["user", "assistant", "system"] = "user"
    content: str = Field(max_length=100_000, pattern=r"\S")
    name: str | None = Field(default=None, max_length=200, description="The speaker's name, if not the user's.")


USER = Field(min_length=1, max_length=200, pattern=r"\S", description="Whose memories.")


class AddRequest(BaseModel):
    messages: list[ChatLine] | None = Field(default=None, max_length=1000,
                                            description="The conversation (Mem0's shape); or `text`.")
    text: str | None = Field(default=None, max_length=100_000, pattern=r"\S")
    user_id: str = USER
    agent_id: str | None = Field(default=None, max_length=200)
    run_id: str | None = Field(default=None, max_length=200, description="The session, as Mem0 calls it.")
    metadata: dict[str, Any] | None = None
    infer: bool = Field(default=True, description="Extract and reconcile facts (false: store as given).")
    timestamp: str | None = Field(default=None, description="When it was said (ISO 8601); default now.")


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=10_000, pattern=r"\S")
    user_id: str = USER
    limit: int = Field(default=10, ge=1, le=1000)
    filters: dict[str, Any] | None = None
    threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    as_of: str | None = Field(default=None, description="What was true then (a date).")
    include_past: bool = False
    include_cold: bool = Field(default=False, description="Also search faded memories in the cold tier.")


class UpdateRequest(BaseModel):
    text: str = Field(min_length=1, max_length=100_000, pattern=r"\S")
    user_id: str | None = Field(default=None, max_length=200)


class Results(BaseModel):
    results: list[dict[str, Any]]


class Message(BaseModel):
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Error} for code in (400, 401, 404, 413, 422)}


def create_app(memory: Memory, token: str | None = None) -> Any:
    """The ASGI application serving ``memory``."""
    from fastapi import FastAPI

    from memcli.base.version import __version__

    service = Service(memory)
    app = FastAPI(title="memcli", version=__version__, responses=ERRORS,
                  description="A person's memory, on their own machine: the REST face of memcli.")
    app.state.service = service

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return service.call(fn, *args, **kwargs)

    _error_handlers(app)
    _mem0_routes(app, memory, run)
    _own_routes(app, memory, run)
    return guard(app, token)


def _error_handlers(app: Any) -> None:
    """Every failure is ``{"error": "..."}`` with the CLI's message, never a traceback."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    @app.exception_handler(MemcliError)
    async def refused(request: Request, exc: MemcliError) -> JSONResponse:
        return JSONResponse({"error": message_of(exc)}, status_code=status_of(exc))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:  # the last resort: logged, never shown
        return JSONResponse({"error": message_of(exc)}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid')}".strip(": ")}, status_code=422)


def _mem0_routes(app: Any, memory: Memory, run: Callable[..., Any]) -> None:
    """Mem0's paths, with Mem0's bodies and answers."""
    from fastapi import Query

    @app.post("/memories", response_model=Results, summary="Remember text or a conversation")
    def add(body: AddRequest) -> dict[str, Any]:
        if (body.text is None) == (body.messages is None):
            raise InvalidInput("give either text or messages")
        said: Any = body.text if body.text is not None else [m.model_dump(exclude_none=True) for m in body.messages or []]
        found = run(memory.add, said, user_id=body.user_id, agent_id=body.agent_id, session_id=body.run_id,
                    metadata=body.metadata, infer=body.infer, timestamp=body.timestamp, actor=ACTOR)
        return {"results": [r.to_dict() for r in found]}

    @app.post("/search", response_model=Results, summary="Find memories by meaning")
    def search(body: SearchRequest) -> dict[str, Any]:
        found = run(memory.search, body.query, user_id=body.user_id, limit=body.limit, filters=body.filters,
                    threshold=body.threshold, as_of=body.as_of, include_past=body.include_past,
                    include_cold=body.include_cold)
        return {"results": [i.to_dict() for i in found]}

    @app.get("/memories", response_model=Results, summary="A user's memories, newest first")
    def list_(user_id: str = Query(min_length=1, max_length=200), limit: int = Query(100, ge=0, le=10_000),
              kind: str | None = Query(None, max_length=50), since: str | None = Query(None, max_length=100),
              include_past: bool = False) -> dict[str, Any]:
        found = run(memory.get_all, user_id=user_id, limit=limit or None, filters={"kind": kind} if kind else None,
                    since=since, include_past=include_past)
        return {"results": [i.to_dict() for i in found]}

    @app.get("/memories/{memory_id}", response_model=dict[str, Any], summary="One memory")
    def get(memory_id: int, user_id: str | None = Query(None, max_length=200)) -> dict[str, Any]:
        return dict(run(memory.get, memory_id, user_id=user_id).to_dict())

    @app.put("/memories/{memory_id}", response_model=dict[str, Any], summary="Replace a memory's text")
    def update(memory_id: int, body: UpdateRequest) -> dict[str, Any]:
        return dict(run(memory.update, memory_id, body.text, actor=ACTOR, user_id=body.user_id).to_dict())

    @app.delete("/memories/{memory_id}", response_model=Message, summary="Forget one memory")
    def delete(memory_id: int, user_id: str | None = Query(None, max_length=200)) -> dict[str, Any]:
        run(memory.delete, memory_id, actor=ACTOR, user_id=user_id)
        return {"message": "Memory deleted successfully"}

    @app.get("/memories/{memory_id}/history", response_model=list[dict[str, Any]], summary="Every change to a memory")
    def history(memory_id: int, user_id: str | None = Query(None, max_length=200)) -> list[dict[str, Any]]:
        return [e.to_dict() for e in run(memory.history, memory_id, user_id=user_id)]

    @app.delete("/memories", response_model=Message, summary="Erase everything about a user")
    def delete_all(user_id: str = Query(min_length=1, max_length=200)) -> dict[str, Any]:
        count = run(memory.delete_all, user_id)
        return {"message": f"All memories of {user_id!r} erased ({count})"}


def _own_routes(app: Any, memory: Memory, run: Callable[..., Any]) -> None:
    """memcli's own: why, episodes, profile, export and import."""
    from fastapi import Body, Query

    @app.get("/memories/{memory_id}/why", response_model=dict[str, Any],
             summary="Where a memory came from: its messages and its history")
    def why(memory_id: int, user_id: str | None = Query(None, max_length=200)) -> dict[str, Any]:
        return dict(run(memory.why, memory_id, user_id=user_id))

    @app.get("/episodes", response_model=Results, summary="The episodic log, most recent first")
    def episodes(user_id: str = Query(min_length=1, max_length=200), since: str | None = Query(None, max_length=100),
                 type: str | None = Query(None, max_length=50), limit: int = Query(20, ge=1, le=10_000)
                 ) -> dict[str, Any]:
        return {"results": [i.to_dict() for i in run(memory.episodes, user_id, type=type, since=since, limit=limit)]}

    @app.get("/profile", response_model=Results, summary="A user's current core facts")
    def profile(user_id: str = Query(min_length=1, max_length=200)) -> dict[str, Any]:
        return {"results": [i.to_dict() for i in run(memory.profile, user_id)]}

    @app.get("/export", response_model=dict[str, Any], summary="Everything about a user, as memcli's export")
    def export(user_id: str = Query(min_length=1, max_length=200), include_vectors: bool = False,
               redact: bool = False) -> dict[str, Any]:
        return dict(run(memory.export, user_id, include_vectors=include_vectors, redact=redact))

    @app.post("/import", response_model=dict[str, Any], summary="Import a memcli export or a Mem0 dump")
    def import_(document: Any = Body(...), user_id: str | None = Query(None, max_length=200)) -> dict[str, Any]:
        return dict(run(memory.import_data, document, user_id=user_id).to_dict())


def guard(app: Any, token: str | None) -> Any:
    """The app behind a token check and a body size limit (pure ASGI)."""
    expected = token.encode("utf-8") if token else None

    async def reply(send: Any, status: int, message: str) -> None:
        body = json.dumps({"error": message}).encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if expected is not None:
            given = headers.get(b"authorization", b"")
            if not hmac.compare_digest(given, b"Bearer " + expected):
                await reply(send, 401, "missing or wrong token (send Authorization: Bearer <token>)")
                return
        limit = MAX_DOCUMENT_BYTES if scope.get("path") == "/import" else MAX_BODY_BYTES
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await reply(send, 413, f"request body larger than {limit} bytes")
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise InvalidInput(f"request body larger than {limit} bytes")
            return message

        await app(scope, counted, send)

    return guarded


def run(memory: Memory, *, host: str, port: int, token: str | None) -> None:
    """Serve until interrupted."""
    import uvicorn

    from memcli.frontends.service import log_to_stderr

    if host not in LOOPBACK and not token:
        raise InvalidInput(f"refusing to listen on {host} without a token: pass --token or set MEMCLI_TOKEN")
    log_to_stderr()
    app = create_app(memory, token)
    log.info("serving on http://%s:%d (OpenAPI at /openapi.json)", host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        memory.close()
