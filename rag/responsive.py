"""Does a supported sentence answer the question asked, or a neighbouring one?

A sentence can be true to its passage and still not answer: a growth rate for "how large", a number of
visitors for "what share", a cast member for "who directed". The question's head words decide what kind of
answer it wants; nothing else of its wording is required of the answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate

from rag.claims import YEAR, Figure, claim_of, has_quantity, normalize
from rag.evidence import (
    date_supported,
    events_of,
    figure_spans,
    kind_near,
    named_after,
)
from rag.kinds import KIND_OF_WORD, KIND_WORD, MONEY_KINDS, kinds_conflict, unit_of_another_kind
from rag.names import pos_tags
from rag.question import QuestionAnalysis
from rag.sentences import split_sentences

_CONJUNCT = re.compile(r"[和与及、，,；;？?]|以及|分别")


def kinds_asked(text: str) -> frozenset[str]:
    """The kinds of quantity a question asks for: in each conjunct, the last quantity word, which heads its
    noun phrase ("外地车辆占比" asks for a share, not a number of vehicles; "销量和增速" for both)."""
    heads = set()
    for conjunct in _CONJUNCT.split(text):
        named = list(KIND_WORD.finditer(conjunct))
        if named:
            heads.add(KIND_OF_WORD[named[-1].group(0).lower()])
    return frozenset(heads)


_CLAUSE_START = re.compile(r"[，,；;：:。！？!?\n]")
_MEASURE = re.compile(r"[\u4e00-\u9fff](?:率|量|数|额|值|比|价|费|度)")  # "采用率": a quantity of its own


def _kind_in_sentence(figure: Figure, text: str) -> set[str | None]:
    """The kind of each occurrence of the figure: its clause's, else, in a clause that names no quantity of
    its own, the last one named earlier in its sentence ("增长率将达27.1%，另一家机构预测33.4%": an enumeration
    of one kind names it once)."""
    kinds: set[str | None] = set()
    spans = split_sentences(text)
    for start, end in figure_spans(figure, text):
        sentence_start = next((a for a, b in spans if a <= start < b), 0)
        clause_start = max((m.end() for m in _CLAUSE_START.finditer(text, sentence_start, start)),
                           default=sentence_start)
        named = kind_near(text, start, end)
        if named is None and not _MEASURE.search(text, clause_start, start):
            earlier = list(KIND_WORD.finditer(text, sentence_start, clause_start))
            named = KIND_OF_WORD[earlier[-1].group(0).lower()] if earlier else None
        kinds.add(named)
    return kinds


def answers_kinds(figure: Figure, sentence: str, passages: list[str], asked: frozenset[str]) -> bool:
    """The amount is of a kind the question asks for, as the sentence frames it and as its passages do (a
    growth rate does not answer "how large", a number of visitors does not answer "what share"). A figure
    whose kind nothing names may answer; where the sentence names none, its passages' names decide."""
    kinds = (_kind_in_sentence(figure, sentence) - {None}) or {
        kind for text in passages for kind in _kind_in_sentence(figure, text)} - {None}
    return not asked or not kinds or any(not kinds_conflict(kind, a) for kind in kinds for a in asked)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if re.fullmatch(r"[\u4e00-\u9fff]{2}", text[i:i + 2])}


def mentions(word: str, text: str) -> bool:
    """The word in the text, or for a longer word a two-character piece of it ("领投方" / "领投")."""
    pieces = {word} if len(word) <= 2 else _bigrams(word)
    normalized = normalize(text)
    return any(piece in normalized for piece in pieces)


