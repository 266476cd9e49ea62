"""Every part of a multi-part question answered: the evidence for a part the model's answer left out.

A small model asked "X是哪个月发布的？现在已有多少家企业完成备案？" often answers the first part and drops the
second, although the passages give it; an answer missing a part is an incomplete answer. For each part that
stands on its own, the extractive answerer's best sentences for that part are offered when the answer states
none of what they state (their amounts, or for a sentence without one its names): an answer that used the
sentence has covered its part. They are verified like every other sentence before they are shown.
"""

from __future__ import annotations

import re

from rag.claims import YEAR, claim_of
from rag.context import ContextSource
from rag.extractive import ExtractiveAnswerer
from rag.question import QuestionAnalysis, analyze
from rag.sentences import sentences

# A part shorter than this ("增速呢？", "排在第几位？") needs the rest of the question to be understood.
_MIN_PART_CHARACTERS = 8


def missing_parts(question: QuestionAnalysis, answer: str, sources: list[ContextSource],
                  extractive: ExtractiveAnswerer) -> list[str]:
    """Cited source sentences ("…[2]") for the parts of a Chinese multi-part question that the answer does
    not yet cover; empty for a one-part or English question."""
    if question.language != "zh" or len(question.parts) < 2:
        return []
    added: list[str] = []
    for part in question.parts:
        if len(re.findall(r"[\u4e00-\u9fff\w]", part)) < _MIN_PART_CHARACTERS:
            continue
        drafted = extractive.compose(part, sources, analyze(part, "zh"))
        if drafted is None:
            continue
        for sentence in sentences(drafted):
            claim = claim_of(sentence, "zh")
            stated = [str(f) for f in claim.figures if not YEAR.fullmatch(f.number)] or list(claim.names)
            if stated and set(stated) <= set(claim.missing_in(answer + "".join(added))):
                added.append(sentence)
    return added
