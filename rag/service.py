"""What the HTTP API and the chat UI share: one retriever, one chain per generator (models loaded once per
process), document management through the same ingest as the CLI, and the feedback log."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ingest.indexing import Indexer, IngestReport
from ingest.loaders import SUPPORTED_SUFFIXES
from rag.catalog import Catalog, DocumentRecord
from rag.chain import AnswerChain, AnswerEvent
from rag.generators import model_label, resolve_generator
from rag.retrieval import HybridRetriever
from rag.schema import ChatTurn, SearchHit
from rag.settings import Settings


class UnknownGenerator(LookupError):
    pass


class UploadRejected(ValueError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def safe_file_name(name: str) -> str:
    """The last path component, without control characters: an upload never writes outside uploads/."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if not base or base in (".", ".."):
        raise UploadRejected("the file has no usable name", 400)
    return base


class RagService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.default_generator = resolve_generator(settings)
        self.retriever = HybridRetriever(settings)
        self._chains: dict[str, AnswerChain] = {}
        self._lock = threading.Lock()
        self._feedback_lock = threading.Lock()
        self.ready = threading.Event()
        self.startup_error: str | None = None

    # --- generators ----------------------------------------------------------------------------------
    def available_generators(self) -> list[str]:
        names = [self.default_generator]
        if self.settings.llm_base_url and "openai" not in names:
            names.append("openai")
        if "extractive" not in names:
            names.append("extractive")
        return names

    def generator_for(self, model: str | None) -> str:
        """Accepts a generator name, the default model's name, or nothing/"auto" for the default."""
        if not model or model in ("auto", "default", model_label(self.settings, self.default_generator)):
            return self.default_generator
        if model in self.available_generators():
            return model
        raise UnknownGenerator(f"unknown model {model!r}; available: {', '.join(self.model_ids())}")

    def model_ids(self) -> list[str]:
        ids = self.available_generators()
        label = model_label(self.settings, self.default_generator)
        return [*ids, label] if label not in ids else ids

    def chain(self, generator: str | None = None) -> AnswerChain:
        name = generator or self.default_generator
        with self._lock:
            if name not in self._chains:
                self._chains[name] = AnswerChain(self.settings, retriever=self.retriever, generator=name)
            return self._chains[name]

    def warm_up(self) -> None:
        """Load the index, the embedding model and the default generator's model; sets `ready`."""
        try:
            self.retriever.refresh()
            self.retriever.embeddings.embed_query("预热")
            chain = self.chain()
            if chain.chat_model is not None and self.default_generator == "local":
                chain.chat_model.invoke("你好")  # loads the weights once, before the first user waits on it
            self.ready.set()
        except Exception as exc:  # reported by /readyz; the server keeps running
            self.startup_error = f"{type(exc).__name__}: {exc}"

    # --- answering -----------------------------------------------------------------------------------
    def stream(self, question: str, history: list[ChatTurn], generator: str | None = None,
               k: int | None = None) -> Iterator[AnswerEvent]:
        return self.chain(generator).stream(question, history, k)

    def search(self, query: str, k: int | None = None, source: str | None = None) -> list[SearchHit]:
        return self.retriever.search(query, k=k, source=source)

    # --- documents -----------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return Catalog.for_settings(self.settings).documents()

    def upload_dir(self) -> Path:
        path = self.settings.data_dir / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def check_upload(self, name: str, size: int | None) -> str:
        name = safe_file_name(name)
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise UploadRejected(f"{name}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}", 415)
        if size is not None and size > self.settings.max_file_bytes:
            raise UploadRejected(f"{name}: {size:,} bytes is over the {self.settings.max_file_mb:g} MB limit", 413)
        return name

    def store_upload(self, name: str, data: bytes) -> Path:
        """Write atomically, so a half-received file is never ingested."""
        name = self.check_upload(name, len(data))
        target = self.upload_dir() / name
        partial = target.with_name(f".{name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
        return target

    def ingest(self, paths: list[Path]) -> IngestReport:
        return Indexer(self.settings).ingest(paths)

    def reindex(self) -> IngestReport:
        """Re-ingest the corpus folder and the uploads (only what changed), dropping vanished files."""
        return Indexer(self.settings).ingest([self.settings.reports_dir, self.upload_dir()], prune=True)

    def delete(self, source: str) -> bool:
        removed = Indexer(self.settings).delete(source)
        uploaded = self.upload_dir() / safe_file_name(source)
        if removed and uploaded.exists():
            uploaded.unlink()
        return removed

    # --- feedback ------------------------------------------------------------------------------------
    def record_feedback(self, entry: dict[str, object]) -> None:
        path = self.settings.data_dir / "feedback.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **entry}, ensure_ascii=False)
        with self._feedback_lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