def role_stated(role: str, answer: str, question: QuestionAnalysis, passage: str, header: str = "") -> bool:
    """Some sentence of the passage names the role asked about ("导演") together with what the answer adds
    to the question — its names, or where none is recognised its other words: "林某主演" does not make 林某
    the director. A longer role may be worded in part ("领投方" / "领投"). What the answer says the role is
    of (the question's specific words it repeats) is named by then, not only after (rag.evidence.named_after)."""
    names = [normalize(name) for name in claim_of(answer).names if name not in question.text]
    added = _bigrams(normalize(answer)) - _bigrams(normalize(question.text))
    repeated = [w for w in question.specific if w in answer]
    whole = normalize(passage)
    for start, end in split_sentences(passage):
        sentence = normalize(passage[start:end])
        if mentions(role, sentence) and (any(name in sentence for name in names) if names
                                         else any(pair in sentence for pair in added)) and not named_after(
                repeated, header, normalize(passage[:end]), whole):
            return True
    return False


# A unit the question names after its question word ("多少亿元", "几家"): only an amount in that unit answers
# it. Units of one family answer for each other (亿元 / 亿美元, 人 / 名).
# Measure words of things counted: 个 counts any of them ("12个组件" answers "多少款组件"), but "18个月" or
# "3个工作日" counts no things.
_COUNTED = (("家",), ("辆",), ("台",), ("座",), ("所",), ("条",), ("件", "起", "宗"), ("项",), ("篇",), ("艘",),
            ("款",), ("户",), ("例",))
_UNIT_FAMILIES = (("元", "美元", "欧元", "港元", "日元", "英镑"), ("人", "名", "位", "人次"),
                  ("个百分点", "百分点"), *_COUNTED, ("吨",), ("倍",), ("亩",),
                  ("公里", "千米", "km"), ("平方米", "平米", "㎡", "m²"), ("立方米", "方", "m³"),
                  ("标准箱", "标箱", "TEU"), ("小时",), ("分钟",), ("天", "工作日"))
_ANY_COUNT = re.compile(r"\s*(?:多|余)?[万亿千百]*个(?!百分点|月|多月|半月|小时|工作日|交易日|季度|星期|年)")
_UNIT = "|".join(sorted((u for family in _UNIT_FAMILIES for u in family), key=len, reverse=True))
_UNIT_ASKED = re.compile(rf"(?:多少|(?<![哪第这那前后])几)[万亿千百]*({_UNIT})")
_ASKED = re.compile(r"多少|多大|多高|(?<![哪第这那前后])几")
_UNIT_AFTER = re.compile(rf"\s*(?:多|余|来)?[万亿千百]*个?({_UNIT})", re.IGNORECASE)  # "72个小时"


def _family(unit: str) -> tuple[str, ...]:
    return next(family for family in _UNIT_FAMILIES if unit in family)


def in_unit_asked(figure: Figure, sentence: str, question: str) -> bool:
    """The amount is in the unit the question names for what it asks, if it names one: "41.3亿元" answers
    "产值是多少亿元", a growth rate of 33.8% or a count of 126 companies does not. Only the last question word
    asks ("几家企业的增速是多少" asks for rates, of several companies)."""
    last = list(_ASKED.finditer(question))
    asked = _UNIT_ASKED.match(question, last[-1].start()) if last else None
    if not asked or not _word_ends_at(question, asked.end()):  # "多少天然气", "多少项目资金": no unit asked
        return True
    family = _family(asked.group(1))
    if figure.magnitude.endswith(family) or (  # "3.5倍", "3个百分点": the unit read as the figure's magnitude
            figure.magnitude.endswith("千") and "千米" in family):
        return True
    for _, end in figure_spans(figure, sentence):
        unit = _UNIT_AFTER.match(sentence, end)
        if (unit and unit.group(1) in family) or (family in _COUNTED and _ANY_COUNT.match(sentence, end)):
            return True
    return False


def _word_ends_at(text: str, offset: int) -> bool:
    """A word of the text (as jieba cuts it) ends at the offset: the measure word is not the head of a longer
    word ("户籍", "项目")."""
    return offset in _word_ends(text)


