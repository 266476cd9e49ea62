"""Repairs of PDF-extraction artifacts in Chinese report text.

The shipped reports show what extraction does to a document: sentences hard-wrapped at the page width
(sometimes with a blank line after every line), page numbers and slide numbers on lines of their own,
a table of contents with page numbers, letters and digits spread apart ("A I大模型", "20 23年"),
Wingdings bullets in the private-use area, and tables flattened into one line per row. `clean_text` undoes
what can be undone without guessing and leaves the rest alone: a short line is kept as its own line,
because on a slide or in a table it usually is one.
"""

from __future__ import annotations

import re
import statistics
import unicodedata

from ingest.structure import is_heading
from rag.keyword_index import word_across

_SENTENCE_END = re.compile(r"[。！？!?；;…：:][”’」』）)\]】]*$")
_CONTINUES = re.compile(r"[，、,（(“‘《〈【\-—/&+]$")
_BULLET = re.compile(r"^(?:[•·●○■□◆◇▪▸►✓✔\-*]\s*|\d{1,2}[.、)]\s*(?!\d)|[（(]\d{1,2}[）)]|[①-⑳])")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*\d{1,3}\s*[-–—]|第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?|"
    r"(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|\d{1,4}\s*/\s*\d{1,4})$",
    re.IGNORECASE,
)
_TOC_TITLE = re.compile(r"^(?:目\s*录|contents|table of contents)$", re.IGNORECASE)
_BARE_INTEGER = re.compile(r"^\d{1,3}$")
_NUMERIC_LINE = re.compile(r"^[\d\s.,%+\-~～/:：年月日亿万元]+$")
_TOC_LEADER = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|-{4,}|\t)\s*\d{1,4}$")
_TRAILING_PAGE = re.compile(r"^(.*?\S)\s+\d{1,4}$")
_SPACED_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9](?: [A-Za-z0-9]){2,}(?![A-Za-z0-9])")
_SPACED_DIGITS_BEFORE_UNIT = re.compile(r"(?<![\d ])\d(?: \d){2,}(?=\s*[年月日%亿万元])")
_SPACED_ACRONYM = re.compile(r"(?<![A-Za-z])([A-Z]) ([A-Z])(?![A-Za-z])")
_SPLIT_YEAR = re.compile(r"(?<!\d)(19|20) (\d{2})(?=\s*年)")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_OR_PUNCT = re.compile(rf"[{_CJK}\u3000-\u303f\uff00-\uffef]")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u3000\u2002\u2003\u2009\u202f"), " ")
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")


