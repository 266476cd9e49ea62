"""The HTTP API: OpenAI-compatible chat completions (plain and streaming), search, documents, health.

The official `openai` client works against `/v1` unchanged. Citations travel twice: as markdown footnotes in
the message content, which any client shows, and as a structured `citations` field (with `grounded` and
`notes`) on the response or on the final stream chunk. A stream's first chunk also carries `sources`: the
passages retrieved, before any text is generated. Every error is JSON `{"error": {...}}` with the right
status, never a stack trace.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.auth import COOKIE, KeyGate, Sessions, login_page
from rag.body_limit import BodyLimit
from rag.retrieval import QueryError
from rag.schema import Answer, ChatTurn
from rag.service import RagService, UnknownGenerator, UploadRejected
from rag.settings import Settings
from rag.unavailable import GeneratorUnavailable


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


class ContentPart(BaseModel):
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (an extension).")
    model_config = {"extra": "allow"}  # temperature, max_tokens, ... are accepted and ignored


class SearchRequest(BaseModel):
    query: str
    k: int | None = Field(None, ge=1, le=100)
    source: str | None = None


def footnotes(answer: Answer) -> str:
    if not answer.citations:  # a false premise keeps the citation of the nearest fact it names
        return ""
    lines = [f"[{c.n}] {f'{c.title} ({c.source})' if c.title else c.source}{(' · ' + c.section) if c.section else ''}"
             f": “{c.quote.strip()}”" for c in answer.citations]  # the report by its title, the file to find it
    return "\n\n---\n" + "\n".join(lines)


def _structured(answer: Answer) -> dict[str, Any]:
    return {"citations": [c.model_dump() for c in answer.citations], "grounded": answer.grounded,
            "notes": answer.notes, "timings": answer.timings.model_dump(),
            "standalone_question": answer.standalone_question}


def _usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.usage.prompt_tokens, "completion_tokens": answer.usage.completion_tokens,
            "total_tokens": answer.usage.prompt_tokens + answer.usage.completion_tokens}


def _split_messages(messages: list[ChatMessage]) -> tuple[str, list[ChatTurn]]:
    turns = [ChatTurn(role="user" if m.role == "user" else "assistant", content=m.text())
             for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ApiError(400, "the last message must come from the user")
    return turns[-1].content, turns[:-1]


def create_app(settings: Settings, service: RagService | None = None, warm_up: bool = True) -> FastAPI:
    service = service or RagService(settings)
    app = FastAPI(title="rag-reports", description="Cited Q&A over Chinese reports, OpenAI-compatible.",
                  version="0.1.0")
    app.state.service = service
    if warm_up:
        threading.Thread(target=service.warm_up, name="warm-up", daemon=True).start()
    else:
        service.ready.set()

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.kind)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), "invalid_request_error")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(422, problems or "invalid request", "invalid_request_error")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return _error(500, f"internal error ({type(exc).__name__})", "server_error")

    # One gate for every route, including those Gradio mounts on this app later (see rag/auth.py).
    sessions = Sessions(settings.api_key_set)
    app.state.sessions = sessions  # the chat page keeps each key holder's conversations apart (ui/owners.py)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)  # inside the gate: keys come first
    app.add_middleware(KeyGate, sessions=sessions)

    @app.get("/login", include_in_schema=False)
    def login_form() -> HTMLResponse:
        return HTMLResponse(login_page())

    @app.post("/login", include_in_schema=False, response_model=None)
    def login(key: str = Form("", max_length=1000)) -> HTMLResponse | RedirectResponse:
        token = sessions.token_for(key.strip())
        if token is None:
            return HTMLResponse(login_page("密钥不正确。"), status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    v1 = APIRouter(prefix="/v1")

    def run(call: Any) -> Any:
        """Translate the product's own errors into HTTP ones."""
        try:
            return call()
        except QueryError as exc:
            raise ApiError(400, str(exc)) from exc
        except UnknownGenerator as exc:
            raise ApiError(404, str(exc), "not_found_error") from exc
        except GeneratorUnavailable as exc:  # nothing else: a bug or a bad input is no missing model
            raise ApiError(503, f"generator unavailable: {exc}", "server_error") from exc

    @v1.get("/models")
    def list_models() -> dict[str, Any]:
        created = int(time.time())
        return {"object": "list", "data": [{"id": name, "object": "model", "created": created,
                                            "owned_by": "rag-reports"} for name in service.model_ids()]}

    @v1.post("/chat/completions", response_model=None)
    def chat_completions(request: ChatRequest) -> Any:
        question, history = _split_messages(request.messages)
        generator = run(lambda: service.generator_for(request.model))
        run(lambda: service.chain(generator).chat_model)  # a generator that cannot be built is a 503, up front
        events = run(lambda: service.stream(question, history, generator, request.k))
        first = run(lambda: next(events))  # validation errors surface here, before any byte is sent
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not request.stream:
            # The first event is the passages found, before generation: a busy model shows up only now.
            answer = run(lambda: [first.answer, *(event.answer for event in events)][-1])
            assert answer is not None
            return {"id": completion_id, "object": "chat.completion", "created": created, "model": answer.model,
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": answer.answer + footnotes(answer)}}],
                    "usage": _usage(answer), **_structured(answer)}

        def chunk(delta: dict[str, Any], model: str, finish: str | None = None, **extra: Any) -> str:
            body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        def sse() -> Iterator[str]:
            model = service.chain(generator).model
            # The passages found, before any text: an extra field of the first chunk, which OpenAI clients
            # ignore (kept in `model_extra`) and a client of ours can show while the answer is written.
            found = {"sources": [c.model_dump() for c in first.sources]} if first.kind == "sources" else {}
            yield chunk({"role": "assistant", "content": ""}, model, **found)
            try:
                for event in itertools.chain([first], events):
                    if event.kind == "text":
                        yield chunk({"content": event.text}, model)
                    elif event.answer is not None:
                        answer = event.answer
                        if footnotes(answer):
                            yield chunk({"content": footnotes(answer)}, model)
                        yield chunk({}, answer.model, "stop", usage=_usage(answer), **_structured(answer))
            except Exception as exc:  # mid-stream (a busy local model too): the status line is gone, so in-band
                code = 503 if isinstance(exc, GeneratorUnavailable) else 500
                yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error', 'code': code}})}\n\n"
            finally:
                events.close()
            yield "data: [DONE]\n\n"

        # A client that hangs up cancels the stream without closing `sse()`, which would keep the answer's
        # generators (and the local model's lock they hold) suspended until garbage collection, possibly
        # forever (issue 9). The background task runs after the response ends either way and closes them;
        # closing an exhausted generator does nothing.
        return StreamingResponse(sse(), media_type="text/event-stream", background=BackgroundTask(events.close),
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @v1.post("/search")
    def search(request: SearchRequest) -> dict[str, Any]:
        hits = run(lambda: service.search(request.query, request.k, request.source))
        return {"object": "list", "data": [h.model_dump() for h in hits]}

    @v1.get("/documents")
    def documents() -> dict[str, Any]:
        # the server's own paths are nobody's business: documents are known by file name; `failed` lists
        # uploads a re-index could not read, quarantined with the reason (rag/quarantine.py)
        return {"object": "list", "data": [d.model_dump(exclude={"path"}) for d in service.documents()],
                "failed": [f.model_dump() for f in service.quarantine.entries()]}

    @v1.post("/documents", response_model=None)
    async def upload(files: list[UploadFile] = File(...)) -> Any:  # noqa: B008 - FastAPI idiom
        """Per-file results; 200 when at least one file went in, else the status of the refusal(s)."""
        started = time.perf_counter()
        received = []
        for upload_file in files:
            # an oversized file is not read whole: one byte over the limit is enough to refuse it
            received.append((upload_file.filename or "", await upload_file.read(settings.max_file_bytes + 1)))
        outcome = await run_in_threadpool(service.upload, received)  # embedding is slow: keep the loop free
        data = [r.model_dump(exclude={"code"}) for r in outcome]
        failed = [r for r in outcome if r.status == "error"]
        if failed and len(failed) == len(outcome):
            codes = {r.code for r in failed}
            status = codes.pop() if len(codes) == 1 else 400
            message = "; ".join(r.reason for r in failed)
            return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "code": status},
                                 "data": data}, status_code=status)
        return {"object": "list", "data": data, "seconds": round(time.perf_counter() - started, 2)}

    @v1.delete("/documents/{source}")
    def delete(source: str) -> dict[str, Any]:
        try:
            removed = service.delete(source)
        except UploadRejected as exc:
            raise ApiError(exc.status, str(exc)) from exc
        if not removed:
            raise ApiError(404, f"no indexed document or failed upload named {source!r}", "not_found_error")
        return {"deleted": source}

    app.include_router(v1)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        chunks = service.retriever.chunk_count
        held = service.models.held_for()  # a request holding the local model past its deadline: it is stuck, not busy
        stuck = (f"the local model has been held by one request for {held:.0f} s, past its "
                 f"{settings.llm_deadline_seconds:g} s deadline") if held > settings.llm_deadline_seconds else None
        status = service.generator_status()  # `preparing`: the local model still being installed or loaded
        body = {"index_chunks": chunks, "model": status.model if service.ready.is_set() else None,
                "generator": status.generator, "preparing": status.preparing, "status": status.message,
                "model_busy_seconds": round(held, 1),
                "ready": service.ready.is_set() and chunks > 0 and stuck is None,
                "error": service.startup_error or stuck}
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    return app
