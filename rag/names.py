"""Chinese proper nouns by jieba's part-of-speech tags, with the places jieba cuts apart put back together.

jieba knows the real places (上海市, 苏州市) but cuts an unfamiliar one: "溪/岚市", "翟川/省", "栩/城市",
"汐/州市". Read tag by tag, "溪岚市" would be the place "岚市", which the passage's "浠岚市" contains, so a
misspelt place would pass for the right one; "栩城市" would be the common word 城市, which every passage
has; "翟川省" would be a person. So two characters before 省/市/县/区, starting where a word starts, are
a place too when jieba split them off and what it split off is not an ordinary word (节省, 超市, 上市).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rag.keyword_index import COMMON_WORD, dictionary_frequency

_CJK = re.compile(r"[\u4e00-\u9fff]")
_PROPER_NOUN_TAGS = {"nr", "ns", "nt", "nz", "nrt", "nrfg"}
_POSSEG_LOCK = threading.Lock()
_PLACE_SUFFIX = "省市县区"
# A first character that makes "X城市" a phrase, not a name: 大城市, 各省, 这个城市, 在城区, 两县.
# The suffix glued to what follows it: "墨阳/市人大", "…/市政府"; not 市场, 区域, 市民.
_NUMERALS = "一二两三四五六七八九十百几"
# Tags of a character standing alone as an ordinary word ("低碳/城市", "无废/城市"), not a name's first character
_WORD_TAGS = frozenset({"n", "v", "a", "d", "vn", "an", "m", "q", "r", "p", "c", "u", "f", "b"})
_GOVERNMENT = re.compile(r"[省市县区](?:委|政府|人民政府|人大|政协|长|属|直)")
# A first character that makes "X城市" a phrase, not a name: 大城市, 各省, 这个城市, 在城区, 两县;
# jieba's tag of a lone first character says little ("淡/宁市": 淡 an adjective, "临/澜省": 临 a verb).
_NOT_A_PLACE_START = frozenset("大小新老各全本该此每外我你他其某两多这那哪超特一二三四五六七八九十等在的和与"
                               "是为了从到对向把被及或省市县区个家座将于由以据经至自随按即也都还又就且并而但则"
                               "已再更最很均共约近达占比让使令给跟同上下中内前后年级")
# jieba tags these ns: "哪两样东西" (things), "南北差距", and measures of degree ("深度学习"; 印度 is a place)
_NOT_PLACE = re.compile(r"东西|南北|(?!印度).+度")  # 满意度, 深度, 年度: a measure or a system, not a place


@dataclass(frozen=True)
class _Word:
    text: str
    tag: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def pos_tags(text: str) -> list[tuple[str, str]]:
    """(word, jieba part-of-speech tag) of every word of the text, one-character words and symbols included."""
    import jieba.posseg

    with _POSSEG_LOCK:
        return [(p.word, p.flag) for p in jieba.posseg.cut(text)]


def _words(text: str) -> list[_Word]:
    words, start = [], 0
    for word, tag in pos_tags(text):
        words.append(_Word(word, tag, start))
        start += len(word)
    return words


def _split_places(words: list[_Word], text: str) -> list[tuple[int, int]]:
    """(start, end) of the places of two characters and a suffix that jieba split into several words."""
    starts = {w.start: i for i, w in enumerate(words)}
    spans: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        suffix_at = word.end - 1 if word.text[-1] in _PLACE_SUFFIX else word.start if (
            _GOVERNMENT.fullmatch(word.text)) else -1
        begin = suffix_at - 2
        if suffix_at < 0 or begin not in starts or starts[begin] == i or text[suffix_at - 1] in _PLACE_SUFFIX:
            continue
        if (text[begin] in _NOT_A_PLACE_START or text[suffix_at - 1] in _NUMERALS
                or len(_CJK.findall(text[begin:suffix_at])) < 2):
            continue  # "沪深两市", "晋陕豫三省": a count of places, not one
        first = words[starts[begin]]
        if first.end == suffix_at and first.tag != "ns" and dictionary_frequency(first.text) >= COMMON_WORD:
            continue  # "会同/市财政局", "联合/市场监管局": a word before the suffix, not a name
        carrier = word.text if word.text[-1] in _PLACE_SUFFIX else ""  # the word ending in the suffix
        if len(carrier) >= 2 and dictionary_frequency(carrier) >= COMMON_WORD and (
                carrier not in ("城市", "州市") or words[starts[begin]].tag in _WORD_TAGS):
            continue  # 节省, 超市, 上市, 低碳城市: ordinary words; "栩/城市", "汐/州市" are a rare name's end
        spans.append((begin, suffix_at + 1))
    return spans


def _names_and_places(text: str) -> tuple[list[_Word], list[tuple[int, int]]]:
    words = _words(text)
    return words, _split_places(words, text)


def _inside(word: _Word, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    return next(((s, e) for s, e in spans if s < word.end and word.start < e), None)


def places_in(text: str) -> list[str]:
    """The places a text names: jieba's ns words, and the places it split apart, whole."""
    words, spans = _names_and_places(text)
    found = []
    for word in words:
        if (span := _inside(word, spans)) is not None:
            found.append(text[span[0]:span[1]])
        elif word.tag == "ns" and len(word.text) >= 2 and _CJK.search(word.text) and not _NOT_PLACE.fullmatch(
                word.text):
            found.append(word.text)
    return list(dict.fromkeys(found))


