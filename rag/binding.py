"""What a figure in a passage is bound to: the item of a list it stands in, the titled work of its paragraph.

A notice lists several fines, a price list several fees ("——大型车夜间停车每小时4元；"), one per line. A
small model asked about something the list does not cover, or covers in another item, takes the figure of
a neighbouring item and writes it with the question's words ("小型车夜间停车每小时4元"). The passage holds
both words, so a passage-level check passes it; the item does not. What the item is about is its own line,
the list's lead-in line above it ("调整后的收费标准：") and the document's title and section.

Likewise a titled work's figure stands in the paragraph about that work: a paragraph naming 《甲》 and not
《乙》 does not give 《乙》's production cost, though the next paragraph of the passage is about 《乙》. And a
table row's figure is that row's: asked for one row's value, a small model often writes a neighbouring
row's, and the passage holds both the asked row's name and the figure. And a figure whose sentence names
places is the place's named last before it: in "浠岚市…第一，翟川市…但以133枚奖牌位列奖牌总数第一" the 133 is
翟川市's, though the sentence names 浠岚市 too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.claims import Figure, latin_names, normalize
from rag.evidence import SENTENCE_PUNCTUATION, figure_spans
from rag.kinds import KIND_WORD
from rag.names import is_generic_place, places_in, pos_tags
from rag.schema import ROW_MARK, SERIES_MARK

# a line opening with a dash, a bullet or an item number is an item of a list
_ITEM = re.compile(r"^\s*(?:—{1,2}|[•·●○■□◆◇▪▸►✓✔*\-]|\d{1,2}[.、)](?!\d)|[（(]\d{1,2}[）)]|[①-⑳]|"
                   r"[一二三四五六七八九十]是)")


def _line_at(text: str, at: int) -> tuple[int, str]:
    """(where it starts, the line) of the line of `text` holding text[at]."""
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    return line_start, text[line_start:line_end if line_end >= 0 else len(text)]


def item_of(text: str, start: int) -> str | None:
    """The item line holding text[start], with the nearest line above it that is not an item (the list's
    lead-in); None when text[start] does not stand in an item."""
    line_start, line = _line_at(text, start)
    if not _ITEM.match(line):
        return None
    lead = next((prev for prev in reversed(text[:line_start].split("\n")) if prev.strip() and not _ITEM.match(prev)),
                "")
    return f"{lead}\n{line}"


def item_unbacked(sentence: str, start: int, figure: Figure, passage: str, headers: str, words: tuple[str, ...],
                  context: list[str], asked: str = "") -> bool:
    """Every place the figure stands in `passage` is an item of a list, and none of those items (with its
    lead-in and the `headers`) uses all the words of `words` that the sentence puts before the figure (at
    `start`) and that some passage of the `context` (normalized) uses: the figure is another item's. A word no
    passage uses is the question's own wording, not held against it; nor a word naming a kind of quantity."""
    items = [item_of(passage, at) for at, _ in figure_spans(figure, passage)]
    if not items or None in items:
        return False
    # the words of the whole sentence up to the figure (an item reads "未按规定停放车辆的，处100元罚款", its
    # subject a clause away) and, for a quoted sentence, the question's nouns and names (not time words, verbs)
    named = {word for word, flag in pos_tags(asked) if flag not in ("t", "v")} if asked else set()
    tied = [w for w in words if (w in sentence[:start] or w in named) and not KIND_WORD.fullmatch(w)
            and any(normalize(w) in other for other in context)]
    frames = [normalize(f"{item}\n{headers}") for item in items if item is not None]
    return bool(tied) and all(any(normalize(w) not in frame for w in tied) for frame in frames)


_WORK = re.compile(r"《([^《》]{1,40})》")
_HEADING_CHARS = 40


def _same_work(a: str, b: str) -> bool:
    """"《办法》" is the short name of "《海湾省共享单车管理办法》" once that one is introduced."""
    return a.endswith(b) or b.endswith(a)


def work_elsewhere(sentence: str, start: int, figure: Figure, passage: str, headers: str, asked: str = "") -> bool:
    """The sentence ties the figure (at `start`) to a titled work, and every paragraph of `passage` holding
    the figure is about other titled works: it names them and not that one, or names none and the document's
    title (in `headers`) names others (a chunk may begin in the middle of the paragraph about its own work)."""
    clause_works = _WORK.findall(sentence[:start]) or _WORK.findall(asked)
    if not clause_works:
        return False
    paragraphs = [_WORK.findall(_line_at(passage, at)[1]) or _WORK.findall(headers)
                  for at, _ in figure_spans(figure, passage)]
    return bool(paragraphs) and all(
        named and not any(_same_work(own, other) for own in clause_works for other in named) for named in paragraphs)


def _row_name(line: str) -> str | None:
    """The name of the derived table row a line is ("（表格行）归母净利润：…", ingest/tables.py): named by its
    first cell, a rank's row by the cell after the rank, a header never a row."""
    return line[len(ROW_MARK):line.index("：")].strip() or None if line.startswith(ROW_MARK) and "：" in line else None


def row_elsewhere(sentence: str, start: int, figure: Figure, passage: str, question: str) -> bool:
    """Every place the figure stands in `passage` is a table row, and the sentence up to the figure (at
    `start`), or where that names no row of the passage the question, names other rows and not the figure's:
    "营业收入为2.26亿元" when 2.26亿元 is the 扣非净利润 row's. A row named inside another ("主任医师" in
    "副主任医师") is not named by the longer one."""
    names = {name for line in passage.split("\n") if (name := _row_name(line))}
    owners = {_row_name(_line_at(passage, at)[1]) for at, _ in figure_spans(figure, passage)}
    if len(names) < 2 or not owners or None in owners:
        return False

    def named(text: str) -> set[str]:
        found = {name for name in names if normalize(name) in normalize(text)}
        return {name for name in found if not any(name != other and name in other for other in found)}

    claimed = named(sentence[:start]) or named(question)
    return bool(claimed) and not claimed & owners


