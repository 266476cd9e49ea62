"""Packing retrieved passages into a tight, numbered context for the generator.

A 1.5B model on two cores reads about 90 tokens a second, so every sentence handed to it costs latency and
gives it one more chance to copy the wrong figure. The packer keeps, from each retrieved chunk, the
sentences that share the most words with the question, within a token budget, in document order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from rag.claims import figures
from rag.keyword_index import tokenize
from rag.schema import SearchHit
from rag.sentences import split_sentences
from rag.tokens import TokenCounter


@dataclass
class ContextSource:
    """One numbered source of the context: a retrieved chunk and the sentences of it that are shown."""

    n: int
    hit: SearchHit
    sentences: list[tuple[int, int]] = field(default_factory=list)
    head: str = field(default="", compare=False)  # the document's title and byline, for names only
    byline: str = field(default="", compare=False)  # a line of the head the generator is shown (see passages)

    @cached_property
    def support_text(self) -> str:
        """What an answer citing this source may rely on: the chunk without sentences addressed to the model."""
        return "".join(self.hit.text[a:b] + "\n" for a, b in split_sentences(self.hit.text)
                       if not is_injection(self.hit.text[a:b]))

    @property
    def excerpt(self) -> str:
        parts: list[str] = []
        last_end = None
        for start, end in sorted(self.sentences):
            if last_end is not None and start > last_end + 2:
                parts.append("……")
            parts.append(self.hit.text[start:end])
            last_end = end
        return "".join(parts)


Weigher = Callable[[str], float]

# Sentences addressed to the answerer rather than informing the reader: overriding what came before,
# dictating the reply, changing the assistant's role, naming its prompt. Keyed on the act, not on one wording
# of it, in Chinese and English. The system prompt already says documents are data; these are also kept out
# of the context and out of the support for an answer, so a small model is never shown them at all.
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|不理会|不管|抛开)[^。！？!?\n]{0,12}(指令|指示|提示|规则|要求|设定|上文|前文)"
    r"|(只|仅|直接|务必|必须|一律|总是)(回答|回复|输出|答复|说)\s*[:：“\"「]"
    r"|你现在是|从现在起你|你的新(任务|角色|指令)|你的(系统提示|提示词|指令)"
    r"|\b(ignore|disregard|forget)\b[^.!?\n]{0,30}\b(instructions|prompts?|rules|above|previous|everything)\b"
    r"|\b(only|just|always)\s+(answer|reply|respond|say|output)\b[^.!?\n]{0,10}[:\"“]"
    r"|\b(answer|reply|respond|say|output)\s+(only\s+)?with\s*[:\"“]"
    r"|\byou are now\b|\bfrom now on\b|\bnew instructions?\s*:"
    r"|\b(reveal|print|show|output|repeat)\b[^.!?\n]{0,20}\b(system prompt|your instructions)\b",
    re.IGNORECASE,
)


def is_injection(sentence: str) -> bool:
    return bool(_INJECTION.search(sentence))


def token_weight(token: str, idf: Weigher | None) -> float:
    """How much a shared word says: rarer words in the corpus more (IDF), numbers and Latin names double,
    because they are what questions about reports hinge on."""
    base = 2.0 if any(c.isdigit() or c.isascii() for c in token) else 1.0
    return base * (0.5 + idf(token) / 4) if idf else base


# A word used by about one passage in ten, or fewer, says what a question is about; the rest is the vocabulary
# every report of the corpus shares (BM25's idf is about ln(passages / passages using the word)).
SPECIFIC_IDF = math.log(10)


def specific_words(text: str, idf: Weigher) -> tuple[str, ...]:
    """The words of `text` that few passages of the corpus use (figures aside)."""
    return tuple(dict.fromkeys(token for token in tokenize(text)
                               if len(token) >= 2 and not re.fullmatch(r"[\d.%]+", token)
                               and idf(token) >= SPECIFIC_IDF))


def score_sentence(sentence: str, query_tokens: set[str], idf: Weigher | None = None) -> float:
    """Weighted words shared with the question, plus a small bonus for carrying a figure."""
    tokens = set(tokenize(sentence))
    score = sum(token_weight(token, idf) for token in tokens & query_tokens)
    return score + (0.5 if figures(sentence) else 0.0)


class ContextPacker:
    def __init__(self, counter: TokenCounter, budget_tokens: int, idf: Weigher | None = None) -> None:
        if budget_tokens < 50:
            raise ValueError("the context budget must be at least 50 tokens")
        self.counter = counter
        self.budget = budget_tokens
        self.idf = idf

    def pack(self, question: str, hits: list[SearchHit]) -> list[ContextSource]:
        query_tokens = set(tokenize(question))
        sources = [ContextSource(n=i + 1, hit=hit) for i, hit in enumerate(hits)]
        candidates: list[tuple[float, int, tuple[int, int]]] = []
        for rank, source in enumerate(sources):
            for span in split_sentences(source.hit.text):
                if is_injection(source.hit.text[span[0]:span[1]]):
                    continue
                score = score_sentence(source.hit.text[span[0]:span[1]], query_tokens, self.idf)
                # earlier (better retrieved) chunks win ties; a sentence sharing no word still ranks by position
                candidates.append((score + 1.0 / (rank + 2), rank, span))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2][0]))
        used = 0
        for _, rank, (start, end) in candidates:
            cost = self.counter.count(sources[rank].hit.text[start:end]) + (12 if not sources[rank].sentences else 0)
            if used + cost > self.budget:
                continue
            sources[rank].sentences.append((start, end))
            used += cost
        kept = [source for source in sources if source.sentences]
        for number, source in enumerate(kept, 1):
            source.n = number
        return kept


def render_sources(sources: list[ContextSource]) -> str:
    return "\n\n".join(f"[{s.n}] 《{s.hit.title or s.hit.source}》{f'（{s.byline}）' if s.byline else ''}"
                       f"{(' ' + s.hit.section) if s.hit.section else ''}\n{s.excerpt}" for s in sources)
