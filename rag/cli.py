"""The `rag` command: ingest, search, ask, chat, serve, documents, delete; `rag eval` comes from evals/commands.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from evals.commands import eval_app
from rag.cli_common import Generator, build_chain, console, err, load_settings, progress_bar
from rag.generators import GENERATORS

if TYPE_CHECKING:
    from ingest.indexing import IngestReport
    from rag.chain import AnswerChain
    from rag.schema import Answer, ChatTurn

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Q&A over Chinese reports, offline.")
app.add_typer(eval_app, name="eval")

EXIT_PARTIAL = 3


@app.callback()
def main() -> None:
    """Q&A over Chinese reports, offline."""
    from rag.keyword_index import configure_jieba

    # jieba is process-wide: give it the settings' cache directory before any command tokenizes.
    configure_jieba(load_settings().cache_dir / "jieba")


def _print_report(report: IngestReport) -> None:
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
        report = Indexer(settings, progress=progress).ingest(targets, prune=prune)
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


def _print_citations(answer: Answer) -> None:
    if not answer.grounded:
        return
    console.print()
    for citation in answer.citations:
        where = f"{citation.title} ({citation.source})" if citation.title else citation.source
        console.print(f"[bold][{citation.n}][/bold] {escape(where)}  [dim]{escape(citation.section)}[/dim]")
        console.print(f"    “{citation.quote}”", markup=False, highlight=False)
    for note in answer.notes:
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    t = answer.timings
    console.print(f"[dim]{answer.model} · first text {t.first_token or 0:.1f}s · total {t.total:.1f}s[/dim]")


def _stream_answer(chain: AnswerChain, question: str, history: list[ChatTurn]) -> Answer:
    """Print verified text as it arrives; return the final Answer."""
    final = None
    for event in chain.stream(question, history):
        if event.kind == "text":
            console.print(event.text, end="", markup=False, highlight=False)
        elif event.answer is not None:
            final = event.answer
    console.print()
    assert final is not None, "the chain's stream ends with the answer"
    _print_citations(final)
    return final


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
    from rag.batch import BatchQuestion, answer_batch, read_questions
    from rag.retrieval import QueryError

    if generator and generator not in ("auto", *GENERATORS):
        *others, last = GENERATORS
        err.print(f"[red]Unknown generator {generator!r}: use {', '.join(others)} or {last}.[/red]")
        raise typer.Exit(2)
    chain = build_chain(generator)
    if batch is not None:
        if out is None:
            err.print("[red]--batch needs --out FILE.jsonl[/red]")
            raise typer.Exit(2)
        with progress_bar() as progress:
            records = answer_batch(chain, read_questions(batch, BatchQuestion), out,
                                progress=lambda done, total: progress("answering", done, total))
        console.print(f"{len(records)} answers in {out}")
        return
    if question is None:
        err.print("[red]Give a question, or --batch FILE --out FILE.[/red]")
        raise typer.Exit(2)
    try:
        if json_output:
            answer = chain.invoke(question, k=k)
            print(answer.model_dump_json(indent=2))
        else:
            _stream_answer(chain, question, [])
    except QueryError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def chat(generator: Annotated[str | None, Generator] = None) -> None:
    """Interactive questions with follow-ups ("那2032年呢？") in the terminal."""
    from rag.retrieval import QueryError
    from rag.schema import ChatTurn

    chain = build_chain(generator)
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
        from ui.chat_ui import mount_ui

        application = mount_ui(application, service)
    console.print(f"Serving on http://{settings.host}:{settings.port}/  (API: /v1, docs: /docs, "
                  f"generator: {service.default_generator})")
    # SIGTERM waits this long for open requests (a streamed answer), then cancels them: never forever.
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning",
                timeout_graceful_shutdown=5)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def prepare_local(command: Annotated[list[str], typer.Argument(help="The install command, after --.")]) -> None:
    """Start installing the local model in the background (llama.cpp compiles for minutes): `rag serve`
    answers with the extractive generator meanwhile and switches to the local model when it is ready."""
    from rag.local_install import log_path, start

    data_dir = load_settings().data_dir
    if start(data_dir, command):
        console.print(f"Preparing the local model in the background (log: {log_path(data_dir)}).")
    else:
        console.print("The local model is already being prepared.")


@app.command()
def documents(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the indexed documents."""
    from rag.storage import Storage

    records = Storage.documents_of(load_settings())
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
