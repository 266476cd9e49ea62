"""The answer chain: question (+ history) -> standalone question -> hybrid retrieval (per part of a
multi-part question) -> packed context -> generator -> verified, cited `Answer`.

How an answer is decided: a question naming a person, place, titled work or product the retrieved passages
never mention is refused at once; otherwise the generator writes and every sentence is verified (true to
its passage, and answering what was asked). When nothing the model wrote holds up while a passage answers
and states what the model named, the answer is that passage's own sentences, cited (answer from evidence,
not refusal on doubt); a refusal by the model itself stands. When
the passages hold the asked-for quantity only for another year, the refusal says so and cites what they
do give.

Streaming is by sentence: tokens are buffered until a sentence is complete, verified, and only then shown.
A figure the sources do not contain never reaches the screen, not even for a moment.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from rag.claims import YEAR, claim_of, language_of
from rag.context import ContextPacker, ContextSource, render_sources, specific_words
from rag.extractive import ExtractiveAnswerer
from rag.followups import figures_already_given, inherited_absences, unknown_subject, without_names
from rag.generators import GENERATORS, build_chat_model, model_label, resolve_generator
from rag.part_completion import missing_parts
from rag.passages import about_named, absent_names, byline, found_sources, passage_frame, with_titles
from rag.prompts import LANGUAGE_RULES, load_prompt
from rag.question import QuestionAnalysis, analyze, fit_question, with_places_named
from rag.refusals import REFUSALS, false_premise
from rag.retrieval import HybridRetriever, validate_query
from rag.rewriting import QuestionRewriter
from rag.schema import Answer, ChatTurn, Citation, SearchHit, Timings, Usage
from rag.sentences import pop_complete, sentences
from rag.settings import Settings
from rag.tokens import TokenCounter
from rag.verification import CitationVerifier, VerifiedAnswer


@dataclass
class AnswerEvent:
    """First the passages found ("sources", before any generation, so the reader sees the evidence at once),
    then pieces of verified text as they become showable, then the final answer."""

    kind: Literal["sources", "text", "answer"]
    text: str = ""
    answer: Answer | None = None
    sources: list[Citation] = field(default_factory=list)


_EXTRACTIVE_LEAD = "According to the reports (quoted in Chinese): "


def _recorded(pieces: Iterable[str], into: list[str]) -> Iterator[str]:
    for piece in pieces:
        into.append(piece)
        yield piece


def _agree(model_text: str, drafted: str, question: QuestionAnalysis) -> bool:
    """The drafted sentences state a figure (other than a bare year) or a name that the model wrote and the
    question did not (echoing the question's subject is no reading of the evidence)."""
    shared = claim_of(model_text, question.language).found_in(drafted)
    return any(not YEAR.fullmatch(part) and part not in question.text for part in shared)


class AnswerChain:
    def __init__(self, settings: Settings, retriever: HybridRetriever | None = None, generator: str | None = None,
                 chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings
        self.retriever = retriever or HybridRetriever(settings)
        self.generator = generator or resolve_generator(settings)
        if self.generator not in GENERATORS:
            raise ValueError(f"unknown generator {self.generator!r}")
        self._chat_model = chat_model
        self.model = model_label(settings, self.generator)
        self.counter = TokenCounter(settings.tokenizer_encoding, settings.cache_dir)
        self.packer = ContextPacker(self.counter, settings.context_tokens, idf=self.retriever.idf)
        self.extractive = ExtractiveAnswerer(idf=self.retriever.idf, require_focus=self.generator != "extractive")
        self.system_prompt = load_prompt(settings.prompts_dir, "answer_system")
        self.user_prompt = load_prompt(settings.prompts_dir, "answer_user")
        self.rewriter = QuestionRewriter(settings.prompts_dir, lambda: self.chat_model,
                                         self.retriever.romanized_names)

    @property
    def chat_model(self) -> BaseChatModel | None:
        if self._chat_model is None and self.generator != "extractive":
            self._chat_model = build_chat_model(self.settings, self.generator)
        return self._chat_model

    # --- steps ---------------------------------------------------------------------------------------
    def _messages(self, question: str, sources: list[ContextSource], language: str, query: str) -> list:
        system = self.system_prompt.format(refusal=REFUSALS[language], language_rule=LANGUAGE_RULES[language])
        if language != "zh":  # its Chinese rendering helps match the sources' wording; the small model then
            question = f"{question}\n（中文：{query}）\nAnswer in English."  # answers in Chinese unless told last
        user = self.user_prompt.format(sources=render_sources(sources), question=question)
        return [SystemMessage(content=system), HumanMessage(content=user)]

    def _generate(self, question: str, query: str, sources: list[ContextSource], language: str,
                  usage: Usage) -> Iterator[str]:
        """Raw LLM text, piece by piece."""
        assert self.chat_model is not None
        for chunk in self.chat_model.stream(self._messages(question, sources, language, query)):
            meta = getattr(chunk, "usage_metadata", None)
            if meta:
                usage.prompt_tokens += meta.get("input_tokens", 0)
                usage.completion_tokens += meta.get("output_tokens", 0)
            if chunk.content:
                yield str(chunk.content)

    def retrieve(self, query: str, analysis: QuestionAnalysis, k: int | None) -> list[SearchHit]:
        """The question's passages, and for a multi-part question also each part's best ones, so that
        "2023年规模多少？增速呢？" or a question about two reports gets evidence for every part. An English
        question also gets the best two passages for its own words: a small model's translation loses terms
        that the reports write in Latin letters or that it renders with another Chinese word."""
        k = self.settings.retrieval_k if k is None else k
        hits = self.retriever.search(query, k=k)
        if analysis.language != "zh":
            extra, per_query = ([analysis.text] if query != analysis.text else []), 2
        else:
            extra, per_query = (list(analysis.parts) if len(analysis.parts) > 1 else []), 1
        seen = {hit.chunk_id for hit in hits}
        for text in extra:
            added = [hit for hit in self.retriever.search(text, k=per_query + 1) if hit.chunk_id not in seen]
            for hit in added[:per_query]:
                seen.add(hit.chunk_id)
                hits.append(hit)
        return hits

    def _search(self, standalone: str, question: str, language: str, turns: list[ChatTurn], k: int | None,
                ) -> tuple[QuestionAnalysis, str, list[SearchHit], list[str], list[str]]:
        """The standalone question's analysis, search query, passages, their frames, and the names it pins
        down that no passage mentions."""
        analysis = analyze(standalone, language)  # the user's own words, not a translation's
        query = self.rewriter.search_query(standalone, language)
        if language != "zh":
            analysis = with_places_named(analysis, self.retriever.romanized_names(standalone).values())
        hits = self.retrieve(query, analysis, k)
        if language == "zh":  # the index's word counts are current once it has searched
            analysis = replace(analysis, specific=specific_words(standalone, self.retriever.idf))
        frames = [passage_frame(hit, self.retriever.document_head(hit.source)) for hit in hits]
        absent = absent_names(analysis, frames, query) + (unknown_subject(question, self.retriever.idf)
                                                          if turns else [])
        return analysis, query, hits, frames, absent

    # --- public --------------------------------------------------------------------------------------
    def stream(self, question: str, history: Iterable[ChatTurn] = (), k: int | None = None) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        question = validate_query(question, self.settings.max_question_chars)
        language = "zh" if language_of(question) == "zh" else "en"
        turns = list(history)  # read twice below: a generator would be empty the second time
        condensed = self.rewriter.condense(question, turns)
        standalone = fit_question(condensed, question, self.settings.max_question_chars)
        analysis, query, hits, frames, absent = self._search(standalone, question, language, turns, k)
        carried = inherited_absences(question, absent, turns) if turns else []
        if carried:  # asked again without what only an earlier turn named and no passage mentions
            standalone = without_names(standalone, carried)
            analysis, query, hits, frames, absent = self._search(standalone, question, language, turns, k)
        repeated = figures_already_given(question, turns, specific_words(question, self.retriever.idf))
        retrieved = time.perf_counter()
        usage = Usage()
        timings = Timings(retrieve=round(retrieved - started, 3))
        packed_for = query if language == "zh" else f"{query} {standalone}"  # Latin terms match as written
        sources = self.packer.pack(packed_for, about_named(analysis, hits, frames)) if hits and not absent else []
        for source in sources:
            source.head = self.retriever.document_head(source.hit.source)
            source.byline = byline(source.head, (*analysis.specific, *analysis.topics), source.excerpt)
        timings.sources = round(time.perf_counter() - started, 3)
        yield AnswerEvent("sources", sources=found_sources(sources))
        verifier = CitationVerifier(sources, language, analysis, repeated)
        if carried:
            verifier.notes.append(f"asked without {'、'.join(carried)}: an earlier turn named it and no passage does")
        if absent or not sources:
            verifier.notes.append(f"the retrieved passages never mention {'、'.join(absent)}" if absent
                                  else "nothing relevant was retrieved")
            verifier.refused = True
        else:
            written: list[str] | None = None
            if self.generator != "extractive":
                written = []
                pieces = _recorded(self._generate(standalone, query, sources, language, usage), written)
                yield from self._verified(pieces, verifier, timings, started)
                if verifier.answered:
                    completion = missing_parts(analysis, "".join(verifier.shown), sources, self.extractive)
                    if completion:
                        verifier.notes.append("added the sources' own sentences for a part the answer left out")
                    for sentence in completion:
                        yield from self._show(verifier, sentence, timings, started)
            # The model's own refusal of a Chinese question is respected (lexical evidence could not tell its
            # right refusals from its wrong ones on the tuning sets); of an English one, where 4 of the 5 the
            # small model declined on the tuning sets had the answer in their passages, the sources' best
            # sentences are tried. What it wrote but could not be verified is replaced by the sources' own
            # sentences, when one answers what is asked (focus, kind, year, place, period).
            if not verifier.answered and (self.generator == "extractive" or not verifier.refused or language == "en"):
                model_text = None if written is None or verifier.refused else "".join(written)
                fallback = self._from_evidence(query, sources, analysis, verifier.notes, timings, started,
                                               model_text, repeated)
                verifier = yield from fallback
        verified = verifier.finish()
        if not verified.grounded:
            verified.text = REFUSALS[language]
            if sources:
                verified = self._false_premise(query, sources, analysis, language, verified)
        finished = time.perf_counter()
        timings.generate = round(finished - retrieved, 3)
        timings.total = round(finished - started, 3)
        if not verified.grounded:
            timings.first_token = timings.first_token or timings.total
            yield AnswerEvent("text", verified.text)
        answer = Answer(question=question, standalone_question=standalone, answer=verified.text,
                        citations=with_titles(verified.citations, sources), grounded=verified.grounded,
                        model=self.model, language=language, timings=timings, usage=usage, notes=verified.notes)
        yield AnswerEvent("answer", answer=answer)

    def _from_evidence(self, query: str, sources: list[ContextSource], analysis: QuestionAnalysis,
                       notes: list[str], timings: Timings, started: float,
                       model_text: str | None = None, repeated: frozenset[str] = frozenset(),
                       ) -> Generator[AnswerEvent, None, CitationVerifier]:
        """The sources' own best sentences, cited and verified like any answer; a refusal when none answers.
        A Chinese question's focus word, kind, year, place and period guard which sentences qualify; an
        English question has no Chinese focus word to check, so after a model's answer that did not hold up
        they must state a figure or name the model named (two readings agreeing on the fact). For an English
        question they are introduced as quotes."""
        verifier = CitationVerifier(sources, "zh", analysis, repeated, quoting=True)  # the sources' own, in Chinese
        verifier.notes = list(notes)
        drafted = self.extractive.compose(query, sources, analysis)
        if drafted is not None and model_text is not None and analysis.language == "en" and not _agree(
                model_text, drafted, analysis):
            verifier.notes.append("the sources' best sentences do not state what the model's answer named")
            drafted = None
        if drafted is None and model_text and (drafted := self.extractive.anchored(model_text, sources, analysis)):
            # anchored() checked the asked year, place and kind; which amount answers is the model's reading
            asked = replace(analysis, ask="other") if analysis.ask == "quantity" else analysis
            earlier, verifier = verifier.notes, CitationVerifier(sources, "zh", asked, repeated, quoting=True)
            verifier.notes = [*earlier, "the model's answer did not hold up; answered with the source sentences "
                              "that state its figures"]
        elif drafted is None:
            verifier.refused = True
            return verifier
        elif self.generator != "extractive":
            verifier.notes.append("the model's answer did not hold up; answered with the sources' own sentences"
                                  if model_text is not None else "the model declined; answered with the sources' own "
                                  "sentences")
        lead = _EXTRACTIVE_LEAD if analysis.language == "en" else ""
        for event in self._verified(iter(sentences(drafted)), verifier, timings, started):
            yield AnswerEvent("text", lead + event.text)
            lead = ""
        if verifier.shown and analysis.language == "en":
            verifier.shown[0] = _EXTRACTIVE_LEAD + verifier.shown[0]
        return verifier

    def _false_premise(self, query: str, sources: list[ContextSource], analysis: QuestionAnalysis,
                       language: str, refusal: VerifiedAnswer) -> VerifiedAnswer:
        """A refusal that says what the reports give instead, when they hold the asked-for quantity only for
        another year. Still `grounded: false`: the question as asked is not answered."""
        nearest = self.extractive.nearest_other_year(query, sources, analysis)
        if nearest is None:
            return refusal
        n, fact = nearest
        source = next(s for s in sources if s.n == n)
        text = false_premise(language, list(analysis.years), f"{fact}[1]")
        citation = Citation(n=1, chunk_id=source.hit.chunk_id, source=source.hit.source, section=source.hit.section,
                            quote=fact, score=source.hit.score, text=source.hit.cited_text())
        return VerifiedAnswer(text, [citation], grounded=False,
                              notes=[*refusal.notes, "the sources give this only for another year"])

    def _verified(self, pieces: Iterable[str], verifier: CitationVerifier, timings: Timings,
                  started: float) -> Iterator[AnswerEvent]:
        """Feed generated text through the verifier sentence by sentence, yielding what may be shown."""
        buffer = ""
        for piece in pieces:
            complete, buffer = pop_complete(buffer + piece)
            for sentence in complete:
                yield from self._show(verifier, sentence, timings, started)
        if buffer.strip():  # the last sentence: nothing follows it
            yield from self._show(verifier, buffer, timings, started)

    @staticmethod
    def _show(verifier: CitationVerifier, sentence: str, timings: Timings, started: float) -> Iterator[AnswerEvent]:
        shown = verifier.add(sentence)
        if shown:
            if timings.first_token is None:
                timings.first_token = round(time.perf_counter() - started, 3)
            yield AnswerEvent("text", shown)

    def invoke(self, question: str, history: Iterable[ChatTurn] = (), k: int | None = None) -> Answer:
        for event in self.stream(question, history, k):
            if event.answer is not None:
                return event.answer
        raise RuntimeError("the chain ended without an answer")
