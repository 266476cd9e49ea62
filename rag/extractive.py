"""The extractive answerer: the source sentences that best answer the question, cited, with no LLM.

It is the generator on machines without a model, and the chain's answer from evidence when an LLM's own
sentences fail verification. A sentence qualifies when it shares enough weighted words with the question,
names what the question asks for (its focus word), is of the kind the question asks for (an amount, a list,
a date), and is not about another year than the one asked: the 2026 figure is never offered as the 2025 one.
"""

from __future__ import annotations

import re

from rag.alternatives import line_names_the_other_side
from rag.claims import YEAR, Claim, Figure, claim_of, figures, normalize
from rag.context import ContextSource, Weigher, score_sentence, token_weight
from rag.evidence import (
    clause_kinds,
    clause_of,
    figure_spans,
    names_other_place,
    subject_unbacked,
)
from rag.keyword_index import tokenize
from rag.kinds import RATES, AskedQuantity, growth_base, growth_of_another, kinds_conflict, unit_of_another_kind
from rag.localities import local_place_unsaid
from rag.passages import passage_frame, titled_year
from rag.periods import names_other_period, periods_in
from rag.question import QuestionAnalysis
from rag.responsive import mentions, states_amount
from rag.schema import ROW_MARK, SERIES_MARK
from rag.sentences import sentences
from rag.years import frame_years

_TITLE_LINE = re.compile(r"^[^。！？!?；;，,\s\d]{2,24}$")  # a title carries no figure: a value line is a cell
_LIST_SEPARATORS = re.compile(r"、|；|及|以及|和|与")


def _answer_type_bonus(question: QuestionAnalysis, sentence: str) -> float:
    """Reward sentences of the kind the question asks for: a quantity (not just a year), an enumeration,
    a date."""
    if question.ask == "quantity" and states_amount(sentence):
        return 1.5
    if question.ask == "list" and len(_LIST_SEPARATORS.findall(sentence)) >= 2:
        return 1.5
    if question.ask == "time" and re.search(r"\d{4}年(\d{1,2}月)?", sentence):
        return 1.0
    return 0.0


def sentence_years(text: str, start: int, end: int) -> set[str]:
    """The years a sentence of a passage is about: its own, else the last one stated earlier on its line
    (a paragraph of the cleaned text); not a year it compares with ("为2029年同期的104.2%")."""
    own = {m.group(0) for m in frame_years(text[start:end])}
    if own:
        return own
    line_start = text.rfind("\n", 0, start) + 1
    before = frame_years(text[line_start:start])
    return {before[-1].group(0)} if before else set()


def dated_years(source: ContextSource, start: int, end: int, wanted: set[str]) -> set[str]:
    """A sentence's years; one naming none (nor its line) is of an asked year its document's title names."""
    return sentence_years(source.hit.text, start, end) or titled_year(source) & wanted


def asked_years(question: QuestionAnalysis, source: ContextSource) -> set[str]:
    return set(question.years_asked(source.hit.title))


def figure_answers_the_kind(sentence: str, figure: Figure, asked: AskedQuantity) -> bool:
    """False when the figure is plainly another kind of quantity than the one asked: a growth rate does not
    answer a question about revenue, nor revenue's growth one about GDP's, nor millimetres of rain one about
    a loss, nor a defect rate one about a return rate. A figure's kinds are the quantity words of its clause
    ("实现了318%的增长")."""
    spans = [] if YEAR.fullmatch(figure.number) else figure_spans(figure, sentence)
    if not spans:
        return True
    start, end = spans[0]
    if asked.other_rate(clause_of(sentence, start, end)):
        return False
    kinds = set(asked.kinds)
    if not kinds:
        return True
    if unit_of_another_kind(kinds, sentence, end):
        return False
    own = clause_kinds(sentence, start, end)
    if "growth" in own and growth_of_another(growth_base(sentence, 0, start), kinds - RATES):
        return False
    return not own or any(not kinds_conflict(k, q) for k in own for q in kinds)


def answers_the_kind(sentence: str, asked: AskedQuantity) -> bool:
    """Some figure of the sentence may be of the asked kind (or the sentence states no figure)."""
    stated = [f for f in figures(sentence) if not YEAR.fullmatch(f.number) and figure_spans(f, sentence)]
    return not stated or any(figure_answers_the_kind(sentence, f, asked) for f in stated)


