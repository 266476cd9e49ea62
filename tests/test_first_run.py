"""A first `make run`: the page and the API answer with the extractive generator while the local model is
installed in the background, say so, and switch to the local model by themselves once it is installed and
loaded (the real bundled 0.5B model answering), without a restart."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
from conftest import SLIDES
from langchain_core.embeddings import Embeddings
from test_api import _Server

from ingest.indexing import Indexer
from rag.generators import LocalGenerator
from rag.local_install import install_state, start
from rag.settings import Settings

QUESTION = "澜州低空物流日均配送架次突破了多少？"


def test_auto_answers_extractively_while_the_local_model_is_prepared_then_switches_to_it(
        settings: Settings, small_corpus: Path, embeddings: Embeddings, small_model_path: Path,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = settings.model_copy(update={
        "generator": "auto", "local_model": "qwen2.5-coder-0.5b", "max_answer_tokens": 120, "context_tokens": 120,
        "llm_context_window": 2048})
    models = settings.data_dir / "models"
    models.mkdir(parents=True)
    (models / small_model_path.name).symlink_to(small_model_path)
    verified = small_model_path.with_suffix(".verified")
    (models / verified.name).write_text(verified.read_text())
    Indexer(settings, embeddings).ingest([small_corpus])
    installed = LocalGenerator.__dict__["usable"]
    monkeypatch.setattr(LocalGenerator, "usable", staticmethod(lambda _: False))  # llama.cpp still compiling
    finished = tmp_path / "install-finished"
    assert start(settings.data_dir, [sys.executable, "-c", "import pathlib, time\n"
                                     f"while not pathlib.Path({str(finished)!r}).exists(): time.sleep(0.1)"])
    try:
        with _Server(settings, embeddings) as server:
            ready = httpx.get(f"{server.url}/readyz").json()
            assert ready["generator"] == "extractive" and ready["preparing"] == "installing", ready
            assert "本地模型准备中" in ready["status"]
            ask = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0).chat.completions.create
            first = ask(model="auto", messages=[{"role": "user", "content": QUESTION}])
            assert first.model == "extractive" and "4.7万" in (first.choices[0].message.content or "")

            # the runtime shows up while its install still runs: a half-installed runtime is never used
            monkeypatch.setattr(LocalGenerator, "usable", installed)
            time.sleep(2.5)
            assert httpx.get(f"{server.url}/readyz").json()["generator"] == "extractive"
            finished.touch()
            deadline, seen = time.monotonic() + 240, set()
            while (ready := httpx.get(f"{server.url}/readyz").json())["generator"] != "local":
                seen.add(ready["preparing"])
                assert time.monotonic() < deadline, ready
                time.sleep(0.5)
            assert install_state(settings.data_dir) == "done" and "loading" in seen
            assert ready["preparing"] is None and ready["model"] == "qwen2.5-coder-0.5b-instruct-q4_k_m"
            later = ask(model="auto", messages=[{"role": "user", "content": QUESTION},
                                                {"role": "assistant", "content": first.choices[0].message.content},
                                                {"role": "user", "content": QUESTION}])
            assert later.model == "qwen2.5-coder-0.5b-instruct-q4_k_m"
            assert later.usage is not None and later.usage.completion_tokens > 0  # the model wrote, not extraction
            sources = {c["source"] for c in (later.model_extra or {}).get("citations", [])}
            assert sources <= {SLIDES, "drone_market.txt", "drone_outlook.md"}
    finally:  # the detached stand-in install must never outlive a failed test
        finished.touch()
