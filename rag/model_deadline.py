"""The local model is held only while it computes, and never past a deadline.

Generation runs on a thread of its own that takes the model's lock, feeds a queue, and lets go when the
answer is complete, when the request's deadline passes, or when the reader goes away. Before, the lock was
held by the reader's generator between tokens: a client that stopped reading without hanging up (or a
request that never ended) kept every later answer waiting (issue 9). Now a stuck reader costs at most one
answer's worth of the model's time. A caller that cannot close the stream itself, because another thread
is inside it, sets a stop signal instead (`stopping_on`): the chat page when its browser leaves.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from rag.local_model import ModelLock, holding

T = TypeVar("T")
_END = object()
_STOP: ContextVar[threading.Event | None] = ContextVar("model_stop", default=None)


@contextmanager
def stopping_on(stop: threading.Event) -> Iterator[None]:
    """Model work begun in this context (this thread) ends, within a token, once `stop` is set."""
    token = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(token)


def within_deadline(lock: ModelLock, wait_seconds: float, deadline_seconds: float,
                    work: Callable[[], Generator[T, None, None]]) -> Iterator[T]:
    """The items of `work()`, computed on a worker thread holding `lock` (waiting at most `wait_seconds`
    for it) and stopped after `deadline_seconds` of holding it, as soon as this iterator is closed, or when
    the stop signal of the calling context is set (the items end there, as at the deadline)."""
    items: queue.Queue[object] = queue.Queue()
    abandoned = threading.Event()
    stop = _STOP.get() or threading.Event()

    def produce() -> None:
        try:
            with holding(lock, wait_seconds):
                deadline = time.monotonic() + deadline_seconds
                produced = work()
                try:
                    for item in produced:
                        items.put(item)
                        if abandoned.is_set() or stop.is_set() or time.monotonic() > deadline:
                            break
                finally:
                    produced.close()  # the model's own stream ends here, while the lock is still held
        except BaseException as exc:  # handed to the reader, who raises it in the request's thread
            items.put(exc)
        items.put(_END)

    threading.Thread(target=produce, name="local-model", daemon=True).start()
    try:
        while (item := _next(items, stop)) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        abandoned.set()


def _next(items: queue.Queue[object], stop: threading.Event) -> object:
    """The next item, or the end once `stop` is set (looked at every 0.1 s while the model is silent)."""
    while not stop.is_set():
        try:
            return items.get(timeout=0.1)
        except queue.Empty:
            continue
    return _END
