"""Keeping Chroma, the keyword index and the catalog in step with a set of files.

Order of writes for one document, chosen so that a crash at any point leaves a usable index:
1. vectors go into the embedding cache and then into Chroma under new ids (not yet served: the catalog
   does not list them);
2. one catalog transaction swaps the document's chunk list (and keyword tokens) for the new one;
3. the old ids are deleted from Chroma.
A crash between 1 and 2 leaves orphan vectors, between 2 and 3 stale ones; neither is served (retrieval only
returns ids the catalog lists) and `reconcile` removes both at the start of the next run, which also
re-adds any catalogued vector Chroma lost.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.chunking import Chunker, ChunkingConfig
from ingest.cleaning import clean_text
from ingest.loaders import SUPPORTED_SUFFIXES, DocumentError, LoadedDocument, load_document
from ingest.report import DocumentResult, FileError, IngestReport
from ingest.structure import guess_title, split_blocks
from ingest.tables import pair_chart_series
from rag.catalog import Catalog, DocumentRecord, IndexedChunk
from rag.embeddings import build_embeddings, embedding_model_id
from rag.keyword_index import tokenize
from rag.settings import Settings
from rag.tokens import TokenCounter
from rag.vector_store import VectorStore

# Bump when cleaning or chunking changes what a file turns into: every document is then re-chunked (vectors
# of unchanged passages still come from the cache).
PIPELINE_VERSION = 2  # 2: chart series paired with their year labels (ingest/tables.py)

Progress = Callable[[str, int, int], None]


@dataclass
class _Prepared:
    document: LoadedDocument
    title: str
    chars: int
    chunks: list[IndexedChunk]
    text_hashes: list[str] = field(default_factory=list)


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileError]]:
    """Expand folders into the supported files below them; a named file of another type is an error."""
    files: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(FileError(path=str(path), reason="no such file or folder"))
    return files, errors


class Indexer:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self.model_id = embedding_model_id(settings)
        self._embeddings = embeddings
        self.progress = progress or (lambda stage, done, total: None)
        self.catalog = Catalog.for_settings(settings)
        self.store = VectorStore.for_settings(settings)
        self.chunker = Chunker(
            ChunkingConfig(settings.chunk_tokens, settings.chunk_overlap_tokens, settings.chunk_min_tokens),
            TokenCounter(settings.tokenizer_encoding, settings.cache_dir),
        )
        self._place: dict[Path, Path] = {}
        self.signature = (f"v{PIPELINE_VERSION};{settings.tokenizer_encoding};{settings.chunk_tokens}/"
                          f"{settings.chunk_overlap_tokens}/{settings.chunk_min_tokens};{self.model_id}")

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:  # loaded only when something must be embedded
            self._embeddings = build_embeddings(self.settings)
        return self._embeddings

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One writer per index; the lock dies with its process, so kill -9 never leaves it stuck."""
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.index_dir / "ingest.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.progress("waiting for another ingest to finish", 0, 0)
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    # --- public operations ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path], prune: bool = False, place: Mapping[Path, Path] | None = None
               ) -> IngestReport:
        """Index the files below `paths`. `place` maps staged files to where they belong (an upload): a file
        is moved there only once it was read and its vectors are stored, just before its catalog swap, so
        a file that fails leaves the previous version of its document, file and index, untouched."""
        started = time.perf_counter()
        report = IngestReport()
        self._place = dict(place or {})
        with self._exclusive():
            report.repaired = self.reconcile()
            files, report.errors = collect_files(paths)
            report.files = len(files)
            prepared = self._prepare(files, report)
            self._embed_and_commit(prepared, report)
            if prune:
                self._prune(report, keep={p.document.source for p in prepared})
        report.seconds = round(time.perf_counter() - started, 2)
        return report

    def delete(self, source: str) -> bool:
        with self._exclusive():
            ids = sorted(self.catalog.chunk_ids(source))
            removed = self.catalog.delete_document(source)
            self.store.delete(ids)
        return removed

    def reconcile(self) -> int:
        """Make Chroma hold exactly the catalogued chunks: drop orphans, restore lost vectors."""
        served = self.catalog.chunk_ids()
        stored = self.store.ids()
        orphans = sorted(stored - served)
        self.store.delete(orphans)
        missing = sorted(served - stored)
        if missing:
            wanted = set(missing)
            by_id = {c.chunk.chunk_id: c for c in self.catalog.indexed_chunks() if c.chunk.chunk_id in wanted}
            hashes = self.catalog.chunk_hashes(missing)
            self._upsert([by_id[cid] for cid in missing], [hashes[cid] for cid in missing])
        return len(orphans) + len(missing)

    # --- steps ---------------------------------------------------------------------------------------
    def _prepare(self, files: list[Path], report: IngestReport) -> list[_Prepared]:
        """Load, clean and chunk every file that changed; nothing is written yet."""
        known = {record.source: record for record in self.catalog.documents()}
        seen: dict[str, Path] = {}
        prepared: list[_Prepared] = []
        for done, path in enumerate(files, 1):
            self.progress("reading", done, len(files))
            name = unicodedata.normalize("NFC", path.name)
            if name in seen:
                report.errors.append(FileError(path=str(path), reason=f"same file name as {seen[name]}; "
                                               "documents are identified by file name"))
                continue
            seen[name] = path
            try:
                document = load_document(path, self.settings.max_file_bytes)
            except DocumentError as exc:
                report.errors.append(FileError(path=str(path), reason=str(exc)))
                continue
            # the name is part of the identity: two copies of one file are two documents with their own ids
            fingerprint = hashlib.sha256(f"{document.fingerprint};{document.source};{self.signature}".encode()
                                         ).hexdigest()
            document = LoadedDocument(**{**document.__dict__, "fingerprint": fingerprint})
            record = known.get(document.source)
            if record is not None and record.fingerprint == fingerprint:
                path = self._put_in_place(path)
                if record.path != str(path.resolve()):
                    self.catalog.update_path(document.source, str(path.resolve()))
                report.documents_unchanged += 1
                report.chunks_unchanged += record.n_chunks
                report.documents.append(DocumentResult(source=document.source, path=str(path), status="unchanged",
                                                       chunks=record.n_chunks))
                prepared.append(_Prepared(document, "", 0, []))
                continue
            text = pair_chart_series(clean_text(document.text))
            title = document.title_hint or guess_title(text, fallback=path.stem)
            chunks = self.chunker.split(text, split_blocks(text), source=document.source, title=title,
                                        fingerprint=fingerprint)
            if not chunks:
                report.errors.append(FileError(path=str(path), reason="no text left after cleaning"))
                continue
            # Keywords come from the passage alone: a section heading repeated in every chunk of its
            # section would lift all of them for any question that shares a word with the heading.
            indexed = [IndexedChunk(chunk=c, keywords=tokenize(c.text, self.settings.cache_dir / "jieba"))
                       for c in chunks]
            hashes = [hashlib.sha256(c.embedding_text().encode()).hexdigest() for c in chunks]
            prepared.append(_Prepared(document, title, len(text), indexed, hashes))
        return prepared

    def _embed_and_commit(self, prepared: list[_Prepared], report: IngestReport) -> None:
        changed = [p for p in prepared if p.chunks]
        cached = self.catalog.cached_vectors(self.model_id, (h for p in changed for h in p.text_hashes))
        todo = len({h for p in changed for h in p.text_hashes} - cached.keys())
        done = 0
        self.progress("embedding", 0, todo)
        known = self.catalog.fingerprints()
        for item in changed:
            missing = [h for h in dict.fromkeys(item.text_hashes) if h not in cached]

            def advance(count: int) -> None:
                nonlocal done
                done += count
                self.progress("embedding", done, todo)

            cached.update(self._embed_missing(item.chunks, item.text_hashes, missing, advance))
            report.vectors_computed += len(missing)
            self._commit(item, cached, report, is_new=item.document.source not in known)

    def _embed_missing(self, chunks: list[IndexedChunk], hashes: list[str], missing: list[str],
                       advance: Callable[[int], None] | None = None) -> dict[str, list[float]]:
        """Embed the chunks whose text hashes are `missing`, in batches, storing each batch in the cache
        as soon as it is computed (so an interrupted run keeps what it paid for)."""
        texts = {h: c.chunk.embedding_text() for c, h in zip(chunks, hashes, strict=True)}
        fresh: dict[str, list[float]] = {}
        batch_size = self.settings.embedding_batch_size
        for i in range(0, len(missing), batch_size):
            batch = missing[i:i + batch_size]
            vectors = dict(zip(batch, self.embeddings.embed_documents([texts[h] for h in batch]), strict=True))
            self.catalog.store_vectors(self.model_id, vectors)
            fresh.update(vectors)
            if advance:
                advance(len(batch))
        return fresh

    def _commit(self, item: _Prepared, vectors: dict[str, list[float]], report: IngestReport, is_new: bool) -> None:
        source = item.document.source
        old_ids = self.catalog.chunk_ids(source)
        self._upsert(item.chunks, item.text_hashes, vectors)
        # A crash between the move and the catalog swap leaves the new file with the old index: the next
        # ingest sees the changed file and finishes the job.
        path = self._put_in_place(item.document.path)
        record = DocumentRecord(source=source, path=str(path.resolve()),
                                fingerprint=item.document.fingerprint, title=item.title,
                                encoding=item.document.encoding, chars=item.chars, n_chunks=len(item.chunks),
                                indexed_at=time.time())
        self.catalog.replace_document(record, item.chunks, item.text_hashes)
        new_ids = {c.chunk.chunk_id for c in item.chunks}
        self.store.delete(sorted(old_ids - new_ids))
        report.chunks_added += len(new_ids - old_ids)
        report.chunks_removed += len(old_ids - new_ids)
        if is_new:
            report.documents_added += 1
        else:
            report.documents_updated += 1
        report.documents.append(DocumentResult(source=source, path=str(path),
                                               status="added" if is_new else "updated", chunks=len(item.chunks)))

    def _put_in_place(self, path: Path) -> Path:
        """Where a successfully read file ends up: a staged upload replaces the stored file atomically."""
        target = self._place.get(path)
        if target is None:
            return path
        path.replace(target)
        return target

    def _upsert(self, chunks: list[IndexedChunk], hashes: list[str],
                vectors: dict[str, list[float]] | None = None) -> None:
        if vectors is None:
            vectors = self.catalog.cached_vectors(self.model_id, hashes)
        lost = [h for h in dict.fromkeys(hashes) if h not in vectors]
        if lost:  # the cache lost them too (deleted by hand): embed again
            vectors = {**vectors, **self._embed_missing(chunks, hashes, lost)}
        self.store.upsert(
            ids=[c.chunk.chunk_id for c in chunks],
            vectors=[vectors[h] for h in hashes],
            texts=[c.chunk.text for c in chunks],
            metadatas=[{"source": c.chunk.source, "title": c.chunk.title, "section": c.chunk.section,
                        "ordinal": c.chunk.ordinal, "start": c.chunk.start, "end": c.chunk.end} for c in chunks],
        )

    def _prune(self, report: IngestReport, keep: set[str]) -> None:
        for record in self.catalog.documents():
            if record.source not in keep and not Path(record.path).exists():
                ids = sorted(self.catalog.chunk_ids(record.source))
                self.catalog.delete_document(record.source)
                self.store.delete(ids)
                report.documents_removed += 1
                report.chunks_removed += len(ids)
        self.catalog.prune_vector_cache(self.model_id)

