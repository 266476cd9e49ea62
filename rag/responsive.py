"""Does a supported sentence answer the question asked, or a neighbouring one?

A sentence can be true to its passage and still not answer: a growth rate for "how large", a number of
visitors for "what share", a cast member for "who directed". The question's head words decide what kind of
answer it wants; nothing else of its wording is required of the answer.
"""

from __future__ import annotations

import re

from rag.claims import YEAR, Figure, claim_of, has_quantity, normalize
from rag.evidence import KIND_OF_WORD, KIND_WORD, figure_spans, kind_near, kinds_conflict
from rag.question import QuestionAnalysis
from rag.sentences import split_sentences

_CONJUNCT = re.compile(r"[和与及、，,；;？?]|以及|分别")


def kinds_asked(text: str) -> frozenset[str]:
    """The kinds of quantity a question asks for: in each conjunct, the last quantity word, which heads its
    noun phrase ("外地车辆占比" asks for a share, not a number of vehicles; "销量和增速" for both)."""
    heads = set()
    for conjunct in _CONJUNCT.split(text):
        named = list(KIND_WORD.finditer(conjunct))
        if named:
            heads.add(KIND_OF_WORD[named[-1].group(0).lower()])
    return frozenset(heads)


_CLAUSE_START = re.compile(r"[，,；;：:。！？!?\n]")
_MEASURE = re.compile(r"[\u4e00-\u9fff](?:率|量|数|额|值|比|价|费|度)")  # "采用率": a quantity of its own


def _kind_in_sentence(figure: Figure, text: str) -> set[str | None]:
    """The kind of each occurrence of the figure: its clause's, else, in a clause that names no quantity of
    its own, the last one named earlier in its sentence ("增长率将达30.6%，另一家机构预测41.8%": an enumeration
    of one kind names it once)."""
    kinds: set[str | None] = set()
    spans = split_sentences(text)
    for start, end in figure_spans(figure, text):
        sentence_start = next((a for a, b in spans if a <= start < b), 0)
        clause_start = max((m.end() for m in _CLAUSE_START.finditer(text, sentence_start, start)),
                           default=sentence_start)
        named = kind_near(text, start, end)
        if named is None and not _MEASURE.search(text, clause_start, start):
            earlier = list(KIND_WORD.finditer(text, sentence_start, clause_start))
            named = KIND_OF_WORD[earlier[-1].group(0).lower()] if earlier else None
        kinds.add(named)
    return kinds


def answers_kinds(figure: Figure, sentence: str, passages: list[str], asked: frozenset[str]) -> bool:
    """The amount is of a kind the question asks for, as the sentence frames it and as its passages do (a
    growth rate does not answer "how large", a number of visitors does not answer "what share"). A figure
    whose kind nothing names may answer; where the sentence names none, its passages' names decide."""
    kinds = (_kind_in_sentence(figure, sentence) - {None}) or {
        kind for text in passages for kind in _kind_in_sentence(figure, text)} - {None}
    return not asked or not kinds or any(not kinds_conflict(kind, a) for kind in kinds for a in asked)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if re.fullmatch(r"[\u4e00-\u9fff]{2}", text[i:i + 2])}


def mentions(word: str, text: str) -> bool:
    """The word in the text, or for a longer word a two-character piece of it ("领投方" / "领投")."""
    pieces = {word} if len(word) <= 2 else _bigrams(word)
    normalized = normalize(text)
    return any(piece in normalized for piece in pieces)


def role_stated(role: str, answer: str, question: str, passage: str) -> bool:
    """Some sentence of the passage names the role asked about ("导演") together with what the answer adds
    to the question — its names, or where none is recognised its other words: "林某主演" does not make 林某
    the director. A longer role may be worded in part ("领投方" / "领投")."""
    names = [normalize(name) for name in claim_of(answer).names if name not in question]
    added = _bigrams(normalize(answer)) - _bigrams(normalize(question))
    for start, end in split_sentences(passage):
        sentence = normalize(passage[start:end])
        if mentions(role, sentence) and (any(name in sentence for name in names) if names
                                         else any(pair in sentence for pair in added)):
            return True
    return False


def answers_question(sentence: str, passages: list[str], question: QuestionAnalysis) -> bool:
    """The sentence gives what the question asks for: a name stated in the role asked about ("…的导演是谁"),
    an amount when it asks "how much", of a kind it asks for."""
    if question.role:
        return any(role_stated(question.role, sentence, question.text, passage) for passage in passages)
    if question.ask != "quantity":
        return True
    if not has_quantity(sentence):
        return False
    amounts = [f for f in claim_of(sentence).figures
               if "年" not in f.number and (f.magnitude or not YEAR.fullmatch(f.number))]
    asked = kinds_asked(question.text)
    return not amounts or any(answers_kinds(f, sentence, passages, asked) for f in amounts)
