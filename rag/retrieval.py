"""Hybrid retrieval: dense vectors from Chroma and BM25 over jieba tokens, fused by reciprocal rank.

Dense search understands paraphrases and English questions; BM25 nails figures and names. Reciprocal rank
fusion needs no score calibration between the two. Only chunks the catalog lists are ever returned, which is
what makes an interrupted ingest invisible to readers.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from rag.embeddings import build_embeddings
from rag.keyword_index import KeywordIndex, tokenize
from rag.romanized import PinyinNames
from rag.schema import Chunk, SearchHit
from rag.settings import Settings
from rag.storage import Storage


class QueryError(ValueError):
    """A question that cannot be searched (empty, too long); the message says why."""


def validate_query(query: str, max_chars: int) -> str:
    query = (query or "").strip()
    if not query:
        raise QueryError("the question is empty")
    if not any(ch.isalnum() for ch in query):
        raise QueryError("the question has no words, only punctuation or symbols")
    if len(query) > max_chars:
        raise QueryError(f"the question is {len(query):,} characters long; the limit is {max_chars:,}")
    if any("\ud800" <= ch <= "\udfff" for ch in query):  # JSON lets a client send half a UTF-16 pair
        raise QueryError("the question contains an invalid character (a lone UTF-16 surrogate)")
    return query


def _overlap(a: Chunk, b: Chunk) -> int:
    if a.source != b.source:
        return 0
    return max(0, min(a.end, b.end) - max(a.start, b.start))


HEAD_CHARS = 300
# A figure precise enough to name one statement ("13.9%", "7575.8", "2.66"): a question quoting it asks about
# the passage that states it ("13.9%这个增速是哪个指标的？"). Whole numbers and years recur too often to anchor.
_EXACT_FIGURE = re.compile(r"\d+\.\d+%?|\d+(\.\d+)?[%‰]")


@dataclass(frozen=True)
class _ServedIndex:
    chunks: dict[str, Chunk]
    by_source: dict[str, set[str]]
    keywords: KeywordIndex
    heads: dict[str, str]


class HybridRetriever:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None,
                 storage: Storage | None = None) -> None:
        self.settings = settings
        self.storage = storage or Storage(settings)
        self._embeddings = embeddings
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._index = _ServedIndex({}, {}, KeywordIndex([], []), {})
        self._pinyin: tuple[KeywordIndex, PinyinNames] | None = None

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = build_embeddings(self.settings)
        return self._embeddings

    def refresh(self) -> None:
        """Reload the served chunk set and the BM25 index if the catalog changed since the last call."""
        generation = self.storage.catalog.generation()
        if generation == self._generation:
            return
        with self._lock:
            if generation == self._generation:
                return
            indexed = self.storage.catalog.indexed_chunks()
            chunks = {item.chunk.chunk_id: item.chunk for item in indexed}
            by_source: dict[str, set[str]] = {}
            for chunk in chunks.values():
                by_source.setdefault(chunk.source, set()).add(chunk.chunk_id)
            keywords = KeywordIndex([item.chunk.chunk_id for item in indexed], [item.keywords for item in indexed])
            first = {}
            for chunk in chunks.values():
                if chunk.source not in first or chunk.ordinal < first[chunk.source].ordinal:
                    first[chunk.source] = chunk
            heads = {source: f"{chunk.title}\n{chunk.text[:HEAD_CHARS]}" for source, chunk in first.items()}
            self._index = _ServedIndex(chunks, by_source, keywords, heads)  # one swap: readers see old or new
            self._generation = generation

    def document_head(self, source: str) -> str:
        """The title and opening of a document (where its publisher and authors are named), as of the last
        search: an answer may name who published the passage it cites."""
        return self._index.heads.get(source, "")

    def romanized_names(self, text: str) -> dict[str, str]:
        """The corpus words that capitalised words of `text` spell in pinyin (see `rag.romanized`); the
        pinyin index is built on first use for each served index (English questions only need it)."""
        self.refresh()
        keywords = self._index.keywords
        cached = self._pinyin
        if cached is None or cached[0] is not keywords:
            cached = (keywords, PinyinNames(keywords.document_frequency))
            self._pinyin = cached
        return cached[1].find(text)

    def idf(self, token: str) -> float:
        """Of the index as of the last search (called per word while packing: no reload check here)."""
        return self._index.keywords.idf(token)

    @property
    def chunk_count(self) -> int:
        self.refresh()
        return len(self._index.chunks)

    def search(self, query: str, k: int | None = None, source: str | None = None) -> list[SearchHit]:
        query = validate_query(query, self.settings.max_question_chars)
        k = self.settings.retrieval_k if k is None else k
        if k < 1:
            raise QueryError("k must be at least 1")
        self.refresh()
        served = self._index  # one consistent snapshot for the whole search, whatever refreshes meanwhile
        chunks = served.chunks
        if source is not None and source not in served.by_source:
            return []
        n = max(self.settings.retrieval_candidates, k)
        nearest = self.storage.vectors.query(self.embeddings.embed_query(query), n, source)
        dense = [cid for cid, _ in nearest if cid in chunks]
        allowed = served.by_source[source] if source else None
        query_tokens = tokenize(query)
        keyword = [cid for cid, _ in served.keywords.search(query_tokens, n, allowed)]
        exact = [token for token in query_tokens if _EXACT_FIGURE.fullmatch(token)]
        anchored = [cid for cid, _ in served.keywords.search(exact, n, allowed)] if exact else []
        # BM25 counts in proportion to how much of the question the corpus vocabulary covers; the passages
        # stating the question's exact figures count as a third ranking.
        fused: dict[str, float] = {}
        for ranking, weight in ((dense, 1.0), (keyword, served.keywords.coverage(query_tokens)), (anchored, 1.0)):
            for rank, cid in enumerate(ranking, 1):
                fused[cid] = fused.get(cid, 0.0) + weight / (self.settings.rrf_k + rank)
        dense_rank = {cid: r for r, cid in enumerate(dense, 1)}
        keyword_rank = {cid: r for r, cid in enumerate(keyword, 1)}
        hits: list[SearchHit] = []
        kept: list[Chunk] = []
        seen_texts: set[str] = set()
        per_source: dict[str, int] = {}
        candidates = sorted(fused, key=lambda c: (-fused[c], c))
        while candidates and len(hits) < k:
            # Greedy diversification: each passage already taken from a report discounts that report's next
            # ones, so a question spanning two reports gets evidence from both.
            best = max(candidates, key=lambda c: fused[c] * self.settings.source_diversity
                       ** per_source.get(chunks[c].source, 0))
            candidates.remove(best)
            chunk = chunks[best]
            normalized = "".join(chunk.text.split())
            if normalized in seen_texts or any(
                    _overlap(chunk, other) * 2 >= chunk.end - chunk.start for other in kept):
                continue  # the same passage is already in the context
            seen_texts.add(normalized)
            kept.append(chunk)
            per_source[chunk.source] = per_source.get(chunk.source, 0) + 1
            hits.append(SearchHit(chunk_id=best, source=chunk.source, section=chunk.section, text=chunk.text,
                                  score=round(fused[best], 6), dense_rank=dense_rank.get(best),
                                  keyword_rank=keyword_rank.get(best), title=chunk.title, start=chunk.start,
                                  end=chunk.end))
        return hits
