"""Does extracted text read as language? Noise that merely decodes is refused at load time.

Random bytes can decode cleanly: mapped into GB18030's double-byte range or read as UTF-16 they become a
stream of valid Chinese characters, and were indexed as chunks of gibberish that crowd real passages out of
search results (issue 9). Two measures on a sample of the text tell noise from writing in any style:

- odd code points: unassigned, private-use, surrogate, and control characters other than line breaks and
  tabs. Writing has next to none; random 16-bit units read as UTF-16 are about a tenth odd.
- for text with enough Chinese characters, the share of them that jieba's dictionary segmentation places
  inside words of two or more characters. Chinese prose of any register lands well above half (numbers,
  names and single-character function words are the rest); characters drawn at random almost never form
  dictionary words, leaving a few percent.

Documents in other languages are judged by the first measure only; very short texts are not judged.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ODD_SHARE = 0.02
MIN_WORD_SHARE = 0.3
MIN_HAN_TO_JUDGE = 100
SAMPLE_WINDOWS = 10
SAMPLE_WINDOW_CHARS = 2000

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ODD_CATEGORIES = frozenset({"Cn", "Co", "Cs"})


def _sample(text: str) -> str:
    """Windows spread evenly over the text: noise in any part of a long file shows, at a bounded cost."""
    if len(text) <= SAMPLE_WINDOWS * SAMPLE_WINDOW_CHARS:
        return text
    step = (len(text) - SAMPLE_WINDOW_CHARS) // (SAMPLE_WINDOWS - 1)
    return "\n".join(text[i * step:i * step + SAMPLE_WINDOW_CHARS] for i in range(SAMPLE_WINDOWS))


def odd_share(text: str) -> float:
    if not text:
        return 0.0
    odd = sum(1 for ch in text if unicodedata.category(ch) in _ODD_CATEGORIES
              or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f\v"))
    return odd / len(text)


def han_word_share(text: str) -> tuple[float, int]:
    """(share of the Chinese characters inside dictionary words of two or more characters, their count)."""
    import jieba

    from rag.keyword_index import load_jieba

    load_jieba()
    han = in_words = 0
    for word in jieba.cut(text, HMM=False):  # without HMM: no words guessed from unknown characters
        count = len(_HAN.findall(word))
        han += count
        if count and len(word) > 1 and jieba.dt.FREQ.get(word, 0) > 0:
            in_words += count
    return (in_words / han if han else 1.0), han


def implausibility(text: str) -> str | None:
    """Why `text` does not read as language, or None when it does."""
    sample = _sample(text)
    odd = odd_share(sample)
    if odd > MAX_ODD_SHARE:
        return (f"not text: {odd:.0%} of its characters are unassigned, private-use or control characters "
                "(random bytes decoded as text?)")
    share, han = han_word_share(sample)
    if han >= MIN_HAN_TO_JUDGE and share < MIN_WORD_SHARE:
        return (f"not readable Chinese: only {share:.0%} of its Chinese characters form dictionary words (written "
                f"Chinese: well over half); random bytes decoded as text?")
    return None
