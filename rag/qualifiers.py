"""A figure's qualifier is part of the figure: "60%以上" is not "60%", "近5000家" is not "5000家".

An answer sentence that drops it states more than its source does (an English "60%" reads as exactly 60
per cent). So a verified sentence gets its source's qualifier back, in the answer's language, unless it
already carries one. Only an unambiguous qualifier is restored: when the passage states the figure more
than once with different qualifiers (or once without), the sentence is left as the model wrote it.

Likewise what the source attaches to the figure itself, its change ("812亿元，同比增长6.3%") or a
parenthesis ("2元（可乘坐8公里）"), goes with it in a Chinese answer that gives the figure alone: the small
model tends to stop at the first figure, and a reader asking for an amount expects how it moved.
"""

from __future__ import annotations

import re
from typing import Literal

from rag.claims import YEAR, Figure, digits_in_chinese, normalize
from rag.claims import figures as figures_of
from rag.evidence import figure_spans

Bound = Literal["more", "nearly", "about", "less"]

# Longest first, so "超过" is read before "超".
_BEFORE: dict[str, Bound] = {"超过": "more", "突破": "more", "逾": "more", "超": "more", "接近": "nearly",
                             "将近": "nearly", "近": "nearly", "大约": "about", "约": "about", "不到": "less",
                             "不足": "less"}
_AFTER: dict[str, Bound] = {"以上": "more", "左右": "about", "以下": "less", "以内": "less"}
_ENGLISH: dict[Bound, str] = {"more": "more than", "nearly": "nearly", "about": "about", "less": "less than"}
# A one-character qualifier that ends another word is not one: "最近3年", "签约5家", "赶超2家".
_NOT_QUALIFIER = r"(?<!最近)(?<!附近)(?<!临近)(?<!靠近)(?<!签约)(?<!合约)(?<!预约)(?<!节约)(?<!制约)(?<!赶超)(?<!高超)"
_BEFORE_WORD = "|".join(sorted(map(re.escape, _BEFORE), key=len, reverse=True))
_AFTER_WORD = "|".join(map(re.escape, _AFTER))
_UNIT = r"[^\d\s，。,.;；：:！？!?、（）()\[\]]{0,2}?"  # "家", "亿元", "%" is part of the figure
_ENGLISH_QUALIFIED = re.compile(r"(?:more than|over|above|exceed(?:s|ed|ing)?|at least|nearly|almost|close to|about|"
                                r"around|approximately|roughly|some|less than|fewer than|under|below|up to|"
                                r"just over|just under)\s+$", re.IGNORECASE)
_CHINESE_QUALIFIED_BEFORE = re.compile(rf"(?:{_BEFORE_WORD}|多达|达到?|到|至|高达|至少|最高|最多)\s*$")
_CHINESE_QUALIFIED_AFTER = re.compile(rf"^{_UNIT}(?:{_AFTER_WORD}|多|余)")


def source_qualifier(figure: Figure, passage: str) -> tuple[Bound, str, str] | None:
    """(bound, qualifier word, unit between figure and a trailing qualifier) when every occurrence of the
    figure in the passage carries the same qualifier; None when one carries none or they differ."""
    found: set[tuple[Bound, str, str]] = set()
    for start, end in figure_spans(figure, passage):
        before = re.search(rf"(?:{_BEFORE_WORD})\s*$", passage[max(0, start - 3):start])
        if before and not re.search(_NOT_QUALIFIER + r"\s*$", passage[max(0, start - 5):start]):
            before = None
        after = re.match(rf"({_UNIT})({_AFTER_WORD})", passage[end:end + 6])
        if before:
            found.add((_BEFORE[before.group(0).strip()], before.group(0).strip(), ""))
        elif after:
            found.add((_AFTER[after.group(2)], after.group(2), after.group(1)))
        else:
            return None
    return found.pop() if len(found) == 1 else None