def normalize_characters(text: str) -> str:
    """Unify line ends and spaces, turn full-width letters and digits half-width, and make private-use
    glyphs (Wingdings bullets) a real bullet. Chinese punctuation is kept: NFKC would turn '，' into ','."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH).translate(_SPACES)
    text = _FULLWIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = re.sub(r"^[ \t]*[\ue000-\uf8ff]+[ \t]*", "• ", text, flags=re.MULTILINE)
    text = re.sub(r"[\ue000-\uf8ff]", "", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def repair_spread_characters(line: str) -> str:
    """Join letters and digits that extraction spread apart, only where the reading is unambiguous: three
    or more single letters in a row ("A M i n e r"), single digits only when a unit follows ("2 0 2 3年";
    elsewhere "5 3 8 9" may be table cells), two lone capitals ("A I"), a split year ("20 23年")."""
    line = _SPACED_RUN.sub(lambda m: m.group(0).replace(" ", "") if re.search(r"[A-Za-z]", m.group(0))
                           else m.group(0), line)
    line = _SPACED_DIGITS_BEFORE_UNIT.sub(lambda m: m.group(0).replace(" ", ""), line)
    line = _SPACED_ACRONYM.sub(r"\1\2", line)
    return _SPLIT_YEAR.sub(r"\1\2", line)


# Chinese prose has no spaces between Chinese words; a PDF table leaves one between its cells.
_CELL_GAP = re.compile(rf"[{_CJK}）)》] +[{_CJK}（(《]")


def looks_like_table_row(line: str) -> bool:
    """A flattened table row: several short cells separated by spaces ("发布时间 2021年3月 2022年9月"), or
    four or more cells of Chinese text, which may be longer ("东港 港务局使用大模型编写巡检报告 西港 海事局"):
    a wrapped sentence does not break at three spaces between Chinese words; or cells between pipes."""
    if line.count("|") + line.count("｜") >= 2:
        return True
    cells = line.split()
    if len(cells) < 2 or len(line) > 80:
        return False
    return max(len(cell) for cell in cells) <= 14 or (
        len(cells) >= 4 and len(_CELL_GAP.findall(line)) >= 3 and not re.search(r"[。！？!?；;]", line))


def _display_length(line: str) -> int:
    return sum(2 if _CJK_OR_PUNCT.match(ch) else 1 for ch in line)


def _wrap_width(lines: list[str]) -> int:
    """Width at which this document's extraction wrapped lines: lines at least this wide that do not end a
    sentence are taken as wrapped. Estimated from the document itself because every source wraps
    differently."""
    widths = [_display_length(line) for line in lines if _display_length(line) >= 30]
    if len(widths) < 5:
        return 60
    return max(30, int(statistics.median(widths) * 0.8))


def _is_toc_entry(line: str, later_lines: set[str]) -> bool:
    if _TOC_LEADER.search(line[-80:]):  # only the end: a leader regex over a long line backtracks badly
        return True
    match = _TRAILING_PAGE.match(line)
    return bool(match and is_heading(match.group(1)) and match.group(1).strip() in later_lines)


def _drop_furniture(lines: list[str]) -> list[str]:
    """Remove page numbers, slide numbers and table-of-contents entries; keep runs of numbers, which are
    chart or table data."""
    stripped = [line.strip() for line in lines]
    text_lines = {line for line in stripped if line}
    kept: list[str] = []
    for i, line in enumerate(stripped):
        if not line:
            kept.append("")
            continue
        slide_number = line.startswith("0") and _BARE_INTEGER.match(line)
        if _PAGE_NUMBER.match(line) or _TOC_TITLE.match(line) or slide_number:
            continue
        if _BARE_INTEGER.match(line):
            prev = next((s for s in reversed(stripped[:i]) if s), "")
            nxt = next((s for s in stripped[i + 1:] if s), "")
            if not (_NUMERIC_LINE.match(prev) or _NUMERIC_LINE.match(nxt)):
                continue
        if _is_toc_entry(line, text_lines):
            continue
        kept.append(line.replace("\t", " "))
    return kept


# A number ending a line of Chinese text: "较2" + "031年" is one number the extractor's wrap cut.
_CHINESE_NUMBER_END = re.compile(r"(?:^|[^\x00-\x7f])[\d.,:/%+\-]*\d$")


_BARE_BULLETS = ("•", "-", "*")


def _joiner(left: str, right: str) -> str:
    """No space between Chinese text, nor inside a number of a Chinese sentence cut by the wrap ("417亿元",
    "6.35GW"); one space where two Latin words or numbers of Latin text meet."""
    if left in _BARE_BULLETS:
        return " "
    if _CHINESE_NUMBER_END.search(left) and right[0].isascii() and right[0].isalnum():
        return ""
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return " "
    return ""


def _wrapped_flags(lines: list[str]) -> list[bool]:
    """Whether each line looks cut by the extractor's line width: as wide as the page's text, as wide as
    a neighbour (a narrow column on a slide), or ending in a comma or an opening bracket."""
    width = _wrap_width([line for line in lines if line])
    widths = [_display_length(line) for line in lines]
    nonblank = [i for i, line in enumerate(lines) if line]
    flags = [False] * len(lines)
    for pos, i in enumerate(nonblank):
        neighbours = [nonblank[j] for j in (pos - 1, pos + 1) if 0 <= j < len(nonblank)]
        column = widths[i] >= 16 and any(
            abs(widths[i] - widths[j]) <= max(2, widths[i] // 8) and abs(i - j) <= 2 and not is_heading(lines[j])
            for j in neighbours
        )
        bare_bullet = lines[i] in _BARE_BULLETS
        flags[i] = widths[i] >= width or column or bare_bullet or bool(_CONTINUES.search(lines[i]))
    return flags


def _can_join(left: str, right: str) -> bool:
    if left in _BARE_BULLETS:
        return not is_heading(right)
    if is_heading(left) or is_heading(right) or _BULLET.match(right):
        return False
    if looks_like_table_row(left) or looks_like_table_row(right) or _SENTENCE_END.search(left):
        return False
    return not (_NUMERIC_LINE.match(left) or _NUMERIC_LINE.match(right))


def _label_after_blank(left: str, right: str) -> bool:
    """A short unpunctuated line after a blank, below a full line, is a slide's label ("航线规划") rather
    than the tail of a wrapped sentence, unless joining the two puts one word across the seam ("…转向日常运" +
    "营模式": "运营")."""
    if _display_length(right) * 2 > _display_length(left) or _SENTENCE_END.search(right) or _CONTINUES.search(left):
        return False
    return not (left[-1].isascii() and right[0].isascii()) and not word_across(left, right)


def _wider_than_its_wrap(left: str, right: str) -> bool:
    """Across a blank line, a line followed by one half as wide again was not cut by the page width, since the
    page held the wider line: a news text's headline above its first paragraph, both unwrapped. Not when a
    word or a number runs across the seam ("…1200万标准" + "箱，…" beside a picture)."""
    return (_display_length(right) * 2 > _display_length(left) * 3 and not _CONTINUES.search(left)
            and left not in _BARE_BULLETS and not _CHINESE_NUMBER_END.search(left) and not word_across(left, right))


# How a title ends: a quoted work, a document kind, a bracketed note.
_TITLE_END = re.compile(r"(?:》|[）)]|通知|通报|公告|报告|办法|方案|意见|决定|规定|条例|简章)$")


def _opening_title(out: list[str], first_line: str, line: str, blank: bool) -> bool:
    """The document's first line, short and without a comma or full stop inside, is its title when a blank
    line follows it, or when it ends like a title and the next line is a full one: a title run into the first
    sentence hides both. A long title wrapped at the page width still joins its short tail ("…的通知"), and a
    first line that is a sentence's head joins its tail when a word runs across the seam ("…法律法" + "规")."""
    return (out == [first_line] and len(first_line) <= 60 and first_line not in _BARE_BULLETS
            and not re.search(r"[，。；！？,;!?]", first_line) and not word_across(first_line, line)
            and (blank or bool(_TITLE_END.search(first_line))))


