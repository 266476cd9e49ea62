"""Third-party OpenAI clients against a real `rag serve` on loopback: LangChain's `ChatOpenAI`, plain,
streaming and with history, each getting a grounded answer with its citation (not only no exception)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, OUTLOOK, SLIDES, free_port
from langchain_core.messages import AIMessage, HumanMessage
from langchain_openai import ChatOpenAI

QUESTION = "澜州低空物流日均配送架次突破了多少？"


@pytest.fixture
def served(tmp_path: Path, small_corpus: Path, serve) -> Iterator[str]:
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "extractive"}
    subprocess.run([str(BIN / "rag"), "ingest", str(small_corpus)], env={**os.environ, **env}, check=True,
                   capture_output=True)
    port = free_port()
    serve(["env", *[f"{k}={v}" for k, v in env.items()], str(BIN / "rag"), "serve", "--no-ui", "--port", str(port)],
          f"http://127.0.0.1:{port}/readyz", timeout=120)
    yield f"http://127.0.0.1:{port}/v1"


def chat(url: str, **options: object) -> ChatOpenAI:
    return ChatOpenAI(base_url=url, api_key="unused", model="extractive", max_retries=0, timeout=60, **options)


def test_langchain_chat_openai_plain_streaming_and_history(served: str) -> None:
    plain = chat(served).invoke(QUESTION)
    assert isinstance(plain, AIMessage)
    assert "4.7万架次" in plain.content and "[1]" in plain.content and SLIDES in plain.content  # footnote

    pieces = list(chat(served, streaming=True).stream(QUESTION))
    assert len(pieces) > 1  # really streamed
    streamed = "".join(str(piece.content) for piece in pieces)
    assert "4.7万架次" in streamed and "[1]" in streamed and SLIDES in streamed

    history = [HumanMessage("2033年澜州低空物流市场规模达到多少？"),
               AIMessage("2033年澜州低空物流市场规模达到了38.4亿元[1]。"), HumanMessage("那2034年呢？")]
    followed = str(chat(served).invoke(history).content)
    # "那2034年呢？" only means something with the earlier question: the 2034 size, cited from its report
    assert "57亿元" in followed and "38.4" not in followed.split("\n\n---\n")[0]
    assert "[1]" in followed and OUTLOOK in followed
