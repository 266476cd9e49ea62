"""Citation verification: no figure or name reaches the user unless a cited passage contains it.

Works one sentence at a time, so a streamed answer is checked before each sentence is shown. A sentence
keeps its citations when its figures and names are all in one cited passage, each figure there for the same
year, kind of quantity and place (rag/evidence.py), in a passage that speaks of what the sentence ties it to
(rag/binding.py), not as the runner-up's when the top one is asked (rag/ranks.py), nor only under another
alternative than the one asked (rag/alternatives.py), with no two table rows joined. Else the citation moves
to the passage that has them, or the sentence is dropped with a note; so is one only repeating the previous
answer's figures when the question asks anew. Markers that point at no source are removed, the rest renumbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.alternatives import only_on_the_other_side
from rag.binding import bound_elsewhere
from rag.citing import attach_markers, citations_of, content_overlap
from rag.claims import YEAR, Claim, claim_of, claim_segments, language_of, normalize
from rag.context import ContextSource, is_injection
from rag.evidence import (
    Occurrence,
    consistent,
    date_supported,
    events_of,
    figure_spans,
    frame_in_sentence,
    names_other_place,
    occurrences,
    row_conflict,
    subject_unbacked,
)
from rag.kinds import kinds_named
from rag.localities import local_place_unsaid
from rag.names import places_in
from rag.passages import passage_frame, title_dates
from rag.periods import names_other_period, periods_in
from rag.qualifiers import as_written, ordinals_as_written
from rag.question import QuestionAnalysis
from rag.ranks import asks_for_the_top, runner_up_as_top
from rag.refusals import REFUSALS, is_refusal
from rag.responsive import answers_question
from rag.schema import Citation
from rag.sentences import sentences

_MARKER = re.compile(r"\[(\d{1,3})\]")
_SHORT_CONNECTIVE = 14


@dataclass
class VerifiedAnswer:
    text: str
    citations: list[Citation]
    grounded: bool
    notes: list[str] = field(default_factory=list)


class CitationVerifier:
    """Verifies one answer against its numbered sources, sentence by sentence. It checks what is true, not how
    it is worded: figures and names must stand in a cited passage, a figure for the year and kind of quantity
    the sentence (or, where it leaves it implicit, the question) gives it. Wording is not compared."""

    def __init__(self, sources: list[ContextSource], language: str, question: QuestionAnalysis | None = None,
                 repeated: frozenset[str] = frozenset(), quoting: bool = False) -> None:
        self.sources = {source.n: source for source in sources}
        # the sentences are the sources' own, offered as the answer: what the question names is their subject
        self._asked = question.text if question is not None else ""
        self._quoted_for = self._asked if quoting else ""
        self.repeated = repeated  # the previous answer's figures, when the question asks something new
        self.language = language
        self.question = question
        # what the question asks about, standing in where a sentence leaves it implicit
        self._asked_kinds = kinds_named(question.text) if question is not None else frozenset()
        self._asked_events = events_of(question.text) if question is not None else set()
        self._asks_time = question is not None and question.ask == "time"
        self._asks_top = question is not None and asks_for_the_top(question.text)
        self._specific = question.specific if question is not None else ()
        self._frames = {source.n: normalize(passage_frame(source.hit, source.head)) for source in sources}
        self._all_frames = list(self._frames.values())
        # every passage's lines once (overlapping chunks repeat rows), for rows joined across passages
        self._tables = "\n".join(dict.fromkeys(line for source in sources for line in source.support_text.split("\n")))
        self._headers = {source.n: normalize(f"{source.hit.title}\n{source.hit.section}") for source in sources}
        self.answered = self._after_line_break = False
        self.renumber: dict[int, int] = {}
        self.cited_sentences: dict[int, list[str]] = {}
        self.shown: list[str] = []
        self.pending: list[tuple[str, bool, list[int]]] = []
        self.factual, self.refused = 0, False
        self.notes: list[str] = []
        self._whole = ""  # the sentence being checked, of which _supports may see one clause

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
            rendered = attach_markers(part, [self._number(n, part) for n in numbers])
            separator = ("\n" if starts_line else " " if self.language == "en" else "") if self.shown else ""
            self.shown.append(separator + rendered)
            out += separator + rendered
        return out

    def _responsive(self, text: str, cited: list[int]) -> bool:
        return self.question is None or answers_question(text, [self.sources[n].support_text for n in cited],
                                                         self.question, [self._headers[n] for n in cited])

    def _expected_years(self, n: int) -> tuple[str, ...]:
        return self.question.years_asked(self.sources[n].hit.title) if self.question else ()

    def _other_place(self, sentence: str, occurrence: Occurrence, n: int) -> bool:
        """The figure stands in the source with another place or calendar period than the sentence's (or the
        question's): one city's 80亿元 fund is not another's, 国庆's revenue not 春节's, a city's not a district's."""
        claimed = places_in(sentence) or (list(self.question.places) if self.question else [])
        context, periods = occurrence.context, periods_in(sentence) or periods_in(self._asked)
        return names_other_place(context, claimed) or names_other_period(context, periods) or local_place_unsaid(
            context, claimed, sentence + self._asked, self._headers[n] + self.sources[n].head)

    def _supports(self, claim: Claim, sentence: str, n: int) -> bool:
        """All figures and names of the claim in the passage (a name may be in its document's opening, a year in
        its title: rag.passages.title_dates); each figure where year and kind fit the sentence's; no rows joined."""
        source, parts = self.sources[n], set(claim.parts)
        text = source.support_text
        found = claim.found_in(text) | claim.found_in(source.head) & set(claim.names)
        found |= parts & title_dates(source, claim.figures)
        if found != parts:
            return False
        expected = self._expected_years(n)
        for figure in claim.figures:
            year = YEAR.fullmatch(figure.number) and not figure.magnitude
            # a date, or the year a "when" question asks for: of the event claimed or asked (date_supported)
            if "年" in figure.number or (year and self._asks_time):
                if not date_supported(figure, events_of(sentence) or self._asked_events, text):
                    return False
                continue
            if year:
                continue  # a year is itself the frame
            spans, whole = figure_spans(figure, sentence), figure_spans(figure, self._whole)
            frames = self._all_frames
            if spans and subject_unbacked(sentence, spans[0][0], self._specific, self._frames[n], frames):
                return False
            if whole and bound_elsewhere(self._whole, whole[0][0], figure, source.hit.text,  # whole: not per clause
                                         self._headers[n], source.head, self._specific, frames,
                                         self._quoted_for, self.question.text if self.question else ""):
                return False
            if self._asks_top and runner_up_as_top(figure, sentence, text):
                return False
            claimed = frame_in_sentence(figure, sentence)
            places = occurrences(figure, text)
            if claimed is not None and places and not any(
                    consistent(claimed, expected, p, self._asked_kinds) and not self._other_place(sentence, p, n)
                    for p in places):
                return False
        return not row_conflict(sentence, text) and not only_on_the_other_side(claim, text, self._asked)

    def _claim(self, text: str) -> Claim:  # a Chinese sentence of an English answer has Chinese names
        return claim_of(text, "zh" if self.language == "zh" else language_of(text))

    def _number(self, n: int, sentence: str) -> int:
        self.renumber.setdefault(n, len(self.renumber) + 1)
        self.cited_sentences.setdefault(n, []).append(sentence)
        return self.renumber[n]

    def _check(self, sentence: str) -> tuple[str, list[int]] | None:
        """(sentence without markers, the sources that support it), or None when it must be dropped."""
        markers = [int(m) for m in _MARKER.findall(sentence)]
        bare = self._whole = ordinals_as_written(_MARKER.sub("", sentence).strip(), self._tables)
        if not bare or re.fullmatch(r"[\s。，、；：.,;:!?！？]+", bare):  # nothing but punctuation
            return None
        if is_injection(bare):  # an instruction or a statement about the assistant is never an answer
            self.notes.append(f"dropped a sentence addressed to the assistant: {bare[:40]}")
            return None
        if is_refusal(bare):
            if not self.factual:
                self.refused = True
                return None
            return bare, []  # "the reports do not give X" after a real answer: a caveat, not a claim
        if invalid := [f"[{m}]" for m in markers if m not in self.sources]:
            self.notes.append(f"removed citation marker(s) {', '.join(invalid)} that point at no source")
        cited = [m for m in dict.fromkeys(markers) if m in self.sources]
        claim = self._claim(bare)
        if row_conflict(bare, self._tables):  # "甲公司的产品是乙产品", each row in its own passage
            self.notes.append(f"dropped a sentence that joins two rows of a table: {bare[:60]}")
            return None
        if (stated := {str(f) for f in claim.figures if not YEAR.fullmatch(f.number)}) and stated <= self.repeated:
            self.notes.append(f"dropped a sentence repeating the previous answer's figures: {bare[:60]}")
            return None
        if claim.checkable:
            supporting = self._covering(claim, bare, cited) or self._covering(claim, bare, list(self.sources))
            if not supporting and (kept := self._supported_head(bare, cited)):
                self.notes.append(f"cut what no source supports: {bare[len(kept[0]):][:60]}")
                bare, claim, supporting = kept
            if not supporting:
                missing = claim.missing_in(" ".join(s.support_text for s in self.sources.values()))
                what = (f"{'、'.join(missing)} is in no source" if missing
                        else "figures are not stated together, or not for that year, quantity, place or period")
                self.notes.append(f"dropped a sentence whose {what}: {bare[:80]}")
                return None
            if cited and not set(supporting) <= set(cited):
                self.notes.append(f"moved a citation to the source that contains: {bare[:40]}…")
            support = [self.sources[n].support_text for n in supporting]
            return as_written(bare, claim.figures, support, self.language), supporting
        if self.language == "en":
            return bare, cited  # Chinese passages cannot be checked word by word against English wording
        overlaps = {n: 0.0 if row_conflict(bare, s.support_text) else content_overlap(bare, s.support_text)
                    for n, s in self.sources.items()}
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

    def _supported_head(self, sentence: str, cited: list[int]) -> tuple[str, Claim, list[int]] | None:
        """The longest supported run of leading clauses stating an amount: "2033年规模将达1100亿元，同比增长21.4%"
        keeps its first clause when 21.4% is another year's. Chinese only (an English clause may lose its subject)."""
        if self.language != "zh":
            return None
        cuts = [m.start() for m in re.finditer(r"[，,；;]", sentence)]
        for cut in reversed(cuts):
            head = sentence[:cut].strip()
            claim = self._claim(head)
            if not any(not YEAR.fullmatch(f.number) and "年" not in f.number for f in claim.figures):
                continue
            supporting = self._covering(claim, head, cited) or self._covering(claim, head, list(self.sources))
            if supporting:
                return head + "。", claim, supporting
        return None

    def _covering(self, claim: Claim, sentence: str, candidates: list[int]) -> list[int]:
        """The sources among `candidates` that support the claim: one passage holding all its figures and
        names when there is one (the one sharing most words with the sentence), else one passage per clause;
        empty when they cannot."""
        complete = [n for n in candidates if self._supports(claim, sentence, n)]
        if complete:
            return [max(complete, key=lambda n: content_overlap(sentence, self.sources[n].support_text))]
        # Several sources may support a sentence clause by clause ("从2031年的2716亿元增长到2033年的3890亿元");
        # a year from one source and a figure from another in the same clause is a fabrication.
        chosen: list[int] = []
        start = 0
        for clause in claim_segments(sentence):
            start = sentence.find(clause, start)
            clause_claim = self._claim(clause)
            if not clause_claim.checkable:
                continue
            # a clause without a year is about the last one named before it: "…1100亿元，同比增长21.4%"
            earlier = YEAR.findall(sentence[:start])
            framed = f"{earlier[-1]}年{clause}" if earlier and not YEAR.search(clause) else clause
            whole = [n for n in candidates if self._supports(clause_claim, framed, n)]
            if not whole:
                return []
            if not set(whole) & set(chosen):
                chosen.append(max(whole, key=lambda n: content_overlap(clause, self.sources[n].support_text)))
        return chosen

    def finish(self) -> VerifiedAnswer:
        if self.refused or not self.cited_sentences:
            if not self.refused and any(cited for _, _, cited in self.pending):
                self.notes.append("the supported sentences do not give what the question asks for (an amount of "
                                  "its kind and unit, or the one in the role it names)")
            elif not self.refused and self.pending:
                self.notes.append("no sentence of the answer was supported by the sources")
            return VerifiedAnswer(REFUSALS[self.language], [], grounded=False, notes=self.notes)
        return VerifiedAnswer("".join(self.shown), citations_of(self.sources, self.renumber, self.cited_sentences),
                              grounded=True, notes=self.notes)


def verify_answer(text: str, sources: list[ContextSource], language: str,
                  question: QuestionAnalysis | None = None) -> VerifiedAnswer:
    verifier = CitationVerifier(sources, language, question)
    for sentence in sentences(text):
        verifier.add(sentence)
    return verifier.finish()
