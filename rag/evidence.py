"""Where a figure stands in a passage, and what it is a figure of.

Presence is not support: "A公司完成12亿元融资，估值70亿元" contains 12亿元, but not as a valuation; "2031年规模
186亿元，预计2033年达到420亿元" contains 420亿元, but not for 2031. So a figure is read with its frame: the
year that governs it (the nearest year before it in its sentence, else the years of the line or passage
before), and the kind of quantity it is (the nearest quantity word in its clause: 规模, 增速, 估值, 占比 ...).
A figure in an answer is supported by a passage only at an occurrence whose frame does not contradict the
answer's (or, when it leaves it implicit, the question's) year, kind, measure and direction of change.
Flattened tables are read as rows: names from two rows (cells of two short lines) never support one claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.claims import YEAR, Figure, figures, normalize
from rag.kinds import (
    EVENT_KINDS,
    KIND_OF_WORD,
    KIND_WORD,
    RATES,
    direction_of,
    growth_base,
    growth_of_another,
    kinds_conflict,
)
from rag.names import places_in
from rag.question import Constraint
from rag.schema import ROW_MARK
from rag.sentences import split_sentences
from rag.years import governing_year

_CLAUSE = re.compile(r"[，,；;：:。！？!?\n]")
_ROW_SEPARATOR = re.compile(r"\s{1,}|[,，]\s*|[:：]\s*")
SENTENCE_PUNCTUATION = re.compile(r"[。！？!?；;]")
MAX_ROW_CHARS = 40


_NAMED_AFTER = re.compile(r"^[^，,；;。\s]{0,4}?(融资|募资|投资)")  # "完成12亿元B轮融资"
_KIND_AFTER = re.compile(rf"的[^，,；;。！？!?\s]{{0,4}}?({KIND_WORD.pattern})", re.IGNORECASE)  # "318%的增长"


def kind_near(text: str, start: int, end: int) -> str | None:
    """The kind of quantity of the figure at text[start:end]: the nearest quantity word before it within its
    clause, else one named right after it ("完成12亿元B轮融资", "实现了318%的增长", "12%的市场份额")."""
    clause_start = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    before = list(KIND_WORD.finditer(text, clause_start, start))
    if before:
        return KIND_OF_WORD[before[-1].group(0).lower()]
    if _NAMED_AFTER.match(text[end:end + 8]):
        return "financing"
    after = _KIND_AFTER.match(text, end)
    return KIND_OF_WORD[after.group(1).lower()] if after else None


def clause_of(text: str, start: int, end: int) -> str:
    """The clause of the figure at text[start:end]."""
    clause_start = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    return text[clause_start:next((m.start() for m in _CLAUSE.finditer(text, end)), len(text))]


def clause_kinds(text: str, start: int, end: int) -> set[str]:
    """Every kind of quantity named in the clause of the figure at text[start:end]."""
    return {KIND_OF_WORD[m.group(0).lower()] for m in KIND_WORD.finditer(clause_of(text, start, end))}


@dataclass(frozen=True)
class Occurrence:
    """One place a figure stands in a passage, with its frame."""

    years: tuple[str, ...]
    kind: str | None
    context: str = ""  # its sentence, with the title line above it (a slide's "杭州：数据要素高地")
    in_range: bool = False  # an end of a range ("提升12%-18%"): it states neither end alone
    base: str | None = None  # for a growth rate, the kind of quantity that grew (rag.kinds.growth_base)
    measure: str | None = None  # what is counted (measure_of)
    direction: str | None = None  # "up" or "down" for a change ("同比下降3.1%"): direction_of


_RANGE_AFTER = re.compile(r"\s*[-~～—–至到]\s*\d")
_RANGE_BEFORE = re.compile(r"\d\s*[%％]?\s*[-~～—–至到]\s*$")


# What is counted: "30余家" brands are not "30款" components. A closed class of measure words right after the
# figure ("余"/"多" may come between); units of money and percentages are the figure's own magnitude.
_MEASURE_AFTER = re.compile(r"(?:余|多|个?以上)?(家|款|项|个|台|辆|件|座|所|种|类|名|位|条|颗|部|批|只|架|艘|套|户)")


_CLOCK_AFTER = re.compile(r"时(?!间|期|代|速)|点(?![\d多半])|[:：]\d{2}")  # 6时, 22点, 6:00; not 时间, 3点多


def measure_of(text: str, end: int) -> str | None:
    """What the figure ending at `end` counts ("30家"), or "clock" for a time of day ("6时", "22:30")."""
    if _CLOCK_AFTER.match(text, end):
        return "clock"
    match = _MEASURE_AFTER.match(text, end)
    return match.group(1) if match else None


def other_measure(a: str | None, b: str | None) -> bool:
    """Two measure words that count different things; 个 counts anything."""
    return bool(a and b and a != b and "个" not in (a, b))


def in_range(text: str, start: int, end: int) -> bool:
    return bool(_RANGE_AFTER.match(text, end) or _RANGE_BEFORE.search(text[max(0, start - 12):start]))


_EVENT_WORD = re.compile("|".join(re.escape(w) for ws in EVENT_KINDS.values() for w in ws), re.IGNORECASE)
_EVENT_OF_WORD = {w: kind for kind, words in EVENT_KINDS.items() for w in words}


def events_of(sentence: str) -> set[str]:
    """What the dates of a sentence are dates of (published, in force)."""
    return {_EVENT_OF_WORD[m.group(0).lower()] for m in _EVENT_WORD.finditer(sentence)}


def date_supported(date: Figure, claimed_events: set[str], passage: str) -> bool:
    """A date stands in the passage where it is the date of the same event as claimed: the event its clause
    names, else its sentence's, else any. The year a paper was published is not the year a product goes
    into mass production; "一期2025年投产，二期2027年建成" gives phase one's start of production once."""
    if not claimed_events:
        return True
    written = r"\s*".join(re.escape(ch) for ch in "".join(date.number.split()))  # "2023年6月" in "2023年6月10日"
    for found in re.finditer(rf"(?<!\d){written}" + (r"(?!\d)" if date.number[-1:].isdigit() else ""), passage):
        start, end = found.span()
        sentence = next(((a, b) for a, b in split_sentences(passage) if a <= start < b), (0, len(passage)))
        clause_start = max((m.end() for m in _CLAUSE.finditer(passage, sentence[0], start)), default=sentence[0])
        clause_end = next((m.start() for m in _CLAUSE.finditer(passage, end, sentence[1])), sentence[1])
        own = events_of(passage[clause_start:clause_end]) or events_of(passage[sentence[0]:sentence[1]])
        if not own or own & claimed_events:
            return True
    return False


