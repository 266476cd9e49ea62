"""What the HTTP API and the chat UI share: one retriever, one chain per generator (models loaded once per
process), document management through the same ingest as the CLI, and the feedback log."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from ingest.indexing import Indexer, IngestReport
from ingest.loaders import SUPPORTED_SUFFIXES
from rag.auto_generator import AutoGenerator, GeneratorStatus
from rag.catalog import DocumentRecord
from rag.chain import AnswerChain, AnswerEvent
from rag.conversations import ConversationStore
from rag.factory import build_answer_chain
from rag.generators import GENERATORS, generator_class, model_label
from rag.local_model import LocalModels
from rag.quarantine import Quarantine
from rag.retrieval import HybridRetriever
from rag.schema import ChatTurn, SearchHit
from rag.settings import Settings
from rag.storage import Storage

MAX_NAME_BYTES = 255  # the limit of common file systems


class UnknownGenerator(LookupError):
    pass


class UploadRejected(ValueError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class UploadResult(BaseModel):
    """One file of an upload request: what became of it, and the HTTP status it alone would get. A reason
    names its file, so a list of them reads on its own."""
    source: str
    status: str = Field(description="added, updated, unchanged or error")
    chunks: int = 0
    reason: str = ""
    code: int = 200


def safe_file_name(name: str) -> str:
    """The last path component, without control characters, in NFC (the same name typed on any system is
    one document) and short enough for the file system: an upload never writes outside uploads/."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = unicodedata.normalize("NFC", "".join(ch for ch in base if ch.isprintable()))
    if not base or base in (".", ".."):
        raise UploadRejected("the file has no usable name", 400)
    if len(base.encode("utf-8", "replace")) > MAX_NAME_BYTES:
        raise UploadRejected(f"{base[:40]}…: file name longer than {MAX_NAME_BYTES} bytes", 400)
    return base


