"""The local model is held only while it computes and never past its deadline (issue 9): a reader that stops
reading, or an answer that never ends, cannot keep it from every later request; /readyz tells when one did.

A stand-in for llama.cpp streams tokens at a fixed pace: a real model cannot be made to hang on demand."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.embeddings import Embeddings

from ingest.indexing import Indexer
from rag.api import create_app
from rag.llama_chat import LlamaCppChatModel
from rag.local_model import LocalModels, ModelLock, holding
from rag.model_deadline import stopping_on
from rag.service import RagService
from rag.settings import Settings
from ui.stoppable import stoppable


class _EndlessLlama:
    """Writes one character every 10 ms, for ever."""

    def tokenize(self, text: bytes, add_bos: bool = False) -> list[int]:
        return list(range(len(text) // 3))

    def create_chat_completion(self, stream: bool = False, **_: Any) -> Iterator[dict[str, Any]]:
        while True:
            time.sleep(0.01)
            yield {"choices": [{"delta": {"content": "字"}}]}


class _EndlessModels(LocalModels):
    """A model cache holding the stand-in, with the lock the tests watch."""

    def __init__(self, lock: ModelLock) -> None:
        super().__init__()
        self.lock = lock

    def load(self, path: str, n_ctx: int, n_threads: int) -> tuple[Any, ModelLock]:
        self._loaded[(path, n_ctx, n_threads)] = (_EndlessLlama(), self.lock)  # as a real load records it
        return self._loaded[(path, n_ctx, n_threads)]


@pytest.fixture
def endless() -> tuple[LlamaCppChatModel, ModelLock]:
    lock = ModelLock()
    return LlamaCppChatModel(model_path="stand-in.gguf", model_name="stand-in", wait_seconds=5,
                             deadline_seconds=1, models=_EndlessModels(lock)), lock


def test_a_reader_that_stops_reading_does_not_keep_the_model(endless: tuple[LlamaCppChatModel, ModelLock]
                                                             ) -> None:
    model, lock = endless
    stalled = model.stream("你好")
    assert next(iter(stalled)).content == "字"  # one token read, then the reader stalls, its stream left open
    assert lock.acquire(timeout=5), "a stalled reader kept the model past its deadline"
    lock.release()
    stalled.close()


def test_an_answer_that_never_ends_stops_at_the_deadline(endless: tuple[LlamaCppChatModel, ModelLock]) -> None:
    model, lock = endless
    started = time.monotonic()
    answer = model.invoke("你好")
    assert 0.9 < time.monotonic() - started < 3
    assert str(answer.content).startswith("字字字") and answer.usage_metadata["output_tokens"] > 10
    assert lock.acquire(timeout=1)
    lock.release()


def test_a_stop_signal_frees_the_model_while_its_reader_is_busy_elsewhere() -> None:
    """The chat page's case (ui/stoppable.py): the thread reading the answer cannot be closed from outside,
    but setting its stop signal ends the answer within a token, long before the deadline."""
    lock, stop, received = ModelLock(), threading.Event(), []
    model = LlamaCppChatModel(model_path="stand-in.gguf", model_name="stand-in", wait_seconds=5,
                              deadline_seconds=60, models=_EndlessModels(lock))

    def read() -> None:
        with stopping_on(stop):
            received.extend(model.stream("你好"))

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    assert lock.locked()
    stop.set()
    reader.join(timeout=5)
    assert not reader.is_alive() and str(received[0].content) == "字"
    assert lock.acquire(timeout=1), "the stop signal did not free the model"
    lock.release()


def test_closing_the_chat_page_answer_frees_the_model_while_the_chain_is_inside_it() -> None:
    """ui/stoppable.py as the chat page uses it: the answer chain reads the model without yielding (a
    sentence not yet complete), so only the page's ticks come back; Gradio closing the page's generator
    then must end the model's answer, long before its deadline."""
    lock = ModelLock()
    model = LlamaCppChatModel(model_path="stand-in.gguf", model_name="stand-in", wait_seconds=5,
                              deadline_seconds=60, models=_EndlessModels(lock))

    def chain() -> Iterator[str]:
        yield "".join(str(chunk.content) for chunk in model.stream("你好"))  # no event until the model ends

    page = stoppable(chain, tick_seconds=0.1)
    assert next(page) is None and lock.locked()  # a tick: the model is writing, nothing to show yet
    page.close()
    assert lock.acquire(timeout=1), "closing the page's answer did not free the model"
    lock.release()


def test_what_the_answer_raises_on_its_thread_is_raised_to_the_page() -> None:
    """Gradio reports an error only if the page's generator raises it, not the worker thread."""

    def failing() -> Iterator[str]:
        yield "字"
        raise RuntimeError("the chain failed")

    page = stoppable(failing, tick_seconds=0.1)
    assert next(item for item in page if item is not None) == "字"
    with pytest.raises(RuntimeError, match="the chain failed"):
        list(page)


def test_readyz_reports_a_model_held_past_its_deadline(settings: Settings, small_corpus: Path,
                                                       embeddings: Embeddings) -> None:
    settings = settings.model_copy(update={"generator": "extractive", "llm_deadline_seconds": 0.3})
    Indexer(settings, embeddings).ingest([small_corpus])
    lock, release = ModelLock(), threading.Event()
    service = RagService(settings)
    service.models = _EndlessModels(lock)
    service.models.load("stand-in.gguf", 512, 1)
    client = TestClient(create_app(settings, service=service, warm_up=False))
    assert client.get("/readyz").status_code == 200

    def stuck_request() -> None:
        with holding(lock, 1):
            release.wait(10)

    worker = threading.Thread(target=stuck_request)
    worker.start()
    try:
        time.sleep(0.6)
        busy = client.get("/readyz")
        assert busy.status_code == 503 and "deadline" in busy.json()["error"], busy.text
    finally:
        release.set()
        worker.join()
    assert client.get("/readyz").status_code == 200
