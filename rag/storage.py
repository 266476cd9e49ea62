"""The index in one place: the catalog (what may be served, with the keyword tokens and the embedding cache),
the Chroma vectors, and the lock that admits one writer at a time.

Order of writes for one document, chosen so that a crash at any point leaves a usable index:
1. vectors go into the embedding cache and then into Chroma under new ids (not yet served: the catalog
   does not list them);
2. one catalog transaction swaps the document's chunk list (and keyword tokens) for the new one;
3. the old ids are deleted from Chroma.
A crash between 1 and 2 leaves orphan vectors, between 2 and 3 stale ones; neither is served (retrieval only
returns ids the catalog lists) and `reconcile` removes both at the start of the next run, which also
re-adds any catalogued vector Chroma lost.

Readers (retrieval, listings) use the `catalog` and `vectors` handles and never wait for the lock. Writes go
through a `Writer`, which exists only while the lock is held. Storage knows no embedding model: a writer
that may have to embed is handed the caller's embed function.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rag.catalog import Catalog, DocumentRecord, IndexedChunk
from rag.embeddings import embedding_model_id
from rag.settings import Settings
from rag.vector_store import VectorStore

Embed = Callable[[list[str]], list[list[float]]]
"""Texts to vectors, as `Embeddings.embed_documents`."""


@dataclass(frozen=True)
class Replaced:
    """What one document's swap changed, in chunk ids."""
    added: int
    removed: int


class Storage:
    def __init__(self, settings: Settings, catalog: Catalog | None = None, vectors: VectorStore | None = None) -> None:
        self.settings = settings
        self.model_id = embedding_model_id(settings)
        self.catalog = catalog or Catalog.for_settings(settings)
        self.vectors = vectors or VectorStore.for_settings(settings)

    @staticmethod
    def documents_of(settings: Settings) -> list[DocumentRecord]:
        """The indexed documents from the catalog alone: a listing needs no Chroma client."""
        return Catalog.for_settings(settings).documents()

    def cached_vectors(self, text_hashes: Iterable[str]) -> dict[str, list[float]]:
        return self.catalog.cached_vectors(self.model_id, text_hashes)

    @contextmanager
    def writer(self, on_wait: Callable[[], None] | None = None) -> Iterator[Writer]:
        """One writer per index; the lock dies with its process, so kill -9 never leaves it stuck."""
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.index_dir / "ingest.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield Writer(self)


class Writer:
    """The write operations, for the holder of the lock (see `Storage.writer`)."""

    def __init__(self, storage: Storage) -> None:
        self.catalog = storage.catalog
        self.vectors = storage.vectors
        self.model_id = storage.model_id
        self.batch_size = storage.settings.embedding_batch_size

    def reconcile(self, embed: Embed) -> int:
        """Make Chroma hold exactly the catalogued chunks: drop orphans, restore lost vectors."""
        served = self.catalog.chunk_ids()
        stored = self.vectors.ids()
        orphans = sorted(stored - served)
        self.vectors.delete(orphans)
        missing = sorted(served - stored)
        if missing:
            wanted = set(missing)
            by_id = {c.chunk.chunk_id: c for c in self.catalog.indexed_chunks() if c.chunk.chunk_id in wanted}
            hashes = self.catalog.chunk_hashes(missing)
            self._upsert([by_id[cid] for cid in missing], [hashes[cid] for cid in missing], embed)
        return len(orphans) + len(missing)

    def embed_missing(self, chunks: Sequence[IndexedChunk], hashes: Sequence[str], missing: list[str], embed: Embed,
                      advance: Callable[[int], None] | None = None) -> dict[str, list[float]]:
        """Embed the chunks whose text hashes are `missing`, in batches, storing each batch in the cache
        as soon as it is computed (so an interrupted run keeps what it paid for)."""
        texts = {h: c.chunk.embedding_text() for c, h in zip(chunks, hashes, strict=True)}
        fresh: dict[str, list[float]] = {}
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i:i + self.batch_size]
            vectors = dict(zip(batch, embed([texts[h] for h in batch]), strict=True))
            self.catalog.store_vectors(self.model_id, vectors)
            fresh.update(vectors)
            if advance:
                advance(len(batch))
        return fresh

    def replace_document(self, source: str, chunks: list[IndexedChunk], hashes: list[str],
                         vectors: dict[str, list[float]], embed: Embed,
                         finalize: Callable[[], DocumentRecord]) -> Replaced:
        """Serve `chunks` as the document's chunks, in the crash-safe order of this module. `finalize` runs
        after step 1 and before the swap (the caller's last step, such as moving an uploaded file in place)
        and returns the document's record."""
        old_ids = self.catalog.chunk_ids(source)
        self._upsert(chunks, hashes, embed, vectors)
        record = finalize()
        self.catalog.replace_document(record, chunks, hashes)
        new_ids = {c.chunk.chunk_id for c in chunks}
        self.vectors.delete(sorted(old_ids - new_ids))
        return Replaced(added=len(new_ids - old_ids), removed=len(old_ids - new_ids))

    def delete_document(self, source: str) -> int | None:
        """Unlist a document, then drop its vectors; the number of its chunks, None if there is no such
        document."""
        ids = sorted(self.catalog.chunk_ids(source))
        removed = self.catalog.delete_document(source)
        self.vectors.delete(ids)
        return len(ids) if removed else None

    def update_path(self, source: str, path: str) -> None:
        self.catalog.update_path(source, path)

    def prune_vector_cache(self) -> int:
        return self.catalog.prune_vector_cache(self.model_id)

    def _upsert(self, chunks: list[IndexedChunk], hashes: list[str], embed: Embed,
                vectors: dict[str, list[float]] | None = None) -> None:
        if vectors is None:
            vectors = self.catalog.cached_vectors(self.model_id, hashes)
        lost = [h for h in dict.fromkeys(hashes) if h not in vectors]
        if lost:  # the cache lost them too (deleted by hand): embed again
            vectors = {**vectors, **self.embed_missing(chunks, hashes, lost, embed)}
        self.vectors.upsert(
            ids=[c.chunk.chunk_id for c in chunks],
            vectors=[vectors[h] for h in hashes],
            texts=[c.chunk.text for c in chunks],
            metadatas=[{"source": c.chunk.source, "title": c.chunk.title, "section": c.chunk.section,
                        "ordinal": c.chunk.ordinal, "start": c.chunk.start, "end": c.chunk.end} for c in chunks],
        )
