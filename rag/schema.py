"""Typed records that cross module boundaries: what ingest produces and what retrieval returns."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Chunk(BaseModel):
    """A passage of one cleaned document, the unit that is embedded, keyword-indexed and cited."""

    chunk_id: str = Field(description="Stable: derived from the document fingerprint and the position.")
    source: str = Field(description="File name of the document; the key documents are managed by.")
    title: str
    section: str = Field(description="Section path, headings joined by ' > ', empty before any heading.")
    ordinal: int = Field(ge=0)
    start: int = Field(ge=0, description="Character offset into the cleaned text of the document.")
    end: int = Field(ge=0)
    text: str

    def embedding_text(self) -> str:
        """Title and section ride along with the passage so that a fragment from a slide still says
        what it is about; citations show `text` alone."""
        heading = " > ".join(part for part in (self.title, self.section) if part)
        return f"{heading}\n{self.text}" if heading else self.text


class SearchHit(BaseModel):
    chunk_id: str
    source: str
    section: str
    text: str
    score: float = Field(description="Fused reciprocal-rank score; higher is better.")
    dense_rank: int | None = Field(None, description="1-based rank in the vector search, if found there.")
    keyword_rank: int | None = Field(None, description="1-based rank in BM25, if found there.")
    title: str = ""
    start: int = 0
    end: int = 0
