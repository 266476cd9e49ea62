"""Citation verification: no figure or name reaches the user unless a cited passage contains it.

Works one sentence at a time, so a streamed answer is checked before each sentence is shown:
- markers that point at no source are removed;
- a sentence whose figures and names are all in one of its cited passages keeps those citations;
- if they are in another passage instead, the citation is moved there;
- if no passage has them, the sentence is dropped and a note says so;
- an uncited sentence gets the citation of the passage that supports it, or is dropped when it asserts a
  figure or name that no passage has.
Markers are renumbered in order of first use, so the answer's [1] is the first source listed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.claims import Claim, asks_for_quantity, chinese_nouns, claim_of, has_quantity, normalize
from rag.context import ContextSource
from rag.keyword_index import tokenize
from rag.schema import Citation
from rag.sentences import sentences

_MARKER = re.compile(r"\[(\d{1,3})\]")
_REFUSAL = re.compile(
    r"(资料|报告|文档|材料|来源)[中里内]?(并)?(没有|未|无|不包含|未能|没)(提供|提及|提到|找到|包含|涉及|给出|相关|记载|说明|明确)"
    r"|没有(找到)?相关(的)?(信息|内容|数据)|无法(根据|从)?(资料|报告)?(回答|确定|得知)|未提及"
    r"|(reports?|sources?|documents?|context)\s+(do(es)?\s+not|don't|doesn't)\s+(contain|mention|say|provide|include)"
    r"|no (relevant )?information|not (mentioned|provided|stated|covered)|cannot (be )?(answer|determine)",
    re.IGNORECASE,
)
REFUSALS = {"zh": "报告中没有找到相关信息。", "en": "The reports do not contain this information."}
_SHORT_CONNECTIVE = 14


def _claim_segments(sentence: str) -> list[str]:
    """Clauses, and within a clause the stretch from each year to the next: a year binds the figures that
    follow it ("从2023年的5784亿元增长到2025年的9000亿元" holds two facts)."""
    segments = []
    for clause in re.split(r"[，,；;：:]", sentence):
        starts = [m.start() for m in re.finditer(r"(?<!\d)(?:19|20)\d{2}(?=\s*年)", clause)]
        bounds = [0, *[s for s in starts if s > 0], len(clause)]
        segments += [clause[a:b] for a, b in itertools.pairwise(bounds) if clause[a:b].strip()]
    return segments


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


def _content_overlap(sentence: str, passage: str) -> float:
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    return len(words & set(tokenize(passage))) / len(words)


@dataclass
class VerifiedAnswer:
    text: str
    citations: list[Citation]
    grounded: bool
    notes: list[str] = field(default_factory=list)


TOPIC_IDF = 2.5  # a word in about 8% of the chunks or fewer


class CitationVerifier:
    """Verifies one answer against its numbered sources, sentence by sentence.

    With the question and the corpus' IDF, it also checks topic words: a rare word that the question and a
    sentence share ("玩具" in "2027年AI玩具市场规模") must appear in the passage the sentence cites, so that
    a figure about 智能营销 is not passed off as one about AI玩具.
    """

    def __init__(self, sources: list[ContextSource], language: str, question: str = "",
                 idf: Callable[[str], float] | None = None) -> None:
        self.sources = {source.n: source for source in sources}
        self.language = language
        self.topic_words = ({t for t in chinese_nouns(question) if idf(t) >= TOPIC_IDF}
                            if idf and question else set())
        self.needs_quantity = bool(question) and asks_for_quantity(question)
        # what the question is about: its names, and its rare nouns ("商汤", "玩具")
        self.subject_names = tuple(dict.fromkeys([*claim_of(question, language).names, *sorted(self.topic_words)])
                                   ) if question else ()
        self.answered = False
        self._after_line_break = False
        self.renumber: dict[int, int] = {}
        self.cited_sentences: dict[int, list[str]] = {}
        self.shown: list[str] = []
        self.pending: list[tuple[str, bool, list[int]]] = []
        self.factual = 0
        self.notes: list[str] = []
        self.refused = False

    def add(self, sentence: str) -> str | None:
        """The text that may be shown now (renumbered markers, separator included), or None.

        Nothing is shown until a sentence actually answers: supported, stating an amount when the question
        asks "how much", and about what the question names. Until then, supported sentences, connectives
        ("好的。") and uncheckable English sentences wait; an answer that never gets there is a refusal.
        """
        if self.refused:
            return None
        new_line = self._after_line_break or "\n" in sentence[:len(sentence) - len(sentence.lstrip())]
        self._after_line_break = sentence.rstrip(" \t").endswith("\n")
        verdict = self._check(sentence)
        if verdict is None:
            return None
        text, cited = verdict
        if not self.answered and not (cited and self._responsive(text, cited)) and not (
                is_refusal(text) and self.factual):
            self.pending.append((text, new_line, cited))
            return None
        self.answered = True
        parts = [(t, nl, c or (cited if self.language == "en" else [])) for t, nl, c in self.pending]
        parts.append((text, new_line, cited))
        self.pending = []
        out = ""
        for part, starts_line, numbers in parts:
            self.factual += bool(numbers)
            rendered = self._attach(part, [self._number(n, part) for n in numbers])
            separator = ("\n" if starts_line else " " if self.language == "en" else "") if self.shown else ""
            self.shown.append(separator + rendered)
            out += separator + rendered
        return out

    def _responsive(self, text: str, cited: list[int]) -> bool:
        """Does this supported sentence answer the question: an amount if one is asked for, and the
        question's names in the sentence or in its cited passages?"""
        if self.needs_quantity and not has_quantity(text):
            return False
        if not self.subject_names:
            return True
        pool = normalize(text + "".join(self.sources[n].support_text for n in cited))
        return any(normalize(name) in pool for name in self.subject_names)

    def _claim(self, text: str) -> Claim:
        """Figures and names of the text, plus the question's topic words it repeats."""
        claim = claim_of(text, self.language)
        topics = sorted(t for t in self.topic_words if t in text)
        return Claim(claim.figures, tuple(dict.fromkeys([*claim.names, *topics]))) if topics else claim

    def _number(self, n: int, sentence: str) -> int:
        self.renumber.setdefault(n, len(self.renumber) + 1)
        self.cited_sentences.setdefault(n, []).append(sentence)
        return self.renumber[n]

    def _check(self, sentence: str) -> tuple[str, list[int]] | None:
        """(sentence without markers, the sources that support it), or None when it must be dropped."""
        markers = [int(m) for m in _MARKER.findall(sentence)]
        bare = _MARKER.sub("", sentence).strip()
        if not bare or re.fullmatch(r"[\s。，、；：.,;:!?！？]+", bare):
            return None
        if is_refusal(bare):
            if not self.factual:
                self.refused = True
                return None
            return bare, []  # "the reports do not give X" after a real answer: a caveat, not a claim
        invalid = [m for m in markers if m not in self.sources]
        if invalid:
            listed = ", ".join(f"[{m}]" for m in invalid)
            self.notes.append(f"removed citation marker(s) {listed} that point at no source")
        cited = [m for m in dict.fromkeys(markers) if m in self.sources]
        claim = self._claim(bare)
        if claim.checkable:
            supporting = self._covering(claim, bare, cited) or self._covering(claim, bare, list(self.sources))
            if not supporting:
                missing = claim.missing_in(" ".join(s.support_text for s in self.sources.values()))
                what = (f"{'、'.join(missing)} is in no source" if missing
                        else "figures are not stated together by any source")
                self.notes.append(f"dropped a sentence whose {what}: {bare[:80]}")
                return None
            if cited and not set(supporting) <= set(cited):
                self.notes.append(f"moved a citation to the source that contains: {bare[:40]}…")
            return bare, supporting
        if self.language == "en":
            return bare, cited  # Chinese passages cannot be checked word by word against English wording
        overlaps = {n: _content_overlap(bare, s.support_text) for n, s in self.sources.items()}
        supported = [n for n in cited if overlaps[n] >= 0.3]
        if supported:
            return bare, supported
        best = max(overlaps, key=lambda n: overlaps[n]) if overlaps else None
        if best is not None and overlaps[best] >= 0.5:
            return bare, [best]
        if len(bare) <= _SHORT_CONNECTIVE:
            return bare, []
        self.notes.append(f"dropped a sentence no source supports: {bare[:80]}")
        return None

    def _covering(self, claim: Claim, sentence: str, candidates: list[int]) -> list[int]:
        """The sources among `candidates` that support the claim: one passage holding all its figures and
        names when there is one (the one sharing most words with the sentence), else one passage per clause;
        empty when they cannot."""
        parts = set(claim.parts)
        complete = [n for n in candidates if claim.found_in(self.sources[n].support_text) == parts]
        if complete:
            return [max(complete, key=lambda n: _content_overlap(sentence, self.sources[n].support_text))]
        # Several sources may support one sentence only clause by clause ("从2023年的5784亿元增长到2025年的
        # 9000亿元"); a year from one source and a figure from another in the same clause is a fabrication.
        chosen: list[int] = []
        for clause in _claim_segments(sentence):
            clause_claim = self._claim(clause)
            if not clause_claim.checkable:
                continue
            clause_parts = set(clause_claim.parts)
            whole = [n for n in candidates if clause_claim.found_in(self.sources[n].support_text) == clause_parts]
            if not whole:
                return []
            if not set(whole) & set(chosen):
                chosen.append(max(whole, key=lambda n: _content_overlap(clause, self.sources[n].support_text)))
        return chosen

    @staticmethod
    def _attach(sentence: str, numbers: list[int]) -> str:
        if not numbers:
            return sentence
        markers = "".join(f"[{n}]" for n in numbers)
        match = re.search(r"[。！？!?；;.…]+[”’」』）)]*$", sentence)
        if match:
            return sentence[:match.start()] + markers + sentence[match.start():]
        return sentence + markers

    def finish(self) -> VerifiedAnswer:
        if self.refused or not self.cited_sentences:
            if not self.refused and any(cited for _, _, cited in self.pending):
                wanted = ["an amount"] if self.needs_quantity else []
                wanted += [f"{'/'.join(self.subject_names)}"] if self.subject_names else []
                self.notes.append(f"the supported sentences did not answer the question (it asks for "
                                  f"{' about '.join(wanted) or 'something else'})")
            elif not self.refused and self.pending:
                self.notes.append("no sentence of the answer was supported by the sources")
            return VerifiedAnswer(REFUSALS[self.language], [], grounded=False, notes=self.notes)
        citations = []
        for n, number in sorted(self.renumber.items(), key=lambda item: item[1]):
            source = self.sources[n]
            citations.append(Citation(n=number, chunk_id=source.hit.chunk_id, source=source.hit.source,
                                      section=source.hit.section, quote=self._quote(source, self.cited_sentences[n]),
                                      score=source.hit.score, text=source.hit.text))
        return VerifiedAnswer("".join(self.shown), citations, grounded=True, notes=self.notes)

    @staticmethod
    def _quote(source: ContextSource, citing: list[str]) -> str:
        """The chunk sentence that best supports what cites it: all its figures present, most shared words."""
        candidates = sentences(source.hit.text)
        if not candidates:
            return source.hit.text

        cited_figures = [f for s in citing for f in claim_of(s).figures]

        def support(candidate: str) -> tuple[int, float]:
            norm = normalize(candidate)
            found = sum(1 for f in cited_figures if f.found_in(norm))
            return found, max(_content_overlap(s, candidate) for s in citing)

        return max(candidates, key=support)


def verify_answer(text: str, sources: list[ContextSource], language: str) -> VerifiedAnswer:
    verifier = CitationVerifier(sources, language)
    for sentence in sentences(text):
        verifier.add(sentence)
    return verifier.finish()