_GENERIC_PLACES = frozenset({"城市", "城区", "省市", "市区", "大城市", "中小城市", "各省市", "老城区", "全省", "全市",
                             "各地", "当地", "本地", "外地"})


def is_generic_place(place: str) -> bool:
    """A word jieba tags as a place that names none: 城市, 大城市, 各省市, 该市."""
    return place in _GENERIC_PLACES or place[0] in "各全本该此每我这那"


def tagged_words(text: str, keep: Callable[[str], bool]) -> list[str]:
    """Chinese words of two or more characters whose jieba part-of-speech tag passes `keep`."""
    return list(dict.fromkeys(w for w, tag in pos_tags(text) if keep(tag) and len(w) >= 2 and _CJK.search(w)))


_NOT_A_GIVEN_NAME = {"uj", "ul", "uz", "ug", "v", "vn", "p", "c", "x", "m", "d", "r", "f", "q"}


def _without_conjunction(name: str) -> str:
    """jieba sometimes glues the conjunction before an unfamiliar name to it and tags the whole a person's
    name ("…基金和云帆资本" -> "和云帆")."""
    return name[1:] if len(name) >= 3 and name[0] in "和与及或跟同" else name


def person_names(text: str) -> list[str]:
    """Chinese person names. jieba often tags an unfamiliar name's surname alone ("陈/明达"): a lone surname
    followed by a one- or two-character word that is not a particle, verb or number is taken as one name.
    A "name" that is part of a place ("翟川/省", "翟川/市") is not a person's."""
    words, spans = _names_and_places(text)
    names = []
    for i, word in enumerate(words):
        if word.tag not in ("nr", "nrfg") or not _CJK.search(word.text) or _inside(word, spans):
            continue
        if len(word.text) >= 2:
            names.append(_without_conjunction(word.text))
        elif i + 1 < len(words) and 1 <= len(words[i + 1].text) <= 2 and _CJK.search(words[i + 1].text) and \
                words[i + 1].tag not in _NOT_A_GIVEN_NAME and not _inside(words[i + 1], spans):
            names.append(word.text + words[i + 1].text)
    return list(dict.fromkeys(names))


def chinese_names(text: str) -> list[str]:
    """Chinese proper nouns (people, places, organisations, other names) by jieba's part-of-speech tags; a
    place jieba split apart is one name, whole."""
    words, spans = _names_and_places(text)
    found = []
    for word in words:
        if (span := _inside(word, spans)) is not None:
            found.append(text[span[0]:span[1]])
        elif word.tag in _PROPER_NOUN_TAGS and len(word.text) >= 2 and _CJK.search(word.text):
            found.append(_without_conjunction(word.text) if word.tag in ("nr", "nrfg") else word.text)
    return list(dict.fromkeys(found))
