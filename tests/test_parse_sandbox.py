"""Parsing runs in a worker process with a time limit (issue 9): a PDF that keeps the parser busy for hours is
refused within seconds as a per-file error, and the good files of its batch are indexed all the same.

The hostile PDF is built here: a few kilobytes whose pages all draw one shared content stream that inflates
to hundreds of thousands of text operators; pypdf reads every page's copy again."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from conftest import BIN, MARKET, fixture_text

from ingest.errors import DocumentError
from ingest.sandbox import ParseSandbox
from rag.catalog import Catalog
from rag.settings import Settings


def hostile_pdf(pages: int = 300, operators: int = 200_000) -> bytes:
    """A valid PDF of `pages` pages sharing one FlateDecode content stream of `operators` text operators."""
    content = zlib.compress(b"BT /F1 9 Tf 10 10 Td (x) Tj ET\n" * operators, 9)
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 4 0 R >>")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
               *[page] * pages]
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n%s" % (len(objects) + 1, b"".join(b"%010d 00000 n \n" % o
                                                                                  for o in offsets)))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """A folder with one good report and the hostile PDF."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / MARKET).write_text(fixture_text(MARKET), encoding="utf-8")
    (folder / "slow.pdf").write_bytes(hostile_pdf())
    return folder


def test_the_hostile_pdf_really_is_slow_to_parse_in_process(batch: Path) -> None:
    """Without a sandbox, pypdf is still reading it after 5 s: what the time limit is for."""
    script = ("import sys; from pathlib import Path; from ingest.loaders import extract_file; "
              "extract_file(Path(sys.argv[1]), 10**8)")
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([sys.executable, "-c", script, str(batch / "slow.pdf")], timeout=5, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})


def test_the_sandbox_refuses_a_slow_file_in_bounded_time_and_goes_on(batch: Path) -> None:
    with ParseSandbox(max_bytes=10**8, timeout_seconds=2, memory_mb=1024) as sandbox:
        started = time.monotonic()
        with pytest.raises(DocumentError, match="longer than 2 s"):
            sandbox.load(batch / "slow.pdf")
        assert time.monotonic() - started < 10
        assert sandbox.load(batch / MARKET).text == fixture_text(MARKET)  # a fresh worker reads the next file


def test_a_memory_hungry_parse_is_a_per_file_error(tmp_path: Path) -> None:
    """A text file the worker cannot hold under its memory cap is refused, not the batch."""
    path = tmp_path / "large.txt"
    path.write_bytes("无人机配送。".encode() * 4_000_000)  # 72 MB: decoding it needs several times that
    with ParseSandbox(max_bytes=10**9, timeout_seconds=30, memory_mb=256) as sandbox, \
            pytest.raises(DocumentError, match="memory"):
        sandbox.load(path)


def test_rag_ingest_refuses_the_slow_pdf_and_indexes_the_good_file(batch: Path, tmp_path: Path) -> None:
    """The real command on a folder: done within the bound, the PDF reported with its reason, the report
    indexed; without the time limit this runs for hours."""
    data = tmp_path / "data"
    env = {**os.environ, "RAG_DATA_DIR": str(data), "RAG_PARSE_TIMEOUT_SECONDS": "3"}
    started = time.monotonic()
    done = subprocess.run([str(BIN / "rag"), "ingest", str(batch)], env=env, capture_output=True, text=True,
                          timeout=50)
    assert time.monotonic() - started < 50
    output = done.stdout + done.stderr
    assert "slow.pdf" in output and "longer than 3 s" in output, output
    catalog = Catalog.for_settings(Settings(data_dir=data, _env_file=None))
    assert [record.source for record in catalog.documents()] == [MARKET], output