@lru_cache(maxsize=256)
def _word_ends(text: str) -> frozenset[int]:
    """Cached: the question is cut once, not once per figure of every sentence checked against it."""
    return frozenset(accumulate(len(word) for word, _ in pos_tags(text)))


# Numbers that name a day or a thing, not an amount: "9月14日", "215号", "第3批" answer no "how much".
_DATE_OR_LABEL = re.compile(r"\d{1,2}月(?:\d{1,2}[日号])?|\d{1,2}[日号](?!元)|\d+号|第\d+")


def states_amount(sentence: str) -> bool:
    """A quantity other than a year, a day or a label: something that can answer "how much"."""
    return has_quantity(_DATE_OR_LABEL.sub("", sentence))


def answers_question(sentence: str, passages: list[str], question: QuestionAnalysis,
                     headers: list[str] | None = None) -> bool:
    """The sentence gives what the question asks for: a name stated in the role asked about ("…的导演是谁"),
    an amount when it asks "how much", of a kind (and in a unit) it asks for. `headers` are the passages'
    normalized titles and sections. Asked "when" something happened, a sentence giving dates gives one of
    that event: the day a paper was published does not say when production starts."""
    if question.role:
        return any(role_stated(question.role, sentence, question, passage, header)
                   for passage, header in zip(passages, headers or [""] * len(passages), strict=True))
    if question.ask == "time":
        dates = [f for f in claim_of(sentence).figures if "年" in f.number or YEAR.fullmatch(f.number)]
        return not dates or any(date_supported(f, events_of(question.text), sentence) for f in dates)
    if question.ask == "entity":  # "A还是B", "A和B哪个…": the answer is one of the question's own names
        return bool(_CANDIDATES.search(question.text)) or not echoes(sentence, question.text)
    if question.ask != "quantity":
        return True
    if not states_amount(sentence):
        return False
    sentence = _DATE_OR_LABEL.sub("", sentence)
    amounts = [f for f in claim_of(sentence).figures
               if "年" not in f.number and (f.magnitude or not YEAR.fullmatch(f.number))]
    given = {f.number for f in claim_of(question.text).figures}
    if amounts and all(f.number in given for f in amounts):  # "1376名参与人中，本地的有多少人" -> "有1376人":
        return False  # the question's own figure, said back, answers nothing
    asked = kinds_asked(question.text)
    money = asked if asked and asked <= MONEY_KINDS else MONEY_KINDS if _ASKS_MONEY.search(question.text) else None
    return (not amounts and not (money and not _MONEY_UNIT.search(sentence))) or any(
        answers_kinds(f, sentence, passages, asked) and in_unit_asked(f, sentence, question.text)
        and not (money and _not_money(f, sentence, money, question.text)) for f in amounts)


_MONEY_UNIT = re.compile(r"元|[$¥￥€£]")  # "逾百亿元": money the figure reader does not parse
_ASKS_MONEY = re.compile(r"多少钱|几块钱|how much money", re.IGNORECASE)  # any money kind: a price, a profit…


def _not_money(figure: Figure, sentence: str, asked: frozenset[str], question: str) -> bool:
    """A money question ("营业收入是多少", "卖多少钱") is not answered by tonnes, watts or a multiple (unless it
    asks for one: "产值是邻市的多少倍")."""
    return (figure.magnitude == "倍" and "倍" not in question) or any(unit_of_another_kind(asked, sentence, end)
                                          for _, end in figure_spans(figure, sentence))


_CANDIDATES = re.compile(r"还是|[和与跟].{0,24}(?:哪|谁)|or\b", re.IGNORECASE)


def echoes(sentence: str, question: str) -> bool:
    """Every character of the sentence is the question's own: "X楼是X医院设计的" names no one the question did
    not (read by character: the tagger cuts the same unfamiliar name differently in different sentences)."""
    chars = set(re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]|[是的由为了在被其]", "", sentence))
    return bool(chars) and chars <= set(question)
