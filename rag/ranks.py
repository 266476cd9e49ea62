"""Places in a ranking: a question asking for the top one is not answered by the figure or name that a
source gives for the one behind it ("甲以420万台居首，乙以310万台紧随其后": 乙 did not top anything). A
small model reading such a list often copies the neighbouring row; the figure is in the source, so only the
clause it stands in can tell."""

from __future__ import annotations

import re

from rag.claims import Figure
from rag.evidence import clause_of, figure_spans

_ASKS_TOP = re.compile(r"最高|最大|最多|最快|第一|榜首|居首|登顶|夺冠|冠军|首位|领先|排名前列|"
                       r"\b(?:top(?:ped|s)?|highest|largest|biggest|most|first|leading|No\.\s?1)\b", re.IGNORECASE)
_RUNNER_UP = re.compile(r"紧随其后|其次|次之|居次|亚军|第二名|第二位|排名第二|位列第二|位居第二|"
                        r"\b(?:second|runner-up)\b", re.IGNORECASE)


def asks_for_the_top(question: str) -> bool:
    return bool(_ASKS_TOP.search(question)) and not _RUNNER_UP.search(question)


def behind_the_top(clause: str) -> bool:
    """The clause places what it states behind another (second, runner-up, next)."""
    return bool(_RUNNER_UP.search(clause))


def runner_up_as_top(figure: Figure, sentence: str, source: str) -> bool:
    """The source states the figure only for the one behind the top, and the sentence does not say so (a
    sentence naming both, each in its place, is fine)."""
    in_source, in_sentence = figure_spans(figure, source), figure_spans(figure, sentence)
    return bool(in_source) and all(behind_the_top(clause_of(source, a, b)) for a, b in in_source) and not any(
        behind_the_top(clause_of(sentence, a, b)) for a, b in in_sentence)
