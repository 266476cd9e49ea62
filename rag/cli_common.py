"""What the product commands (rag/cli.py) and the benchmark commands (evals/commands.py) share: the
consoles, settings loading with a readable error, the progress bar and building the answer chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rag.generators import GENERATORS
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.chain import AnswerChain
    from rag.local_model import LocalModels

console = Console()
err = Console(stderr=True)
Generator = typer.Option("--generator", help=f"{' | '.join(GENERATORS)} (default: RAG_GENERATOR, auto).")
ProgressCallback = Callable[[str, int, int], None]


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressCallback]:
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
            progress.update(tasks[stage], completed=done, total=total or None)  # type: ignore[arg-type]

        yield update


def build_chain(generator: str | None, models: LocalModels | None = None) -> AnswerChain:
    """The answer chain over the configured index; exits with a hint when nothing is indexed yet. Chat models
    built with the same `models` share their weights."""
    from rag.factory import build_answer_chain
    from rag.local_model import LocalModels
    from rag.retrieval import HybridRetriever

    settings = load_settings(generator=generator)
    retriever = HybridRetriever(settings)
    if retriever.chunk_count == 0:
        err.print("[yellow]The index is empty: run `rag ingest` first.[/yellow]")
        raise typer.Exit(1)
    return build_answer_chain(settings, models or LocalModels(), retriever)
