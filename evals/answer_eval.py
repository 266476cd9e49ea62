"""Scoring one answer by the rules of shared/benchmarks/README.md.

An answer is correct when every key fact is in it (after NFKC and whitespace removal) and it is not a
refusal; a rejection is correct when the machine-readable `grounded` flag is false.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from evals.benchmark import BenchmarkQuestion, evidence_hit, squash
from rag.claims import claim_of
from rag.schema import Answer
from rag.sentences import sentences


class AnswerVerdict(BaseModel):
    id: str
    type: str
    answerable: bool
    correct: bool
    refused: bool
    citation_hit: bool | None
    unsupported_figures: list[str]


def unsupported_figures(answer: Answer) -> list[str]:
    """Figures of each answer sentence that none of the chunks it cites contains. An answer without any
    marker (the vanilla baseline) is taken to cite all its sources."""
    by_number = {c.n: c.text for c in answer.citations}
    unmarked = not re.search(r"\[\d+\]", answer.answer)
    missing = []
    for sentence in sentences(answer.answer):
        cited = list(by_number.values()) if unmarked else [
            by_number[int(n)] for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in by_number]
        claim = claim_of(sentence)
        if claim.figures:
            pool = "\n".join(cited)
            missing += [str(f) for f in claim.figures if str(f) not in claim.found_in(pool)]
    return missing


def judge(question: BenchmarkQuestion, answer: Answer) -> AnswerVerdict:
    refused = not answer.grounded
    text = squash(answer.answer)
    correct = question.answerable and not refused and all(squash(f) in text for f in question.key_facts)
    citation_hit = None
    if question.answerable and question.evidence:
        citation_hit = evidence_hit(question, [c.text for c in answer.citations], [c.source for c in answer.citations])
    return AnswerVerdict(id=question.id, type=question.type, answerable=question.answerable, correct=correct,
                         refused=refused, citation_hit=citation_hit,
                         unsupported_figures=unsupported_figures(answer) if not refused else [])