def figure_spans(figure: Figure, text: str) -> list[tuple[int, int]]:
    """Spans of `figure` in `text` (as written, magnitude included), on the raw text so frames can be read.
    A figure is normalized without thousands separators; the text may have them ("2,480亿元")."""
    whole, dot, fraction = figure.number.partition(".")
    number = re.escape(figure.number)
    if whole.isdigit() and len(whole) > 3 and not whole.startswith("0"):
        number = f"(?:{number}|{re.escape(f'{int(whole):,}' + dot + fraction)})"
    magnitude = re.escape(figure.magnitude) + r"(?![万亿千百])" if figure.magnitude else r"(?![\d.]\d)"
    pattern = rf"(?<![\d.]){number}\s*{magnitude}"
    return [m.span() for m in re.finditer(pattern, text)]


def occurrences(figure: Figure, passage: str) -> list[Occurrence]:
    """Every occurrence of the figure in the passage with the year governing it and its kind of quantity.
    The governing year is looked for in the figure's sentence, then in the sentences before it."""
    found = []
    spans = split_sentences(passage)
    for start, end in figure_spans(figure, passage):
        sentence_start = next((a for a, b in spans if a <= start < b), 0)
        years = governing_year(passage[sentence_start:start], start - sentence_start)
        if not years:
            clause_end = next((m.start() for m in _CLAUSE.finditer(passage, end)), len(passage))
            years = YEAR.findall(passage[end:clause_end]) or governing_year(passage, sentence_start)
        line_start = passage.rfind("\n", 0, sentence_start) + 1
        above = passage[passage.rfind("\n", 0, max(0, line_start - 1)) + 1:line_start].strip()
        context = (above + "\n" if above and not SENTENCE_PUNCTUATION.search(above) and len(above) <= 30 else "")
        sentence_end = next((b for a, b in spans if a <= start < b), len(passage))
        row = passage.rfind(ROW_MARK, 0, start)  # a derived table row's cell is its row's ("柏坪镇：…总产量 3.71万吨")
        if row >= 0 and not re.search(r"。|\n\n", passage[row:start]):
            context = passage[row:passage.find("：", row, start) + 1] + context
        kind = kind_near(passage, start, end)
        found.append(Occurrence(tuple(years), kind, context + passage[sentence_start:sentence_end],
                                in_range(passage, start, end),
                                growth_base(passage, sentence_start, start) if kind == "growth" else None,
                                measure_of(passage, end), direction_of(passage, start)))
    return found