class ExtractiveAnswerer:
    def __init__(self, idf: Weigher | None = None, min_score: float = 2.5, min_coverage: float = 0.3,
                 max_sentences: int = 3, require_focus: bool = False) -> None:
        if min_score <= 0 or not 0 <= min_coverage <= 1 or max_sentences < 1:
            raise ValueError("min_score must be positive, min_coverage in [0, 1], max_sentences at least 1")
        self.idf = idf
        self.min_score = min_score
        self.min_coverage = min_coverage
        self.max_sentences = max_sentences
        # As the evidence answer after a model's failed one, a sentence must name what is asked for. As the
        # generator itself this cost more right answers than it saved refusals on the held-out sets, twice
        # (also when required only for amounts no kind of quantity covers: stop 17's closing note).
        self.require_focus = require_focus

    @staticmethod
    def _units(source: ContextSource) -> list[tuple[int, int, str]]:
        """The shown sentences (span, text), each preceded by the slide or table title line right above it,
        if any: on a slide, "杭州：数据要素高地" is what the sentence under it is about. A later cell of a
        derived table row keeps the row's name ("（表格行）营业收入：…；2030年 1,088.0万元")."""
        units = []
        text = source.hit.text
        for start, end in sorted(source.sentences):
            sentence = text[start:end].strip()
            before = text[:start].rstrip("\n ").rsplit("\n", 1)[-1].strip()
            line = text[text.rfind("\n", 0, start) + 1:start]
            if before and _TITLE_LINE.match(before) and before not in sentence and text[:start].endswith("\n"):
                sentence = f"{before}：{sentence}" if not before.endswith(("：", ":")) else before + sentence
            elif line.startswith((ROW_MARK, SERIES_MARK)) and "：" in line:
                sentence = line[:line.index("：") + 1] + sentence
            units.append((start, end, sentence))
        return units

    def coverage(self, sentence: str, query_tokens: set[str]) -> float:
        """Weighted share of the question's words the sentence has: how much of the question it speaks to."""
        total = sum(token_weight(token, self.idf) for token in query_tokens)
        shared = set(tokenize(sentence)) & query_tokens
        return sum(token_weight(token, self.idf) for token in shared) / total if total else 0.0

    def qualifies(self, sentence: str, years: set[str], wanted: set[str], question: QuestionAnalysis,
                  query_tokens: set[str]) -> bool:
        """Could this sentence answer the question? It speaks to enough of it, names what is asked for (the
        question's focus word: word overlap cannot tell a box office from a rating), states an amount of the
        asked kind (for the asked year, said explicitly) when an amount is asked for, and is not about another
        place or calendar period (春节, 上半年…) than the one asked."""
        if self.coverage(sentence, query_tokens) < self.min_coverage:
            return False
        if self.require_focus and question.focus and not mentions(question.focus, sentence):
            return False
        if question.ask == "quantity":
            if not states_amount(sentence) or not answers_the_kind(sentence, AskedQuantity.of(question.text)):
                return False
            if wanted and not wanted & years:
                return False
        return not (names_other_place(sentence, list(question.places))
                    or names_other_period(sentence, periods_in(question.text)))

    def rank(self, query: str, sources: list[ContextSource], question: QuestionAnalysis,
             other_years: bool = False) -> list[tuple[float, int, str]]:
        """(score, source number, sentence) of the sentences that qualify, best first. Sentences about another
        year than the one asked are left out, or, with `other_years`, are the only ones kept (for saying what
        the reports give instead)."""
        query_tokens = set(tokenize(query))
        scored = []
        for source in sources:
            wanted = asked_years(question, source)
            for start, end, sentence in self._units(source):
                years = dated_years(source, start, end, wanted)
                elsewhere = bool(wanted and years and not wanted & years)
                if elsewhere != other_years or _on_the_other_side(source, end, question) or _local_unsaid(
                        source, sentence, question):
                    continue
                if self.require_focus and _subject_elsewhere(source, start, sentence, question):
                    continue
                if not self.qualifies(sentence, set() if other_years else years, set() if other_years else wanted,
                                      question, query_tokens):
                    continue
                score = score_sentence(sentence, query_tokens, self.idf) + _answer_type_bonus(question, sentence)
                scored.append((score + 0.3 / source.n, source.n, sentence))
        return sorted(scored, key=lambda item: -item[0])

    def compose(self, query: str, sources: list[ContextSource], question: QuestionAnalysis) -> str | None:
        """The best sentences, cited ("…[2]"), or None when no sentence answers well enough."""
        scored = self.rank(query, sources, question)
        if not scored or scored[0][0] < self.min_score:
            return None
        best = scored[0][2]
        query_tokens = set(tokenize(query))
        chosen = [scored[0]]
        covered = set(tokenize(best)) & query_tokens
        for item in scored[1:]:
            if len(chosen) == self.max_sentences:
                break
            gain = (set(tokenize(item[2])) & query_tokens) - covered
            if sum(token_weight(token, self.idf) for token in gain) >= 2 and item[2] not in {c[2] for c in chosen}:
                chosen.append(item)
                covered |= gain
        return "".join(f"{_trim(sentence)}[{n}]" + ("" if sentence.endswith(("。", "！", "？")) else "。")
                       for _, n, sentence in chosen)

    def anchored(self, model_text: str, sources: list[ContextSource], question: QuestionAnalysis) -> str | None:
        """The shown source sentences that state every figure (and every name the question does not echo) of
        a sentence the model wrote, cited; None when no model sentence is stated so by one source sentence.

        A small model often reads the right sentence and words its answer in the question's words ("投诉比例"
        for the report's "客诉率"), which the verifier rightly cannot accept as the report's claim. The
        source sentence holding the model's figures is two readings agreeing (the model chose the figures,
        the passage states them) without requiring the question's words. Year, place, period and the asked
        kind of quantity are still checked, so a neighbouring year's figure is never offered."""
        asked = AskedQuantity.of(question.text)
        wanted = {source.n: asked_years(question, source) for source in sources}
        eligible = [(source.n, sentence) for source in sources for start, end, sentence in self._units(source)
                    if not _on_the_other_side(source, end, question) and not _local_unsaid(source, sentence, question)
                    and self._may_answer(sentence, dated_years(source, start, end, wanted[source.n]),
                                         wanted[source.n], question, asked)]
        frames = {source.n: normalize(passage_frame(source.hit, source.head)) for source in sources}
        chosen: list[tuple[int, str]] = []
        for written in sentences(model_text):
            claim = claim_of(written, question.language)
            parts = Claim(tuple(f for f in claim.figures if not YEAR.fullmatch(f.number)),
                          tuple(n for n in claim.names if n not in question.text))
            for unit in eligible if parts.checkable else []:
                if _about_another(written, parts.figures, frames[unit[0]], list(frames.values()), question):
                    continue
                of_kind = not parts.figures or any(figure_answers_the_kind(unit[1], f, asked) for f in parts.figures)
                if unit[1] not in {c[1] for c in chosen} and len(parts.found_in(unit[1])) == len(parts.parts) \
                        and of_kind:  # one sentence once, though overlapping chunks both hold it
                    chosen.append(unit)
        return "".join(f"{_trim(sentence)}[{n}]" + ("" if sentence.endswith(("。", "！", "？")) else "。")
                       for n, sentence in chosen[:self.max_sentences]) or None

    @staticmethod
    def _may_answer(sentence: str, years: set[str], wanted: set[str], question: QuestionAnalysis,
                    asked: AskedQuantity) -> bool:
        """Not about another year (an amount must say the asked year), place or period, nor plainly another
        kind of quantity than the one asked."""
        if wanted and not wanted & years and (question.ask == "quantity" or years):
            return False
        return answers_the_kind(sentence, asked) and not (names_other_place(sentence, list(question.places))
                                                          or names_other_period(sentence, periods_in(question.text)))

    def nearest_other_year(self, query: str, sources: list[ContextSource],
                           question: QuestionAnalysis) -> tuple[int, str] | None:
        """For a false premise: the best-matching sentence about another year than the one asked, when no
        matching sentence states the asked year. None when the question names no year."""
        if not question.years:
            return None
        query_tokens = set(tokenize(query))
        best: tuple[float, int, str] | None = None
        for source in sources:
            wanted = asked_years(question, source)
            for start, end, sentence in self._units(source):
                score = score_sentence(sentence, query_tokens, self.idf) + _answer_type_bonus(question, sentence)
                if score < self.min_score or not self.qualifies(sentence, set(), set(), question, query_tokens):
                    continue
                years = sentence_years(source.hit.text, start, end)
                if wanted & (years or titled_year(source)):
                    return None  # the asked year is there: not a false premise
                if years and wanted and (best is None or score > best[0]):
                    best = (score, source.n, sentence)
        return (best[1], _trim(best[2])) if best else None


