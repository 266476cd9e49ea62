"""The three ways an answer gets written: an OpenAI-compatible endpoint, the bundled local model, or
extraction of the best-supported sentences (no LLM at all).

The two LLM generators are LangChain chat models, so the chain treats them alike; the extractive answerer
(rag/extractive.py) is a deterministic product feature for machines without a model, and the fallback of
`auto`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from rag.local_model import LOCAL_MODELS, assemble, load_llama, parts_installed, runtime_installed
from rag.model_deadline import within_deadline
from rag.settings import Settings
from rag.unavailable import GeneratorUnavailable

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LlamaCppChatModel(BaseChatModel):
    """llama-cpp-python in-process, as a LangChain chat model (streaming included)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_path: str
    model_name: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256
    wait_seconds: float = 120
    deadline_seconds: float = 120

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
        return generate_from_stream(self._stream(messages, stop))  # one path, one deadline

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama, lock, payload = self._request(messages, stop)

        def deltas() -> Generator[str | int, None, None]:
            """Runs holding the model (rag/model_deadline.py): the prompt's size, then the answer's pieces."""
            yield sum(len(llama.tokenize(m["content"].encode(), add_bos=False)) + 4 for m in payload["messages"])
            for event in llama.create_chat_completion(stream=True, **payload):
                if delta := event["choices"][0]["delta"].get("content"):
                    yield delta

        completion = prompt = 0
        for item in within_deadline(lock, self.wait_seconds, self.deadline_seconds, deltas):
            if isinstance(item, int):
                prompt = item
                continue
            completion += 1
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=item))
            if run_manager:
                run_manager.on_llm_new_token(item, chunk=chunk)
            yield chunk
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
            raise GeneratorUnavailable("the openai generator needs RAG_LLM_BASE_URL")
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", temperature=0,
                          max_tokens=settings.max_answer_tokens, stream_usage=True, timeout=180, max_retries=1,
                          extra_body=settings.llm_extra_body or None)
    if generator == "local":
        spec = LOCAL_MODELS[settings.local_model]
        return LlamaCppChatModel(model_path=str(assemble(spec, settings.data_dir / "models")), model_name=spec.name,
                                 n_ctx=settings.llm_context_window, n_threads=settings.llm_threads,
                                 max_tokens=settings.max_answer_tokens, wait_seconds=settings.llm_wait_seconds,
                                 deadline_seconds=settings.llm_deadline_seconds)
    raise ValueError(f"{generator!r} is not an LLM generator")


def model_label(settings: Settings, generator: str) -> str:
    if generator == "openai":
        return settings.llm_model
    if generator == "local":
        return LOCAL_MODELS[settings.local_model].name
    return "extractive"
