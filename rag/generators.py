"""The three ways an answer gets written: an OpenAI-compatible endpoint, the bundled local model, or
extraction of the best-supported sentences (no LLM at all).

The two LLM generators are LangChain chat models, so the chain treats them alike; the extractive answerer
is a deterministic product feature for machines without a model, and the fallback of `auto`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from rag.claims import YEAR, asks_for_quantity, claim_of, has_quantity, normalize
from rag.context import ContextSource, Weigher, score_sentence, token_weight
from rag.keyword_index import tokenize
from rag.local_model import LOCAL_MODELS, assemble, load_llama, parts_installed, runtime_installed
from rag.settings import Settings
from rag.verification import REFUSALS

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LlamaCppChatModel(BaseChatModel):
    """llama-cpp-python in-process, as a LangChain chat model (streaming included)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_path: str
    model_name: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> tuple[Any, Any, dict[str, Any]]:
        llama, lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        payload = {
            "messages": [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages],
            # repeat_penalty 1.0: the default 1.1 makes small models drop the figures they should copy
            "temperature": 0.0, "max_tokens": self.max_tokens, "repeat_penalty": 1.0, "stop": stop or [],
            "seed": 0,
        }
        return llama, lock, payload

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        llama, lock, payload = self._request(messages, stop)
        with lock:
            result = llama.create_chat_completion(**payload)
        usage = result.get("usage") or {}
        message = AIMessage(content=result["choices"][0]["message"]["content"] or "", usage_metadata={
            "input_tokens": usage.get("prompt_tokens", 0), "output_tokens": usage.get("completion_tokens", 0),
            "total_tokens": usage.get("total_tokens", 0)})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama, lock, payload = self._request(messages, stop)
        completion = 0
        with lock:
            for event in llama.create_chat_completion(stream=True, **payload):
                delta = event["choices"][0]["delta"].get("content")
                if not delta:
                    continue
                completion += 1
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
            prompt = sum(len(llama.tokenize(m["content"].encode(), add_bos=False)) + 4 for m in payload["messages"])
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata={
            "input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}))


def resolve_generator(settings: Settings) -> str:
    """What `auto` means on this machine."""
    if settings.generator != "auto":
        return settings.generator
    if settings.llm_base_url:
        return "openai"
    if runtime_installed() and parts_installed(LOCAL_MODELS[settings.local_model]):
        return "local"
    return "extractive"


def build_chat_model(settings: Settings, generator: str) -> BaseChatModel:
    if generator == "openai":
        if not settings.llm_base_url:
            raise ValueError("the openai generator needs RAG_LLM_BASE_URL")
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", temperature=0,
                          max_tokens=settings.max_answer_tokens, stream_usage=True, timeout=180, max_retries=1,
                          extra_body=settings.llm_extra_body or None)
    if generator == "local":
        spec = LOCAL_MODELS[settings.local_model]
        return LlamaCppChatModel(model_path=str(assemble(spec, settings.data_dir / "models")), model_name=spec.name,
                                 n_ctx=settings.llm_context_window, n_threads=settings.llm_threads,
                                 max_tokens=settings.max_answer_tokens)
    raise ValueError(f"{generator!r} is not an LLM generator")


def model_label(settings: Settings, generator: str) -> str:
    if generator == "openai":
        return settings.llm_model
    if generator == "local":
        return LOCAL_MODELS[settings.local_model].name
    return "extractive"


_ASKS_FOR_LIST = re.compile(r"哪些|哪几|有什么|包括什么|几个方面|几大|which|what are", re.IGNORECASE)
_ASKS_FOR_TIME = re.compile(r"何时|什么时候|哪一?年|哪一?天|哪个月|when|what year", re.IGNORECASE)
_TITLE_LINE = re.compile(r"^[^。！？!?；;，,\s]{2,24}$")


