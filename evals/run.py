"""Benchmark runs: answer a question set with a pipeline (ours or the vanilla baseline, in-process or through
a running server's API), judge every answer, and summarise overall and per question type.

A run folder holds `results-<pipeline>.jsonl` (one judged question per line, appended as it goes, so an
interrupted run resumes) and, after `write_report`, `metrics.json`, `report.md` and `report.html`.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from evals.answer_eval import judge
from evals.benchmark import BenchmarkQuestion, evidence_hit, squash
from evals.faithfulness import Faithfulness, judge_offline, split_claims
from evals.retrieval_eval import percentile
from rag.batch import resume_jsonl
from rag.claims import claim_of, language_of
from rag.keyword_index import tokenize
from rag.schema import Answer, ChatTurn


class Passage(BaseModel):
    chunk_id: str
    source: str
    text: str


class Answerer(Protocol):
    def answer(self, question: str, history: list[ChatTurn]) -> Answer: ...

    def retrieve(self, question: str, k: int) -> list[Passage]: ...


class QuestionResult(BaseModel):
    id: str
    type: str
    question: str
    answerable: bool
    pipeline: str
    answer: Answer
    retrieval_rank: int | None = Field(None, description="Rank at which the evidence was all retrieved (k<=5).")
    correct: bool
    refused: bool
    key_fact_recall: float | None
    citation_hit: bool | None
    citation_precision: float | None
    unsupported_figures: list[str]
    faithfulness: Faithfulness
    faithfulness_llm: Faithfulness | None = None

    @property
    def ok(self) -> bool:
        return self.correct if self.answerable else self.refused


def citation_precision(answer: Answer) -> float | None:
    """Share of cited chunks that support at least one claim citing them (figures and names present and,
    for Chinese claims, half the words)."""
    if not answer.grounded or not answer.citations:
        return None
    by_number = {c.n: c.text for c in answer.citations}
    precise = 0
    for n, text in by_number.items():
        claims = [claim for claim, cited in split_claims(answer.answer) if n in cited]
        for claim in claims:
            if claim_of(claim).missing_in(text):
                continue
            words = set(tokenize(claim))
            if language_of(claim) == "en" or not words or len(words & set(tokenize(text))) / len(words) >= 0.5:
                precise += 1
                break
    return round(precise / len(by_number), 4)


def judge_question(question: BenchmarkQuestion, answer: Answer, retrieved: list[Passage], pipeline: str,
                   llm_judge: Callable[[Answer], Faithfulness] | None = None) -> QuestionResult:
    verdict = judge(question, answer)
    rank = None
    if question.answerable and question.evidence:
        rank = next((r for r in range(1, len(retrieved) + 1) if evidence_hit(
            question, [p.text for p in retrieved[:r]], [p.source for p in retrieved[:r]])), None)
    facts = question.key_facts
    recall = (sum(1 for f in facts if squash(f) in squash(answer.answer)) / len(facts)
              if facts and question.answerable else None)
    return QuestionResult(
        id=question.id, type=question.type, question=question.question, answerable=question.answerable,
        pipeline=pipeline, answer=answer, retrieval_rank=rank, correct=verdict.correct, refused=verdict.refused,
        key_fact_recall=recall, citation_hit=verdict.citation_hit, citation_precision=citation_precision(answer),
        unsupported_figures=verdict.unsupported_figures,
        faithfulness=judge_offline(answer), faithfulness_llm=llm_judge(answer) if llm_judge else None)


def run_questions(answerer: Answerer, questions: list[BenchmarkQuestion], pipeline: str, out_dir: Path,
                  llm_judge: Callable[[Answer], Faithfulness] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[QuestionResult]:
    def produce(question: BenchmarkQuestion) -> QuestionResult:
        answer = answerer.answer(question.question, question.history)
        retrieved = answerer.retrieve(answer.standalone_question or question.question, 5)
        return judge_question(question, answer, retrieved, pipeline, llm_judge)

    return resume_jsonl(out_dir / f"results-{pipeline}.jsonl", QuestionResult, questions, produce, progress)


def load_results(path: Path) -> list[QuestionResult]:
    return [QuestionResult.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _share(rows: list[Any], test: Callable[[Any], bool]) -> float | None:
    return round(sum(1 for r in rows if test(r)) / len(rows), 4) if rows else None


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _faithfulness(rows: list[QuestionResult], llm: bool) -> tuple[float | None, float | None]:
    judged = [r.faithfulness_llm if llm else r.faithfulness for r in rows]
    claims = [c for f in judged if f is not None for c in f.claims]
    if not claims:
        return None, None
    supported = sum(1 for c in claims if c.verdict == "supported")
    unclear = sum(1 for c in claims if c.verdict == "unclear")
    return round(supported / len(claims), 4), round((supported + unclear) / len(claims), 4)


def summarize(results: list[QuestionResult]) -> dict[str, Any]:
    answerable = [r for r in results if r.answerable]
    negative = [r for r in results if not r.answerable]
    with_evidence = [r for r in answerable if r.citation_hit is not None]
    firsts = [r.answer.timings.first_token for r in results if r.answer.timings.first_token is not None]
    totals = [r.answer.timings.total for r in results]
    strict, lenient = _faithfulness(results, llm=False)
    llm_strict, llm_lenient = _faithfulness(results, llm=True)
    metrics: dict[str, Any] = {
        "questions": len(results),
        **{f"retrieval_recall_at_{k}": _share(with_evidence, lambda r, k=k: (r.retrieval_rank or 99) <= k)
           for k in (1, 3, 5)},
        "retrieval_mrr": _mean([1 / r.retrieval_rank if r.retrieval_rank else 0.0 for r in with_evidence]),
        "answer_accuracy": _share(answerable, lambda r: r.correct),
        "key_fact_recall": _mean([r.key_fact_recall for r in answerable if r.key_fact_recall is not None]),
        "citation_recall": _share(with_evidence, lambda r: bool(r.citation_hit)),
        "citation_precision": _mean([r.citation_precision for r in results if r.citation_precision is not None]),
        "faithfulness_strict": strict,
        "faithfulness_lenient": lenient,
        "faithfulness_llm_strict": llm_strict,
        "faithfulness_llm_lenient": llm_lenient,
        "answers_with_unsupported_figures": sum(1 for r in results if r.unsupported_figures),
        "rejection_accuracy": _share(negative, lambda r: r.refused),
        "false_refusal_rate": _share(answerable, lambda r: r.refused),
        "first_token_p50": round(statistics.median(firsts), 3) if firsts else None,
        "first_token_p95": round(percentile(firsts, 0.95), 3) if firsts else None,
        "total_p50": round(statistics.median(totals), 3) if totals else None,
        "total_p95": round(percentile(totals, 0.95), 3) if totals else None,
        "tokens_mean": _mean([r.answer.usage.prompt_tokens + r.answer.usage.completion_tokens for r in results]),
    }
    by_type = {}
    for kind in sorted({r.type for r in results}):
        rows = [r for r in results if r.type == kind]
        by_type[kind] = {"questions": len(rows), "ok": _share(rows, lambda r: r.ok),
                         "faithfulness_strict": _faithfulness(rows, llm=False)[0]}
    metrics["by_type"] = by_type
    return metrics


def parse_thresholds(items: list[str]) -> dict[str, float]:
    thresholds = {}
    for item in items:
        match = re.fullmatch(r"([a-z0-9_]+)=([0-9.]+)", item.strip())
        if not match:
            raise ValueError(f"--fail-under takes metric=value, got {item!r}")
        thresholds[match.group(1)] = float(match.group(2))
    return thresholds


def failures(metrics: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Thresholds not met; a metric the run does not have is a failure too (a gate must not pass silently)."""
    problems = []
    for name, minimum in thresholds.items():
        value = metrics.get(name)
        if not isinstance(value, (int, float)):
            problems.append(f"{name}: not measured in this run")
        elif value < minimum:
            problems.append(f"{name}: {value} < {minimum}")
    return problems


def compare(metrics_a: dict[str, Any], metrics_b: dict[str, Any], results_a: list[QuestionResult],
            results_b: list[QuestionResult]) -> dict[str, Any]:
    deltas = {name: round(metrics_b[name] - value, 4) for name, value in metrics_a.items()
              if isinstance(value, (int, float)) and isinstance(metrics_b.get(name), (int, float))}
    before = {r.id: r.ok for r in results_a}
    changed = [{"id": r.id, "question": r.question, "before": before[r.id], "after": r.ok}
               for r in results_b if r.id in before and before[r.id] != r.ok]
    return {"deltas": deltas, "changed": changed}


def save_metrics(out_dir: Path, metrics_by_pipeline: dict[str, dict[str, Any]]) -> None:
    (out_dir / "metrics.json").write_text(json.dumps(metrics_by_pipeline, ensure_ascii=False, indent=2),
                                          encoding="utf-8")
