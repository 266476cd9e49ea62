"""Reading Word (.docx) files, a zip archive of XML parts, within bounds a hostile file cannot stretch.

Checked on the archive's directory before anything is inflated or parsed: entry count, total unpacked size
against the file's size, and the size of its XML, so a small file that unpacks to gigabytes (a zip bomb)
is refused in milliseconds instead of holding the ingest lock for minutes. Real reports stay far below the
limits: text compresses about 5-15 times, images are stored already compressed, and Python's zipfile never
inflates an entry past its declared size. Then no part may declare a document type: Word never writes one,
and a DTD is where entities are defined, which expand without bound ("billion laughs") or name files on the
server; the parser leaves them unresolved, which silently drops text, so such a file is refused outright.
"""

from __future__ import annotations

import io
import re
import zipfile

from ingest.errors import DocumentError

DOCX_MAX_RATIO = 100
DOCX_MAX_XML_BYTES = 32 * 1024 * 1024
DOCX_MAX_ENTRIES = 2000
_XML_PARTS = (".xml", ".rels")
# XML parts may be UTF-8 or UTF-16 of either byte order; the markup is ASCII in all three.
_DTD_MARKERS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


def _check_archive(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DocumentError(f"corrupt Word file: {exc}") from exc
    if len(entries) > DOCX_MAX_ENTRIES:
        raise DocumentError(f"Word file with {len(entries):,} archive entries (limit {DOCX_MAX_ENTRIES:,})")
    unpacked = sum(entry.file_size for entry in entries)
    xml = sum(entry.file_size for entry in entries if entry.filename.endswith(_XML_PARTS))
    if unpacked > DOCX_MAX_RATIO * len(data) or xml > DOCX_MAX_XML_BYTES:
        raise DocumentError(f"Word file of {len(data):,} bytes claims {unpacked:,} uncompressed bytes "
                            f"({xml:,} of XML); refused as a possible zip bomb (limits: {DOCX_MAX_RATIO}× its "
                            f"size, {DOCX_MAX_XML_BYTES:,} bytes of XML)")
    return archive


def _check_no_document_type(archive: zipfile.ZipFile) -> None:
    """Refuse any XML part with a <!DOCTYPE>; the parts were size-checked, so reading them is bounded."""
    for entry in archive.infolist():
        if not entry.filename.endswith(_XML_PARTS):
            continue
        try:
            part = archive.read(entry)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise DocumentError(f"corrupt Word file: {entry.filename}: {exc}") from exc
        if any(marker in part for marker in _DTD_MARKERS):
            raise DocumentError(f"Word file part {entry.filename} declares a document type (<!DOCTYPE>), which "
                                "Word never writes; its entities could expand without bound or name files on "
                                "the server, so the file is refused")


def read_docx(data: bytes) -> tuple[str, str]:
    """(text, title) of a .docx: paragraphs (headings as Markdown), then table rows as lines."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    _check_no_document_type(_check_archive(data))
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
