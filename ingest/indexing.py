"""Keeping the index in step with a set of files: which files changed, what each turns into (cleaned,
chunked, keyword-tokenized), and what must be embedded. Writing it is rag/storage.py's job, in its crash-safe
order; this module decides what to write.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.chunking import Chunker, ChunkingConfig
from ingest.cleaning import clean_text
from ingest.loaders import SUPPORTED_SUFFIXES, DocumentError, LoadedDocument
from ingest.report import DocumentResult, FileError, IngestReport
from ingest.sandbox import ParseSandbox
from ingest.structure import guess_title, split_blocks
from ingest.tables import pair_cards, pair_chart_series, pair_table_rows
from rag.catalog import DocumentRecord, IndexedChunk
from rag.embeddings import build_embeddings
from rag.keyword_index import tokenize
from rag.settings import Settings
from rag.storage import Storage, Writer
from rag.tokens import TokenCounter

# Bump when cleaning or chunking changes what a file turns into: every document is then re-chunked (vectors
# of unchanged passages still come from the cache).
PIPELINE_VERSION = 11  # 2: chart series paired with their year labels (ingest/tables.py); 3: numbers and run-in
# headings the wrap cut are rejoined (ingest/cleaning.py, ingest/structure.py); 4: table rows named by header;
# 5: a slide label after a blank line is not joined onto the full line above it; 6: figure cards named by label;
# 7: table rows of four or more long Chinese cells are not joined as wrapped text; 8: tables with pipes between
# cells ("年份｜产量"), rows named by a year or after a rank, units from "（单位：亿元）" and "产量（万吨）";
# 9: a document's title and a line the next one is far wider than are not joined onto what follows;
# 10: a table row or chart series line is never cut between chunks at the '；' between its cells; 11: a title
# breaks from what follows only across a blank line or when it ends like one (》, 通知…), never inside a word

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
                 progress: Progress | None = None, storage: Storage | None = None) -> None:
        self.settings = settings
        self.storage = storage or Storage(settings)
        self.catalog = self.storage.catalog  # read only: writes go through the storage's writer
        self._embeddings = embeddings
        self.progress = progress or (lambda stage, done, total: None)
        self.chunker = Chunker(
            ChunkingConfig(settings.chunk_tokens, settings.chunk_overlap_tokens, settings.chunk_min_tokens),
            TokenCounter(settings.tokenizer_encoding, settings.cache_dir),
        )
        self._place: dict[Path, Path] = {}
        self.signature = (f"v{PIPELINE_VERSION};{settings.tokenizer_encoding};{settings.chunk_tokens}/"
                          f"{settings.chunk_overlap_tokens}/{settings.chunk_min_tokens};{self.storage.model_id}")

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:  # loaded only when something must be embedded
            self._embeddings = build_embeddings(self.settings)
        return self._embeddings

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return self.embeddings.embed_documents(texts)

    def _waiting(self) -> None:
        self.progress("waiting for another ingest to finish", 0, 0)

    # --- public operations ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path], prune: bool = False, place: Mapping[Path, Path] | None = None
               ) -> IngestReport:
        """Index the files below `paths`. `place` maps staged files to where they belong (an upload): a file
        is moved there only once it was read and its vectors are stored, just before its catalog swap, so
        a file that fails leaves the previous version of its document, file and index, untouched."""
        started = time.perf_counter()
        report = IngestReport()
        self._place = dict(place or {})
        with self.storage.writer(on_wait=self._waiting) as writer:
            report.repaired = writer.reconcile(self._embed)
            files, report.errors = collect_files(paths)
            report.files = len(files)
            with ParseSandbox(self.settings.max_file_bytes, self.settings.parse_timeout_seconds,
                              self.settings.parse_memory_mb) as sandbox:
                prepared = self._prepare(files, report, writer, sandbox)
            self._embed_and_commit(prepared, report, writer)
            if prune:
                self._prune(report, writer, keep={p.document.source for p in prepared})
        report.seconds = round(time.perf_counter() - started, 2)
        return report

    def delete(self, source: str) -> bool:
        with self.storage.writer(on_wait=self._waiting) as writer:
            return writer.delete_document(source) is not None

    # --- steps ---------------------------------------------------------------------------------------
    def _prepare(self, files: list[Path], report: IngestReport, writer: Writer, sandbox: ParseSandbox
                 ) -> list[_Prepared]:
        """Load (each file parsed in the sandbox, within its time and memory limits), clean and chunk every
        file that changed; nothing is written yet."""
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
                document = sandbox.load(path)
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
                    writer.update_path(document.source, str(path.resolve()))
                report.documents_unchanged += 1
                report.chunks_unchanged += record.n_chunks
                report.documents.append(DocumentResult(source=document.source, path=str(path), status="unchanged",
                                                       chunks=record.n_chunks))
                prepared.append(_Prepared(document, "", 0, []))
                continue
            text = pair_table_rows(pair_cards(pair_chart_series(clean_text(document.text))))
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

    def _embed_and_commit(self, prepared: list[_Prepared], report: IngestReport, writer: Writer) -> None:
        changed = [p for p in prepared if p.chunks]
        cached = self.storage.cached_vectors(h for p in changed for h in p.text_hashes)
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

            cached.update(writer.embed_missing(item.chunks, item.text_hashes, missing, self._embed, advance))
            report.vectors_computed += len(missing)
            self._commit(item, cached, report, writer, is_new=item.document.source not in known)

    def _commit(self, item: _Prepared, vectors: dict[str, list[float]], report: IngestReport, writer: Writer,
                is_new: bool) -> None:
        source, path = item.document.source, item.document.path

        def finalize() -> DocumentRecord:
            # A crash between the move and the catalog swap leaves the new file with the old index: the next
            # ingest sees the changed file and finishes the job.
            nonlocal path
            path = self._put_in_place(path)
            return DocumentRecord(source=source, path=str(path.resolve()),
                                  fingerprint=item.document.fingerprint, title=item.title,
                                  encoding=item.document.encoding, chars=item.chars, n_chunks=len(item.chunks),
                                  indexed_at=time.time())

        replaced = writer.replace_document(source, item.chunks, item.text_hashes, vectors, self._embed, finalize)
        report.chunks_added += replaced.added
        report.chunks_removed += replaced.removed
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

    def _prune(self, report: IngestReport, writer: Writer, keep: set[str]) -> None:
        for record in self.catalog.documents():
            if record.source not in keep and not Path(record.path).exists():
                report.chunks_removed += writer.delete_document(record.source) or 0
                report.documents_removed += 1
        writer.prune_vector_cache()
