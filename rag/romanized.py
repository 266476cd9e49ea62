"""Chinese names that an English question writes in pinyin ("Huawei", "Xinghe Zhiku"), found among the
corpus's own words.

A small model translating an English question cannot know which Chinese name a romanisation stands for, and
guesses: a publisher's romanised name came back as an unrelated product. BM25, the passage checks and the
sentence selection all need the reports' own characters. The corpus vocabulary is small (thousands of
words for a few reports), so it is cheap to index by toneless pinyin and look the question's words up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pypinyin import lazy_pinyin

_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,8}")
# A capitalised Latin word, as names are written in English; CamelCase brand names count as one word.
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b")
MIN_LETTERS = 4  # "Li", "Wang", "AI": too short to say which word they are


class PinyinNames:
    """Toneless pinyin -> the corpus word spelled so (the most widely used one, if several are)."""

    def __init__(self, document_frequency: Mapping[str, int]) -> None:
        best: dict[str, tuple[int, str]] = {}
        for word, count in document_frequency.items():
            if not _HAN_WORD.fullmatch(word):
                continue
            key = "".join(lazy_pinyin(word))
            if key not in best or best[key][0] < count:
                best[key] = (count, word)
        self._words = {key: word for key, (_, word) in best.items()}

    def __len__(self) -> int:
        return len(self._words)

    def find(self, text: str) -> dict[str, str]:
        """{romanised name as written: corpus word} for the capitalised words of `text` that spell a corpus
        word, alone or two in a row ("Xinghe Zhiku" -> one four-character name)."""
        words = [(m.group(), m.end()) for m in _CAPITALISED.finditer(text)]
        found: dict[str, str] = {}
        i = 0
        while i < len(words):
            word, end = words[i]
            if i + 1 < len(words) and text[end:end + 1] == " " and text.startswith(words[i + 1][0], end + 1):
                pair = f"{word} {words[i + 1][0]}"
                chinese = self._words.get(pair.replace(" ", "").lower())
                if chinese:
                    found[pair] = chinese
                    i += 2
                    continue
            chinese = self._words.get(word.lower()) if len(word) >= MIN_LETTERS else None
            if chinese:
                found[word] = chinese
            i += 1
        return found
