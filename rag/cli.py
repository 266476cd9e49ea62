"""The `rag` command: ingest, search, documents, delete and evaluation."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Q&A over Chinese reports, offline.")
eval_app = typer.Typer(no_args_is_help=True, help="Benchmarks: retrieval quality, ingest speed.")
app.add_typer(eval_app, name="eval")
console = Console()
err = Console(stderr=True)

EXIT_PARTIAL = 3


@app.callback()
def main() -> None:
    """Q&A over Chinese reports, offline."""
    from rag.keyword_index import configure_jieba

    # jieba is process-wide: give it the settings' cache directory before any command tokenizes.
    configure_jieba(load_settings().cache_dir / "jieba")


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[object]:
    """A rich progress bar fed by the (stage, done, total) callbacks of the pipeline; silent when not a
    terminal and not asked for."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as progress:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total or None)
            progress.update(tasks[stage], completed=done, total=total or None)

        yield update


def _print_report(report: object) -> None:
    from ingest.indexing import IngestReport

    assert isinstance(report, IngestReport)
    table = Table(title="Ingest summary", show_header=False)
    for label, value in (
        ("files", report.files),
        ("documents added / updated / unchanged / removed",
         f"{report.documents_added} / {report.documents_updated} / {report.documents_unchanged} / "
         f"{report.documents_removed}"),
        ("chunks added / unchanged / removed", f"{report.chunks_added} / {report.chunks_unchanged} / "
                                               f"{report.chunks_removed}"),
        ("vectors computed", report.vectors_computed),
        ("repaired after an interrupted run", report.repaired),
        ("errors", len(report.errors)),
        ("seconds", report.seconds),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for error in report.errors:
        err.print(f"[red]skipped[/red] {error.path}: {error.reason}")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; default: RAG_REPORTS_DIR.")] = None,
    prune: Annotated[bool, typer.Option(help="Remove indexed documents whose files are gone.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Clean, chunk, embed and index documents; unchanged files cost nothing."""
    from ingest.indexing import Indexer

    settings = load_settings()
    targets = paths or [settings.reports_dir]
    with progress_bar(not json_output) as progress:
        report = Indexer(settings, progress=progress).ingest(targets, prune=prune)  # type: ignore[arg-type]
    if json_output:
        print(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    if report.errors:
        raise typer.Exit(EXIT_PARTIAL)


def _print_hits(hits: list, as_json: bool) -> None:
    if as_json:
        print(json.dumps([{"chunk_id": h.chunk_id, "source": h.source, "section": h.section, "text": h.text,
                           "score": h.score} for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print("[yellow]No matching passage.[/yellow]")
    for rank, hit in enumerate(hits, 1):
        ranks = f"dense #{hit.dense_rank or '-'}, bm25 #{hit.keyword_rank or '-'}"
        console.print(f"[bold]{rank}. {hit.source}[/bold]  [dim]{hit.section or '(no section)'}  "
                      f"score {hit.score:.4f} ({ranks})  {hit.chunk_id}[/dim]")
        console.print(hit.text, markup=False, highlight=False)
        console.print()


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="The question; omit for an interactive prompt.")] = None,
    k: Annotated[int | None, typer.Option("--k", min=1, max=100, help="Number of passages.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this document (file name).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="JSON list of {chunk_id, source, section, "
                                                            "text, score}.")] = False,
) -> None:
    """Hybrid (dense + BM25) search over the indexed reports."""
    from rag.retrieval import HybridRetriever, QueryError

    settings = load_settings()
    retriever = HybridRetriever(settings)
    if retriever.chunk_count == 0:
        err.print("[yellow]The index is empty: run `rag ingest` first.[/yellow]")
        raise typer.Exit(1)
    questions = [query] if query is not None else _prompt_loop()
    for question in questions:
        try:
            _print_hits(retriever.search(question, k=k, source=source), json_output)
        except QueryError as exc:
            err.print(f"[red]{exc}[/red]")
            if query is not None:
                raise typer.Exit(2) from exc


def _prompt_loop() -> Iterator[str]:
    console.print("Type a question (empty line or Ctrl-D to quit).")
    while True:
        try:
            line = console.input("[bold green]问题> [/bold green]")
        except (EOFError, KeyboardInterrupt):
            return
        if not line.strip():
            return
        yield line


Generator = typer.Option("--generator", help="openai | local | extractive (default: RAG_GENERATOR, auto).")


def _build_chain(generator: str | None) -> object:
    from rag.chain import AnswerChain

    settings = load_settings(generator=generator)
    chain = AnswerChain(settings)
    if chain.retriever.chunk_count == 0:
        err.print("[yellow]The index is empty: run `rag ingest` first.[/yellow]")
        raise typer.Exit(1)
    return chain


def _print_citations(answer: object) -> None:
    from rag.schema import Answer

    assert isinstance(answer, Answer)
    if not answer.grounded:
        return
    console.print()
    for citation in answer.citations:
        console.print(f"[bold][{citation.n}][/bold] {citation.source}  [dim]{citation.section}[/dim]")
        console.print(f"    “{citation.quote}”", markup=False, highlight=False)
    for note in answer.notes:
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    t = answer.timings
    console.print(f"[dim]{answer.model} · first text {t.first_token or 0:.1f}s · total {t.total:.1f}s[/dim]")


def _stream_answer(chain: object, question: str, history: list) -> object:
    """Print verified text as it arrives; return the final Answer."""
    from rag.chain import AnswerChain

    assert isinstance(chain, AnswerChain)
    final = None
    for event in chain.stream(question, history):
        if event.kind == "text":
            console.print(event.text, end="", markup=False, highlight=False)
        elif event.answer is not None:
            final = event.answer
    console.print()
    _print_citations(final)
    return final


def _build_vanilla(generator: str | None) -> object:
    from evals.vanilla import VanillaRAG
    from rag.embeddings import build_embeddings
    from rag.generators import build_chat_model, model_label, resolve_generator

    settings = load_settings(generator=generator)
    name = resolve_generator(settings)
    if name == "extractive":
        err.print("[red]The vanilla pipeline needs an LLM generator (local or openai).[/red]")
        raise typer.Exit(2)
    return VanillaRAG(settings.reports_dir, build_embeddings(settings), build_chat_model(settings, name),
                      model_label(settings, name), settings.prompts_dir)


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question (omit with --batch).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    generator: Annotated[str | None, Generator] = None,
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Passages to retrieve.")] = None,
    batch: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="Benchmark-style JSONL "
                                               "with id and question per line.")] = None,
    out: Annotated[Path | None, typer.Option(help="With --batch: answers JSONL (resumable).")] = None,
) -> None:
    """Answer a question from the reports, with verified citations."""
    from evals.answer_eval import run_batch
    from evals.benchmark import load_questions
    from rag.retrieval import QueryError

    if generator and generator not in ("openai", "local", "extractive", "auto"):
        err.print(f"[red]Unknown generator {generator!r}: use openai, local or extractive.[/red]")
        raise typer.Exit(2)
    chain = _build_chain(generator)
    if batch is not None:
        if out is None:
            err.print("[red]--batch needs --out FILE.jsonl[/red]")
            raise typer.Exit(2)
        with progress_bar() as progress:
            records = run_batch(chain, load_questions(batch), out,  # type: ignore[arg-type]
                                progress=lambda done, total: progress("answering", done, total))  # type: ignore[operator]
        console.print(f"{len(records)} answers in {out}")
        return
    if question is None:
        err.print("[red]Give a question, or --batch FILE --out FILE.[/red]")
        raise typer.Exit(2)
    try:
        if json_output:
            answer = chain.invoke(question, k=k)  # type: ignore[attr-defined]
            print(answer.model_dump_json(indent=2))
        else:
            _stream_answer(chain, question, [])
    except QueryError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def chat(generator: Annotated[str | None, Generator] = None) -> None:
    """Interactive questions with follow-ups ("那2025年呢？") in the terminal."""
    from rag.retrieval import QueryError
    from rag.schema import ChatTurn

    chain = _build_chain(generator)
    history: list[ChatTurn] = []
    for question in _prompt_loop():
        try:
            answer = _stream_answer(chain, question, history)
        except QueryError as exc:
            err.print(f"[red]{exc}[/red]")
            continue
        history += [ChatTurn(role="user", content=question), ChatTurn(role="assistant", content=answer.answer)]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: RAG_HOST (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Default: RAG_PORT (7860).")] = None,
    generator: Annotated[str | None, Generator] = None,
    ui: Annotated[bool, typer.Option(help="Serve the chat page at / (--no-ui: API only).")] = True,
) -> None:
    """The chat UI at /, the OpenAI-compatible API under /v1, its docs at /docs, on one port."""
    import uvicorn

    from rag.api import create_app
    from rag.service import RagService

    settings = load_settings(host=host, port=port, generator=generator)
    service = RagService(settings)
    application = create_app(settings, service)
    if ui:
        import gradio as gr

        from ui.chat_ui import CSS, THEME, build_ui

        application = gr.mount_gradio_app(application, build_ui(service), path="/", theme=THEME, css=CSS,
                                          footer_links=[])
    console.print(f"Serving on http://{settings.host}:{settings.port}/  (API: /v1, docs: /docs, "
                  f"generator: {service.default_generator})")
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning")


@app.command()
def documents(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the indexed documents."""
    from rag.catalog import Catalog

    records = Catalog.for_settings(load_settings()).documents()
    if json_output:
        print(json.dumps([r.model_dump() for r in records], ensure_ascii=False, indent=2))
        return
    table = Table("source", "title", "chunks", "chars", "encoding")
    for r in records:
        table.add_row(r.source, r.title, str(r.n_chunks), str(r.chars), r.encoding)
    console.print(table)


@app.command()
def delete(source: Annotated[str, typer.Argument(help="File name of the document.")]) -> None:
    """Remove one document from the index (vectors, keyword index and catalog)."""
    from ingest.indexing import Indexer

    if not Indexer(load_settings()).delete(source):
        err.print(f"[red]No indexed document named {source!r}.[/red]")
        raise typer.Exit(1)
    console.print(f"Deleted {source}.")


@eval_app.command("retrieval")
def eval_retrieval(
    questions: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Benchmark JSONL.")],
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
                                progress=lambda done, total: progress("questions", done, total))  # type: ignore[operator]
    metrics = summarize(results, ks=tuple(sorted({1, 3, k})))
    if out:
        write_results(out, results, metrics)
    for r in results:
        if not r.first_hit_rank or r.first_hit_rank > k:
            err.print(f"[yellow]miss[/yellow] {r.id} {r.question}")
    print(metrics.model_dump_json(indent=2))


def _gate(metrics: dict, fail_under: list[str]) -> None:
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


@eval_app.command("run")
def eval_run(
    questions: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Benchmark JSONL.")],
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

    settings = load_settings(generator=generator)
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
        judge_model = build_chat_model(settings, "openai" if settings.llm_base_url else "local")
        llm_judge = lambda answer: judge_with_llm(answer, judge_model, settings.prompts_dir)  # noqa: E731
    items = load_questions(questions)[:limit]
    results, metrics = {}, {}
    for name in names:
        if api:
            answerer: object = OverHttp(api, api_key)
        elif name == "ours":
            answerer = InProcess(_build_chain(generator))  # type: ignore[arg-type]
        else:
            answerer = Vanilla(_build_vanilla(generator))  # type: ignore[arg-type]
        with progress_bar() as progress:
            results[name] = run_questions(answerer, items, name, out, llm_judge,  # type: ignore[arg-type]
                                          progress=lambda d, t, n=name: progress(n, d, t))  # type: ignore[operator]
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
    questions: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Benchmark JSONL.")],
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
    corpus: Annotated[Path | None, typer.Option(help="Folder to ingest; default: RAG_REPORTS_DIR.")] = None,
) -> None:
    """Cold ingest into a fresh temporary index, then an unchanged re-run; prints both timings."""
    from ingest.indexing import Indexer

    settings = load_settings()
    corpus = corpus or settings.reports_dir
    scratch = Path(tempfile.mkdtemp(prefix="rag-eval-ingest-"))
    try:
        fresh = settings.model_copy(update={"data_dir": scratch, "chroma_url": None})
        with progress_bar() as progress:
            cold = Indexer(fresh, progress=progress).ingest([corpus])  # type: ignore[arg-type]
        warm = Indexer(fresh).ingest([corpus])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"corpus": str(corpus), "cold_seconds": cold.seconds, "unchanged_seconds": warm.seconds,
                      "chunks": cold.chunks_added, "vectors_computed_cold": cold.vectors_computed,
                      "vectors_computed_unchanged": warm.vectors_computed}, indent=2))

