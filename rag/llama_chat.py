"""llama-cpp-python in-process as a LangChain chat model, so the chain treats the bundled model like any
OpenAI-compatible endpoint (streaming and token usage included)."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from rag.local_model import LocalModels
from rag.model_deadline import within_deadline

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
    models: LocalModels = Field(default_factory=LocalModels, exclude=True, description="Where the weights are "
                                "loaded; pass the one of the other chat models that should share them.")

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> tuple[Any, Any, dict[str, Any]]:
        llama, lock = self.models.load(self.model_path, self.n_ctx, self.n_threads)
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
