"""The child side of ingest/sandbox.py: parses the files it is sent, one at a time, under its own limits.

Kept free of the rest of the product (it imports only the file readers) so that it starts in a fraction of
a second. Its address space is capped with RLIMIT_AS, so a decompression bomb fails here with MemoryError
instead of swapping the server; an alarm ends it shortly after the parent's own deadline, so a parse still
running when the parent died (SIGKILL of the server) cannot go on for ever.
"""

from __future__ import annotations

import json
import resource
import signal
import struct
import sys
from pathlib import Path
from typing import BinaryIO

from ingest.errors import DocumentError
from ingest.loaders import extract_file

HEADER = struct.Struct(">Q")  # every message: its length, then that many bytes of UTF-8 JSON


def read_message(stream: BinaryIO) -> dict[str, object] | None:
    """The next message, or None at the end of the stream (the parent closed it: time to go)."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    return json.loads(stream.read(HEADER.unpack(header)[0]))


def encode_message(message: dict[str, object]) -> bytes:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return HEADER.pack(len(body)) + body


def parse(request: dict[str, object], memory_mb: int) -> dict[str, object]:
    """One file's extracted text, or the reason it cannot be used."""
    try:
        extracted = extract_file(Path(str(request["path"])), int(request["max_bytes"]))  # type: ignore[call-overload]
    except DocumentError as exc:
        return {"error": str(exc)}
    except MemoryError:
        return {"error": f"parsing needed more than the {memory_mb} MB of memory a file may use "
                         "(RAG_PARSE_MEMORY_MB); refused as damaged or hostile"}
    return {"text": extracted.text, "title": extracted.title, "encoding": extracted.encoding,
            "fingerprint": extracted.fingerprint}


def main() -> None:
    memory_mb, timeout = int(sys.argv[-2]), float(sys.argv[-1])
    if memory_mb > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_message(stdin)) is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout + 5)  # SIGALRM's default action ends the process
        reply = parse(request, memory_mb)
        signal.setitimer(signal.ITIMER_REAL, 0)
        stdout.write(encode_message(reply))
        stdout.flush()
