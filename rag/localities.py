"""Which place a figure is of, below the city: a city-wide figure is no one district's."""

from __future__ import annotations

import re

from rag.question import Constraint

_LOCAL_PLACE = r"(?:区|县|镇|乡|村|街道)"


def local_place_unsaid(context: str, places: list[str], named_in: str, heading: str) -> bool:
    """The district, county or town claimed (the last `named_in` names: 柏坪镇 of "蔺川县柏坪镇") is named neither in
    the figure's context nor in its heading: the city-wide "全市PM2.5年均浓度31" is no one district's."""
    local = max([(named_in.find(p), p) for p in places if re.search(_LOCAL_PLACE + "$", p)
                 or re.search(re.escape(p) + _LOCAL_PLACE, named_in)], default=(0, ""))[1]
    return bool(local and local not in heading and not Constraint("place", local).found_in(context))
