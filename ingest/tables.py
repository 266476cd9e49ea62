"""Chart series and tables in flattened PDF text, paired up as rows.

A bar chart extracted from a PDF leaves its values scattered over several lines and its category labels on
one line after them ("206 286 477" / "1034" / ... / "2015 2016 2017 ... 2023E"): the value of a given year can
only be read by counting. When a line of three or more year labels follows exactly as many bare numbers,
a derived row is added right after the labels ("（图表数据）2015：206；2016：286；…"), so "the 2017 value"
stands next to its year in one sentence. The original lines stay as they were: quotes of them still match,
and nothing is paired when the counts differ.

A table extracted from a PDF or a spreadsheet leaves a header line ("项目 2031年 2030年 增减") and rows of
as many cells ("营业收入 1,204.5 1,088.0 10.7%"), often under a "单位：万元" line or with a 单位 column: the
meaning of the third number is in the header, the unit two lines up. After such a table a derived line per
row names every cell by its header, with the unit written on ("（表格行）营业收入：2031年 1,204.5万元；…"), so
that one sentence says what the figure is, of what and in which unit.

A slide of figure cards leaves each card's label above its values ("智能手表" / "1,860万部" / "同比+9.1%"):
the growth rate alone on its line says neither what grew nor by how much it sold. Where two or more such cards
follow one another, a derived line after each card's values names them with its label
("（图表数据）智能手表：1,860万部，同比+9.1%。").
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import NamedTuple

from rag.schema import ROW_MARK, SERIES_MARK

_YEAR_LABEL = re.compile(r"(?:19|20)\d{2}[EeF年]?")
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
MAX_LOOKBACK_LINES = 12
_NUMERIC_CELL = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?%?")
# "单位：万元", or closing the line that introduces the table: "主要财务数据如下（单位：亿元）："
_UNIT_LINE = re.compile(r"(?:^|[（(])单位[：:]\s*(?:人民币)?([^\s)）：:]{1,8})[)）]?[：:]?$")
_UNIT_COLUMN = "单位"
MIN_TABLE_ROWS = 2
_PIPE = re.compile(r"\s*[|｜]\s*")
_RULE_CELL = re.compile(r":?-{3,}:?")
# "网络零售额（亿元）", "占比（%）": a column label that states its cells' unit.
_LABEL_UNIT = re.compile(r"(.+?)[（(]([^（()）\d]{1,6})[)）]")


def cells_of(line: str) -> list[str]:
    """A table line's cells: between pipes ("年份｜产量｜增速", a Markdown "| 年份 | 产量 |"), else between spaces."""
    if line.count("|") + line.count("｜") >= 2:
        return _PIPE.split(line.strip().strip("|｜").strip())
    return line.split()


def _is_rule(line: str) -> bool:
    """A Markdown table's line under its header: "|---|:---:|"."""
    cells = cells_of(line.strip())
    return len(cells) >= 2 and all(_RULE_CELL.fullmatch(cell) for cell in cells)


def _labels(line: str) -> list[str] | None:
    cells = line.split()
    return cells if len(cells) >= 3 and all(_YEAR_LABEL.fullmatch(c) for c in cells) else None


def _values_before(lines: list[str], index: int, wanted: int) -> list[str] | None:
    """The `wanted` bare numbers on the lines right above `index` (blank lines skipped), or None."""
    values: list[str] = []
    for line in reversed(lines[max(0, index - MAX_LOOKBACK_LINES):index]):
        if not line.strip():
            continue
        cells = line.split()
        if not all(_BARE_NUMBER.fullmatch(c) for c in cells):
            break
        values = cells + values
        if len(values) >= wanted:
            break
    return values if len(values) == wanted else None