def with_qualifiers(sentence: str, figures: list[Figure], passage: str, language: str) -> str:
    """The sentence with each figure's source qualifier restored where the sentence gives it none."""
    for figure in figures:
        qualifier = source_qualifier(figure, passage)
        spans = figure_spans(figure, sentence)
        if qualifier is None or len(spans) != 1:
            continue
        bound, word, unit = qualifier
        start, end = spans[0]
        if language == "en":
            if not _ENGLISH_QUALIFIED.search(sentence[:start]) and not _CHINESE_QUALIFIED_AFTER.match(sentence[end:]):
                words = _ENGLISH[bound] if sentence[:start].strip() else _ENGLISH[bound].capitalize()
                sentence = f"{sentence[:start]}{words} {sentence[start:]}"
        elif not _CHINESE_QUALIFIED_BEFORE.search(sentence[:start]) and not _CHINESE_QUALIFIED_AFTER.match(
                sentence[end:]):
            if word in _BEFORE:
                sentence = f"{sentence[:start]}{word}{sentence[start:]}"
            elif sentence[end:end + len(unit)] == unit:
                cut = end + len(unit)
                sentence = f"{sentence[:cut]}{word}{sentence[cut:]}"
    return sentence


# What a source attaches right after a figure (and its unit): its change, or a parenthesis of a few words.
_CHANGE = r"(?:增长|下降|增加|减少|提高|降低|回落|上涨|下跌)"
_ATTACHED = re.compile(rf"^({_UNIT})((?:[，,]\s*(?:同比|比上年同期|较上年同期|比上年|较上年)?{_CHANGE}\s*"
                       r"\d+(?:\.\d+)?\s*(?:%|个百分点|倍))|（[^（）\n]{1,16}）)")
_FOLLOWED = re.compile(rf"^[^，。；;,.]{{0,3}}?(?:[，,]\s*)?(?:同比|比上年|较上年|{_CHANGE}|（|\()")


_SEVERAL = re.compile(r"分别|、")
_CLAUSE_END = re.compile(r"\s*(?:[，,。；;！？!?\n]|\[\d+\]|$)")


def with_attached(sentence: str, figures: list[Figure], passage: str) -> str:
    """A Chinese sentence's figure followed by what its one occurrence in the passage has attached to it, when
    the sentence gives it nothing of the kind already."""
    if _SEVERAL.search(sentence):  # "分别为10亿元和8亿元": which change goes where is the model's to say
        return sentence
    for figure in figures:
        spans, found = figure_spans(figure, sentence), figure_spans(figure, passage)
        if len(spans) != 1 or len(found) != 1 or YEAR.fullmatch(figure.number):
            continue
        attached = _ATTACHED.match(passage[found[0][1]:])
        end = spans[0][1]
        if attached is None or _FOLLOWED.match(sentence[end:]) or not sentence[end:].startswith(attached.group(1)):
            continue
        cut = end + len(attached.group(1))
        if not _CLAUSE_END.match(sentence, cut):  # "10亿元人民币", "2元/公里", "10亿元的营收": the unit goes on
            continue
        extra = attached.group(2)
        if any(str(f) in normalize(sentence) for f in figures_of(extra)):
            continue
        sentence = f"{sentence[:cut]}{extra}{sentence[cut:]}"
    return sentence


def as_written(sentence: str, figures: list[Figure], passages: list[str], language: str) -> str:
    """Figures spelled and qualified as the source writes them: "1亿" becomes "一亿" when the passage says
    一亿, and "60%" gets back the passage's "以上"; in Chinese, with what the source attaches to them."""
    sentence = with_qualifiers(sentence, figures, "\n".join(passages), language)
    if language == "zh":
        sentence = with_attached(sentence, figures, "\n".join(passages))
    passage = normalize("".join(passages))
    for figure in figures:
        spelling = figure.spelling_in(passage)
        if spelling:
            pattern = re.escape(figure.number) + r"\s*" + re.escape(figure.magnitude)
            sentence = re.sub(pattern, spelling, sentence, count=1)
    return sentence


def ordinals_as_written(sentence: str, passages: str) -> str:
    """"排在第2位" as "第二位" when the passages write that rank in Chinese numerals and never as 第2: the rank
    is the passage's, and its bare "2" would stand in no passage."""
    def spelled(match: re.Match[str]) -> str:
        digits = match.group(1)
        numeral = digits_in_chinese(int(digits))
        if not numeral or re.search(rf"第{digits}(?!\d)", passages) or not re.search(
                rf"第{numeral}(?![零一二两三四五六七八九十百千])", passages):
            return match.group(0)
        return f"第{numeral}"
    return re.sub(r"第(\d{1,2})(?![\d.])", spelled, sentence)
