"""Benchmark question sets and the evidence-hit rule of shared/benchmarks/README.md."""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

from pydantic import BaseModel, Field

from rag.batch import read_questions
from rag.schema import ChatTurn

HIT_FRACTION = 0.6
# The question sets (questions/) and the news corpus (corpora/) ship in the wheel beside this module.
SHIPPED = Path(__file__).resolve().parent


class Evidence(BaseModel):
    doc: str
    quote: str


class BenchmarkQuestion(BaseModel):
    id: str
    question: str
    answerable: bool = True
    reference_answer: str = ""
    key_facts: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    type: str = "unknown"
    history: list[ChatTurn] = Field(default_factory=list, description="Earlier turns of a conversation, for "
                                    "follow-up questions; sent as a chat client would.")


def load_questions(path: Path) -> list[BenchmarkQuestion]:
    return read_questions(path, BenchmarkQuestion)


def shipped(path: Path) -> Path:
    """`path` where it exists; else the question set or corpus of that name shipped with this package, so
    that an installed copy run outside the checkout takes the README's `evals/questions/news-test.jsonl` and
    `evals/corpora/news` (or a bare `news-test.jsonl`) as they are."""
    if path.exists() or path.is_absolute() or not path.parts:
        return path
    inside = Path(*path.parts[1:]) if path.parts[0] == "evals" and len(path.parts) > 1 else path
    for candidate in (SHIPPED / inside, SHIPPED / "questions" / path.name):
        if candidate.exists():
            return candidate
    return path


def squash(text: str) -> str:
    """The comparison form: NFKC and no whitespace at all (the reports are PDF extractions)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def quote_found(quote: str, passages: list[str]) -> bool:
    """A quote is found when it stands whole in one passage, or when a chunk boundary cut it and at least
    60% of it stands in one passage."""
    needle = squash(quote)
    if not needle:
        return True
    need = max(1, int(len(needle) * HIT_FRACTION + 0.999))
    for passage in passages:
        hay = squash(passage)
        if needle in hay:
            return True
        match = SequenceMatcher(None, needle, hay, autojunk=False).find_longest_match(0, len(needle), 0, len(hay))
        if match.size >= need:
            return True
    return False


def evidence_hit(question: BenchmarkQuestion, passages: list[str], sources: list[str] | None = None) -> bool:
    """Every evidence quote of the question is found in the passages (from the right document, when the
    passages' sources are given)."""
    for evidence in question.evidence:
        pool = passages if sources is None else [p for p, s in zip(passages, sources, strict=True) if s == evidence.doc]
        if not quote_found(evidence.quote, pool):
            return False
    return True
