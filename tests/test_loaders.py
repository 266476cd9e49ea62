"""Reading files: encodings, formats, and clear refusals for what cannot be read."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from conftest import REPO, REPORTS, noise
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ingest.loaders import DocumentError, LoadedDocument, decode_text
from ingest.sandbox import ParseSandbox

FACT = "2033年澜州低空物流市场规模达到38.4亿元，同比增长27.5%。"  # from the invented tests/fixtures reports
LIMIT = 10_000_000


def load(path: Path, max_bytes: int = LIMIT) -> LoadedDocument:
    """A file read as ingest reads it: parsed in the sandbox's worker process, checked in this one."""
    with ParseSandbox(max_bytes, timeout_seconds=60, memory_mb=2048) as sandbox:
        return sandbox.load(path)


def test_gb18030_file_is_detected_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(("第一章 市场规模\n" + FACT + "\n").encode("gb18030"))
    document = load(path)
    assert document.encoding == "gb18030"
    assert FACT in document.text


def test_utf16_with_bom_and_utf8_with_bom(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(FACT.encode("utf-16"))
    (tmp_path / "b.md").write_bytes(b"\xef\xbb\xbf" + FACT.encode("utf-8"))
    assert load(tmp_path / "a.txt").text == FACT
    assert load(tmp_path / "b.md").text == FACT


def test_binary_empty_and_unsupported_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "empty.txt").write_bytes(b"  \n ")
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(DocumentError, match="binary"):
        load(tmp_path / "image.txt")
    with pytest.raises(DocumentError, match="empty"):
        load(tmp_path / "empty.txt")
    with pytest.raises(DocumentError, match=r"unsupported file type \.xlsx"):
        load(tmp_path / "sheet.xlsx")


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text(FACT * 100, encoding="utf-8")
    with pytest.raises(DocumentError, match="too large"):
        load(tmp_path / "big.txt", 1000)


def test_pdf_with_chinese_text(tmp_path: Path) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "report.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setTitle("低空物流产业报告")
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(72, 750, "第一章 市场规模")
    pdf.drawString(72, 730, FACT)
    pdf.showPage()
    pdf.save()
    document = load(path)
    assert FACT in document.text
    assert document.title_hint == "低空物流产业报告"


def test_corrupt_pdf_and_docx_are_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    (tmp_path / "broken.docx").write_bytes(b"this is not a zip archive")
    with pytest.raises(DocumentError, match="PDF"):
        load(tmp_path / "broken.pdf")
    with pytest.raises(DocumentError, match="corrupt Word file"):
        load(tmp_path / "broken.docx")


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("第一章 市场规模", level=1)
    document.add_paragraph(FACT)
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, [("政策", "发布时间", "实行时间"), ("管理办法", "2033年4月", "2033年7月")],
                          strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    path = tmp_path / "report.docx"
    document.save(str(path))
    text = load(path).text
    assert "# 第一章 市场规模" in text
    assert FACT in text
    assert "管理办法 2033年4月 2033年7月" in text


def test_html_drops_scripts_and_keeps_headings_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(f"<html><head><title>报告</title><script>var x = '忽略';</script></head><body>"
                    f"<h2>市场规模</h2><p>{FACT}</p><table><tr><td>2034</td><td>57亿元</td></tr></table>"
                    "</body></html>", encoding="utf-8")
    document = load(path)
    assert "## 市场规模" in document.text and FACT in document.text and "2034 57亿元" in document.text
    assert "忽略" not in document.text and document.title_hint == "报告"


def test_decode_prefers_utf8_and_refuses_nul_bytes() -> None:
    assert decode_text(FACT.encode("utf-8")) == (FACT, "utf-8")
    with pytest.raises(DocumentError):
        decode_text(b"abc\x00def")


@pytest.mark.parametrize("kind", ["gb18030", "gb18030-prose", "utf16-cjk", "utf16-any"])
def test_random_bytes_that_decode_as_text_are_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(noise(kind))
    with pytest.raises(DocumentError, match="random bytes"):
        load(path)


def test_every_shipped_document_reads_as_text(tmp_path: Path) -> None:
    """The plausibility check refuses noise, not writing: every report and news text loads, and so do a
    short note, an English page and Chinese text in GB18030."""
    corpora = sorted(REPORTS.glob("*.txt")) + sorted((REPO / "evals" / "corpora" / "news").glob("*.txt"))
    assert len(corpora) >= 20
    for path in corpora:
        assert load(path).text
    (tmp_path / "note.txt").write_text("2026年某咖啡馆年销量为8万杯。", encoding="utf-8")
    (tmp_path / "page.md").write_text("# Annual review\n\n" + "Revenue grew by 12% to 4.2 billion yuan. " * 50)
    (tmp_path / "gbk.txt").write_bytes(corpora[0].read_text(encoding="utf-8").encode("gb18030"))
    for name in ("note.txt", "page.md", "gbk.txt"):
        assert load(tmp_path / name).text
