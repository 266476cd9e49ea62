"""The one error that means "no answer can be written now, try later" (HTTP 503).

The API used to answer 503 "generator unavailable" for any ValueError, which disguised unrelated faults (a
bad question, a bug) as a missing model (issue 9). Only what raises this, or a subclass, is a 503 now.
"""

from __future__ import annotations


class GeneratorUnavailable(RuntimeError):
    """The generator cannot answer: not installed, not configured, or busy; the message says which."""