_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def _same_place(a: str, b: str) -> bool:
    short_a, short_b = a.rstrip("省市县区"), b.rstrip("省市县区")
    return bool(short_a and short_b) and (short_a in short_b or short_b in short_a)


def _named_last_elsewhere(names: Callable[[str], list[str]], same: Callable[[str, str], bool], sentence: str,
                          start: int, figure: Figure, passage: str, asked: list[str]) -> bool:
    """The sentence ties the figure (at `start`) to the names it names before it (or, naming none, to the
    `asked` ones), and wherever the figure stands in `passage`, the name its sentence (a derived table row:
    its line) names last before it is another one. A passage sentence naming none decides nothing."""
    claimed = names(sentence[:start]) or asked
    found = figure_spans(figure, passage)
    if not claimed or not found:
        return False
    for at, _ in found:
        line_start, line = _line_at(passage, at)
        begin = line_start if line.startswith((ROW_MARK, SERIES_MARK)) else max(  # a row is one unit
            (m.end() for m in _SENTENCE_END.finditer(passage, 0, at)), default=0)
        named = names(passage[begin:at])
        if not named or any(same(named[-1], own) for own in claimed):
            return False
    return True


# A place that is not what the sentence is about: a destination or origin ("对日本出口", "来自北京的游客",
# "地处浠岚省"), or one of a list ("北京、上海等地", "甲市与乙市合计").
_NOT_SUBJECT_BEFORE = re.compile(r"(?:对|向|来自|位于|地处|赴|前往|到|、|与|和|及)$")
_NOT_SUBJECT_AFTER = re.compile(r"^(?:等|、|与|和|及)")


def _places(text: str) -> list[str]:
    """The places a text names as its subject, in the order they stand."""
    found = []
    for place in places_in(text):
        if is_generic_place(place):
            continue
        for at in (m.start() for m in re.finditer(re.escape(place), text)):
            end = at + len(place)
            if not (_NOT_SUBJECT_BEFORE.search(text[max(0, at - 2):at]) or _NOT_SUBJECT_AFTER.match(text[end:])):
                found.append((at, place))
    return [place for _, place in sorted(found)]


def place_elsewhere(sentence: str, start: int, figure: Figure, passage: str, question: str) -> bool:
    """The figure's place in the passage is another than the one the sentence (or the question) gives it."""
    return _named_last_elsewhere(_places, _same_place, sentence, start, figure, passage, _places(question))


# A model that is not what the sentence is about: a part ("搭载X5芯片"), a comparison ("相比iPhone15"), a
# period (Q3, H1).
_PART_BEFORE = re.compile(r"(?:比|相比|较|搭载|采用|配备|内置|基于)$")
_PART_AFTER = re.compile(r"^\s*(?:内存|闪存|接口|协议|标准|模组|屏幕)")


def _models(text: str) -> list[str]:
    """Model names written in Latin letters and digits, as a sentence's subject: S9, LM-7b, Qwen9.5 (not a
    figure's unit, 64GB)."""
    found = []
    for name in latin_names(text, english_context=False):
        if not (re.search(r"[A-Za-z]", name) and re.search(r"\d", name)) or name[0].isdigit() or re.fullmatch(
                r"[QH]\d", name, re.IGNORECASE):
            continue
        for at in (m.start() for m in re.finditer(re.escape(name), text)):
            if not (_PART_BEFORE.search(text[max(0, at - 2):at]) or _PART_AFTER.match(text[at + len(name):])):
                found.append((at, name))
    return [name for _, name in sorted(found)]


def _same_model(a: str, b: str) -> bool:
    """"V9-Lite" is short for "Nova-V9-Lite"; "LM-7" is not "LM-7b", nor S11 S9."""
    a, b = a.lower(), b.lower()
    return a.endswith(b) or b.endswith(a)


def model_elsewhere(sentence: str, start: int, figure: Figure, passage: str) -> bool:
    """The figure's model in the passage (named in Latin letters and digits) is another than the sentence's:
    the price of a chip the text launches is not that of one it only announces."""
    return _named_last_elsewhere(_models, _same_model, sentence, start, figure, passage, [])


def bound_elsewhere(sentence: str, start: int, figure: Figure, passage: str, title: str, head: str,
                    words: tuple[str, ...], context: list[str], asked: str = "", question: str = "") -> bool:
    """The figure at `start` of the sentence is, in `passage`, another item's, work's or table row's. A sentence
    quoted from the sources as the answer to `asked` is tied to what that question names as well, and any
    sentence naming no row to the row the `question` names. Besides
    the `title` (and section), only the heading and byline lines of the document's opening (`head`) count: an
    opening paragraph summing up the list names every item's words."""
    headers = "\n".join([title, *(line for line in head.split("\n") if len(line) <= _HEADING_CHARS
                                  and not SENTENCE_PUNCTUATION.search(line) and not _ITEM.match(line))])
    return (item_unbacked(sentence, start, figure, passage, headers, words, context, asked)
            or work_elsewhere(sentence, start, figure, passage, headers, asked)
            or row_elsewhere(sentence, start, figure, passage, question)
            or place_elsewhere(sentence, start, figure, passage, question)
            or model_elsewhere(sentence, start, figure, passage))
