"""The storage protocol on real embedded Chroma with a stand-in embed function: the crash-safe write order,
reconciling after a crash, deleting, and the one-writer lock. Fast: no embedding model is loaded."""

from __future__ import annotations

import fcntl
import hashlib
import threading
import time

import pytest

from rag.catalog import DocumentRecord, IndexedChunk
from rag.schema import Chunk
from rag.settings import Settings
from rag.storage import Storage


class CountingEmbed:
    """Four-dimensional vectors from the text's hash; counts the texts it was asked for."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return [[b / 255 + 0.01 for b in hashlib.sha256(t.encode()).digest()[:4]] for t in texts]


def chunks_of(source: str, texts: list[str], version: str = "a") -> tuple[list[IndexedChunk], list[str]]:
    chunks = [IndexedChunk(chunk=Chunk(chunk_id=f"{source}-{version}-{i}", source=source, title="T", section="",
                                       ordinal=i, start=10 * i, end=10 * i + len(text), text=text),
                           keywords=[text]) for i, text in enumerate(texts)]
    return chunks, [hashlib.sha256(c.chunk.embedding_text().encode()).hexdigest() for c in chunks]


def record(source: str, n: int) -> DocumentRecord:
    return DocumentRecord(source=source, path=f"/corpus/{source}", fingerprint="f", title="T", encoding="utf-8",
                          chars=100, n_chunks=n, indexed_at=0.0)


def put(storage: Storage, source: str, texts: list[str], version: str, embed: CountingEmbed) -> None:
    chunks, hashes = chunks_of(source, texts, version)
    with storage.writer() as writer:
        vectors = writer.embed_missing(chunks, hashes, hashes, embed)
        writer.replace_document(source, chunks, hashes, vectors, embed, lambda: record(source, len(chunks)))


def test_a_swap_stores_vectors_first_publishes_in_one_step_then_drops_the_old(settings: Settings) -> None:
    storage, embed = Storage(settings), CountingEmbed()
    put(storage, "a.txt", ["一", "二"], "v1", embed)
    chunks, hashes = chunks_of("a.txt", ["二", "三"], "v2")
    seen_at_finalize: dict[str, set[str]] = {}

    def finalize() -> DocumentRecord:
        seen_at_finalize.update(vectors=storage.vectors.ids(), served=storage.catalog.chunk_ids())
        return record("a.txt", 2)

    with storage.writer() as writer:
        replaced = writer.replace_document("a.txt", chunks, hashes, storage.cached_vectors(hashes), embed, finalize)
    new = {"a.txt-v2-0", "a.txt-v2-1"}
    assert new <= seen_at_finalize["vectors"] and not new & seen_at_finalize["served"]
    assert storage.catalog.chunk_ids() == storage.vectors.ids() == new
    assert (replaced.added, replaced.removed) == (2, 2)
    assert embed.texts == ["T\n一", "T\n二", "T\n三"]  # "二" came from the cache


def test_a_crash_before_the_swap_serves_nothing_new_and_reconcile_repairs(settings: Settings) -> None:
    storage, embed = Storage(settings), CountingEmbed()
    put(storage, "a.txt", ["一"], "v1", embed)
    chunks, hashes = chunks_of("a.txt", ["二"], "v2")

    def power_cut() -> DocumentRecord:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError), storage.writer() as writer:
        writer.replace_document("a.txt", chunks, hashes, {}, embed, power_cut)
    assert storage.catalog.chunk_ids() == {"a.txt-v1-0"} and "a.txt-v2-0" in storage.vectors.ids()

    storage.vectors.delete(["a.txt-v1-0"])  # and Chroma lost a served vector
    calls = len(embed.texts)
    with storage.writer() as writer:
        assert writer.reconcile(embed) == 2
    assert storage.vectors.ids() == storage.catalog.chunk_ids() == {"a.txt-v1-0"}
    assert len(embed.texts) == calls  # restored from the embedding cache


def test_delete_unlists_and_drops_vectors(settings: Settings) -> None:
    storage, embed = Storage(settings), CountingEmbed()
    put(storage, "a.txt", ["一", "二"], "v1", embed)
    put(storage, "b.txt", ["三"], "v1", embed)
    with storage.writer() as writer:
        assert writer.delete_document("a.txt") == 2
        assert writer.delete_document("a.txt") is None
    assert storage.catalog.chunk_ids() == storage.vectors.ids() == {"b.txt-v1-0"}
    assert [r.source for r in Storage.documents_of(settings)] == ["b.txt"]


def test_a_second_writer_waits_for_the_first(settings: Settings) -> None:
    storage = Storage(settings)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    waited, entered = threading.Event(), threading.Event()
    with open(settings.index_dir / "ingest.lock", "w") as other:  # another process's ingest
        fcntl.flock(other, fcntl.LOCK_EX)

        def write() -> None:
            with storage.writer(on_wait=waited.set):
                entered.set()

        thread = threading.Thread(target=write)
        thread.start()
        assert waited.wait(10)
        time.sleep(0.2)
        assert not entered.is_set()
    thread.join(10)
    assert entered.is_set()