def frame_in_sentence(figure: Figure, sentence: str) -> Occurrence | None:
    """The frame an answer sentence gives its figure (only what the sentence itself says)."""
    spans = figure_spans(figure, sentence)
    if not spans:
        return None
    start, end = spans[0]
    clause_end = next((m.start() for m in _CLAUSE.finditer(sentence, end)), len(sentence))
    years = governing_year(sentence, start) or YEAR.findall(sentence[end:clause_end])
    kind = kind_near(sentence, start, end)
    return Occurrence(tuple(years), kind, in_range=in_range(sentence, start, end),
                      base=growth_base(sentence, 0, start) if kind == "growth" else None,
                      measure=measure_of(sentence, end), direction=direction_of(sentence, start))


def consistent(claimed: Occurrence, expected_years: tuple[str, ...], source: Occurrence,
               expected_kinds: frozenset[str] = frozenset()) -> bool:
    """An occurrence supports the claimed figure unless it is governed by another year than the one claimed
    (or, when the claim names none, asked about), or is another kind of quantity than the one claimed (or
    asked about; for a growth rate, the growth of another kind), or counts something else ("30家" is not
    "30款"), or is one end of a range the claim gives as a single value ("12%" from "12%-18%")."""
    if (source.in_range and not claimed.in_range) or other_measure(claimed.measure, source.measure) or (
            claimed.measure == "clock" != source.measure):  # "10时" is a time of day, not the 10 of "10月"
        return False
    if claimed.direction and source.direction and claimed.direction != source.direction:
        return False  # a fall of 3.1% is not a rise of 3.1%
    years = claimed.years or expected_years
    if years and source.years and not set(years) & set(source.years):
        return False
    if claimed.kind == source.kind == "growth" and growth_of_another(  # and the same thing grew
            source.base, {claimed.base} if claimed.base else expected_kinds - RATES):
        return False
    if claimed.kind:
        return not kinds_conflict(claimed.kind, source.kind)
    return not expected_kinds or not source.kind or any(not kinds_conflict(k, source.kind) for k in expected_kinds)


def named_after(words: Iterable[str], header: str, before: str, passage: str) -> list[str]:
    """The words a passage uses only after the sentence that states a fact (`before` ends with it), and its
    header (title, section) not at all: a passage names what it speaks of first, so the men's runner-up of
    a sentence followed by "女子全程组冠军由…获得" is not the women's runner-up. All texts normalized
    (rag.claims.normalize) by the caller."""
    return [w for w in words if (n := normalize(w)) in passage and n not in before and n not in header]