class RagService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.auto = AutoGenerator(settings, load=self._load_generator)
        self.storage = Storage(settings)
        self.retriever = HybridRetriever(settings, storage=self.storage)
        self.models = LocalModels()  # the weights every chain of this server shares
        self._chains: dict[str, AnswerChain] = {}
        self._lock = threading.Lock()
        self._feedback_lock = threading.Lock()
        self.ready = threading.Event()
        self.startup_error: str | None = None
        self.conversations = ConversationStore(settings.data_dir / "conversations.sqlite3")
        self.quarantine = Quarantine(settings.data_dir)

    # --- generators ----------------------------------------------------------------------------------
    @property
    def default_generator(self) -> str:
        """Asked per request: under `auto` it changes when the local model becomes ready."""
        return self.auto.current()

    def generator_status(self) -> GeneratorStatus:
        return self.auto.status()

    def _load_generator(self, name: str) -> None:
        chain = self.chain(name)
        if chain.chat_model is not None and generator_class(name).in_process:
            chain.chat_model.invoke("你好")  # loads the weights once, before the first user waits on it

    def available_generators(self) -> list[str]:
        """The default first, then every other generator that works here and is not loaded in-process."""
        others = [name for name, generator in GENERATORS.items()
                  if name != self.default_generator and not generator.in_process and generator.usable(self.settings)]
        return [self.default_generator, *others]

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
        name = self.default_generator if generator in (None, "", "auto") else generator
        with self._lock:
            if name in self._chains:
                return self._chains[name]
        # built outside the lock: a first local chain assembles and checks its weights (a minute), and the
        # answers on other generators meanwhile must not wait for it
        built = build_answer_chain(self.settings, self.models, self.retriever, name)
        with self._lock:
            return self._chains.setdefault(name, built)

    def warm_up(self) -> None:
        """Load the index, the embedding model and the default generator's model; sets `ready`, then waits for
        a local model being installed, to switch to it when ready."""
        try:
            self.retriever.refresh()
            self.retriever.embeddings.embed_query("预热")
            self._load_generator(self.default_generator)
            self.ready.set()
        except Exception as exc:  # reported by /readyz; the server keeps running
            self.startup_error = f"{type(exc).__name__}: {exc}"
            return
        self.auto.watch()

    # --- answering -----------------------------------------------------------------------------------
    def stream(self, question: str, history: list[ChatTurn], generator: str | None = None,
               k: int | None = None) -> Iterator[AnswerEvent]:
        return self.chain(generator).stream(question, history, k)

    def search(self, query: str, k: int | None = None, source: str | None = None) -> list[SearchHit]:
        return self.retriever.search(query, k=k, source=source)

    # --- documents -----------------------------------------------------------------------------------
    def _indexer(self) -> Indexer:
        """Writes through the server's own storage, which its retriever reads."""
        return Indexer(self.settings, storage=self.storage)

    def documents(self) -> list[DocumentRecord]:
        return self.storage.catalog.documents()

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

    def upload(self, files: list[tuple[str, bytes]]) -> list[UploadResult]:
        """Store and index uploaded files, each on its own: a refused or unreadable file is reported with its
        reason and leaves the stored version of its name, file and index, untouched (the indexer moves a
        staged file into uploads/ only once it was read); the others go in."""
        results: dict[int, UploadResult] = {}
        accepted: dict[int, str] = {}
        for number, (name, data) in enumerate(files):
            try:
                accepted[number] = self.check_upload(name, len(data))
            except UploadRejected as exc:
                results[number] = UploadResult(source=name, status="error", reason=str(exc), code=exc.status)
        names = [accepted[number] for number in accepted]
        for number, name in list(accepted.items()):
            if names.count(name) > 1:  # which of them would be the document? refuse to guess
                results[number] = UploadResult(source=name, status="error", code=400,
                                               reason=f"{name}: sent more than once in one request")
                del accepted[number]
        if accepted:
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.upload_dir()))  # hidden: never ingested
            try:
                staged = {number: staging / name for number, name in accepted.items()}
                for number, path in staged.items():
                    path.write_bytes(files[number][1])
                report = self._indexer().ingest(
                    list(staged.values()), place={path: self.upload_dir() / path.name for path in staged.values()})
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # what is left there was refused
            done = {d.source: d for d in report.documents}
            failed = {Path(e.path).name: e.reason for e in report.errors}
            for number, name in accepted.items():
                if name in done:
                    results[number] = UploadResult(source=name, status=done[name].status, chunks=done[name].chunks)
                    self.quarantine.release(name)  # a readable version replaces the failed one
                else:
                    results[number] = UploadResult(source=name, status="error", code=422,
                                                   reason=f"{name}: {failed.get(name, 'not indexed')}")
        return [results[number] for number in sorted(results)]

    def reindex(self) -> IngestReport:
        """Re-ingest the corpus folder and the uploads (only what changed), dropping vanished files. An upload
        that fails is quarantined and its document, if an earlier version was indexed, dropped: it never
        fails the next re-index again, and it is listed with its reason until deleted or replaced."""
        indexer = self._indexer()
        report = indexer.ingest([self.settings.reports_dir, self.upload_dir()], prune=True)
        uploads = self.upload_dir().resolve()
        indexed = {document.source for document in report.documents}
        for error in report.errors:
            path = Path(error.path)
            name = unicodedata.normalize("NFC", path.name)
            # a name clash with a corpus file is no unreadable file: its document is indexed from the other
            if path.parent.resolve() == uploads and path.is_file() and name not in indexed:
                self.quarantine.hold(path, error.reason)
                if indexer.delete(name):
                    report.documents_removed += 1
        return report

    def delete(self, source: str) -> bool:
        """Remove a document by name; a name that is no file name ("..", ".", a NUL) is a client error."""
        name = safe_file_name(source)
        if name != unicodedata.normalize("NFC", source.strip()):
            raise UploadRejected(f"{source!r} is not a document name", 400)
        removed = self._indexer().delete(name)
        uploaded = self.upload_dir() / name
        if removed and uploaded.exists():
            uploaded.unlink()
        return self.quarantine.release(name) or removed

    # --- feedback ------------------------------------------------------------------------------------
    def record_feedback(self, entry: dict[str, object]) -> None:
        path = self.settings.data_dir / "feedback.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **entry}, ensure_ascii=False)
        with self._feedback_lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
