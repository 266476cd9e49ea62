"""Alternatives one subject splits into (the men's race and the women's, a project's first phase and its
second): a figure or name stated under one of them is not the other's."""

from __future__ import annotations

import re

from rag.claims import Claim
from rag.evidence import figure_spans

# Words that split one subject into alternatives, each with its own figures and winners: the women's race is
# not the men's, the half marathon not the full one, a project's second phase not its first. Closed classes of
# alternatives, not topic words.
_ALTERNATIVES = (("男子", "女子"), ("男性", "女性"), ("出口", "进口"), ("城镇", "农村"), ("线上", "线下"),
                 ("境内", "境外"), ("国内", "海外"), ("全程", "半程"), ("一期", "二期", "三期"),
                 ("初期", "近期", "远期"), ("物理类", "历史类"), ("文科", "理科"))


def names_the_other_side(text: str, question: str) -> bool:
    """Of some set of alternatives the question names one of, the one the text names last is another:
    "女子组的亚军" is not answered by "男子组比赛中，…；林某获得亚军", nor "半程冠军" by "全程冠军林某"."""
    for group in _ALTERNATIVES:
        asked = [side for side in group if side in question]
        if len(asked) != 1:
            continue
        last = max(((text.rfind(side), side) for side in group), default=(-1, ""))
        if last[0] >= 0 and last[1] != asked[0]:
            return True
    return False


def line_names_the_other_side(text: str, at: int, question: str) -> bool:
    """names_the_other_side for what the line of text[at] says up to there."""
    return names_the_other_side(text[text.rfind("\n", 0, at) + 1:at], question)


def only_on_the_other_side(claim: Claim, text: str, question: str) -> bool:
    """Every place the passage states one of the claim's figures or names (not the question's own) is under
    another of a set of alternatives than the one the question names: the full marathon's winner, whose name
    the passage does state, did not win the half marathon asked about."""
    for part, spans in [*((f, figure_spans(f, text)) for f in claim.figures),
                        *((n, [m.span() for m in re.finditer(re.escape(n), text)]) for n in claim.names)]:
        if str(part) not in question and spans and all(
                line_names_the_other_side(text, start, question) for start, _ in spans):
            return True
    return False
