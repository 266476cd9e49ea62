"""Calendar periods that bind a figure as a year does: a holiday's tourism figures are not another holiday's,
a quarter's sales not the half-year's, January-October's count not the whole year's."""
from __future__ import annotations

import re

# Periods that bind a figure as a year does: a holiday's tourism figures are not another holiday's, a
# quarter's sales not the half-year's. A closed class of calendar words, not topic words.
_PERIOD = re.compile(r"春节|元旦|元宵|清明|五一|劳动节|端午|中秋|国庆|暑期|寒假|双十一|上半年|下半年|前三季度|"
                     r"第?[一二三四1-4]季度|全年|(?<!\d)(?:前(\d{1,2})个?月|(\d{1,2})月?(?:至|到|[-—–~～])(\d{1,2})月)")
# Spans of months, so "1-9月" is "前三季度" and "前10个月" is "1月至10月": one period, however written.
_MONTHS = {"上半年": "1-6月", "下半年": "7-12月", "前三季度": "1-9月", "全年": "1-12月", "一季度": "1-3月",
           "1季度": "1-3月", "二季度": "4-6月", "2季度": "4-6月", "三季度": "7-9月", "3季度": "7-9月",
           "四季度": "10-12月", "4季度": "10-12月"}


def _period(match: re.Match[str]) -> str:
    first_months, start, end = match.groups()
    if first_months:
        return f"1-{int(first_months)}月"
    if start:
        return f"{int(start)}-{int(end)}月"
    named = match.group(0).removeprefix("第")
    return _MONTHS.get(named, named)


def periods_in(text: str) -> set[str]:
    return {_period(m) for m in _PERIOD.finditer(text)}


def names_other_period(text: str, periods: set[str]) -> bool:
    """The text names a calendar period, and none of `periods`: the 中秋国庆 figure says nothing of 春节."""
    own = periods_in(text)
    return bool(periods and own and not own & periods)
