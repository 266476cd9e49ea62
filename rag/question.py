"""What a question pins down, read from the user's own words.

A question naming a year, a person, a place, a titled work or a product can only be answered by a passage
about that year, person, place, work or product: "2022年的规模" is not answered by the 2023 figure, and a
film's director is not answered by a neighbouring film's. Every other word of a question may be worded
differently by the documents ("采用率" / "使用比例"), so ordinary words never decide whether a question is
answerable; only these constraints do, and only where a passage states a conflicting one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from rag.claims import (
    YEAR,
    chinese_amount_in_digits,
    digits_in_chinese,
    latin_names,
    normalize,
)
from rag.keyword_index import COMMON_WORD, dictionary_frequency
from rag.names import person_names, places_in, pos_tags, tagged_words

ConstraintKind = Literal["year", "person", "place", "work", "latin", "ordinal"]
Ask = Literal["quantity", "list", "time", "entity", "other"]

_WORK = re.compile(r"《([^《》]{1,40})》")
# "第四期", "第3批": which issue, batch, round or session. The third issue's dates are not the fourth's.
_ORDINAL = re.compile(r"第([0-9]{1,2}|[一二三四五六七八九十]{1,3})(期|批|届|轮)")
# "上一届", "上届": the edition before the one the passages report; a passage that never says so gives the
# current edition's figures, not that one's ("上期" and "上一轮" are left alone: an accounting period, a
# financing round the passages name by its letter).
_PREVIOUS = re.compile(r"(?:上一|前一)(期|批|届)|上(届)")
# "排第六", "第6名": a place in a ranking. From the third on, a passage that never states that place ranks
# fewer (the first and second are also written 居首, 其次, 紧随其后).
_RANK = re.compile(r"(?:排名?|位列|位居|名列)第([0-9]{1,2}|[一二三四五六七八九十]{1,3})(?:名|位)?|"
                   r"第([0-9]{1,2}|[一二三四五六七八九十]{1,3})(?:名|位)")
# A financing round is named by a letter: a C round is not the B round the passages report.
_ROUND = re.compile(r"(?<![A-Za-z])(?:Pre-?)?[A-F]\+{0,2}轮|天使轮", re.IGNORECASE)
# Writing the same country or city several ways: "中国" in a question, "我国" in a report.
_PLACE_ALIASES = {"中国": ("中国", "我国", "国内", "全国"), "我国": ("中国", "我国", "国内", "全国")}
# Verbs of going and prepositions the tagger reads into a following name ("从境外来霁川"); none is a common
# surname (于, 向, 和 are, so they are not here).
_MOTION = frozenset("来去到在从赴往至对给让把被跟")
_PLACE_SUFFIX = re.compile(r"(?<=..)(市|省|地区|自治区)$")
_ASKS_FOR_LIST = re.compile(r"哪些|哪几|有什么|包括什么|几个方面|几大|which (ones|are)|what are|list", re.IGNORECASE)
_ASKS_FOR_TIME = re.compile(r"何时|什么时候|哪一?年|哪一?天|哪个月|when|what year", re.IGNORECASE)
_ASKS_FOR_QUANTITY = re.compile(r"多少|(?<!哪)几[个家件倍]|多大|多高|规模|比例|占比|增长|增速|金额|数量|"
                                r"how (many|much|high|large)|what share|percentage|rate|size|number", re.IGNORECASE)
_ASKS_FOR_ENTITY = re.compile(r"谁|哪家|哪个|哪一|什么公司|什么机构|叫什么|名称|who|which", re.IGNORECASE)
# "…的导演是谁": the relation asked about, named right before the question word.
_ROLE = re.compile(r"的([\u4e00-\u9fff]{2,6}?)(?:是|为)?(?:谁|哪位|哪家|哪个|哪一[家个位])")
# What a question asks for is named right before its question word: "…的观众评分是多少" asks for a rating.
_ASK_PHRASE = re.compile(r"(?:是|为|有|达到?|能到|会是|会达到|大约是|约|大概|分别是|分别)*(?:多少|多大|多高|几|谁|哪)")
_ASK_AMOUNT = re.compile(r"(?:是|为|有|达到?|能到|会是|会达到|大约是|约|大概|分别是|分别)*(?:多少|多大|多高)")
# Generic words for "the value" ("…的数字是多少") name nothing a passage must state.
_NOT_A_FOCUS = frozenset({"数字", "数据", "数值", "数额", "情况", "水平", "大约", "一共", "总共", "具体", "目前",
                          "现在", "预计", "当时", "最终", "累计", "全年", "今年", "去年", "实际", "大概", "主要",
                          "整个", "相关", "分别", "能够", "可以", "应该", "已经", "同比", "环比", "全市", "全省",
                          "全国", "全区", "全县", "本市", "该市"})
_THING = frozenset({"n", "nz", "nl", "ng"})  # common nouns: not a place, person, time or verb
_PART_BREAK = re.compile(r"(?<=[？?；;])\s*(?=\S)|[，,]\s*(?:另外|此外|以及|同时|还有|并且|而)(?=\S)")


@dataclass(frozen=True)
class Constraint:
    kind: ConstraintKind
    text: str

    def spellings(self) -> tuple[str, ...]:
        if self.kind == "place":
            base = _PLACE_SUFFIX.sub("", self.text)
            return _PLACE_ALIASES.get(base, (base,))
        if self.kind == "person" and len(self.text) >= 3 and self.text[0] in _MOTION:
            return (self.text, self.text[1:])  # "来霁川的游客": the tagger read 来 into the name
        if self.kind == "ordinal" and (match := _ORDINAL.fullmatch(self.text)):
            number, unit = match.groups()
            if (value := _rank_value(number)) or number.isdigit():
                first = (f"首{unit}",) if value == 1 else ()
                return (f"第{value}{unit}", f"第{digits_in_chinese(value)}{unit}", *first)
        if self.kind == "ordinal" and (match := _RANK.fullmatch(self.text)):
            value = _rank_value(match.group(1) or match.group(2))
            bronze = ("季军", "铜牌") if value == 3 else ()
            return (f"第{value}", f"第{digits_in_chinese(value)}", f"排名{value}", *bronze)
        if self.kind == "ordinal" and (match := _PREVIOUS.fullmatch(self.text)):
            unit = match.group(1) or match.group(2)
            return (f"上一{unit}", f"前一{unit}", f"上{unit}")
        return (self.text,)

    def found_in(self, text: str) -> bool:
        """Persons, works and years exactly as written (a one-character change is another name); a place
        also in its common alternative spellings; Latin names case-insensitively on word boundaries."""
        if self.kind == "latin":
            spaced = " ".join(text.split()).lower()
            return re.search(rf"(?<![a-z0-9]){re.escape(self.text.lower())}(?![a-z0-9]|\.\d)", spaced) is not None
        if self.kind == "year":
            return re.search(rf"(?<!\d){self.text}(?!\d)", normalize(text)) is not None
        normalized = normalize(text)
        if self.kind == "ordinal":  # "第3" is not "第30", nor "第三" "第三十"
            return any(re.search(re.escape(normalize(spelling)) + _NO_MORE_DIGITS, normalized)
                       for spelling in self.spellings())
        return any(normalize(spelling) in normalized for spelling in self.spellings())


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    language: Literal["zh", "en"]
    constraints: tuple[Constraint, ...]
    ask: Ask
    parts: tuple[str, ...]
    # Organisations and other proper nouns by the tagger's guess ("鸿澜智能"): too unreliable to refuse on
    # (it also tags ordinary words), reliable enough to prefer the passages that mention them.
    topics: tuple[str, ...] = ()
    # The question's words that few passages of the corpus use ("投诉率", a product's name): a figure the answer
    # ties to one of them must come from a passage that uses it too (rag/evidence.subject_unbacked).
    specific: tuple[str, ...] = ()

    @property
    def years(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.constraints if c.kind == "year")

    def years_asked(self, title: str) -> tuple[str, ...]:
        """The years the question asks about, leaving out a year that is part of a document title the question
        quotes ("《2024年…调研报告》里提到…" is not a question about 2024)."""
        question = normalize(self.text)
        quoted = {m.group(0)[:4] for m in re.finditer(r"(?:19|20)\d{2}.{4}", normalize(title))
                  if m.group(0) in question}
        return tuple(y for y in self.years if y not in quoted)

    @cached_property
    def role(self) -> str | None:
        """The relation a "who / which one" question asks about ("电影的导演是谁" -> 导演): a name that the
        passage gives in another role (a cast member) does not answer it."""
        match = _ROLE.search(self.text) if self.ask == "entity" else None
        return match.group(1) if match else None

    @cached_property
    def focus(self) -> str | None:
        """The word naming what is asked for: what follows "多少" ("多少充电桩" -> 充电桩), else the last word
        before the question word ("…的观众评分是多少" -> 评分). A word-matching answerer, which cannot tell a
        rating from a box office, needs it stated. None for a unit ("多少钱", "多少人"): any amount is in one."""
        # a two-part question ("哪个产品，调用量多少") names the amount it asks for before its own question word
        match = (self.ask == "quantity" and _ASK_AMOUNT.search(self.text)) or _ASK_PHRASE.search(self.text)
        if not match:
            return None
        after = re.split(r"[，,。？?；;！!]", self.text[match.end():])[0]
        before = _WORK.sub("", self.text[:match.start()])
        if after.strip() == "钱":  # a price: what is priced is often not the word the passage writes
            return None
        if re.fullmatch(r"[\u4e00-\u9fff]", after.strip()):  # a measure word: the thing counted comes before
            things = [w for w in tagged_words(before, lambda flag: flag in _THING) if w not in _NOT_A_FOCUS]
            return things[-1] if things else None  # ("农村网店有多少家" -> 网店: all shops' count does not answer)
        counted = [w for w in tagged_words(after, lambda flag: flag[:1] in ("n", "v", "a")) if w not in _NOT_A_FOCUS]
        return counted[0] if counted else _last_word(before)

    @property
    def places(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.constraints if c.kind == "place")


def constraints_of(question: str, language: str) -> tuple[Constraint, ...]:
    found: list[Constraint] = [Constraint("year", y) for y in YEAR.findall(question)]
    found += [Constraint("work", w) for w in _WORK.findall(question)]
    bare = _WORK.sub("", question)
    # An English question's acronym may be its short name for what the reports name in Chinese (CCID: 赛迪):
    # only an answer's acronyms must stand in a passage as written.
    found += [Constraint("latin", n) for n in latin_names(bare, english_context=language == "en")
              if not YEAR.fullmatch(n) and not (language == "en" and re.fullmatch(r"[A-Z]{2,6}s?", n))]
    if language == "zh":
        # jieba tags some everyday words as names (顾客, "customers"); a person's name is rare in its dictionary
        found += [Constraint("person", w) for w in person_names(bare) if dictionary_frequency(w) < COMMON_WORD]
        found += [Constraint("place", w) for w in places_in(bare)]
        found += [Constraint("ordinal", m.group(0))
                  for m in (*_ORDINAL.finditer(bare), *_ROUND.finditer(bare), *_PREVIOUS.finditer(bare))]
        found += [Constraint("ordinal", m.group(0)) for m in _RANK.finditer(bare)
                  if _rank_value(m.group(1) or m.group(2)) >= 3]
    return tuple(dict.fromkeys(found))


_NO_MORE_DIGITS = r"(?![0-9一二三四五六七八九十百])"


def _rank_value(number: str) -> int:
    """"6", "六", "十二" as a number; 0 when it is none."""
    digits = number if number.isdigit() else (chinese_amount_in_digits(number) or ("0",))[0]
    return int(digits) if digits.isdigit() else 0


def ask_of(question: str) -> Ask:
    if _ASKS_FOR_LIST.search(question):
        return "list"
    if _ASKS_FOR_TIME.search(question):
        return "time"
    if _ASKS_FOR_QUANTITY.search(question):
        return "quantity"
    if _ASKS_FOR_ENTITY.search(question):
        return "entity"
    return "other"


def split_parts(question: str) -> tuple[str, ...]:
    """"2023年规模多少？增速呢？" -> two parts, so each gets its own evidence. A part too short to stand on
    its own keeps the part before it."""
    pieces = [p.strip() for p in _PART_BREAK.split(question) if p and p.strip()]
    parts: list[str] = []
    for piece in pieces:
        if parts and len(re.sub(r"\W", "", piece)) < 3:
            parts[-1] += piece
        else:
            parts.append(piece)
    return tuple(parts) if len(parts) > 1 else (question,)


def topics_of(question: str, constraints: tuple[Constraint, ...]) -> tuple[str, ...]:
    named = [c.text for c in constraints]
    words = tagged_words(_WORK.sub("", question), lambda flag: flag in ("nt", "nz"))
    return tuple(w for w in words if not any(w in n or n in w for n in named))


def with_places_named(analysis: QuestionAnalysis, names: Iterable[str]) -> QuestionAnalysis:
    """An English question's places, from the Chinese names its pinyin words spell ("Donggang" -> 东港), so
    that a figure the sources state for another city does not answer it (as for a Chinese question)."""
    places = [c for c in constraints_of(" ".join(names), "zh") if c.kind == "place" and c not in analysis.constraints]
    return replace(analysis, constraints=(*analysis.constraints, *places)) if places else analysis


def analyze(question: str, language: Literal["zh", "en"]) -> QuestionAnalysis:
    constraints = constraints_of(question, language)
    return QuestionAnalysis(text=question, language=language, constraints=constraints, ask=ask_of(question),
                            parts=split_parts(question),
                            topics=topics_of(question, constraints) if language == "zh" else ())


def fit_question(standalone: str, question: str, limit: int) -> str:
    """A follow-up joined to a long previous question can exceed the question limit although the user typed
    a few words: cut the borrowed context, never the user's own words (they passed the limit already)."""
    if len(standalone) <= limit:
        return standalone
    if standalone.endswith(question):
        borrowed = standalone[:-len(question)].rstrip()
        return f"{borrowed[:max(0, limit - len(question) - 1)]} {question}".strip()
    return standalone[:limit]


