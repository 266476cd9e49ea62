"""Sentence boundaries for Chinese and English text, shared by chunking, context packing and verification.

A sentence ends at 。！？；(or their ASCII forms) plus any closing quotes, at a '.' that does not follow a
digit (not a decimal point, not a list number like "1."), and at a line break. Numbers such as 7575.8 or
1/5 are never split.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r".*?(?:[。！？!?；;…]+[”’」』）)\]】]*(?:\s*(?:\[\d+\])+)?|(?<!\d)\.(?=\s|$|[\u4e00-\u9fff])"
                       r"(?:\s*(?:\[\d+\])+)?|\n|$)", re.DOTALL)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, surrounding spaces excluded. Citation markers that
    follow a sentence's final punctuation ("……增长17.4%。[1]") stay with that sentence."""
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


_COMPLETE = re.compile(r"^(\s*\S.*?(?:[。！？!?；;\n]|(?<!\d)\.(?=\s))[”’」』）)]*(?:\s*\[\d{1,3}\])*)(?=\s*[^\s\[])",
                       re.DOTALL)


def pop_complete(buffer: str) -> tuple[list[str], str]:
    """Split streamed text into the sentences that are certainly complete and the rest. A sentence counts as
    complete only once something other than citation markers follows it, so "……增长。" waits for a "[1]"
    that may still come."""
    done = []
    while match := _COMPLETE.match(buffer):
        done.append(match.group(1))
        buffer = buffer[match.end():]
    return done, buffer


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]
