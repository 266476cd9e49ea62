"""Ingest into real embedded Chroma with the real embedding model: incremental, idempotent, prunable,
robust to bad files and to being killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, MARKET, OUTLOOK, SLIDES
from langchain_core.embeddings import Embeddings

from ingest.indexing import Indexer
from rag.catalog import Catalog
from rag.retrieval import HybridRetriever
from rag.settings import Settings
from rag.vector_store import VectorStore


def assert_consistent(settings: Settings) -> None:
    """Chroma holds exactly the catalogued chunks and every document has all of its chunks."""
    catalog = Catalog.for_settings(settings)
    assert VectorStore.for_settings(settings).ids() == catalog.chunk_ids()
    for record in catalog.documents():
        assert len(catalog.chunk_ids(record.source)) == record.n_chunks


def test_ingest_is_incremental_and_idempotent(settings: Settings, small_corpus: Path, embeddings: Embeddings) -> None:
    first = Indexer(settings, embeddings).ingest([small_corpus])
    assert (first.documents_added, first.errors) == (3, [])
    assert first.chunks_added > 5 and first.vectors_computed == first.chunks_added
    assert_consistent(settings)

    again = Indexer(settings, embeddings).ingest([small_corpus])
    assert (again.documents_unchanged, again.vectors_computed, again.chunks_added) == (3, 0, 0)
    assert again.chunks_unchanged == first.chunks_added

    # a changed file: its old chunks are replaced, unchanged passages are not re-embedded
    path = small_corpus / MARKET
    path.write_text(path.read_text(encoding="utf-8") + "\n\n新增段落：2026年某新指标达到了12345亿元。\n",
                    encoding="utf-8")
    old_ids = Catalog.for_settings(settings).chunk_ids(MARKET)
    changed = Indexer(settings, embeddings).ingest([small_corpus])
    assert (changed.documents_updated, changed.documents_unchanged) == (1, 2)
    assert 0 < changed.vectors_computed < changed.chunks_added
    assert changed.chunks_removed == len(old_ids)
    assert not old_ids & Catalog.for_settings(settings).chunk_ids()
    assert_consistent(settings)
    hits = HybridRetriever(settings, embeddings).search("某新指标12345亿元", k=3)
    assert any("12345亿元" in hit.text for hit in hits)


def test_prune_removes_documents_whose_files_are_gone(settings: Settings, small_corpus: Path,
                                                      embeddings: Embeddings) -> None:
    Indexer(settings, embeddings).ingest([small_corpus])
    (small_corpus / OUTLOOK).unlink()
    kept = Indexer(settings, embeddings).ingest([small_corpus])
    assert kept.documents_removed == 0  # without --prune nothing is removed
    pruned = Indexer(settings, embeddings).ingest([small_corpus], prune=True)
    assert pruned.documents_removed == 1 and pruned.chunks_removed > 0
    assert [r.source for r in Catalog.for_settings(settings).documents()] == [MARKET, SLIDES]
    assert_consistent(settings)
    assert all(h.source != OUTLOOK for h in HybridRetriever(settings, embeddings).search("低空物流市场规模"))


def test_bad_files_are_reported_and_the_rest_goes_in(settings: Settings, small_corpus: Path,
                                                     embeddings: Embeddings) -> None:
    (small_corpus / "binary.txt").write_bytes(os.urandom(4096).replace(b"\x00", b"\x01") + b"\x00" * 10)
    (small_corpus / "empty.md").write_text("", encoding="utf-8")
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (small_corpus / "gbk.txt").write_bytes("第一章 测试\n国产芯片市场占比达到了42%。\n".encode("gb18030"))
    report = Indexer(settings, embeddings).ingest([small_corpus, small_corpus / "missing.txt"])
    reasons = {Path(e.path).name: e.reason for e in report.errors}
    assert set(reasons) == {"binary.txt", "empty.md", "broken.pdf", "missing.txt"}
    assert "binary" in reasons["binary.txt"] and "empty" in reasons["empty.md"]
    assert report.documents_added == 4
    hit = HybridRetriever(settings, embeddings).search("国产芯片市场占比", k=1)[0]
    assert hit.source == "gbk.txt" and "42%" in hit.text


class ExplodingEmbeddings(Embeddings):
    """The real model, made to crash after a number of batches: a power cut in the middle of an ingest."""

    def __init__(self, real: Embeddings, batches_before_crash: int) -> None:
        self.real, self.left = real, batches_before_crash

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.left == 0:
            raise RuntimeError("simulated crash")
        self.left -= 1
        return self.real.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


def test_a_crash_mid_ingest_serves_no_half_document_and_the_next_run_completes(
        settings: Settings, small_corpus: Path, embeddings: Embeddings) -> None:
    settings = settings.model_copy(update={"embedding_batch_size": 2})
    with pytest.raises(RuntimeError, match="simulated crash"):
        Indexer(settings, ExplodingEmbeddings(embeddings, batches_before_crash=2)).ingest([small_corpus])
    catalog = Catalog.for_settings(settings)
    served = catalog.chunk_ids()
    for record in catalog.documents():
        assert len(catalog.chunk_ids(record.source)) == record.n_chunks
    hits = HybridRetriever(settings, embeddings).search("澜州低空物流", k=10)
    assert {h.chunk_id for h in hits} <= served

    report = Indexer(settings, embeddings).ingest([small_corpus])
    assert report.documents_added + report.documents_unchanged == 3
    assert report.vectors_computed < report.chunks_added  # the cache kept what was embedded before the crash
    assert_consistent(settings)


def test_kill_9_mid_ingest_leaves_a_usable_index(tmp_path: Path, small_corpus: Path, embeddings: Embeddings) -> None:
    data = tmp_path / "killed"
    env = {**os.environ, "RAG_DATA_DIR": str(data), "RAG_EMBEDDING_BATCH_SIZE": "1"}
    process = subprocess.Popen([str(BIN / "rag"), "ingest", str(small_corpus), "--json"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settings = Settings(data_dir=data, _env_file=None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        catalog_file = data / "index"
        if catalog_file.exists() and any(catalog_file.glob("catalog-*.sqlite3")) and \
                Catalog.for_settings(settings).documents():
            break
        time.sleep(0.05)
    assert process.poll() is None, "ingest finished before it could be killed; the corpus is too small"
    process.send_signal(signal.SIGKILL)
    process.wait()

    catalog = Catalog.for_settings(settings)
    assert 1 <= len(catalog.documents()) < 3
    for record in catalog.documents():
        assert len(catalog.chunk_ids(record.source)) == record.n_chunks
    assert HybridRetriever(settings, embeddings).search("低空物流", k=3)

    report = Indexer(settings, embeddings).ingest([small_corpus])
    assert report.documents_added >= 1 and not report.errors
    assert len(catalog.documents()) == 3
    assert_consistent(settings)


def test_delete_removes_a_document_everywhere(settings: Settings, small_corpus: Path, embeddings: Embeddings) -> None:
    indexer = Indexer(settings, embeddings)
    indexer.ingest([small_corpus])
    assert indexer.delete(MARKET)
    assert not indexer.delete(MARKET)
    assert MARKET not in {r.source for r in Catalog.for_settings(settings).documents()}
    assert_consistent(settings)


def test_two_copies_of_one_file_are_two_documents(settings: Settings, small_corpus: Path,
                                                  embeddings: Embeddings) -> None:
    (small_corpus / "slides copy.txt").write_bytes((small_corpus / SLIDES).read_bytes())
    report = Indexer(settings, embeddings).ingest([small_corpus])
    assert report.documents_added == 4 and not report.errors
    catalog = Catalog.for_settings(settings)
    assert not catalog.chunk_ids(SLIDES) & catalog.chunk_ids("slides copy.txt")
    assert_consistent(settings)
    hits = HybridRetriever(settings, embeddings).search("日均配送架次", k=3, source="slides copy.txt")
    assert hits and {h.source for h in hits} == {"slides copy.txt"} and hits[0].dense_rank is not None
