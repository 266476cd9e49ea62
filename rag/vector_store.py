"""Chroma, embedded or as a server, always given our own vectors.

Chroma falls back to downloading its default ONNX model whenever it is asked to embed, so this wrapper
never passes texts without vectors and always opens collections with `embedding_function=None`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from rag.embeddings import embedding_model_id
from rag.settings import Settings

_BATCH = 1000


def _client(chroma_url: str | None, path: Path) -> chromadb.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"RAG_CHROMA_URL must look like http://host:port, got {chroma_url!r}")
        return chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                                   ssl=url.scheme == "https", settings=settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class VectorStore:
    def __init__(self, collection_name: str, chroma_url: str | None, path: Path) -> None:
        if not 3 <= len(collection_name) <= 512:
            raise ValueError("Chroma collection names need 3 to 512 characters")
        self.location = chroma_url or str(path)
        self._client = _client(chroma_url, path)
        self._collection = self._client.get_or_create_collection(
            collection_name, embedding_function=None, metadata={"hnsw:space": "cosine"})

    @classmethod
    def for_settings(cls, settings: Settings) -> VectorStore:
        return cls(f"{settings.collection}-{embedding_model_id(settings)}", settings.chroma_url, settings.chroma_path)

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def upsert(self, ids: Sequence[str], vectors: Sequence[Sequence[float]], texts: Sequence[str],
               metadatas: Sequence[dict[str, str | int]]) -> None:
        for i in range(0, len(ids), _BATCH):
            self._collection.upsert(ids=list(ids[i:i + _BATCH]), embeddings=[list(v) for v in vectors[i:i + _BATCH]],
                                    documents=list(texts[i:i + _BATCH]), metadatas=list(metadatas[i:i + _BATCH]))

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), _BATCH):
            self._collection.delete(ids=list(ids[i:i + _BATCH]))

    def query(self, vector: Sequence[float], n: int, source: str | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the n nearest chunks, optionally within one source."""
        if n <= 0:
            return []
        result = self._collection.query(query_embeddings=[list(vector)], n_results=n,
                                        where={"source": source} if source else None, include=["distances"])
        distances = result["distances"][0] if result["distances"] else []
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], distances, strict=True)]
