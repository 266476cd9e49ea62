"""The local model is held only while it computes, and never past a deadline.

Generation runs on a thread of its own that takes the model's lock, feeds a queue, and lets go when the
answer is complete, when the request's deadline passes, or when the reader goes away. Before, the lock was
held by the reader's generator between tokens: a client that stopped reading without hanging up (or a
request that never ended) kept every later answer waiting (issue 9). Now a stuck reader costs at most one
answer's worth of the model's time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

from rag.local_model import holding

T = TypeVar("T")
_END = object()


def within_deadline(lock: threading.Lock, wait_seconds: float, deadline_seconds: float,
                    work: Callable[[], Generator[T, None, None]]) -> Iterator[T]:
    """The items of `work()`, computed on a worker thread holding `lock` (waiting at most `wait_seconds`
    for it) and stopped after `deadline_seconds` of holding it, or as soon as this iterator is closed."""
    items: queue.Queue[object] = queue.Queue()
    abandoned = threading.Event()

    def produce() -> None:
        try:
            with holding(lock, wait_seconds):
                deadline = time.monotonic() + deadline_seconds
                produced = work()
                try:
                    for item in produced:
                        items.put(item)
                        if abandoned.is_set() or time.monotonic() > deadline:
                            break
                finally:
                    produced.close()  # the model's own stream ends here, while the lock is still held
        except BaseException as exc:  # handed to the reader, who raises it in the request's thread
            items.put(exc)
        items.put(_END)

    threading.Thread(target=produce, name="local-model", daemon=True).start()
    try:
        while (item := items.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        abandoned.set()
