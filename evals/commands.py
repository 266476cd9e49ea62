"""`rag eval ...`: the benchmark commands, a sub-command group that the product CLI (rag/cli.py) registers.

They measure the product (retrieval, answers, ingest and serving speed) and so sit above it, apart from the
commands people use to ask questions.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rag.cli_common import Generator, build_chain, console, err, load_settings, progress_bar

if TYPE_CHECKING:
    from evals.vanilla import VanillaRAG
    from rag.local_model import LocalModels

eval_app = typer.Typer(no_args_is_help=True, help="Benchmarks: retrieval quality, ingest speed.")


def _question_set(path: Path) -> Path:
    """The --questions file as given, or the shipped set of that name (evals/benchmark.shipped)."""
    from evals.benchmark import shipped

    found = shipped(path)
    if not found.is_file():
        raise typer.BadParameter(f"{path} is not a file here, nor a question set shipped with evals/")
    return found


QuestionSet = typer.Option(callback=_question_set, dir_okay=False, help="Benchmark JSONL: a path, or the name of "
                           "a set shipped in evals/questions/.")


def _gate(metrics: dict, fail_under: list[str]) -> None:
    """Exit 1 when a metric is under its --fail-under floor (the CI quality gate), 2 on a malformed floor."""
    from evals.run import failures, parse_thresholds

    try:
        problems = failures(metrics, parse_thresholds(fail_under))
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    for problem in problems:
        err.print(f"[red]below threshold[/red] {problem}")
    if problems:
        raise typer.Exit(1)


def _build_vanilla(generator: str | None, models: LocalModels) -> VanillaRAG:
    """The LangChain-tutorial baseline with our embeddings and the chosen LLM generator."""
    from evals.benchmark import shipped
    from evals.vanilla import VanillaRAG
    from rag.embeddings import build_embeddings
    from rag.generators import build_chat_model, generator_class, model_label, resolve_generator

    settings = load_settings(generator=generator)
    corpus = shipped(settings.reports_dir)
    if not any(corpus.glob("*.txt")):  # an empty context would measure the model alone, not the pipeline
        err.print(f"[red]The vanilla pipeline reads the .txt files of RAG_REPORTS_DIR, and {corpus} has none.[/red]")
        raise typer.Exit(2)
    name = resolve_generator(settings)
    if not generator_class(name).needs_llm:
        err.print("[red]The vanilla pipeline needs an LLM generator (local or openai).[/red]")
        raise typer.Exit(2)
    return VanillaRAG(corpus, build_embeddings(settings),
                      build_chat_model(settings, name, models), model_label(settings, name), settings.prompts_dir)


@eval_app.command("retrieval")
def eval_retrieval(
    questions: Annotated[Path, QuestionSet],
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    out: Annotated[Path | None, typer.Option(help="Folder for per-question results and metrics.")] = None,
) -> None:
    """Evidence recall@1/3/5, MRR, top-k context size and query latency."""
    from evals.benchmark import load_questions
    from evals.retrieval_eval import run_retrieval, summarize, write_results
    from rag.retrieval import HybridRetriever

    retriever = HybridRetriever(load_settings())
    if retriever.chunk_count == 0:
        err.print("[yellow]The index is empty: run `rag ingest` first.[/yellow]")
        raise typer.Exit(1)
    with progress_bar() as progress:
        results = run_retrieval(retriever, load_questions(questions), k=k,
                                progress=lambda done, total: progress("questions", done, total))
    metrics = summarize(results, ks=tuple(sorted({1, 3, k})))
    if out:
        write_results(out, results, metrics)
    for r in results:
        if not r.first_hit_rank or r.first_hit_rank > k:
            err.print(f"[yellow]miss[/yellow] {r.id} {r.question}")
    print(metrics.model_dump_json(indent=2))


@eval_app.command("run")
def eval_run(
    questions: Annotated[Path, QuestionSet],
    out: Annotated[Path, typer.Option(help="Run folder (resumable: answered ids are skipped).")],
    generator: Annotated[str | None, Generator] = None,
    pipelines: Annotated[str, typer.Option(help="Comma-separated: ours, vanilla.")] = "ours",
    api: Annotated[str | None, typer.Option(help="Measure a running server (its base URL) instead of "
                                                  "answering in-process.")] = None,
    api_key: Annotated[str | None, typer.Option(help="Bearer key for --api.")] = None,
    judge: Annotated[str, typer.Option(help="offline, llm or both; default: both when RAG_LLM_BASE_URL is set.")] = "",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
    fail_under: Annotated[list[str] | None, typer.Option(help="metric=value; exit 1 if the first pipeline "
                                                               "scores below (repeatable).")] = None,
) -> None:
    """Answer a benchmark, judge every answer, write results, metrics.json, report.md and report.html."""
    from evals.answerers import InProcess, OverHttp, Vanilla
    from evals.benchmark import load_questions
    from evals.faithfulness import judge_with_llm
    from evals.report import headline_table, write_report
    from evals.run import run_questions, save_metrics, summarize
    from rag.generators import build_chat_model
    from rag.local_model import LocalModels

    settings = load_settings(generator=generator)
    models = LocalModels()  # the pipelines and the judge share one loaded local model
    names = [p.strip() for p in pipelines.split(",") if p.strip()]
    if not names or set(names) - {"ours", "vanilla"} or (api and names != ["ours"]):
        err.print("[red]--pipelines takes ours and/or vanilla (with --api: ours only)[/red]")
        raise typer.Exit(2)
    judge = judge or ("both" if settings.llm_base_url else "offline")
    if judge not in ("offline", "llm", "both"):
        err.print("[red]--judge is offline, llm or both[/red]")
        raise typer.Exit(2)
    llm_judge = None
    if judge != "offline":
        judge_model = build_chat_model(settings, "openai" if settings.llm_base_url else "local", models)
        llm_judge = lambda answer: judge_with_llm(answer, judge_model, settings.prompts_dir)  # noqa: E731
    items = load_questions(questions)[:limit]
    results, metrics = {}, {}
    for name in names:
        if api:
            answerer: object = OverHttp(api, api_key)
        elif name == "ours":
            answerer = InProcess(build_chain(generator, models))
        else:
            answerer = Vanilla(_build_vanilla(generator, models))
        with progress_bar() as progress:
            results[name] = run_questions(answerer, items, name, out, llm_judge,  # type: ignore[arg-type]
                                          progress=lambda d, t, n=name: progress(n, d, t))
        metrics[name] = summarize(results[name])
    save_metrics(out, metrics)
    write_report(out, metrics, results, f"Benchmark {questions.name}")
    console.print(headline_table(metrics), markup=False, highlight=False)
    console.print(f"Report: {out / 'report.html'}")
    _gate(metrics[names[0]], fail_under or [])


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Baseline run folder.")],
    run_b: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="New run folder.")],
    pipeline: Annotated[str, typer.Option(help="Which pipeline of the runs to compare.")] = "ours",
    fail_under: Annotated[list[str] | None, typer.Option(help="metric=value checked on RUN_B (repeatable).")] = None,
) -> None:
    """Metric deltas (B minus A) and the questions whose verdict changed."""
    from evals.run import compare, load_results

    loaded = []
    for run in (run_a, run_b):
        metrics_file, results_file = run / "metrics.json", run / f"results-{pipeline}.jsonl"
        if not metrics_file.exists() or not results_file.exists():
            err.print(f"[red]{run} has no {pipeline} results: run `rag eval run` first[/red]")
            raise typer.Exit(2)
        loaded.append((json.loads(metrics_file.read_text(encoding="utf-8"))[pipeline], load_results(results_file)))
    (metrics_a, results_a), (metrics_b, results_b) = loaded
    report = compare(metrics_a, metrics_b, results_a, results_b)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    _gate(metrics_b, fail_under or [])


@eval_app.command("serving")
def eval_serving(
    questions: Annotated[Path, QuestionSet],
    n: Annotated[int, typer.Option("--n", min=1, help="Questions to ask (answerable ones first).")] = 10,
    requests: Annotated[int, typer.Option(min=1, max=100_000, help="Search requests in the load loop.")] = 200,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 4,
    max_seconds: Annotated[float, typer.Option(min=1, max=600, help="Upper bound of the load loop.")] = 60,
) -> None:
    """Start `rag serve` (configured default) on loopback: first-token and total time over N questions via
    the openai client, server memory, and /v1/search throughput under a bounded load."""
    from evals.benchmark import load_questions
    from evals.serving_bench import run_serving_benchmark

    api_key = min(load_settings().api_key_set, default=None)  # the server started inherits RAG_API_KEYS
    items = [q for q in load_questions(questions) if q.answerable][:n]
    print(run_serving_benchmark(items, requests, concurrency, max_seconds, api_key).model_dump_json(indent=2))


@eval_app.command("ingest")
def eval_ingest(
    corpus: Annotated[Path | None, typer.Option(help="Folder to ingest (or a corpus shipped in evals/corpora/); "
                                                     "default: RAG_REPORTS_DIR.")] = None,
) -> None:
    """Cold ingest into a fresh temporary index, then an unchanged re-run; prints both timings."""
    from evals.benchmark import shipped
    from ingest.indexing import Indexer

    settings = load_settings()
    corpus = shipped(corpus or settings.reports_dir)
    scratch = Path(tempfile.mkdtemp(prefix="rag-eval-ingest-"))
    try:
        fresh = settings.model_copy(update={"data_dir": scratch, "chroma_url": None})
        with progress_bar() as progress:
            cold = Indexer(fresh, progress=progress).ingest([corpus])
        warm = Indexer(fresh).ingest([corpus])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"corpus": str(corpus), "cold_seconds": cold.seconds, "unchanged_seconds": warm.seconds,
                      "chunks": cold.chunks_added, "vectors_computed_cold": cold.vectors_computed,
                      "vectors_computed_unchanged": warm.vectors_computed}, indent=2))

