"""Which year frames a figure: the last one named before it, but not a year the text compares with.

"实现文旅收入426.3亿元，为2029年同期的104.2%" is a 2033 figure in a 2033 paragraph; reading 2029 as its year
turned a right answer into "the reports give this only for another year".
"""

from __future__ import annotations

import re

from rag.claims import YEAR

# A year the text compares with ("比2032年增长", "恢复至2029年同期的97.4%") frames no figure after it, unless
# the figure is that year's own ("较2032年的83家").
_BASE_BEFORE = re.compile(r"(?:比|较|于|与)$")
_BASE_AFTER = re.compile(r"年?(?:同期|水平|相比)")
_OWN_FIGURE = re.compile(r"年?(?:的|[（(])?")


def frame_years(text: str, position: int | None = None) -> list[re.Match[str]]:
    """The years of text[:position] that can frame what follows them: not the years it compares with."""
    end = len(text) if position is None else position
    return [m for m in YEAR.finditer(text, 0, end)
            if not (_BASE_BEFORE.search(text, max(0, m.start() - 2), m.start()) or _BASE_AFTER.match(text, m.end()))
            or _OWN_FIGURE.fullmatch(text, m.end(), end)]


def governing_year(text: str, position: int) -> list[str]:
    """The year that governs a figure at `position`: the last year before it in its sentence that is not
    one it is compared with."""
    years = frame_years(text, position)
    return [years[-1].group(0)] if years else []
