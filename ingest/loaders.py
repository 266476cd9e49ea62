"""Reading files into text: plain text and Markdown in any common Chinese encoding, PDF, Word and HTML.

Every failure becomes a `DocumentError` with a reason a person can act on; the caller reports it by file
name and goes on with the rest of the batch.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import DocumentError
from ingest.plausibility import MAX_ODD_SHARE, implausibility, odd_share

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class LoadedDocument:
    source: str
    path: Path
    text: str
    encoding: str
    fingerprint: str = ""
    title_hint: str = ""


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of unknown encoding: BOMs first, then strict UTF-8, then strict GB18030 (a superset of
    GBK and GB2312), then charset-normalizer's best guess. Binary data is refused, not decoded into junk."""
    # UTF-32 first: its little-endian mark begins with UTF-16's (FF FE).
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise DocumentError(f"starts with a {name} byte-order mark but is not valid {name}") from exc
    if b"\x00" in data[:8192]:
        raise DocumentError("binary content (NUL bytes), not a text file")
    for name in ("utf-8", "gb18030"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if _mostly_printable(text):
            return text, name
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or not _mostly_printable(str(best)):
        raise DocumentError("binary or undecodable content: no text encoding fits")
    return str(best), best.encoding


def _mostly_printable(text: str) -> bool:
    return odd_share(text) <= MAX_ODD_SHARE


def _read_pdf(data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("encrypted PDF: remove the password first")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"corrupt PDF: {exc}") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError("PDF has no extractable text (scanned images need OCR first)")
    return text, title


def _read_html(data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    text, _ = decode_text(data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "header", "template"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for row in soup.find_all("tr"):
        row.replace_with(" ".join(cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])) + "\n")
    for block in soup.find_all(["p", "li", "div", "br", "section", "article"]):
        block.insert_after("\n")
    return soup.get_text(), title


def _extract(suffix: str, data: bytes) -> tuple[str, str, str]:
    """(text, title, encoding) of a file's bytes."""
    if suffix == ".pdf":
        return (*_read_pdf(data), "pdf")
    if suffix == ".docx":
        from ingest.word import read_docx

        return (*read_docx(data), "docx")
    if suffix in (".html", ".htm"):
        return (*_read_html(data), "html")
    text, encoding = decode_text(data)
    return text, "", encoding


@dataclass(frozen=True)
class Extracted:
    """What parsing a file yields; the part of loading a hostile file can make slow (ingest/sandbox.py)."""
    text: str
    title: str
    encoding: str
    fingerprint: str


def extract_file(path: Path, max_bytes: int) -> Extracted:
    """Read and parse one file; raise DocumentError with the reason when it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise DocumentError(f"too large: {len(data):,} bytes (limit {max_bytes:,})")
    if not data.strip():
        raise DocumentError("empty file")
    try:
        text, title, encoding = _extract(suffix, data)
    except (DocumentError, MemoryError):  # a MemoryError is the sandbox's cap (ingest/parse_worker.py)
        raise
    except Exception as exc:  # whatever a parser raises on a hostile file is that file's error, not the batch's
        raise DocumentError(f"cannot read this {suffix} file: {type(exc).__name__}: {exc}") from exc
    return Extracted(text, title, encoding, hashlib.sha256(data).hexdigest())


def finish_document(path: Path, extracted: Extracted) -> LoadedDocument:
    """The checks on extracted text (cheap: plausibility reads a sample), and the document it makes."""
    if not extracted.text.strip():
        raise DocumentError("no text after extraction")
    refusal = implausibility(extracted.text)
    if refusal:
        raise DocumentError(refusal)
    return LoadedDocument(
        source=unicodedata.normalize("NFC", path.name),  # "café" typed on any system is one document
        path=path,
        text=extracted.text,
        encoding=extracted.encoding,
        fingerprint=extracted.fingerprint,
        title_hint=extracted.title.strip(),
    )

