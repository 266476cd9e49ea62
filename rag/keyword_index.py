"""BM25 over jieba tokens, the half of hybrid retrieval that catches exact figures and names.

Dense e5 vectors blur "2716亿元" and "186亿元"; BM25 does not. Tokens are computed once at ingest and
stored in the catalog, so building the index when the server starts costs milliseconds.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import bm25s
import jieba
import numpy as np

_JIEBA_LOCK = threading.Lock()
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff，。、；：？！（）])\s+(?=[\u4e00-\u9fff，。、；：？！（）])")
_WORD = re.compile(r"[\w%‰.+#-]*\w[\w%‰+#]*|\w")
# Function words and the words questions are phrased with: they match every chunk and rank none.
STOPWORDS = frozenset(
    line.strip() for line in (resources.files("rag") / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


def configure_jieba(cache_dir: Path) -> None:
    """Cache jieba's dictionary under `cache_dir`, unless a directory was already chosen.

    jieba is process-wide and reads its cache directory once, when it loads on first use; so the process
    entry point (the `rag` command) calls this first with the settings' directory, and that choice stands
    whoever tokenizes first. The choice is jieba's own visible `jieba.dt.tmp_dir`.
    """
    with _JIEBA_LOCK:
        if not jieba.dt.initialized and jieba.dt.tmp_dir is None:
            jieba.dt.tmp_dir = str(cache_dir)


def load_jieba() -> None:
    """Load jieba's dictionary once per process, from the configured cache directory."""
    with _JIEBA_LOCK:
        if not jieba.dt.initialized:
            if jieba.dt.tmp_dir is not None:
                Path(jieba.dt.tmp_dir).mkdir(parents=True, exist_ok=True)
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()


def word_across(left: str, right: str) -> bool:
    """Whether segmenting `left + right` puts one word across the seam ("日常运" + "营"): evidence that
    the two were cut apart by a line wrap, not two separate lines."""
    load_jieba()
    head, tail = left[-6:], right[:6]
    position = 0
    for word in jieba.lcut(head + tail, HMM=False):
        if position < len(head) < position + len(word):
            return True
        position += len(word)
    return False


COMMON_WORD = 100  # jieba's dictionary counts: 顾客 1365, 黄河 3241; a person's name is absent or below 70


def dictionary_frequency(word: str) -> int:
    """How often jieba's dictionary says the word occurs in general text (0 for a word it does not list)."""
    load_jieba()
    return jieba.dt.FREQ.get(word) or 0


def tokenize(text: str, cache_dir: Path | None = None) -> list[str]:
    """Search tokens: NFKC, lower case, line breaks inside Chinese text closed, jieba's search-mode
    segmentation (which also emits the sub-words of long words), punctuation and stopwords dropped.

    `cache_dir` is only honoured if no directory was chosen before (see `configure_jieba`)."""
    if cache_dir is not None:
        configure_jieba(cache_dir)
    load_jieba()
    text = _CJK_GAP.sub("", unicodedata.normalize("NFKC", text).lower())
    tokens = []
    for token in jieba.lcut_for_search(text):
        token = token.strip()
        if token and token not in STOPWORDS and _WORD.fullmatch(token):
            tokens.append(token)
    return tokens


class KeywordIndex:
    def __init__(self, ids: list[str], token_lists: list[list[str]]) -> None:
        if len(ids) != len(token_lists):
            raise ValueError("ids and token_lists differ in length")
        self.ids = ids
        self._position = {cid: i for i, cid in enumerate(ids)}
        self._bm25: bm25s.BM25 | None = None
        self._document_frequency = Counter(token for tokens in token_lists for token in set(tokens))
        if ids:
            self._bm25 = bm25s.BM25()
            self._bm25.index([tokens or ["\u2205"] for tokens in token_lists], show_progress=False)

    def coverage(self, query_tokens: list[str]) -> float:
        """Share of the question's tokens that occur anywhere in the corpus: near 0 for an English question
        over Chinese reports, where BM25 can only match stray Latin words and is noise."""
        if not query_tokens:
            return 0.0
        return sum(1 for token in query_tokens if token in self._document_frequency) / len(query_tokens)

    @property
    def document_frequency(self) -> Mapping[str, int]:
        """How many chunks use each word: the corpus vocabulary."""
        return self._document_frequency

    def idf(self, token: str) -> float:
        """BM25's inverse document frequency; 0 for a word the corpus never uses."""
        df = self._document_frequency.get(token, 0)
        if not df:
            return 0.0
        n = len(self.ids)
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def search(self, query_tokens: list[str], n: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(id, BM25 score) of the n best chunks with a positive score, optionally among `allowed` ids."""
        if self._bm25 is None or not query_tokens or n <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float64)
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[[self._position[cid] for cid in allowed if cid in self._position]] = True
            scores = np.where(mask, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
