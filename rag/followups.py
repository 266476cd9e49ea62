"""Follow-up questions: which earlier question a short one leans on, and the cheap rewrite that needs no LLM.

"那2032年呢？" after "2031年…规模多少？" is the earlier question with its year replaced; "上海呢？" the
earlier one with its name replaced. Only what this cannot resolve goes to the LLM rewrite in the chain.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.claims import YEAR, figures
from rag.keyword_index import tokenize
from rag.names import chinese_names, tagged_words
from rag.schema import ChatTurn

# "那2032年呢？", "东港方面呢，比西港多多少？": a "呢" that closes the question or its first clause.
_ELLIPTICAL = re.compile(r"^(那么?|还有|而|另外|同样|and\b|what about|how about)|呢(?:[？?]?$|[，,])", re.IGNORECASE)


# Words pointing back at the conversation: "它的增速", "这家公司", "those rounds". A question that uses one
# means something the earlier turns named.
_POINTING_BACK = re.compile(r"它|(?<![尤极])其[^他次余实]|这家|那家|该[公机报企项产地市国省]|这[个些一两几][^\d]|"
                            r"那[个些][^\d]|上述|前面|刚才|\b(?:it|its|them|those|these|(?:this|that|the same) "
                            r"(?:one|report|company|firm|model|product|market|figure|number|year))\b", re.IGNORECASE)


# "出租车呢？", "那货运方面呢？": a follow-up that only names a new subject for the previous question.
_SUBJECT_ONLY = re.compile(r"(?:那么?|还有|而)?([\u4e00-\u9fffA-Za-z0-9]{2,12}?)(?:方面|那边|这边)?呢[？?]?")


_WHEN = re.compile(r"[去今明前后上下本当同]年|同期|上期|本期|当期|季度|月份|年度|期间|时候")


def unknown_subject(question: str, idf: Callable[[str], float]) -> list[str]:
    """The nouns a "X呢？" follow-up swaps in that the corpus never uses (`idf` 0 for each of their search
    words). Being all the follow-up asks about, no passage can answer it, whatever the previous question's
    passages say about the old subject."""
    match = _SUBJECT_ONLY.fullmatch(question.strip())
    nouns = tagged_words(match.group(1), lambda flag: flag.startswith("n")) if match else []
    nouns = [noun for noun in nouns if not _WHEN.search(noun)]  # "去年同期呢？" swaps the time, not the subject
    return [noun for noun in nouns if (words := [w for w in tokenize(noun) if len(w) >= 2])
            and not any(idf(w) for w in words)]


def previous_question(history: list[ChatTurn]) -> str | None:
    """The user's last question that stands on its own. After "2031年…规模多少？" and "那2032年呢？", the
    follow-up "2034年会有多少？" leans on the first, not on "那2032年呢？"."""
    asked = [turn.content for turn in history if turn.role == "user"]
    return next((q for q in reversed(asked) if not _ELLIPTICAL.search(q.strip()) and not _POINTING_BACK.search(q)),
                asked[-1] if asked else None)


def points_back(question: str) -> bool:
    """"它的增速", "这家公司": the question refers to something an earlier turn, possibly an answer, named."""
    return bool(_POINTING_BACK.search(question))


def is_elliptical(question: str) -> bool:
    """"那2032年呢？", "上海呢", "and 2032?", "它的增速是多少？": a follow-up that leans on the previous question."""
    question = question.strip()
    return bool(_ELLIPTICAL.search(question) or _POINTING_BACK.search(question)) or len(question) <= 12


def condense_by_substitution(question: str, history: list[ChatTurn]) -> str | None:
    """Resolve an elliptical follow-up ("那2032年呢？") by putting its new years or name into the previous
    question; None when the follow-up is not of that kind."""
    previous = previous_question(history)
    if previous is None or not is_elliptical(question):
        return None
    new_years, old_years = YEAR.findall(question), YEAR.findall(previous)
    if new_years and old_years:
        replacements = iter(new_years)  # positionally, in one pass: 2023→2024, 2024→2025 must not chain
        return YEAR.sub(lambda m: next(replacements, m.group(0)), previous)
    new_names = [n for n in chinese_names(question) if n not in previous]
    old_names = chinese_names(previous)
    if new_names and old_names:
        return previous.replace(old_names[0], new_names[0], 1)
    return None


def figures_already_given(question: str, history: list[ChatTurn], specific: tuple[str, ...]) -> frozenset[str]:
    """The figures of the previous answer, when the follow-up names something that no turn so far did (a
    word of `specific`, the question's rarer words, or a year): "企业数量呢，和西港差多少？" is
    not answered by repeating the 市场规模 just given, which a small model tends to do. Empty for "你确定吗？",
    which names nothing new, so re-stating the figure stays an answer."""
    answers = [turn.content for turn in history if turn.role == "assistant"]
    said = "".join(turn.content for turn in history).lower()
    if not answers or not any(word.lower() not in said for word in [*specific, *YEAR.findall(question)]):
        return frozenset()
    return frozenset(str(f) for f in figures(re.sub(r"\[\d+\]", "", answers[-1])) if not YEAR.fullmatch(f.number))


# What a follow-up asks of the whole: "那一共召回多少台？" after a question about one batch.
_WHOLE = re.compile(r"一共|总共|总计|合计|共计|全部|总数|整体|累计")
_ORDINAL_NAME = re.compile(r"第\S{1,3}[期批届轮]|(?:Pre-?)?[A-F]\+{0,2}轮|天使轮", re.IGNORECASE)


def inherited_absences(question: str, absent: list[str], turns: list[ChatTurn]) -> list[str]:
    """The issue or batch numbers no passage mentions that a follow-up's rewrite took from an earlier turn,
    when the follow-up asks about the whole ("那一共召回多少台？" after a question about a 第四批次 the passages
    never mention), or when the conversation has moved on from it (the last exchange was about 第二批次, the
    follow-up "谁负责？" is not about the 第四批次 of three turns ago): all of `absent` then; empty otherwise,
    and the refusal stands. A subject no passage mentions (a city, a company) stays absent for every
    follow-up about it ("那同比增长多少？")."""
    if not absent or any(name in question for name in absent) or not all(
            _ORDINAL_NAME.fullmatch(name) for name in absent):
        return []
    last = [turn.content for turn in turns[-2:]] if turns and turns[-1].role == "assistant" else []
    moved_on = len(turns) > 2 and bool(last) and not any(name in text for name in absent for text in last) and \
        not points_back(question)
    return absent if moved_on or (_WHOLE.search(question) and not points_back(question)) else []


def without_names(text: str, names: list[str]) -> str:
    """`text` without any mention of each of `names` (with an ordinal's 次: 第四批次)."""
    for name in names:
        text = re.sub(re.escape(name) + "次?", "", text)
    return text
