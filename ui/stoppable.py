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

import threading
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

from rag.model_deadline import on_worker, stopping_on

T = TypeVar("T")


def stoppable(events: Callable[[], Iterator[T]], tick_seconds: float = 0.5) -> Generator[T | None, None, None]:
    """The items of `events()`, computed on a worker thread, and None after each `tick_seconds` without one
    (the caller yields to Gradio then); closing this generator stops the work, model and all."""
    stop = threading.Event()

    def answer() -> Generator[T, None, None]:
        with stopping_on(stop):  # the model's stream, started inside, looks at `stop` between tokens
            yield from events()

    return on_worker(answer, stop, tick_seconds, name="chat-answer")
