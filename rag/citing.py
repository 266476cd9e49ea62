"""How a verified sentence points at its sources: markers placed before the sentence's final punctuation, and
the passage sentence quoted on the citation card."""

from __future__ import annotations

import re

from rag.claims import claim_of, normalize
from rag.context import ContextSource
from rag.keyword_index import tokenize
from rag.schema import Citation
from rag.sentences import sentences


def content_overlap(sentence: str, passage: str) -> float:
    """Share of the sentence's words that the passage has."""
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    return len(words & set(tokenize(passage))) / len(words)


def attach_markers(sentence: str, numbers: list[int]) -> str:
    """"……增长17.4%[1]。": markers go before the final punctuation (and closing quotes), so they stay with
    their sentence."""
    if not numbers:
        return sentence
    markers = "".join(f"[{n}]" for n in numbers)
    match = re.search(r"[。！？!?；;.…]+[”’」』）)]*$", sentence)
    if match:
        return sentence[:match.start()] + markers + sentence[match.start():]
    return sentence + markers


def best_quote(source: ContextSource, citing: list[str]) -> str:
    """The chunk sentence that best supports what cites it: all its figures present, most shared words."""
    candidates = sentences(source.hit.text)
    if not candidates:
        return source.hit.text

    cited_figures = [f for s in citing for f in claim_of(s).figures]

    def support(candidate: str) -> tuple[int, float]:
        norm = normalize(candidate)
        found = sum(1 for f in cited_figures if f.found_in(norm))
        return found, max(content_overlap(s, candidate) for s in citing)

    return max(candidates, key=support)


def citations_of(sources: dict[int, ContextSource], renumber: dict[int, int],
                 cited_sentences: dict[int, list[str]]) -> list[Citation]:
    """The answer's citations in the order of its markers, each quoting what its sentences rely on."""
    return [Citation(n=number, chunk_id=sources[n].hit.chunk_id, source=sources[n].hit.source,
                     section=sources[n].hit.section, quote=best_quote(sources[n], cited_sentences[n]),
                     score=sources[n].hit.score, text=sources[n].hit.cited_text())
            for n, number in sorted(renumber.items(), key=lambda item: item[1])]
