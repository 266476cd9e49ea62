"""The HTTP API on a real server (uvicorn on loopback, real Chroma in a temporary directory), driven by the
official openai client and plain HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn
from conftest import SLIDES, figures_missing_from_cited, free_port
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from ingest.indexing import Indexer
from rag.api import create_app
from rag.chain import AnswerChain
from rag.local_model import LocalModelBusy
from rag.service import RagService
from rag.settings import Settings


class _Server:
    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        service = RagService(settings)
        service.retriever._embeddings = embeddings  # the session's loaded model; loading is slow
        self.service = service
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings, service, warm_up=False), host="127.0.0.1",
                                                    port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def api(settings: Settings, small_corpus: Path, embeddings: Embeddings) -> Iterator[_Server]:
    settings = settings.model_copy(update={"generator": "extractive", "max_file_mb": 0.05})
    Indexer(settings, embeddings).ingest([small_corpus])
    with _Server(settings, embeddings) as server:
        yield server


def client(server: _Server, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def test_chat_completion_through_the_official_client(api: _Server) -> None:
    response = client(api).chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}])
    content = response.choices[0].message.content or ""
    assert "4.7万架次" in content and "[1]" in content and SLIDES in content  # footnote for any client
    extra = response.model_extra or {}
    assert extra["grounded"] is True and extra["citations"][0]["source"] == SLIDES
    assert response.choices[0].finish_reason == "stop" and response.model == "extractive"


def test_streaming_ends_with_citations_and_done(api: _Server) -> None:
    stream = client(api).chat.completions.create(
        model="extractive", stream=True,
        messages=[{"role": "user", "content": "2033年澜州低空物流市场规模达到多少？"},
                  {"role": "assistant", "content": "……"},
                  {"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "4.7万架次" in text
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert (final.model_extra or {})["grounded"] is True and (final.model_extra or {})["citations"]
    raw = httpx.post(f"{api.url}/v1/chat/completions", timeout=60, json={
        "model": "extractive", "stream": True, "messages": [{"role": "user", "content": "GPT-5何时发布？"}]})
    assert raw.text.rstrip().endswith("data: [DONE]")
    last = json.loads([line for line in raw.text.splitlines() if line.startswith("data: {")][-1][6:])
    assert last["grounded"] is False and last["citations"] == []


def test_first_stream_chunk_carries_the_passages_found(api: _Server) -> None:
    """The sources come before any text, in an extra field the official client parses past and keeps."""
    question = [{"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}]
    chunks = list(client(api).chat.completions.create(model="extractive", stream=True, messages=question))
    first = chunks[0]
    assert first.choices[0].delta.role == "assistant" and not first.choices[0].delta.content
    found = (first.model_extra or {})["sources"]
    assert any("4.7万架次" in s["quote"] and s["title"] == "低空物流迈入规模化运营" for s in found)
    assert "4.7万架次" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert (chunks[-1].model_extra or {})["citations"][0]["title"] == "低空物流迈入规模化运营"
    raw = httpx.post(f"{api.url}/v1/chat/completions", timeout=60,
                     json={"model": "extractive", "stream": True, "messages": question})
    bodies = [json.loads(line[6:]) for line in raw.text.splitlines() if line.startswith("data: {")]
    first_text = next(i for i, b in enumerate(bodies) if b["choices"][0]["delta"].get("content"))
    assert "sources" in bodies[0] and first_text > 0
    assert {"n", "chunk_id", "source", "title", "section", "quote", "text"} <= set(bodies[0]["sources"][0])
    assert all("sources" not in b for b in bodies[1:])


def test_models_search_and_health(api: _Server) -> None:
    assert [m.id for m in client(api).models.list().data] == ["extractive"]
    hits = httpx.post(f"{api.url}/v1/search", json={"query": "日均配送架次", "k": 2}).json()["data"]
    assert len(hits) == 2 and hits[0]["source"] == SLIDES and hits[0]["score"] > 0
    assert httpx.get(f"{api.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{api.url}/readyz")
    assert ready.status_code == 200 and ready.json()["index_chunks"] > 0
    assert httpx.get(f"{api.url}/docs").status_code == 200


def test_document_upload_list_and_delete_round_trip(api: _Server) -> None:
    files = [("files", ("quantum.txt", "2026年某市设立量子计算专项基金，规模为88亿元。\n".encode(), "text/plain")),
             ("files", ("broken.pdf", b"%PDF-1.4 broken", "application/pdf"))]
    uploaded = httpx.post(f"{api.url}/v1/documents", files=files, timeout=120)
    assert uploaded.status_code == 200
    results = {r["source"]: r for r in uploaded.json()["data"]}
    assert results["quantum.txt"]["status"] == "added" and results["broken.pdf"]["status"] == "error"
    listed = {d["source"] for d in httpx.get(f"{api.url}/v1/documents").json()["data"]}
    assert "quantum.txt" in listed and "broken.pdf" not in listed
    hits = httpx.post(f"{api.url}/v1/search", json={"query": "量子计算专项基金"}).json()["data"]
    assert hits[0]["source"] == "quantum.txt"
    assert httpx.delete(f"{api.url}/v1/documents/quantum.txt").json() == {"deleted": "quantum.txt"}
    hits = httpx.post(f"{api.url}/v1/search", json={"query": "量子计算专项基金"}).json()["data"]
    assert all(h["source"] != "quantum.txt" for h in hits)


def test_error_statuses_are_json(api: _Server) -> None:
    def error(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        return response.json()["error"]["message"]

    chat = f"{api.url}/v1/chat/completions"
    assert "empty" in error(httpx.post(chat, json={"messages": [{"role": "user", "content": "  "}]}), 400)
    assert "limit" in error(httpx.post(chat, json={"messages": [{"role": "user", "content": "问" * 3000}]}), 400)
    assert "last message" in error(httpx.post(chat, json={"messages": [{"role": "assistant", "content": "x"}]}),
                                   400)
    assert "unknown model" in error(httpx.post(chat, json={"model": "gpt-9", "messages": [
        {"role": "user", "content": "规模"}]}), 404)
    assert error(httpx.post(chat, json={"messages": []}), 422)
    assert error(httpx.post(chat, content=b"not json", headers={"content-type": "application/json"}), 422)
    assert "no indexed document" in error(httpx.delete(f"{api.url}/v1/documents/nope.txt"), 404)
    big = [("files", ("big.txt", ("规模" * 40_000).encode(), "text/plain"))]
    assert "limit" in error(httpx.post(f"{api.url}/v1/documents", files=big), 413)
    exe = [("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))]
    assert "unsupported" in error(httpx.post(f"{api.url}/v1/documents", files=exe), 415)
    assert error(httpx.get(f"{api.url}/v1/nothing-here"), 404)


def test_concurrent_questions_while_a_document_is_uploaded(api: _Server) -> None:
    def ask(_: int) -> bool:
        response = client(api).chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}])
        return "4.7万架次" in (response.choices[0].message.content or "")

    with ThreadPoolExecutor(max_workers=6) as pool:
        asked = pool.map(ask, range(12))
        upload = pool.submit(httpx.post, f"{api.url}/v1/documents", timeout=120, files=[
            ("files", ("extra.md", "# 附录\n\n2026年某省AI补贴为3亿元。\n".encode(), "text/markdown"))])
        assert all(asked)
        assert upload.result().status_code == 200
    assert httpx.post(f"{api.url}/v1/search", json={"query": "某省AI补贴"}).json()["data"][0]["source"] == "extra.md"


def test_auth_on_and_empty_index_not_ready(settings: Settings, embeddings: Embeddings) -> None:
    secured = settings.model_copy(update={"generator": "extractive", "api_keys": "k1, k2"})
    with _Server(secured, embeddings) as server:
        with pytest.raises(openai.AuthenticationError):
            client(server, "wrong").models.list()
        assert httpx.get(f"{server.url}/v1/models").json()["error"]["type"] == "authentication_error"
        assert [m.id for m in client(server, "k2").models.list().data] == ["extractive"]
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # liveness needs no key
        assert httpx.get(f"{server.url}/readyz").status_code == 503  # nothing indexed yet


def test_configured_default_generator_answers_through_the_api(settings: Settings, small_corpus: Path,
                                                             embeddings: Embeddings) -> None:
    from rag.generators import model_label, resolve_generator
    from rag.schema import Answer

    Indexer(settings, embeddings).ingest([small_corpus])
    with _Server(settings, embeddings) as server:
        response = client(server).chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}])
    assert response.model == model_label(settings, resolve_generator(settings))
    extra = response.model_extra or {}
    content = response.choices[0].message.content or ""
    answer = Answer(question="q", standalone_question="q", answer=content.split("\n\n---\n")[0],
                    citations=extra["citations"], grounded=extra["grounded"], model=response.model, language="zh")
    assert answer.grounded and "4.7万" in answer.answer, answer.answer  # answerable: a refusal fails
    assert answer.citations and figures_missing_from_cited(answer) == []


class _FailingModel(BaseChatModel):
    """Stands in for the local LLM while other requests hold it past the wait limit (loading the real
    one twice to make it busy would take minutes), or, with `busy=False`, for one failing with an error that
    says nothing about its availability (a bug, a bad reply)."""

    busy: bool = True

    @property
    def _llm_type(self) -> str:
        return "failing"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: object = None,
                  **kwargs: object) -> ChatResult:
        if self.busy:
            raise LocalModelBusy("the local model stayed busy for 1 s; try again")
        raise ValueError("could not read the reply")


def test_a_busy_model_is_a_503_though_the_sources_came_first(settings: Settings, small_corpus: Path,
                                                          embeddings: Embeddings) -> None:
    local = settings.model_copy(update={"generator": "local"})
    Indexer(local, embeddings).ingest([small_corpus])
    with _Server(local, embeddings) as server:
        server.service._chains["local"] = AnswerChain(local, retriever=server.service.retriever, generator="local",
                                                      chat_model=_FailingModel())
        question = {"model": "local",
                    "messages": [{"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}]}
        plain = httpx.post(f"{server.url}/v1/chat/completions", json=question, timeout=60)
        assert plain.status_code == 503 and "busy" in plain.json()["error"]["message"]
        streamed = httpx.post(f"{server.url}/v1/chat/completions", json={**question, "stream": True}, timeout=60)
        bodies = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
        assert bodies[0]["sources"] and bodies[-1]["error"]["code"] == 503  # in-band: the status line was sent
        assert streamed.text.rstrip().endswith("data: [DONE]")


def test_only_an_unavailable_generator_is_a_503(settings: Settings, small_corpus: Path,
                                                embeddings: Embeddings) -> None:
    """A fault of another kind is a 500 (plain or in-band), not disguised as "generator unavailable"; a bad
    input stays a 4xx; a generator that is not configured is the 503."""
    local = settings.model_copy(update={"generator": "local"})
    Indexer(local, embeddings).ingest([small_corpus])
    with _Server(local, embeddings) as server:
        server.service._chains["local"] = AnswerChain(local, retriever=server.service.retriever, generator="local",
                                                      chat_model=_FailingModel(busy=False))
        chat = f"{server.url}/v1/chat/completions"
        question = {"messages": [{"role": "user", "content": "澜州低空物流日均配送架次突破了多少？"}]}
        plain = httpx.post(chat, json=question, timeout=60)
        assert plain.status_code == 500 and "generator unavailable" not in plain.text, plain.text
        streamed = httpx.post(chat, json={**question, "stream": True}, timeout=60)
        bodies = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
        assert bodies[-1]["error"]["code"] == 500
        assert httpx.post(chat, json={"messages": [{"role": "user", "content": "？？"}]}).status_code == 400
    unconfigured = settings.model_copy(update={"generator": "openai", "llm_base_url": None})
    with _Server(unconfigured, embeddings) as server:
        response = httpx.post(f"{server.url}/v1/chat/completions", json=question, timeout=60)
        assert response.status_code == 503 and "RAG_LLM_BASE_URL" in response.json()["error"]["message"]