def subject_unbacked(sentence: str, start: int, words: tuple[str, ...], passage: str, context: list[str]) -> list[str]:
    """The words of `words` that the sentence puts in the clause of its figure at `start` ("投诉率下降了10%"),
    which some passage of the context uses but `passage` (where the figure stands) does not: the 10% of a
    passage about defect rates is not a complaint rate, a country's user count not one product's. A word no
    passage states a figure with is the question's own wording (a synonym of the reports': "产出效率" for
    "生产效率", while another passage speaks of 产出 in words only), and is not held against it; nor is a word
    naming a kind of quantity, whose synonyms the kinds know (GDP, 生产总值). `passage` and `context` are
    normalized (rag.claims.normalize) by the caller, once per answer."""
    clause = sentence[max((m.end() for m in _CLAUSE.finditer(sentence, 0, start)), default=0):start]
    return [w for w in words if w in clause and normalize(w) not in passage and not KIND_WORD.fullmatch(w)
            and any(_with_a_figure(normalize(w), other) for other in context)]


def _with_a_figure(word: str, text: str) -> bool:
    """Some sentence (or table line) of `text` has both the word and a figure: another subject's own figure."""
    return any(not YEAR.fullmatch(f.number) for part in re.split(r"[。！？!?；;\n]", text) if word in part
               for f in figures(part))


def names_other_place(text: str, places: list[str]) -> bool:
    """The text names a place, and none of `places` (in their common spellings): a passage about 北京 says
    nothing about 上海."""
    if not places or not places_in(text):
        return False
    return not any(Constraint("place", place).found_in(text) for place in places)


def rows(passage: str) -> list[list[str]]:
    """The cells of each line that reads as a flattened table row: short, no sentence punctuation, two or
    more cells ("甲公司 星图助手", "虚拟主播, 27%"). The first row of a run of such lines is its header and is left
    out: a header cell ("公司", "芯片") belongs to every row."""
    found: list[list[str]] = []
    in_table = False
    for line in passage.split("\n"):
        line = line.strip()
        if not line:
            continue  # flattened tables often have blank lines between rows
        cells = [c for c in _ROW_SEPARATOR.split(line) if c]
        if len(line) > MAX_ROW_CHARS or SENTENCE_PUNCTUATION.search(line) or len(cells) < 2:
            in_table = False
            continue
        if in_table:
            found.append(cells)
        in_table = True
    return found


_ENUMERATION = re.compile(r"[、和与及或]|以及")


def row_conflict(sentence: str, passage: str) -> bool:
    """A clause that joins cells of two rows ("甲公司的大模型是云雀" from rows "甲公司 星图助手" and "乙公司
    云雀"; "甲公司的大模型叫丙公司" from two rows' first cells). An enumeration ("甲、乙和丙") of cells of one
    column is fine; cells found in several rows, short cells and values ("30元-20元") say nothing."""
    table = rows(passage)
    if len(table) < 2:
        return False
    places: dict[str, set[tuple[int, int]]] = {}
    for row, cells in enumerate(table):
        for column, cell in enumerate(cells):
            key = normalize(cell)
            if len(key) >= 2 and not re.fullmatch(r"[\d.,]+[%‰]?\D{0,3}", key):  # "30元" is a value, not a name
                places.setdefault(key, set()).add((row, column))
    for clause in _CLAUSE.split(sentence):
        normalized = normalize(clause)
        named = [cell for cell, at in places.items() if len(at) == 1 and cell in normalized]
        # "副主任医师" mentions the row 副主任医师, not also the row 主任医师 it contains
        mentioned = [next(iter(places[cell])) for cell in named
                     if not any(cell != other and cell in other for other in named)]
        enumerating = bool(_ENUMERATION.search(clause))
        if any(r1 != r2 and (c1 != c2 or not enumerating) for r1, c1 in mentioned for r2, c2 in mentioned):
            return True
    return False
