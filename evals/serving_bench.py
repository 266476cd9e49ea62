"""Serving benchmark: `rag serve` started on loopback with the configured default, measured through the
official openai client (time to the first chunk carrying the retrieved sources, to the first streamed
token, total time), its memory, and /v1/search throughput
under a bounded concurrent load."""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from pydantic import BaseModel

from evals.benchmark import BenchmarkQuestion
from evals.retrieval_eval import percentile


class ServingMetrics(BaseModel):
    generator: str
    model: str
    questions: int
    first_evidence_p50: float  # the stream's first chunk carrying the retrieved `sources`
    first_evidence_p95: float
    first_token_p50: float
    first_token_p95: float
    total_p50: float
    total_p95: float
    grounded: int
    rss_mb_idle: float
    rss_mb_after_answers: float
    rss_mb_peak: float
    search_requests: int
    search_errors: int
    search_rps: float
    search_latency_ms_p50: float
    search_latency_ms_p95: float
    load_concurrency: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run_serving_benchmark(questions: list[BenchmarkQuestion], requests: int = 200, concurrency: int = 4,
                          max_seconds: float = 60.0, api_key: str | None = None) -> ServingMetrics:
    """`api_key`: one of the server's RAG_API_KEYS when it has any (it inherits this process's environment)."""
    import openai

    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="rag-serve-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen([str(Path(sys.executable).parent / "rag"), "serve", "--port", str(port), "--no-ui"],
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"rag serve exited; see {log.name}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        ready = httpx.get(f"{base}/readyz").json()
        idle = _memory_mb(server.pid, "VmRSS")
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=api_key or "none")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        evidence, firsts, totals, grounded = [], [], [], 0
        for question in questions:
            started = time.perf_counter()
            first = found = None
            final = None
            for chunk in client.chat.completions.create(model="auto", stream=True, messages=[
                    {"role": "user", "content": question.question}]):
                if found is None and (chunk.model_extra or {}).get("sources") is not None:
                    found = time.perf_counter() - started
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter() - started
                final = chunk
            totals.append(time.perf_counter() - started)
            evidence.append(found if found is not None else totals[-1])
            firsts.append(first if first is not None else totals[-1])
            grounded += bool(final is not None and (final.model_extra or {}).get("grounded"))
        after = _memory_mb(server.pid, "VmRSS")

        latencies: list[float] = []
        errors = 0
        stop_at = time.monotonic() + max_seconds

        def one(i: int) -> None:
            nonlocal errors
            if time.monotonic() > stop_at:
                return
            query = questions[i % len(questions)].question
            began = time.perf_counter()
            try:
                ok = httpx.post(f"{base}/v1/search", json={"query": query, "k": 5}, headers=headers,
                                timeout=30).status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - began)
            errors += not ok

        load_started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - load_started
        return ServingMetrics(
            generator=ready["generator"], model=ready["model"] or "", questions=len(questions),
            first_evidence_p50=round(statistics.median(evidence), 3),
            first_evidence_p95=round(percentile(evidence, 0.95), 3),
            first_token_p50=round(statistics.median(firsts), 3), first_token_p95=round(percentile(firsts, 0.95), 3),
            total_p50=round(statistics.median(totals), 3), total_p95=round(percentile(totals, 0.95), 3),
            grounded=grounded, rss_mb_idle=idle, rss_mb_after_answers=after,
            rss_mb_peak=_memory_mb(server.pid, "VmHWM"), search_requests=len(latencies), search_errors=errors,
            search_rps=round(len(latencies) / elapsed, 1),
            search_latency_ms_p50=round(statistics.median(latencies) * 1000, 1),
            search_latency_ms_p95=round(percentile(latencies, 0.95) * 1000, 1), load_concurrency=concurrency)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
