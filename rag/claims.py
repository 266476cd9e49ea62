"""The checkable parts of a sentence: figures and names, and whether a passage supports them.

Small models invent figures and names; everything else in an answer is wording. So a claim is taken as
supported by a passage when every figure (a number with its magnitude: 6218亿, 17.4%, 2031年) and every
name (Latin-script names such as Falcon or GPT-5, and Chinese proper nouns) of the claim occurs in the
passage. Comparison is after NFKC, whitespace and thousands-separator removal; 亿/万 stay as written, so
"6218万" is not supported by "6218亿".
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from rag.names import chinese_names

# a date "2031.5.1", a number, a fraction "1/4" or a ratio "14.5:1" (one figure: "1" and "12" say nothing)
_NUMBER = re.compile(r"(?<![0-9A-Za-z.])(\d{4}\.\d{1,2}\.\d{1,2}|\d+(?:\.\d+)?(?:/\d+|:\d+(?:\.\d+)?)?)"
                     r"(?!\.?[0-9A-Za-z])(\s*(?:万亿|亿|万|千|百|%|‰|个百分点|倍))?")
_NUMERALS = "零一二两三四五六七八九十百千"
_CHINESE_NUMERAL = re.compile(rf"[{_NUMERALS}]+(?:万亿|亿|万)?")
# an amount in Chinese numerals with a magnitude: "五千亿", "一亿" (not a bare "千亿", which is vague)
_CHINESE_QUANTITY = re.compile(rf"(?<![{_NUMERALS}万亿])[{_NUMERALS}]*[一二两三四五六七八九十][{_NUMERALS}]*"
                               rf"(?:万亿|亿|万)(?![{_NUMERALS}万亿])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9.])(?:[A-Za-z]|\d+(?:\.\d+)?[A-Za-z])[A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*"
                         r"(?![A-Za-z0-9])")
_COMMON_LATIN = frozenset({"ai", "us", "uk", "eu", "usd", "rmb", "cny", "ceo", "gdp", "cagr", "yoy", "ipo", "cpi"})


def _unify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("∶", ":")  # a ratio "14.5∶1" is one figure, as "14.5:1"
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def normalize(text: str) -> str:
    """The form passages are searched in: NFKC, no thousands separators, no whitespace, lower case."""
    return "".join(_unify(text).split()).lower()


def language_of(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk >= max(2, latin * 0.25) else "en"


@dataclass(frozen=True)
class Figure:
    number: str
    magnitude: str

    def __str__(self) -> str:
        return self.number + self.magnitude

    def spelling_in(self, normalized_passage: str) -> str | None:
        """How the passage writes this figure when it uses the other numeral system ("1亿" written "一亿",
        "五千亿" written "5000亿"), so an answer can copy it as written; None otherwise."""
        if _CHINESE_NUMERAL.fullmatch(self.number):
            as_digits = chinese_amount_in_digits(self.number)
            if as_digits is None or re.search(re.escape(self.number), normalized_passage):
                return None
            digits = Figure(*as_digits)
            return str(digits) if digits.found_in(normalized_passage) else None
        if self.magnitude in ("万", "亿", "万亿") and self.number.isdigit():
            numeral = digits_in_chinese(int(self.number)) + self.magnitude
            plain = rf"(?<![\d.]){re.escape(str(self))}(?![万亿千百])"
            if numeral != self.magnitude and numeral in normalized_passage and not re.search(plain,
                                                                                            normalized_passage):
                return numeral
        return None

    def found_in(self, normalized_passage: str) -> bool:
        if "年" in self.number:  # a date to the month; a day may follow it
            return re.search(rf"(?<!\d){re.escape(self.number)}", normalized_passage) is not None
        if _CHINESE_NUMERAL.fullmatch(self.number):
            bounded = rf"(?<![{_NUMERALS}万亿]){re.escape(self.number)}(?![{_NUMERALS}万亿])"
            if re.search(bounded, normalized_passage):
                return True
            as_digits = chinese_amount_in_digits(self.number)
            return as_digits is not None and Figure(*as_digits).found_in(normalized_passage)
        if self.magnitude in ("万", "亿", "万亿") and "." not in self.number and "/" not in self.number:
            numeral = digits_in_chinese(int(self.number))  # "1亿" is also written "一亿"
            bounded = rf"(?<![{_NUMERALS}万亿]){numeral}{self.magnitude}(?![{_NUMERALS}万亿])"
            if numeral and re.search(bounded, normalized_passage):
                return True
        pattern = rf"(?<![\d.]){re.escape(self.number)}(?![\d])"
        if not self.magnitude:
            return re.search(pattern + r"(?!\.\d)", normalized_passage) is not None
        # "13.9万" is not "13.9万亿", "5千" is not "5千亿"
        return re.search(pattern + re.escape(self.magnitude) + r"(?![万亿千百])", normalized_passage) is not None


_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}


def chinese_amount_in_digits(amount: str) -> tuple[str, str] | None:
    """("五千亿" -> ("5000", "亿")); None when the numeral is not a plain one below ten thousand."""
    match = re.fullmatch(rf"([{_NUMERALS}]+)(万亿|亿|万)?", amount)
    if not match:
        return None
    total, digit = 0, None
    for ch in match.group(1):
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _UNIT:
            total += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
    total += digit or 0
    return (str(total), match.group(2) or "") if 0 < total < 10000 else None


def digits_in_chinese(number: int) -> str:
    """1 -> "一", 5000 -> "五千", 11 -> "十一"; empty outside 1..9999."""
    if not 0 < number < 10000:
        return ""
    names = "零一二三四五六七八九"
    parts, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            if zero and parts:
                parts.append("零")
            parts.append(("" if (value == 10 and digit == 1 and not parts) else names[digit]) + unit)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


_DATE = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月")


def figures(text: str) -> list[Figure]:
    """Figures as written: numbers with their magnitude, dates to the month ("2021年3月" is one figure, so a
    neighbouring month does not pass), amounts in Chinese numerals."""
    found = [Figure("".join(m.group(0).split()), "") for m in _DATE.finditer(_unify(text))]
    for match in _NUMBER.finditer(_unify(text)):
        number = match.group(1)
        magnitude = (match.group(2) or "").strip()
        found.append(Figure(number, magnitude))
    for match in _CHINESE_QUANTITY.finditer(_unify(text)):  # "五千亿", "一亿": amounts in Chinese numerals
        found.append(Figure(match.group(0), ""))
    return list(dict.fromkeys(found))


def latin_names(text: str, english_context: bool) -> list[str]:
    """Latin-script names. In an English sentence ordinary words are Latin too, so only names that look like
    product or model names count (GPT-5, OpenLlama, TPU; not GDP or USD, which Chinese text writes in Chinese)."""
    names = []
    for match in _LATIN_NAME.finditer(unicodedata.normalize("NFKC", text)):
        word = match.group(0)
        if word.lower() in _COMMON_LATIN or len(word) < 2:
            continue
        if english_context and not re.search(r"\d|[a-z][A-Z]|^[A-Z]{2,}[a-z]|^[A-Z]{2,6}s?$", word):
            continue
        names.append(word[:-1] if re.fullmatch(r"[A-Z]{2,6}s", word) else word)  # "GPUs" is GPU's plural
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Claim:
    """What a sentence asserts that can be checked against a passage."""

    figures: tuple[Figure, ...]
    names: tuple[str, ...]

    @property
    def checkable(self) -> bool:
        return bool(self.figures or self.names)

    @property
    def parts(self) -> list[str]:
        return [str(f) for f in self.figures] + list(self.names)

    def found_in(self, passage: str) -> set[str]:
        """The figures and names of the claim that the passage contains."""
        normalized = normalize(passage)
        found = {str(f) for f in self.figures if f.found_in(normalized)}
        spaced = " ".join(_unify(passage).split()).lower()
        for name in self.names:
            if name.isascii():  # Latin names on word boundaries: "GPT-4" is not "GPT-4x", "Qwen2" not "Qwen2.5"
                if re.search(rf"(?<![a-z0-9]){re.escape(name.lower())}(?![a-z0-9]|\.\d)", spaced):
                    found.add(name)
            elif normalize(name) in normalized or (len(name) >= 3 and name[-1] in "省市县区" and re.search(
                    re.escape(normalize(name[:-1])) + "(?![省市县区州])", normalized)):
                found.add(name)  # "浠岚市" where the passage writes "浠岚代表团", not "浠岚县"
        return found

    def missing_in(self, passage: str) -> list[str]:
        found = self.found_in(passage)
        return [part for part in self.parts if part not in found]


_LIST_MARKUP = re.compile(r"(?m)^\s*(?:\d{1,2}(?:\.(?=\s)|[、)）])|[（(]\d{1,2}[)）]|[-*•·])\s*|\*\*|__|`")


_LETTER_WITH_CHARACTER = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][\u4e00-\u9fff]")  # "B轮", "C端"
_CHINESE_QUANTITY_WORD = re.compile(r"[零一二两三四五六七八九十百千]+(?:万亿|亿|万|倍|成|个百分点)|半数|过半")


# An amount in a Latin unit ("52.5EFlops", "300GW", "1.2TB", "7B", "2.1万亿tokens"), read as a name by the
# checks (copied exactly) but still an amount; "5G" and "A100" are not.
_LATIN_UNIT_AMOUNT = re.compile(r"(?<![0-9A-Za-z.])\d+(?:\.\d+)?\s*(?:万亿|亿|万)?\s*"
                                r"(?:[kKMGTPEZ]?(?:FLOPS|Flops|flops|TOPS|B|W|Wh|Hz)|[Tt]okens?|km|kg)(?![A-Za-z])")


def has_quantity(text: str) -> bool:
    """A figure that is a quantity, not just a year; "一亿", "三倍" and amounts in Latin units count too."""
    return bool(_CHINESE_QUANTITY_WORD.search(text) or _LATIN_UNIT_AMOUNT.search(text)) or any(
        f.magnitude or not YEAR.fullmatch(f.number) for f in figures(text))


def claim_of(sentence: str, language: str | None = None) -> Claim:
    """Markdown list numbers ("1.", "(2)") and emphasis are layout, not figures."""
    sentence = _LIST_MARKUP.sub("", sentence)
    language = language or language_of(sentence)
    names = latin_names(sentence, english_context=language == "en")
    if language == "zh":
        names += chinese_names(re.sub(r"\[\d+\]", "", sentence))
        names += _LETTER_WITH_CHARACTER.findall(sentence)
    return Claim(tuple(figures(re.sub(r"\[\d+\]", "", sentence))), tuple(dict.fromkeys(names)))


def claim_segments(sentence: str) -> list[str]:
    """Clauses, and within a clause the stretch from each year to the next: a year binds the figures that
    follow it ("从2031年的2716亿元增长到2033年的3890亿元" holds two facts). The words before a clause's first
    year stay with it: in "甲公司2031年的净利润为3亿元" they say whose figure it is."""
    segments = []
    for clause in re.split(r"[，,；;]|(?<!\d)[：:]|[：:](?!\d)", sentence):  # not inside a ratio "1:10"
        starts = [m.start() for m in re.finditer(r"(?<!\d)(?:19|20)\d{2}(?=\s*年)", clause)]
        bounds = [0, *starts[1:], len(clause)]  # what precedes the first year is its subject: kept with it
        segments += [clause[a:b] for a, b in itertools.pairwise(bounds) if clause[a:b].strip()]
    return segments
