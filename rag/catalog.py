"""The record of what is indexed: documents, their chunks with keyword tokens, and cached embeddings.

This SQLite file is the source of truth for what may be served. A document's chunks become visible in one
transaction, after their vectors are already in Chroma; vectors that Chroma holds but the catalog does not
list are orphans of an interrupted run, never served and removed by the next ingest. This is the LangChain
indexing API's record manager, with the keyword index and the embedding cache kept beside it so that the
three can never disagree.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from rag.embeddings import embedding_model_id
from rag.schema import Chunk
from rag.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    title TEXT NOT NULL,
    encoding TEXT NOT NULL,
    chars INTEGER NOT NULL,
    n_chunks INTEGER NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    section TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    keywords TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source, ordinal);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class DocumentRecord(BaseModel):
    source: str
    path: str
    fingerprint: str
    title: str
    encoding: str
    chars: int
    n_chunks: int
    indexed_at: float


class IndexedChunk(BaseModel):
    chunk: Chunk
    keywords: list[str]


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread: the API server reads while an upload writes."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """Every `with` block is one transaction, taking the write lock up front when it will write."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @classmethod
    def for_settings(cls, settings: Settings) -> Catalog:
        """The catalog of the configured embedding model: each vector space has its own record."""
        return cls(settings.index_dir / f"catalog-{embedding_model_id(settings)}.sqlite3")

    # --- documents -----------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT source, path, fingerprint, title, encoding, chars, n_chunks, indexed_at "
                "FROM documents ORDER BY source").fetchall()
        return [DocumentRecord(**dict(zip(DocumentRecord.model_fields, row, strict=True))) for row in rows]

    def fingerprints(self) -> dict[str, str]:
        with self._connect() as db:
            return dict(db.execute("SELECT source, fingerprint FROM documents").fetchall())

    def replace_document(self, record: DocumentRecord, chunks: list[IndexedChunk], text_hashes: list[str]) -> None:
        """Swap a document's chunks for new ones atomically: readers see the old set or the new one."""
        with self._connect(write=True) as db:
            db.execute("DELETE FROM chunks WHERE source = ?", (record.source,))
            db.execute("DELETE FROM documents WHERE source = ?", (record.source,))
            db.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tuple(record.model_dump().values()))
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.chunk.chunk_id, c.chunk.source, c.chunk.ordinal, c.chunk.title, c.chunk.section,
                  c.chunk.start, c.chunk.end, c.chunk.text, h, " ".join(c.keywords))
                 for c, h in zip(chunks, text_hashes, strict=True)],
            )
            self._bump_generation(db)

    def update_path(self, source: str, path: str) -> None:
        with self._connect(write=True) as db:
            db.execute("UPDATE documents SET path = ? WHERE source = ?", (path, source))

    def delete_document(self, source: str) -> bool:
        with self._connect(write=True) as db:
            deleted = db.execute("DELETE FROM documents WHERE source = ?", (source,)).rowcount
            db.execute("DELETE FROM chunks WHERE source = ?", (source,))
            self._bump_generation(db)
        return deleted > 0

    # --- chunks --------------------------------------------------------------------------------------
    def chunk_ids(self, source: str | None = None) -> set[str]:
        with self._connect() as db:
            if source is None:
                return {row[0] for row in db.execute("SELECT chunk_id FROM chunks")}
            return {row[0] for row in db.execute("SELECT chunk_id FROM chunks WHERE source = ?", (source,))}

    def indexed_chunks(self) -> list[IndexedChunk]:
        """All served chunks in document order, with their keyword tokens."""
        with self._connect() as db:
            rows = db.execute(
                'SELECT chunk_id, source, title, section, ordinal, start, "end", text, keywords '
                "FROM chunks ORDER BY source, ordinal").fetchall()
        return [IndexedChunk(chunk=Chunk(chunk_id=r[0], source=r[1], title=r[2], section=r[3], ordinal=r[4],
                                         start=r[5], end=r[6], text=r[7]),
                             keywords=r[8].split(" ") if r[8] else []) for r in rows]

    def chunk_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(ids)
        with self._connect() as db:
            rows = []
            for i in range(0, len(wanted), 500):
                batch = wanted[i:i + 500]
                rows += db.execute(f"SELECT chunk_id, text_hash FROM chunks WHERE chunk_id IN "
                                   f"({','.join('?' * len(batch))})", batch).fetchall()
        return dict(rows)

    # --- embedding cache -----------------------------------------------------------------------------
    def cached_vectors(self, model: str, text_hashes: Iterable[str]) -> dict[str, list[float]]:
        wanted = list(dict.fromkeys(text_hashes))
        found: dict[str, list[float]] = {}
        with self._connect() as db:
            for i in range(0, len(wanted), 500):
                batch = wanted[i:i + 500]
                for text_hash, blob in db.execute(
                        f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN "
                        f"({','.join('?' * len(batch))})", [model, *batch]):
                    found[text_hash] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def store_vectors(self, model: str, vectors: dict[str, list[float]]) -> None:
        with self._connect(write=True) as db:
            db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                           [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()])

    def prune_vector_cache(self, model: str) -> int:
        """Drop cached vectors no chunk uses any more."""
        with self._connect(write=True) as db:
            return db.execute("DELETE FROM embeddings WHERE model = ? AND text_hash NOT IN "
                              "(SELECT text_hash FROM chunks)", (model,)).rowcount

    # --- change tracking -----------------------------------------------------------------------------
    @staticmethod
    def _bump_generation(db: sqlite3.Connection) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(time.time_ns()),))

    def generation(self) -> str:
        """Changes whenever the served set changes, so a long-running reader knows to reload."""
        with self._connect() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row[0] if row else "0"
