"""The local model is held only while it computes, and never past a deadline.

Generation runs on a thread of its own that takes the model's lock, feeds a queue, and lets go when the
answer is complete, when the request's deadline passes, or when the reader goes away. Before, the lock was
held by the reader's generator between tokens: a client that stopped reading without hanging up (or a
request that never ended) kept every later answer waiting (issue 9). Now a stuck reader costs at most one
answer's worth of the model's time. A caller that cannot close the stream itself, because another thread
is inside it, sets a stop signal instead (`stopping_on`): the chat page when its browser leaves. The thread,
its queue and its end marker are `on_worker`, which the chat page (ui/stoppable.py) uses too.
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
    stop = _STOP.get() or threading.Event()

    def held() -> Generator[T, None, None]:
        with holding(lock, wait_seconds):
            deadline = time.monotonic() + deadline_seconds
            produced = work()
            try:
                for item in produced:
                    yield item
                    if stop.is_set() or time.monotonic() > deadline:
                        return
            finally:
                produced.close()  # the model's own stream ends here, while the lock is still held

    items = on_worker(held, threading.Event(), tick_seconds=0.1, name="local-model")
    try:
        for item in items:  # None: 0.1 s without a token, a moment to look at the stop signal
            if stop.is_set():
                return
            if item is not None:
                yield item
    finally:
        items.close()


def on_worker(work: Callable[[], Generator[T, None, None]], stop: threading.Event, tick_seconds: float,
              name: str) -> Generator[T | None, None, None]:
    """The items of `work()`, computed on a thread of its own, and None after each `tick_seconds` without
    one, so that a reader waiting on a slow item still comes back to its caller. Closing this generator sets
    `stop`, after which the work ends at its next item; whatever the work raises is raised here, in the
    reader's thread."""
    items: queue.Queue[object] = queue.Queue()

    def produce() -> None:
        try:
            produced = work()
            try:
                for item in produced:
                    items.put(item)
                    if stop.is_set():
                        break
            finally:
                produced.close()  # explicitly: the work ends here, in the thread that ran it
        except BaseException as exc:  # handed to the reader, who raises it in its own thread
            items.put(exc)
        items.put(_END)

    threading.Thread(target=produce, name=name, daemon=True).start()
    try:
        while True:
            try:
                item = items.get(timeout=tick_seconds)
            except queue.Empty:
                yield None
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
