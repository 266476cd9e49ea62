"""The answer chain: question (+ history) -> standalone question -> hybrid retrieval -> packed context ->
generator -> verified, cited `Answer`.

Streaming is by sentence: the generator's tokens are buffered until a sentence is complete, the sentence is
verified against the sources, and only then shown. A figure the sources do not contain never reaches the
screen, not even for a moment.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from rag.claims import YEAR, chinese_names, claim_of, language_of
from rag.context import ContextPacker, ContextSource, render_sources
from rag.generators import ExtractiveAnswerer, build_chat_model, model_label, resolve_generator
from rag.prompts import LANGUAGE_RULES, load_prompt
from rag.retrieval import HybridRetriever, validate_query
from rag.schema import Answer, ChatTurn, SearchHit, Timings, Usage
from rag.sentences import pop_complete
from rag.settings import Settings
from rag.tokens import TokenCounter
from rag.verification import REFUSALS, CitationVerifier

_ELLIPTICAL = re.compile(r"^(那么?|还有|而|另外|同样|and\b|what about|how about)|呢[？?]?$", re.IGNORECASE)


@dataclass
class AnswerEvent:
    """A piece of verified text as it becomes showable, then the final answer."""

    kind: Literal["text", "answer"]
    text: str = ""
    answer: Answer | None = None


def missing_anchors(question: str, hits: list[SearchHit]) -> list[str]:
    """Figures and names of the question that no retrieved passage mentions. A question about "2027年" or
    "GPT-5" cannot be answered from passages that never say 2027 or GPT-5, however similar they are."""
    claim = claim_of(question, language_of(question))
    return claim.missing_in("\n".join(hit.text for hit in hits)) if hits else claim.parts


def previous_question(history: list[ChatTurn]) -> str | None:
    return next((turn.content for turn in reversed(history) if turn.role == "user"), None)


def is_elliptical(question: str) -> bool:
    """"那2025年呢？", "上海呢", "and 2025?": a follow-up that leans on the previous question."""
    return bool(_ELLIPTICAL.search(question.strip())) or len(question.strip()) <= 12


def condense_by_substitution(question: str, history: list[ChatTurn]) -> str | None:
    """Resolve an elliptical follow-up ("那2025年呢？") by putting its new years or name into the previous
    question; None when the follow-up is not of that kind."""
    previous = previous_question(history)
    if previous is None or not is_elliptical(question):
        return None
    new_years, old_years = YEAR.findall(question), YEAR.findall(previous)
    if new_years and old_years:
        replacements = iter(new_years)  # positionally, in one pass: 2023→2024, 2024→2025 must not chain
        return YEAR.sub(lambda m: next(replacements, m.group(0)), previous)
    new_names = [n for n in chinese_names(question) if n not in previous]
    old_names = chinese_names(previous)
    if new_names and old_names:
        return previous.replace(old_names[0], new_names[0], 1)
    return None


class AnswerChain:
    def __init__(self, settings: Settings, retriever: HybridRetriever | None = None, generator: str | None = None,
                 chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings
        self.retriever = retriever or HybridRetriever(settings)
        self.generator = generator or resolve_generator(settings)
        if self.generator not in ("openai", "local", "extractive"):
            raise ValueError(f"unknown generator {self.generator!r}")
        self._chat_model = chat_model
        self.model = model_label(settings, self.generator)
        self.counter = TokenCounter(settings.tokenizer_encoding, settings.cache_dir)
        self.packer = ContextPacker(self.counter, settings.context_tokens, idf=self.retriever.idf)
        self.extractive = ExtractiveAnswerer(idf=self.retriever.idf)
        self.system_prompt = load_prompt(settings.prompts_dir, "answer_system")
        self.user_prompt = load_prompt(settings.prompts_dir, "answer_user")
        self.condense_prompt = ChatPromptTemplate.from_messages(
            [("human", load_prompt(settings.prompts_dir, "condense"))])
        self.search_query_prompt = ChatPromptTemplate.from_messages(
            [("human", load_prompt(settings.prompts_dir, "search_query"))])

    @property
    def chat_model(self) -> BaseChatModel | None:
        if self._chat_model is None and self.generator != "extractive":
            self._chat_model = build_chat_model(self.settings, self.generator)
        return self._chat_model

    # --- steps ---------------------------------------------------------------------------------------
    def condense(self, question: str, history: list[ChatTurn]) -> str:
        """A follow-up becomes a question that stands alone; a question that already does is left alone."""
        if not history:
            return question
        substituted = condense_by_substitution(question, history)
        if substituted:
            return substituted
        previous = previous_question(history) or ""
        if not is_elliptical(question):
            return question
        if self.chat_model is None:
            return f"{previous} {question}"
        transcript = "\n".join(f"{'用户' if t.role == 'user' else '助手'}：{t.content[:200]}" for t in history[-4:])
        chain = self.condense_prompt | self.chat_model | StrOutputParser()
        output = chain.invoke({"history": transcript, "question": question})
        rewritten = output.strip().split("\n")[0].strip("\"“”「」 ")
        if not rewritten or len(rewritten) > 3 * (len(question) + len(previous)) or REFUSALS["zh"] in rewritten:
            return f"{previous} {question}"
        return rewritten

    def search_query(self, question: str, language: str) -> str:
        """The question in Chinese for searching Chinese reports; BM25 and sentence selection need the
        reports' words. Without an LLM the question is searched as asked (dense search still works)."""
        if language == "zh" or self.chat_model is None:
            return question
        translated = (self.search_query_prompt | self.chat_model | StrOutputParser()).invoke({"question": question})
        translated = translated.strip().split("\n")[0].strip("\"“”「」 ")
        return translated if translated and language_of(translated) == "zh" else question

    def _messages(self, question: str, sources: list[ContextSource], language: str, query: str) -> list:
        system = self.system_prompt.format(refusal=REFUSALS[language], language_rule=LANGUAGE_RULES[language])
        if query != question:  # an English question: its Chinese rendering helps match the sources' wording
            question = f"{question}\n（中文：{query}）"
        user = self.user_prompt.format(sources=render_sources(sources), question=question)
        return [SystemMessage(content=system), HumanMessage(content=user)]

    def _generate(self, question: str, query: str, sources: list[ContextSource], language: str,
                  usage: Usage) -> Iterator[str]:
        """Raw generator text, piece by piece."""
        if self.generator == "extractive":
            yield self.extractive.compose(query, sources, language)
            return
        assert self.chat_model is not None
        for chunk in self.chat_model.stream(self._messages(question, sources, language, query)):
            meta = getattr(chunk, "usage_metadata", None)
            if meta:
                usage.prompt_tokens += meta.get("input_tokens", 0)
                usage.completion_tokens += meta.get("output_tokens", 0)
            if chunk.content:
                yield str(chunk.content)

    # --- public --------------------------------------------------------------------------------------
    def stream(self, question: str, history: Iterable[ChatTurn] = (), k: int | None = None) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        question = validate_query(question, self.settings.max_question_chars)
        history = list(history)
        language = "zh" if language_of(question) == "zh" else "en"
        standalone = self.condense(question, history)
        query = self.search_query(standalone, language)
        hits = self.retriever.search(query, k=k)
        retrieved = time.perf_counter()
        sources = self.packer.pack(query, hits)
        verifier = CitationVerifier(sources, language, query, self.retriever.idf)
        usage = Usage()
        timings = Timings(retrieve=round(retrieved - started, 3))
        missing = missing_anchors(standalone, hits)  # the user's own words, not a translation's
        if missing or not sources:
            verifier.notes.append(f"the retrieved passages never mention {'、'.join(missing)}" if missing
                                  else "nothing relevant was retrieved")
            verifier.refused = True
        else:
            yield from self._generate_verified(standalone, query, sources, language, verifier, usage, timings,
                                               started)
            focus = self.extractive.best_source(query, sources) if self.generator != "extractive" else None
            if verifier.refused and not verifier.shown and focus is not None and len(sources) > 1:
                # Small models often refuse when several passages compete; one more try with only the passage
                # that plainly matches the question. Its answer is verified like any other.
                single = [ContextSource(n=1, hit=sources[focus - 1].hit, sentences=sources[focus - 1].sentences)]
                retry = CitationVerifier(single, language, query, self.retriever.idf)
                retry.notes.append("the model first found no answer; asked again with the best-matching passage")
                yield from self._generate_verified(standalone, query, single, language, retry, usage, timings,
                                                   started)
                if retry.factual:
                    verifier = retry
        verified = verifier.finish()
        finished = time.perf_counter()
        timings.generate = round(finished - retrieved, 3)
        timings.total = round(finished - started, 3)
        if not verified.grounded:
            timings.first_token = timings.first_token or timings.total
            yield AnswerEvent("text", verified.text)
        answer = Answer(question=question, standalone_question=standalone, answer=verified.text,
                        citations=verified.citations, grounded=verified.grounded, model=self.model,
                        language=language, timings=timings, usage=usage, notes=verified.notes)
        yield AnswerEvent("answer", answer=answer)

    def _generate_verified(self, question: str, query: str, sources: list[ContextSource], language: str,
                           verifier: CitationVerifier, usage: Usage, timings: Timings,
                           started: float) -> Iterator[AnswerEvent]:
        """Feed the generator's text through the verifier sentence by sentence, yielding what may be shown."""
        buffer = ""
        for piece in self._generate(question, query, sources, language, usage):
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
