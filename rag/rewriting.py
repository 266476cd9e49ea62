"""What the user typed -> what is searched: a follow-up becomes a question that stands alone, and an English
question is also put into Chinese, because the reports, BM25 and the sentence checks are in Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from rag.claims import language_of
from rag.followups import condense_by_substitution, is_elliptical, points_back, previous_question
from rag.names import places_in
from rag.prompts import load_prompt
from rag.refusals import REFUSALS
from rag.schema import ChatTurn

# Abbreviations that questions use and Chinese statistical bulletins and annual reports write out
WRITTEN_OUT = {"GDP": ("生产总值",), "CPI": ("居民消费价格",), "PPI": ("工业生产者出厂价格",),
               "PMI": ("采购经理指数",), "R&D": ("研发",), "M2": ("广义货币",)}
_ABBREVIATION = {short: re.compile(rf"(?<![A-Za-z]){re.escape(short)}(?![A-Za-z])", re.IGNORECASE)
                 for short in WRITTEN_OUT}


def written_out(text: str) -> list[str]:
    """The Chinese terms for the abbreviations `text` uses ("海湾省GDP" -> 生产总值: the national and the
    regional names of the total both contain it, as a word of its own for search)."""
    return [term for short, terms in WRITTEN_OUT.items() if _ABBREVIATION[short].search(text) for term in terms]


ChatModelSource = Callable[[], BaseChatModel | None]
NameFinder = Callable[[str], dict[str, str]]


def _first_line(output: str) -> str:
    return output.strip().split("\n")[0].strip("\"“”「」 ") if output else ""


def condensing_transcript(question: str, history: list[ChatTurn]) -> str:
    """The turns the rewrite of a follow-up sees. "货运方面呢？" swaps what the previous question asked
    about; the previous answer's facts are no part of it, and a small model shown them wrote them into the
    new question (on the tuning sets the rewrite then asked for the figure already given). Only questions
    pointing back ("它的增速") need the answers, and English ones, which the small model echoed unrewritten
    when shown the questions alone."""
    if language_of(question) == "zh" and not points_back(question):
        history = [turn for turn in history if turn.role == "user"]
    return "\n".join(f"{'用户' if t.role == 'user' else '助手'}：{t.content[:200]}" for t in history[-4:])


class QuestionRewriter:
    def __init__(self, prompts_dir: Path, chat_model: ChatModelSource, romanized_names: NameFinder) -> None:
        self._chat_model = chat_model  # called only when a model is needed: the extractive mode loads none
        self._romanized_names = romanized_names
        self.condense_prompt = ChatPromptTemplate.from_messages([("human", load_prompt(prompts_dir, "condense"))])
        self.search_query_prompt = ChatPromptTemplate.from_messages(
            [("human", load_prompt(prompts_dir, "search_query"))])

    def condense(self, question: str, history: list[ChatTurn]) -> str:
        """A follow-up becomes a question that stands alone; a question that already does is left alone."""
        if not history:
            return question
        previous = previous_question(history) or ""
        substituted = condense_by_substitution(question, history) or self._place_swapped(question, previous)
        if substituted:
            return substituted
        if not is_elliptical(question):
            return question
        model = self._chat_model()
        if model is None:
            return f"{previous} {question}"
        transcript = condensing_transcript(question, history)
        rewritten = _first_line((self.condense_prompt | model | StrOutputParser()).invoke(
            {"history": transcript, "question": question}))
        if not rewritten or len(rewritten) > 3 * (len(question) + len(previous)) or REFUSALS["zh"] in rewritten:
            return f"{previous} {question}"
        return rewritten

    def _place_swapped(self, question: str, previous: str) -> str | None:
        """"What about Lanzhou?" after a Chinese question about 东港: that question with 澜州 in its place,
        when the pinyin spells a place of the corpus. A small model's rewrite carried the last answer's facts
        over to the new place."""
        if language_of(question) == "zh" or not is_elliptical(question) or not previous or \
                language_of(previous) != "zh" or not (old := places_in(previous)):
            return None
        new = [name for name in self._romanized_names(question).values() if places_in(name) and name not in previous]
        return previous.replace(old[0], new[0], 1) if len(new) == 1 else None

    def search_query(self, question: str, language: str) -> str:
        """The question in Chinese for searching Chinese reports, with abbreviations written out. Chinese names
        written in pinyin are given to the translator as the corpus spells them (it would guess) and added.
        Without an LLM the question is searched as asked, plus those names (dense search works across languages)."""
        if language == "zh":
            return " ".join([question, *written_out(question)])
        names = self._romanized_names(question)
        translated = question
        model = self._chat_model()
        if model is not None:
            glossary = "问题中的拼音名称在报告中写作：" + "，".join(f"{k}={v}" for k, v in names.items()) + "。\n"
            output = _first_line((self.search_query_prompt | model | StrOutputParser()).invoke(
                {"question": question, "names": glossary if names else ""}))
            translated = output if output and language_of(output) == "zh" else question
        missing = [name for name in [*names.values(), *written_out(question)] if name not in translated]
        return " ".join([translated, *missing])
