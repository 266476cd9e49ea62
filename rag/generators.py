"""The registry of the ways an answer gets written: an OpenAI-compatible endpoint, the bundled local model, or
extraction of the best-supported sentences (no LLM at all).

Settings (which names are valid), the chain, the service and the API's model list, and the CLI read this one
table; adding a generator is one class and one line in `GENERATORS`. Heavy imports stay inside `build`, so
that reading the table (every command does, through the settings) costs nothing.

The LLM generators give LangChain chat models, so the chain treats them alike; the extractive answerer
(rag/extractive.py) is a deterministic product feature for machines without a model, and the fallback of
`auto`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rag.local_model import LOCAL_MODELS, LocalModels, assemble, parts_installed, runtime_installed
from rag.unavailable import GeneratorUnavailable

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from rag.settings import Settings


class Generator:
    """One way of writing answers. `usable`: it can work on this machine as configured (`auto` picks the
    first usable one in registry order). `in_process`: its model is loaded into this process, so the server
    warms it up when it is the default and does not offer it beside another default (1-2 GB more)."""

    name: ClassVar[str]
    needs_llm: ClassVar[bool] = True
    in_process: ClassVar[bool] = False

    @staticmethod
    def label(settings: Settings) -> str:
        raise NotImplementedError

    @staticmethod
    def usable(settings: Settings) -> bool:
        raise NotImplementedError

    @staticmethod
    def build(settings: Settings, models: LocalModels) -> BaseChatModel:
        """The chat model, loading any weights into `models`; only generators that need an LLM are asked."""
        raise NotImplementedError


class OpenAIGenerator(Generator):
    name = "openai"

    @staticmethod
    def label(settings: Settings) -> str:
        return settings.llm_model

    @staticmethod
    def usable(settings: Settings) -> bool:
        return bool(settings.llm_base_url)

    @staticmethod
    def build(settings: Settings, models: LocalModels) -> BaseChatModel:
        if not settings.llm_base_url:
            raise GeneratorUnavailable("the openai generator needs RAG_LLM_BASE_URL")
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", temperature=0,
                          max_tokens=settings.max_answer_tokens, stream_usage=True, timeout=180, max_retries=1,
                          extra_body=settings.llm_extra_body or None)


class LocalGenerator(Generator):
    name = "local"
    in_process = True

    @staticmethod
    def label(settings: Settings) -> str:
        return LOCAL_MODELS[settings.local_model].name

    @staticmethod
    def usable(settings: Settings) -> bool:
        return runtime_installed() and parts_installed(LOCAL_MODELS[settings.local_model])

    @staticmethod
    def build(settings: Settings, models: LocalModels) -> BaseChatModel:
        from rag.llama_chat import LlamaCppChatModel

        spec = LOCAL_MODELS[settings.local_model]
        return LlamaCppChatModel(model_path=str(assemble(spec, settings.data_dir / "models")), model_name=spec.name,
                                 n_ctx=settings.llm_context_window, n_threads=settings.llm_threads,
                                 max_tokens=settings.max_answer_tokens, wait_seconds=settings.llm_wait_seconds,
                                 deadline_seconds=settings.llm_deadline_seconds, models=models)


class ExtractiveGenerator(Generator):
    name = "extractive"
    needs_llm = False

    @staticmethod
    def label(settings: Settings) -> str:
        return "extractive"

    @staticmethod
    def usable(settings: Settings) -> bool:
        return True


GENERATORS: dict[str, type[Generator]] = {g.name: g for g in (OpenAIGenerator, LocalGenerator, ExtractiveGenerator)}


def generator_class(name: str) -> type[Generator]:
    if name not in GENERATORS:
        raise ValueError(f"unknown generator {name!r}")
    return GENERATORS[name]


def resolve_generator(settings: Settings) -> str:
    """What `auto` means on this machine."""
    if settings.generator != "auto":
        return settings.generator
    return next(name for name, generator in GENERATORS.items() if generator.usable(settings))


def build_chat_model(settings: Settings, generator: str, models: LocalModels | None = None) -> BaseChatModel:
    """Without `models` the chat model gets its own, and shares its weights with no other."""
    spec = generator_class(generator)
    if not spec.needs_llm:
        raise ValueError(f"{generator!r} is not an LLM generator")
    return spec.build(settings, models or LocalModels())


def model_label(settings: Settings, generator: str) -> str:
    return generator_class(generator).label(settings)
