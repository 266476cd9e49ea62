"""Typed records that cross module boundaries: what ingest produces and what retrieval returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Marks of the lines ingest derives from a flattened chart or table (ingest/tables.py): the answerer keeps a
# row's name with each of its cells.
SERIES_MARK = "（图表数据）"
ROW_MARK = "（表格行）"


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
        what it is about; a citation shows the passage under the same heading (SearchHit.cited_text)."""
        return under_heading(self.title, self.section, self.text)


def heading_of(title: str, section: str) -> str:
    return " > ".join(part for part in (title, section) if part)


def under_heading(title: str, section: str, text: str) -> str:
    heading = heading_of(title, section)
    return f"{heading}\n{text}" if heading else text


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

    def cited_text(self) -> str:
        """The passage under its document's title and section: a row of a 2033 plan names no year, its
        title does, and the reader (or a checker) of a citation sees the year the answer took from it."""
        return under_heading(self.title, self.section, self.text)


class ChatTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    n: int = Field(ge=1, description="The marker number used in the answer, [n].")
    chunk_id: str
    source: str
    title: str = Field("", description="The report's own title (its title or first heading); empty if unknown.")
    section: str
    quote: str = Field(description="The sentence(s) of the chunk that support what cites it.")
    score: float
    text: str = Field(description="The whole chunk under its heading (title > section), so a reader can see the "
                      "quote in context and what the passage is part of.")


class Timings(BaseModel):
    retrieve: float = 0.0
    generate: float = 0.0
    total: float = 0.0
    sources: float | None = Field(None, description="Seconds from the question to the passages found, the first "
                                  "thing a reader sees.")
    first_token: float | None = Field(None, description="Seconds from the question to the first streamed text.")


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Answer(BaseModel):
    question: str
    standalone_question: str = Field(description="The question after follow-up condensation.")
    answer: str = Field(description="Markdown with inline citation markers like [1].")
    citations: list[Citation] = Field(default_factory=list)
    grounded: bool = Field(description="False when the answer is a refusal: the reports do not say.")
    model: str
    language: Literal["zh", "en"]
    timings: Timings = Field(default_factory=Timings)
    usage: Usage = Field(default_factory=Usage)
    notes: list[str] = Field(default_factory=list, description="What verification changed, for the reader.")