def _about_another(written: str, claimed: tuple[Figure, ...], frame: str, frames: list[str],
                   question: QuestionAnalysis) -> bool:
    """The model tied a figure to a word of the question that another passage uses and this one does not
    (rag.evidence.subject_unbacked): "新型储能产品的出口额" from a passage about all of a city's exports. Its
    figure there is another subject's, so that passage's sentence is no answer either."""
    return any(subject_unbacked(written, spans[0][0], question.specific, frame, frames)
               for figure in claimed if (spans := figure_spans(figure, written)))


def _subject_elsewhere(source: ContextSource, start: int, sentence: str, question: QuestionAnalysis) -> bool:
    """A rarer word of the question ("童书展区") that the passage uses after this sentence, and neither this
    sentence nor the document's title does: the passage speaks of it elsewhere, so this sentence ("书展销售图书
    3150万元") is about something else (a subject named before it may be what it is about). As the evidence
    answer only."""
    text = source.hit.text
    after = text[start + len(sentence):]
    frame = f"{source.hit.title}\n{source.hit.section}\n{source.head}\n{sentence}"
    return any(word in after and word not in frame for word in question.specific)


def _on_the_other_side(source: ContextSource, end: int, question: QuestionAnalysis) -> bool:
    """The sentence ending at `end` is, by what its line says up to there, about the other side of an opposite
    the question names: "男子组比赛中，…；林某获得亚军" is about the men's race."""
    text = source.hit.text
    return line_names_the_other_side(text, end, question.text)


def _local_unsaid(source: ContextSource, sentence: str, question: QuestionAnalysis) -> bool:
    """The question's district (county, town) is neither in the sentence nor in its document's heading."""
    heading = f"{source.hit.title}\n{source.hit.section}\n{source.head}"
    return local_place_unsaid(sentence, list(question.places), question.text, heading)


def _trim(sentence: str) -> str:
    """Without a bullet, a trailing separator or the mark of a derived table line (for reading, not search)."""
    return re.sub(r"^[•·\-\s]+", "", sentence).removeprefix(ROW_MARK).removeprefix(SERIES_MARK).rstrip("；;，,")
