"""Building an answer chain with its chat model, in one place: the builder's model cache goes to the chat
model, so every chain (and judge) built with one `LocalModels` shares one loaded model."""

from __future__ import annotations

from rag.chain import AnswerChain
from rag.generators import build_chat_model, generator_class, resolve_generator
from rag.local_model import LocalModels
from rag.retrieval import HybridRetriever
from rag.settings import Settings


def build_answer_chain(settings: Settings, models: LocalModels, retriever: HybridRetriever | None = None,
                       generator: str | None = None) -> AnswerChain:
    name = generator or resolve_generator(settings)
    chat_model = build_chat_model(settings, name, models) if generator_class(name).needs_llm else None
    return AnswerChain(settings, retriever=retriever, generator=name, chat_model=chat_model)
