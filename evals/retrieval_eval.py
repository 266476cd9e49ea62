"""Retrieval benchmark: evidence recall@k, MRR, context size and latency over a question set."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from evals.benchmark import BenchmarkQuestion, evidence_hit
from rag.retrieval import HybridRetriever


class RetrievalResult(BaseModel):
    id: str
    type: str
    question: str
    first_hit_rank: int | None
    context_chars: int
    seconds: float
    sources: list[str]


class RetrievalMetrics(BaseModel):
    questions: int
    recall_at: dict[int, float]
    mrr: float
    context_chars_mean: float
    context_chars_max: int
    latency_ms_p50: float
    latency_ms_p95: float
    by_type: dict[str, dict[int, float]]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_retrieval(retriever: HybridRetriever, questions: list[BenchmarkQuestion], k: int = 5,
                  progress: Callable[[int, int], None] | None = None) -> list[RetrievalResult]:
    """Only answerable questions with evidence count: an unanswerable one has nothing to find."""
    scored = [q for q in questions if q.answerable and q.evidence]
    retriever.search(scored[0].question if scored else "warm-up", k=k)  # load models and indexes once
    results = []
    for done, question in enumerate(scored, 1):
        started = time.perf_counter()
        hits = retriever.search(question.question, k=k)
        seconds = time.perf_counter() - started
        first = next((rank for rank in range(1, len(hits) + 1)
                      if evidence_hit(question, [h.text for h in hits[:rank]], [h.source for h in hits[:rank]])), None)
        results.append(RetrievalResult(id=question.id, type=question.type, question=question.question,
                                       first_hit_rank=first, context_chars=sum(len(h.text) for h in hits),
                                       seconds=seconds, sources=[h.source for h in hits]))
        if progress:
            progress(done, len(scored))
    return results


def summarize(results: list[RetrievalResult], ks: tuple[int, ...] = (1, 3, 5)) -> RetrievalMetrics:
    def recall(rows: list[RetrievalResult], k: int) -> float:
        return round(sum(1 for r in rows if r.first_hit_rank and r.first_hit_rank <= k) / max(1, len(rows)), 4)

    types = sorted({r.type for r in results})
    latencies = [r.seconds * 1000 for r in results]
    return RetrievalMetrics(
        questions=len(results),
        recall_at={k: recall(results, k) for k in ks},
        mrr=round(statistics.fmean(1 / r.first_hit_rank if r.first_hit_rank else 0 for r in results), 4)
        if results else 0,
        context_chars_mean=round(statistics.fmean(r.context_chars for r in results), 1) if results else 0,
        context_chars_max=max((r.context_chars for r in results), default=0),
        latency_ms_p50=round(percentile(latencies, 0.5), 1),
        latency_ms_p95=round(percentile(latencies, 0.95), 1),
        by_type={t: {k: recall([r for r in results if r.type == t], k) for k in ks} for t in types},
    )


def write_results(out: Path, results: list[RetrievalResult], metrics: RetrievalMetrics) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrieval.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in results), encoding="utf-8")
    (out / "retrieval_metrics.json").write_text(metrics.model_dump_json(indent=2), encoding="utf-8")
