"""Reading files into text: plain text and Markdown in any common Chinese encoding, PDF, Word and HTML.

Every failure becomes a `DocumentError` with a reason a person can act on; the caller reports it by file
name and goes on with the rest of the batch.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")

# A .docx is a zip archive: bounds checked on its directory before anything is inflated or parsed, so a
# small file that unpacks to gigabytes of XML (a zip bomb) is refused in milliseconds instead of holding the
# ingest lock for minutes. Real reports stay far below them: text compresses about 5-15 times, and images
# are stored already compressed. Python's zipfile never inflates an entry past its declared size.
DOCX_MAX_RATIO = 100
DOCX_MAX_XML_BYTES = 32 * 1024 * 1024
DOCX_MAX_ENTRIES = 2000


class DocumentError(Exception):
    """A file that cannot be ingested, with the reason."""


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
    if not text:
        return True
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / len(text) < 0.02


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


def _check_archive(data: bytes) -> None:
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DocumentError(f"corrupt Word file: {exc}") from exc
    if len(entries) > DOCX_MAX_ENTRIES:
        raise DocumentError(f"Word file with {len(entries):,} archive entries (limit {DOCX_MAX_ENTRIES:,})")
    unpacked = sum(entry.file_size for entry in entries)
    xml = sum(entry.file_size for entry in entries if entry.filename.endswith((".xml", ".rels")))
    if unpacked > DOCX_MAX_RATIO * len(data) or xml > DOCX_MAX_XML_BYTES:
        raise DocumentError(f"Word file of {len(data):,} bytes claims {unpacked:,} uncompressed bytes "
                            f"({xml:,} of XML); refused as a possible zip bomb (limits: {DOCX_MAX_RATIO}× its "
                            f"size, {DOCX_MAX_XML_BYTES:,} bytes of XML)")


def _read_docx(data: bytes) -> tuple[str, str]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    _check_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, LxmlError) as exc:
        raise DocumentError(f"corrupt Word file: {exc}") from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(child, document)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = re.match(r"(?:Heading|标题)\s*(\d)", style)
            text = paragraph.text.strip()
            if text:
                lines.append(f"{'#' * int(level.group(1))} {text}" if level else text)
        elif tag == "tbl":
            table = docx.table.Table(child, document)
            for row in table.rows:
                cells = [cell.text.strip().replace("\n", " ") for cell in row.cells]
                lines.append(" ".join(cell for cell in cells if cell))
    return "\n\n".join(lines), document.core_properties.title or ""


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
        return (*_read_docx(data), "docx")
    if suffix in (".html", ".htm"):
        return (*_read_html(data), "html")
    text, encoding = decode_text(data)
    return text, "", encoding


def load_document(path: Path, max_bytes: int) -> LoadedDocument:
    """Read one file; raise DocumentError with the reason when it cannot be used."""
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
    except DocumentError:
        raise
    except Exception as exc:  # whatever a parser raises on a hostile file is that file's error, not the batch's
        raise DocumentError(f"cannot read this {suffix} file: {type(exc).__name__}: {exc}") from exc
    if not text.strip():
        raise DocumentError("no text after extraction")
    return LoadedDocument(
        source=unicodedata.normalize("NFC", path.name),  # "café" typed on any system is one document
        path=path,
        text=text,
        encoding=encoding,
        fingerprint=hashlib.sha256(data).hexdigest(),
        title_hint=title.strip(),
    )