def pair_chart_series(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        out.append(line)
        labels = _labels(line.strip())
        if not labels:
            continue
        values = _values_before(lines, index, len(labels))
        if values:
            out.append(SERIES_MARK + "；".join(f"{label}：{value}" for label, value in zip(labels, values, strict=True))
                       + "。")
    return "\n".join(out)


def _header(line: str) -> list[str] | None:
    """Three or more short cells, none a bare number and none a sentence: column labels."""
    cells = cells_of(line)
    if len(cells) < 3 or len(line) > 120 or any(_NUMERIC_CELL.fullmatch(c) or c.endswith(("。", "；")) for c in cells):
        return None
    return cells


def _row(line: str, width: int) -> list[str] | None:
    """As many cells as the header, most after the first a number: one row of values. The first cell names the
    row: words, a year ("2031｜4,256｜8.7%"), or a rank before the name ("1｜东港市｜72｜50")."""
    cells = cells_of(line)
    if len(cells) != width or (_NUMERIC_CELL.fullmatch(cells[0]) and not _YEAR_LABEL.fullmatch(cells[0])
                               and not _ranked(cells)):
        return None
    numeric = sum(bool(_NUMERIC_CELL.fullmatch(c)) for c in cells[1:])
    return cells if 2 * numeric >= len(cells) - 1 and numeric else None


def _ranked(cells: list[str]) -> bool:
    return bool(re.fullmatch(r"\d{1,3}", cells[0])) and len(cells) > 2 and not _NUMERIC_CELL.fullmatch(cells[1])


def _named_cells(header: list[str], row: list[str], unit: str) -> str:
    rank: list[str] = []
    if _ranked(row) and not _YEAR_LABEL.fullmatch(row[0]):  # the row is named by the cell after its rank
        rank, header, row = [f"{header[0]} {row[0]}"], header[1:], row[1:]
    if _UNIT_COLUMN in header[1:]:
        unit = row[header.index(_UNIT_COLUMN)]
    if re.search(r"[（(][^)）]*[元%人个吨]", row[0]):  # "每股收益（元/股）": the row states its own unit
        unit = ""
    named = rank + [_named_cell(label, cell, unit) for label, cell in zip(header[1:], row[1:], strict=True)
                    if label != _UNIT_COLUMN]
    # Year columns last: a figure belongs to the last year written before it, and "增减 -9%" is no year's own.
    named.sort(key=lambda cell: bool(_YEAR_LABEL.match(cell)))
    name = f"{row[0]}年" if re.fullmatch(r"(?:19|20)\d{2}", row[0]) else row[0]
    return f"{ROW_MARK}{name}：{'；'.join(named)}。"


def _named_cell(label: str, cell: str, unit: str) -> str:
    """"货物吞吐量 4,256万吨": the label with its cell, and the unit (the table's, or the label's own) written on."""
    if not _NUMERIC_CELL.fullmatch(cell) or cell.endswith("%"):
        return f"{label} {cell}"
    if own := _LABEL_UNIT.fullmatch(label):
        return f"{own.group(1)} {cell}{own.group(2)}"
    return f"{label} {cell}{unit}"


def pair_table_rows(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        header = _header(lines[index].strip())
        rows: list[list[str]] = []
        end = index + 1
        if header and end < len(lines) and _is_rule(lines[end]):
            end += 1
        while header and end < len(lines) and (row := _row(lines[end].strip(), len(header))):
            rows.append(row)
            end += 1
        if len(rows) < MIN_TABLE_ROWS:
            out.append(lines[index])
            index += 1
            continue
        above = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
        unit = match.group(1) if (match := _UNIT_LINE.search(above)) else ""
        out.extend(lines[index:end])
        out.extend(_named_cells(header, row, unit) for row in rows)
        index = end
    return "\n".join(out)


_CARD_LABEL = re.compile(r"^[^\d。！？!?；;，,：:]{2,16}$")
# A value line of a card: short, and its figure written with a unit, a sign or a per cent ("1,860万部", "同比+9.1%",
# "出货：4,120万台"), not a bare number (a table's cell).
_CARD_VALUE = re.compile(r"^[^\d。！？!?；;]{0,6}[-+]?\d[\d,]*(?:\.\d+)?(?:%|[万亿千百]?[^\d\s，,。；;、]{1,2})$")
MAX_CARD_VALUES = 3


class _Card(NamedTuple):
    start: int  # the label's first line
    label: str
    values: tuple[str, ...]
    end: int  # the line after the values

    def derived(self) -> str:
        return f"{SERIES_MARK}{self.label}：{'，'.join(self.values)}。"


def _card_at(lines: list[str], index: int) -> _Card | None:
    """The card whose label starts at lines[index]."""
    label: list[str] = []
    at = index
    while at < len(lines) and len(label) < 2 and _CARD_LABEL.match(lines[at].strip()):
        label.append(lines[at].strip())
        at += 1
    if not label:
        return None
    if at < len(lines) and not lines[at].strip():
        at += 1
    values: list[str] = []
    while at < len(lines) and len(values) < MAX_CARD_VALUES and _CARD_VALUE.match(lines[at].strip()):
        values.append(lines[at].strip())
        at += 1
    return _Card(index, "".join(label), tuple(values), at) if values else None


def pair_cards(text: str) -> str:
    lines = text.split("\n")
    cards: list[_Card] = []
    index = 0
    while index < len(lines):
        card = _card_at(lines, index)
        if card is None:
            index += 1
            continue
        cards.append(card)
        index = card.end
    # Only runs of cards, separated by nothing but blank lines: one heading above one figure is no card slide.
    in_run: set[_Card] = set()
    for card, following in pairwise(cards):
        if all(not line.strip() for line in lines[card.end:following.start]):
            in_run.update({card, following})
    after = {card.end: card.derived() for card in in_run}
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in after:
            out.append(after[index])
        out.append(line)
    if len(lines) in after:
        out.append(after[len(lines)])
    return "\n".join(out)
