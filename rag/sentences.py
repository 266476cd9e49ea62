"""Sentence boundaries for Chinese and English text, shared by chunking, context packing and verification.

A sentence ends at 。！？；(or their ASCII forms) plus any closing quotes, at a '.' that is not a decimal
point, and at a line break. Numbers such as 7575.8 or 1/5 are never split.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r".*?(?:[。！？!?；;…]+[”’」』）)\]】]*(?:\s*(?:\[\d+\])+)?|\.(?=\s|$|[\u4e00-\u9fff])"
                       r"(?:\s*(?:\[\d+\])+)?|\n|$)", re.DOTALL)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, surrounding spaces excluded. Citation markers that
    follow a sentence's final punctuation ("……增长13.9%。[1]") stay with that sentence."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]
