"""Parsing files in a child process with a time and a memory limit, so one hostile file costs a bounded time.

PDF, HTML and text parsers run pure Python on untrusted bytes: a small PDF whose pages share one
decompression-bomb content stream keeps pypdf busy for hours, and it did so holding the ingest lock, with
every other upload waiting (issue 9). Each file of a batch is now parsed by a worker process
(ingest/parse_worker.py) and the answer awaited at most `parse_timeout_seconds`; past that the worker is
killed and the file becomes a per-file error, like a corrupt one, while the batch goes on with a fresh
worker. The worker's address space is capped at `parse_memory_mb`. One worker serves a whole batch (about
0.1 s to start, plain `python -I`, not `multiprocessing`, which would re-import the calling program), and it
is started only once a file needs parsing.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from ingest.errors import DocumentError
from ingest.loaders import Extracted, LoadedDocument, finish_document
from ingest.parse_worker import HEADER, encode_message

_ROOT = Path(__file__).resolve().parent.parent  # the worker imports this very copy of the package
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from ingest.parse_worker import main; main()"


class ParseSandbox:
    """Loads documents through a reusable worker process; close it (or use `with`) to end the worker."""

    def __init__(self, max_bytes: int, timeout_seconds: float, memory_mb: int) -> None:
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self._worker: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ParseSandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def load(self, path: Path) -> LoadedDocument:
        """The document of `path`, parsed in the worker; DocumentError when it cannot be used, took too long
        or needed too much memory."""
        reply = self._ask({"path": str(path), "max_bytes": self.max_bytes})
        if "error" in reply:
            raise DocumentError(str(reply["error"]))
        return finish_document(path, Extracted(str(reply["text"]), str(reply["title"]), str(reply["encoding"]),
                                               str(reply["fingerprint"])))

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.stdin:
            worker.stdin.close()  # the worker's signal to leave once it is idle
        try:
            worker.wait(timeout=2)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stdout:
            worker.stdout.close()

    # --- the worker ----------------------------------------------------------------------------------
    def _start(self) -> subprocess.Popen[bytes]:
        if self._worker is None or self._worker.poll() is not None:
            self._kill()
            self._worker = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, str(_ROOT), str(self.memory_mb), str(self.timeout_seconds)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._worker

    def _kill(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()
            worker.wait()
            for pipe in (worker.stdin, worker.stdout):
                if pipe:
                    pipe.close()

    def _send(self, request: dict[str, object]) -> subprocess.Popen[bytes]:
        worker = self._start()
        if worker.stdin is None:
            raise DocumentError("the parsing worker has no input pipe")
        worker.stdin.write(encode_message(request))
        worker.stdin.flush()
        return worker

    def _ask(self, request: dict[str, object]) -> dict[str, object]:
        try:
            worker = self._send(request)
        except OSError:  # it died since the last file: one fresh start, then the file is at fault
            self._kill()
            try:
                worker = self._send(request)
            except OSError as exc:
                self._kill()
                raise DocumentError(f"the parsing worker could not be started: {exc}") from None
        if worker.stdout is None:
            raise DocumentError("the parsing worker has no output pipe")
        try:
            body = self._receive(worker.stdout.fileno(), time.monotonic() + self.timeout_seconds)
        except TimeoutError:
            self._kill()
            raise DocumentError(f"parsing took longer than {self.timeout_seconds:g} s (RAG_PARSE_TIMEOUT_SECONDS); "
                                "refused as damaged or hostile") from None
        except EOFError:
            code = worker.wait()
            self._kill()
            raise DocumentError(f"the parser stopped on this file (exit status {code}); a file needing more than "
                                f"{self.memory_mb} MB (RAG_PARSE_MEMORY_MB) ends it so") from None
        return json.loads(body.decode("utf-8", "surrogatepass"))

    @staticmethod
    def _receive(fd: int, deadline: float) -> bytes:
        """One message from the worker, read as it arrives; TimeoutError past `deadline`, EOFError if the
        worker died."""
        buffer = bytearray()
        wanted: int | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while wanted is None or len(buffer) < wanted:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError
                buffer += chunk
                if wanted is None and len(buffer) >= HEADER.size:
                    wanted = HEADER.size + HEADER.unpack(bytes(buffer[:HEADER.size]))[0]
        return bytes(buffer[HEADER.size:wanted])
