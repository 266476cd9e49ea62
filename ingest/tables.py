"""Chart series in flattened PDF text, paired up as rows.

A bar chart extracted from a PDF leaves its values scattered over several lines and its category labels on
one line after them ("206 286 477" / "1034" / ... / "2015 2016 2017 ... 2023E"): the value of a given year can
only be read by counting. When a line of three or more year labels follows exactly as many bare numbers,
a derived row is added right after the labels ("（图表数据）2015：206；2016：286；…"), so "the 2017 value"
stands next to its year in one sentence. The original lines stay as they were: quotes of them still match,
and nothing is paired when the counts differ.
"""

from __future__ import annotations

import re

_YEAR_LABEL = re.compile(r"(?:19|20)\d{2}[EeF年]?")
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
MAX_LOOKBACK_LINES = 12
SERIES_MARK = "（图表数据）"


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
