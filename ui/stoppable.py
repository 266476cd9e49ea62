"""An answer stream the chat page can stop at any moment, not only between two sentences.

Gradio stops an event whose browser went away (the tab closed, or the stop button's `cancels`) by closing
its generator, but only once the generator comes back with its next output: a generator can be closed only
while it waits at a `yield`. The page's answer arrives a verified sentence at a time, so its generator could
sit inside the chain for a whole answer while the local model kept writing for nobody (issue 9). Here the
answer is computed on a thread of its own and the page's generator waits for it in short ticks, coming back
to Gradio at each; closing it sets a stop signal that the local model's stream looks at between tokens
(rag/model_deadline.stopping_on), so the model is free within a fraction of a second.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

from rag.model_deadline import stopping_on

T = TypeVar("T")
_END = object()


def stoppable(events: Callable[[], Iterator[T]], tick_seconds: float = 0.5) -> Generator[T | None, None, None]:
    """The items of `events()`, computed on a worker thread, and None after each `tick_seconds` without one
    (the caller yields to Gradio then); closing this generator stops the work, model and all."""
    items: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        stream: Iterator[T] | None = None
        with stopping_on(stop):
            try:
                stream = events()
                for item in stream:
                    items.put(item)
                    if stop.is_set():
                        break
            except BaseException as exc:  # raised again in the page's thread, where Gradio reports it
                items.put(exc)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # explicitly: the chain's stream ends here, in the thread that ran it
                items.put(_END)

    threading.Thread(target=pump, name="chat-answer", daemon=True).start()
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
