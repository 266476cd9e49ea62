"""The local model cache is an object its builder owns: chat models built with one share one loaded model,
and the owner can see what is loaded and let it go."""

from __future__ import annotations

from pathlib import Path

from rag.llama_chat import LlamaCppChatModel
from rag.local_model import LocalModels


def test_chat_models_built_with_one_cache_share_the_loaded_model(small_model_path: Path) -> None:
    models = LocalModels()
    first, second = (LlamaCppChatModel(model_path=str(small_model_path), model_name="small", n_ctx=512, n_threads=1,
                                       max_tokens=4, models=models) for _ in range(2))
    assert first.invoke("你好").content and second.invoke("你好").content
    assert models.loaded() == [(str(small_model_path), 512, 1)]
    assert first.models.load(str(small_model_path), 512, 1) is second.models.load(str(small_model_path), 512, 1)
    models.clear()
    assert models.loaded() == []
    alone = LlamaCppChatModel(model_path=str(small_model_path), model_name="small")
    assert alone.models is not models and alone.models.loaded() == []


def test_a_partial_join_left_by_a_killed_process_is_removed_but_not_a_running_one(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from rag.local_model import remove_stale_partials

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    stale = tmp_path / f"model-x.{finished.stdout.strip()}.partial"
    live = tmp_path / f"model-x.{os.getpid()}.partial"
    other = tmp_path / "model-y.1.partial"
    for path in (stale, live, other):
        path.write_bytes(b"part")
    remove_stale_partials(tmp_path, "model-x")
    assert not stale.exists() and live.exists() and other.exists()
