"""What an ingest reports: per document, per refused file, and in totals. Shared by the CLI, the API and the
chat page, which show it as they see fit."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FileError(BaseModel):
    path: str
    reason: str


class DocumentResult(BaseModel):
    source: str
    path: str
    status: str = Field(description="added, updated or unchanged")
    chunks: int


class IngestReport(BaseModel):
    files: int = 0
    documents_added: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    documents_removed: int = 0
    chunks_added: int = 0
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    vectors_computed: int = Field(0, description="Chunks that had to be embedded (not in the cache).")
    repaired: int = Field(0, description="Orphan or missing vectors fixed after an interrupted run.")
    errors: list[FileError] = Field(default_factory=list)
    documents: list[DocumentResult] = Field(default_factory=list)
    seconds: float = 0.0