# One-character suffixes of a measure's name, which jieba may split off ("总体"+"量", "数字"+"人") or glue
# to the verb after it ("不良贷款"+"率降").
_SUFFIX = re.compile(r"[率量额值数人]")
_CHANGE = frozenset({"增长", "增加", "提升", "提高", "上升", "上涨", "扩大", "下降", "降低", "减少", "下跌", "下滑",
                     "缩短", "缩小", "变化", "变动"})


def _last_word(text: str) -> str | None:
    """The last word of `text` that can name what is asked for, its compound mended where jieba broke it.
    A verb of change names the change asked about, not the amount ("投诉率下降了多少" asks for the 投诉率's
    fall); a time word ("上半年增长了多少") names when, not what."""
    pairs = pos_tags(text)
    for i in range(len(pairs) - 1, -1, -1):
        word, flag = pairs[i]
        before = pairs[i - 1] if i else ("", "")
        if flag.startswith("v") and _SUFFIX.match(word) and before[1][:1] in ("n", "v") and len(before[0]) >= 2:
            return before[0] + word[0]
        if word in _CHANGE or flag.startswith("t"):
            continue
        after = pairs[i + 1][0] if i + 1 < len(pairs) else ""
        if flag.startswith("n") and _SUFFIX.fullmatch(after):
            word += after
        if len(word) >= 2 and word not in _NOT_A_FOCUS and re.search(r"[\u4e00-\u9fff]", word) and not any(
                c.isdigit() for c in word):
            return word
    return None

