"""The pipelines a benchmark run can measure, behind one small interface: answer a question, and show what
retrieval returned (for recall@k)."""

from __future__ import annotations

import httpx

from evals.run import Passage
from evals.vanilla import VanillaRAG
from rag.chain import AnswerChain
from rag.schema import Answer, ChatTurn, Citation


class InProcess:
    def __init__(self, chain: AnswerChain) -> None:
        self.chain = chain

    def answer(self, question: str, history: list[ChatTurn]) -> Answer:
        return self.chain.invoke(question, history)

    def retrieve(self, question: str, k: int) -> list[Passage]:
        return [Passage(chunk_id=h.chunk_id, source=h.source, text=h.text)
                for h in self.chain.retriever.search(question, k=k)]


class Vanilla:
    def __init__(self, pipeline: VanillaRAG) -> None:
        self.pipeline = pipeline

    def answer(self, question: str, history: list[ChatTurn]) -> Answer:
        return self.pipeline.invoke(question, history)

    def retrieve(self, question: str, k: int) -> list[Passage]:
        return [Passage(chunk_id=f"vanilla-{i}", source=d.metadata["source"], text=d.page_content)
                for i, d in enumerate(self.pipeline.store.similarity_search(question, k=k))]


class OverHttp:
    """A running `rag serve`, through its OpenAI-compatible API and /v1/search."""

    def __init__(self, base_url: str, api_key: str | None = None, model: str = "auto") -> None:
        import openai

        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = openai.OpenAI(base_url=f"{self.base_url}/v1", api_key=api_key or "none", timeout=600)
        self.model = model

    def answer(self, question: str, history: list[ChatTurn]) -> Answer:
        messages = [*({"role": t.role, "content": t.content} for t in history), {"role": "user", "content": question}]
        response = self.client.chat.completions.create(model=self.model, messages=messages)
        extra = response.model_extra or {}
        content = (response.choices[0].message.content or "").split("\n\n---\n")[0]  # without the footnotes
        usage = response.usage
        return Answer(question=question, standalone_question=extra.get("standalone_question") or question,
                      answer=content, citations=[Citation(**c) for c in extra.get("citations", [])],
                      grounded=bool(extra.get("grounded")), model=response.model,
                      language="en" if question.isascii() else "zh", timings=extra.get("timings") or {},
                      usage={"prompt_tokens": usage.prompt_tokens if usage else 0,
                             "completion_tokens": usage.completion_tokens if usage else 0},
                      notes=extra.get("notes", []))

    def retrieve(self, question: str, k: int) -> list[Passage]:
        response = httpx.post(f"{self.base_url}/v1/search", json={"query": question, "k": k}, headers=self.headers,
                              timeout=60)
        response.raise_for_status()
        return [Passage(chunk_id=h["chunk_id"], source=h["source"], text=h["text"]) for h in response.json()["data"]]
