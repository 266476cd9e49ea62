"""Answer benchmark: accuracy, rejection, citation recall, figure faithfulness and latency.

Scoring follows shared/benchmarks/README.md: an answer is correct when every key fact is in it (after NFKC
and whitespace removal) and it is not a refusal; a rejection is correct when the machine-readable
`grounded` flag is false.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from evals.benchmark import BenchmarkQuestion, evidence_hit, squash
from evals.retrieval_eval import percentile
from rag.chain import AnswerChain
from rag.claims import claim_of
from rag.schema import Answer
from rag.sentences import sentences


class AnswerRecord(BaseModel):
    """One line of a batch output: the question's id and the Answer."""

    id: str
    answer: Answer


class AnswerVerdict(BaseModel):
    id: str
    type: str
    answerable: bool
    correct: bool
    refused: bool
    citation_hit: bool | None
    unsupported_figures: list[str]
    first_token: float | None
    total: float


class AnswerMetrics(BaseModel):
    questions: int
    answer_accuracy: float
    rejection_accuracy: float
    false_refusal_rate: float
    citation_recall: float
    answers_with_unsupported_figures: int
    first_token_p50: float
    first_token_p95: float
    total_p50: float
    total_p95: float
    by_type: dict[str, float]


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
                         unsupported_figures=unsupported_figures(answer) if not refused else [],
                         first_token=answer.timings.first_token, total=answer.timings.total)


def run_batch(chain: AnswerChain, questions: list[BenchmarkQuestion], out: Path,
              progress: Callable[[int, int], None] | None = None) -> list[AnswerRecord]:
    """Answer every question not already in `out` (so an interrupted run resumes), appending as it goes."""
    done: dict[str, AnswerRecord] = {}
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = AnswerRecord.model_validate_json(line)
                done[record.id] = record
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        for number, question in enumerate(questions, 1):
            if question.id not in done:
                record = AnswerRecord(id=question.id, answer=chain.invoke(question.question))
                handle.write(record.model_dump_json() + "\n")
                handle.flush()
                done[question.id] = record
            if progress:
                progress(number, len(questions))
    return [done[q.id] for q in questions]


def summarize_answers(verdicts: list[AnswerVerdict]) -> AnswerMetrics:
    answerable = [v for v in verdicts if v.answerable]
    unanswerable = [v for v in verdicts if not v.answerable]
    with_evidence = [v for v in answerable if v.citation_hit is not None]
    firsts = [v.first_token for v in verdicts if v.first_token is not None]
    totals = [v.total for v in verdicts]

    def share(rows: list[AnswerVerdict], ok: Callable[[AnswerVerdict], bool]) -> float:
        return round(sum(1 for r in rows if ok(r)) / len(rows), 4) if rows else 0.0

    types = sorted({v.type for v in verdicts})
    return AnswerMetrics(
        questions=len(verdicts),
        answer_accuracy=share(answerable, lambda v: v.correct),
        rejection_accuracy=share(unanswerable, lambda v: v.refused),
        false_refusal_rate=share(answerable, lambda v: v.refused),
        citation_recall=share(with_evidence, lambda v: bool(v.citation_hit)),
        answers_with_unsupported_figures=sum(1 for v in verdicts if v.unsupported_figures),
        first_token_p50=round(statistics.median(firsts), 3) if firsts else 0.0,
        first_token_p95=round(percentile(firsts, 0.95), 3),
        total_p50=round(statistics.median(totals), 3) if totals else 0.0,
        total_p95=round(percentile(totals, 0.95), 3),
        by_type={t: share([v for v in verdicts if v.type == t], lambda v: v.correct or (not v.answerable and v.refused))
                 for t in types},
    )


def write_verdicts(out_dir: Path, verdicts: list[AnswerVerdict], metrics: AnswerMetrics) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "verdicts.jsonl").write_text("".join(v.model_dump_json() + "\n" for v in verdicts), encoding="utf-8")
    (out_dir / "answer_metrics.json").write_text(json.dumps(metrics.model_dump(), indent=2), encoding="utf-8")