def _rejoin_wrapped(lines: list[str]) -> list[str]:
    wrapped = _wrapped_flags(lines)
    out: list[str] = []
    last_wrapped = False
    last_line = ""  # as extracted: a join makes out[-1] wider than the column it came from
    pending_blank = 0
    first_line = next((line for line in lines if line), "")
    for line, is_wrapped in zip(lines, wrapped, strict=True):
        if not line:
            pending_blank += 1
            continue
        breaks = (pending_blank and (_label_after_blank(last_line, line) or _wider_than_its_wrap(last_line, line))) \
            or _opening_title(out, first_line, line, bool(pending_blank))
        if out and out[-1] and pending_blank <= 1 and last_wrapped and _can_join(out[-1], line) and not breaks:
            out[-1] = out[-1] + _joiner(out[-1], line) + line
        else:
            if pending_blank and out:
                out.append("")
            out.append(line)
        last_wrapped = is_wrapped
        last_line = line
        pending_blank = 0
    return out


def clean_text(raw: str) -> str:
    """The cleaned text every offset of a chunk refers to."""
    text = normalize_characters(raw)
    lines = [re.sub(r"[ \t]{2,}", " ", repair_spread_characters(line)).strip() for line in text.split("\n")]
    lines = _rejoin_wrapped(_drop_furniture(lines))
    return "\n".join(lines).strip() + "\n"
