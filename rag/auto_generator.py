"""What `auto` means, decided again while the server runs: on a first `make run` the local model is still
being installed (rag/local_install.py), so the server answers with the extractive generator and switches to
the local model by itself once it is installed and loaded, without a restart: a page left open keeps what
its user typed, and each answer records the model that wrote it.

The switch happens only when the new model is loaded (in a background thread): no request waits on the
loading, and none is answered by a half-installed runtime.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from rag.generators import model_label, resolve_generator
from rag.local_install import install_state, log_path
from rag.settings import Settings

CHECK_SECONDS = 2.0  # how often `auto` looks again (a look is ~25 file-system lookups)
Preparing = Literal["installing", "loading", "failed"]


class GeneratorStatus(BaseModel):
    generator: str
    model: str
    preparing: Preparing | None = None
    message: str


class AutoGenerator:
    """The generator `auto` stands for now; `load` warms a generator up (builds it, loads its weights)."""

    def __init__(self, settings: Settings, load: Callable[[str], None]) -> None:
        self.settings = settings
        self._load = load
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._loading: str | None = None
        self.error: str | None = None
        self._current = self._usable()

    def _usable(self) -> str:
        """The registry's choice, except a local runtime whose install is still running."""
        importlib.invalidate_caches()  # packages installed since the last look must be found
        name = resolve_generator(self.settings)
        if name == "local" and install_state(self.settings.data_dir) == "installing":
            return "extractive"
        return name

    def current(self) -> str:
        if self.settings.generator != "auto":
            return self.settings.generator
        self._check()
        return self._current

    def _check(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if (self._current != "extractive" or self._loading or self.error
                    or (not force and now - self._checked < CHECK_SECONDS)):
                return
            self._checked = now
            candidate = self._usable()
            if candidate == self._current:
                return
            self._loading = candidate
        threading.Thread(target=self._switch, args=(candidate,), name="switch-generator", daemon=True).start()

    def _switch(self, candidate: str) -> None:
        try:
            self._load(candidate)
        except Exception as exc:  # reported by the status; answers stay extractive, no retry loop
            self.error = f"{type(exc).__name__}: {exc}"
        else:
            self._current = candidate
        finally:
            self._loading = None

    def watch(self) -> None:
        """Look again every few seconds while an install or a load runs, so that the switch does not wait
        for a request; returns when there is nothing more to wait for."""
        while self.settings.generator == "auto" and self._current == "extractive" and not self.error:
            installing = install_state(self.settings.data_dir) == "installing"
            self._check(force=True)
            if not installing and self._loading is None:
                return
            time.sleep(CHECK_SECONDS)

    def status(self) -> GeneratorStatus:
        current = self.current()
        model = model_label(self.settings, current)
        state = install_state(self.settings.data_dir)
        preparing: Preparing | None = None
        if self.settings.generator == "auto" and current == "extractive":
            if self._loading:
                preparing = "loading"
            elif self.error or state == "failed":
                preparing = "failed"
            elif state == "installing":
                preparing = "installing"
        messages = {
            "installing": "本地模型准备中…（当前使用抽取式回答）",
            "loading": "本地模型加载中…（当前使用抽取式回答）",
            "failed": f"本地模型未能就绪（{self.error or '见 ' + str(log_path(self.settings.data_dir))}），"
                      "当前使用抽取式回答",
        }
        message = messages[preparing] if preparing else f"生成方式：{'抽取式' if current == 'extractive' else model}"
        return GeneratorStatus(generator=current, model=model, preparing=preparing, message=message)
