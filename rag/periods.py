"""Calendar periods that bind a figure as a year does: a holiday's tourism figures are not another holiday's,
a quarter's sales not the half-year's, January-October's count not the whole year's. A closed class of
calendar words, not topic words; spans of months are compared as spans however written ("1-9月", "1月至9月",
"前三季度", "前九个月")."""
from __future__ import annotations

import re

_MONTH = r"(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])"
_QUARTER = r"([1-4一二三四])"
_SPAN = r"(?:至|到|[-—–~～])"
_PERIOD = re.compile(
    r"春节|元旦|元宵|清明|五一|劳动节|端午|中秋|国庆|暑期|寒假|双十一|上半年|下半年|全年|"
    rf"(?<![\d至到\-—–~～、前])第?{_QUARTER}(?:{_SPAN}{_QUARTER})?季度|前([1-3一二三])季度|"
    rf"(?:^|(?<=[年，,。；;：:\s（(]))前{_MONTH}个?月(?!龄)|(?<![\d十])(?<!\d月){_MONTH}月?{_SPAN}{_MONTH}月(?!龄)")
_NAMED = {"上半年": (1, 6), "下半年": (7, 12), "全年": (1, 12)}
_CHINESE = {c: n for n, c in enumerate("一二三四五六七八九", start=1)}


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + _CHINESE.get(text[1:], 0)
    return _CHINESE[text]


def _period(match: re.Match[str]) -> str | None:
    quarter, last_quarter, first_quarters, first_months, start, end = match.groups()
    if quarter:  # "三季度", "1-3季度"
        span = (3 * _number(quarter) - 2, 3 * _number(last_quarter or quarter))
    elif first_quarters:  # "前三季度"
        span = (1, 3 * _number(first_quarters))
    elif first_months:
        span = (1, _number(first_months))
    elif start:
        span = (_number(start), _number(end))
    elif match.group(0) in _NAMED:
        span = _NAMED[match.group(0)]
    else:
        return match.group(0)
    return f"{span[0]}-{span[1]}月" if span[0] <= span[1] else None  # "12月至2月" crosses a year: no span


def periods_in(text: str) -> set[str]:
    return {period for m in _PERIOD.finditer(text) if (period := _period(m))}


def names_other_period(text: str, periods: set[str]) -> bool:
    """The text names a calendar period, and none of `periods`: the 中秋国庆 figure says nothing of 春节."""
    own = periods_in(text)
    return bool(periods and own and not own & periods)