def _answer_type_bonus(question: str, sentence: str) -> float:
    """Reward sentences of the kind the question asks for: a quantity (not just a year), an enumeration,
    a date."""
    bonus = 0.0
    if asks_for_quantity(question) and has_quantity(sentence):
        bonus += 1.5
    if _ASKS_FOR_LIST.search(question) and len(re.findall(r"、|；|及|以及|和|与", sentence)) >= 2:
        bonus += 1.5
    if _ASKS_FOR_TIME.search(question) and re.search(r"\d{4}年(\d{1,2}月)?", sentence):
        bonus += 1.0
    return bonus


class ExtractiveAnswerer:
    """Answers with the source sentences that best match the question, cited; refuses when no sentence
    matches well enough or none mentions the years the question asks about. Deterministic and instant."""

    def __init__(self, idf: Weigher | None = None, min_score: float = 2.5, max_sentences: int = 3) -> None:
        self.idf = idf
        self.min_score = min_score
        self.max_sentences = max_sentences


    @staticmethod
    def _units(source: ContextSource) -> list[str]:
        """The shown sentences, each preceded by the slide or table title line right above it, if any: on a
        slide, "北京：创新策源地" is what the sentence under it is about."""
        units = []
        text = source.hit.text
        for start, end in sorted(source.sentences):
            sentence = text[start:end].strip()
            before = text[:start].rstrip("\n ").rsplit("\n", 1)[-1].strip()
            if before and _TITLE_LINE.match(before) and before not in sentence and text[:start].endswith("\n"):
                sentence = f"{before}：{sentence}" if not before.endswith(("：", ":")) else before + sentence
            units.append(sentence)
        return units

    def rank(self, question: str, sources: list[ContextSource]) -> list[tuple[float, int, str]]:
        """(score, source number, sentence) of every shown sentence, best first; sentences about another
        year than the one asked for are left out."""
        query_tokens = set(tokenize(question))
        years = set(YEAR.findall(question))
        names = claim_of(question).names
        scored = []
        for source in sources:
            if any(normalize(name) not in normalize(source.support_text) for name in names):
                continue  # a passage that never names who or what the question is about cannot answer it
            for sentence in self._units(source):
                if years - set(YEAR.findall(sentence)) and len(years) == 1:
                    continue  # about another year than the one asked for
                score = score_sentence(sentence, query_tokens, self.idf) + _answer_type_bonus(question, sentence)
                scored.append((score + 0.3 / source.n, source.n, sentence))
        return sorted(scored, key=lambda item: -item[0])

    def best_source(self, question: str, sources: list[ContextSource]) -> int | None:
        """The source whose best sentence clearly answers the question, if one does."""
        scored = self.rank(question, sources)
        return scored[0][1] if scored and scored[0][0] >= self.min_score else None

    def compose(self, question: str, sources: list[ContextSource], language: str) -> str:
        query_tokens = set(tokenize(question))
        scored = self.rank(question, sources)
        if not scored:
            return REFUSALS[language]
        best_score, _, best = scored[0]
        if best_score < self.min_score:
            return REFUSALS[language]
        if asks_for_quantity(question) and not has_quantity(best):
            return REFUSALS[language]  # asked "how much", and the best match states no amount
        chosen = [scored[0]]
        covered = set(tokenize(best)) & query_tokens
        for item in scored[1:]:
            if len(chosen) == self.max_sentences:
                break
            gain = (set(tokenize(item[2])) & query_tokens) - covered
            weight = sum(token_weight(token, self.idf) for token in gain)
            if weight >= 2 and item[2] not in {c[2] for c in chosen}:
                chosen.append(item)
                covered |= gain
        body = "".join(f"{_trim(sentence)}[{n}]" + ("" if sentence.endswith(("。", "！", "？")) else "。")
                       for _, n, sentence in chosen)
        return f"According to the reports (quoted in Chinese): {body}" if language == "en" else body


def _trim(sentence: str) -> str:
    return re.sub(r"^[•·\-\s]+", "", sentence).rstrip("；;，,")
