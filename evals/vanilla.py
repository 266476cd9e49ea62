"""The peer baseline: the standard LangChain tutorial RAG, reproduced as published.

RecursiveCharacterTextSplitter(1000/200) over the raw files, an in-memory vector store with the same
embedding model as ours, dense top-4, every chunk stuffed into the tutorial's prompt (prompts/
vanilla_rag.md), and the chunk list as the sources. It uses the same generator as ours, so a comparison
measures the pipeline, not the model.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.claims import language_of
from rag.prompts import load_prompt
from rag.schema import Answer, ChatTurn, Citation, Timings, Usage
from rag.verification import is_refusal

_DONT_KNOW = re.compile(r"don'?t know|do not know|不知道|无法回答|没有(相关)?信息", re.IGNORECASE)


class VanillaRAG:
    def __init__(self, corpus: Path, embeddings: Embeddings, chat_model: BaseChatModel | None, model_label: str,
                 prompts_dir: Path, k: int = 4) -> None:
        documents = [Document(page_content=path.read_text(encoding="utf-8", errors="replace"),
                              metadata={"source": path.name}) for path in sorted(corpus.glob("*.txt"))]
        splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(documents)
        self.store = InMemoryVectorStore(embeddings)
        self.store.add_documents(splits)
        self.chunks = len(splits)
        self.chat_model = chat_model
        self.model_label = model_label
        self.k = k
        self.prompt = ChatPromptTemplate.from_messages([("human", load_prompt(prompts_dir, "vanilla_rag"))])

    def invoke(self, question: str, history: list[ChatTurn] | None = None) -> Answer:
        """A follow-up is searched and asked together with the previous question, the simplest history the
        tutorial pipelines use."""
        started = time.perf_counter()
        previous = next((t.content for t in reversed(history or []) if t.role == "user"), None)
        asked = f"{previous}\n{question}" if previous else question
        hits = self.store.similarity_search_with_score(asked, k=self.k)
        retrieved = time.perf_counter()
        context = "\n\n".join(doc.page_content for doc, _ in hits)
        first_token = None
        text = ""
        usage = Usage()
        if self.chat_model is None:  # retrieval only: the "answer" is the context itself
            text = context
        else:
            for chunk in (self.prompt | self.chat_model).stream({"question": asked, "context": context}):
                if chunk.content and first_token is None:
                    first_token = round(time.perf_counter() - started, 3)
                text += str(chunk.content)
                meta = getattr(chunk, "usage_metadata", None)
                if meta:
                    usage.prompt_tokens += meta.get("input_tokens", 0)
                    usage.completion_tokens += meta.get("output_tokens", 0)
        finished = time.perf_counter()
        refused = bool(_DONT_KNOW.search(text)) or is_refusal(text)
        citations = [Citation(n=i + 1, chunk_id=f"vanilla-{i}", source=doc.metadata["source"], section="",
                              quote=doc.page_content, score=float(score), text=doc.page_content)
                     for i, (doc, score) in enumerate(hits)]
        return Answer(question=question, standalone_question=asked, answer=text.strip(),
                      citations=citations, grounded=not refused, model=f"vanilla/{self.model_label}",
                      language="zh" if language_of(question) == "zh" else "en",
                      timings=Timings(retrieve=round(retrieved - started, 3), generate=round(finished - retrieved, 3),
                                      total=round(finished - started, 3), first_token=first_token or
                                      round(finished - started, 3)),
                      usage=usage)
