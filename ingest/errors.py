"""The one error of ingest: a file that cannot be ingested, with a reason a person can act on.

In a module of its own so that the readers of single formats (ingest/word.py) raise it without importing
ingest/loaders.py, which imports them: the import graph stays free of cycles (tests/test_layers.py).
"""

from __future__ import annotations


class DocumentError(Exception):
    """A file that cannot be ingested, with the reason."""
