"""Hybrid retrieval over the real index: fusion, filters, overlap suppression and bad questions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OUTLOOK, SLIDES
from langchain_core.embeddings import Embeddings

from ingest.indexing import Indexer
from rag.keyword_index import KeywordIndex, tokenize
from rag.retrieval import HybridRetriever, QueryError
from rag.settings import Settings


@pytest.fixture
def retriever(settings: Settings, small_corpus: Path, embeddings: Embeddings) -> HybridRetriever:
    Indexer(settings, embeddings).ingest([small_corpus])
    return HybridRetriever(settings, embeddings)


def test_finds_the_passage_with_the_figure(retriever: HybridRetriever) -> None:
    hits = retriever.search("澜州低空物流日均配送架次达到了什么水平？", k=3)
    assert hits[0].source == SLIDES
    assert "4.7万架次" in hits[0].text
    assert hits[0].score >= hits[-1].score > 0
    assert hits[0].dense_rank is not None or hits[0].keyword_rank is not None


def test_english_question_reaches_chinese_passage(retriever: HybridRetriever) -> None:
    hits = retriever.search("What percentage of all low-altitude deliveries in the province does Lanzhou account for?",
                            k=3)
    assert any("63%" in hit.text for hit in hits)


def test_source_filter(retriever: HybridRetriever) -> None:
    hits = retriever.search("低空物流市场规模", k=5, source=OUTLOOK)
    assert hits and {hit.source for hit in hits} == {OUTLOOK}
    assert retriever.search("低空物流市场规模", source="nope.txt") == []


def test_no_two_hits_share_most_of_their_text(retriever: HybridRetriever) -> None:
    hits = retriever.search("低空物流市场规模", k=10)
    for i, a in enumerate(hits):
        for b in hits[i + 1:]:
            if a.source == b.source:
                shared = max(0, min(a.end, b.end) - max(a.start, b.start))
                assert shared * 2 < b.end - b.start


def test_bad_questions_get_clear_errors(retriever: HybridRetriever) -> None:
    with pytest.raises(QueryError, match="empty"):
        retriever.search("   ")
    with pytest.raises(QueryError, match="limit"):
        retriever.search("规模" * 5000)


def test_retriever_sees_documents_ingested_after_it_started(retriever: HybridRetriever, settings: Settings,
                                                             tmp_path: Path, embeddings: Embeddings) -> None:
    assert all("量子计算" not in h.text for h in retriever.search("量子计算专项基金", k=5))
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "quantum.txt").write_text("2026年某市设立量子计算专项基金，规模为88亿元。\n", encoding="utf-8")
    Indexer(settings, embeddings).ingest([extra])
    assert retriever.search("量子计算专项基金", k=1)[0].source == "quantum.txt"


def test_keyword_index_scores_exact_figures() -> None:
    texts = ["市场规模达到38.4亿元，同比增长27.5%。", "市场规模达到96亿元。", "用户规模3.27亿人。"]
    index = KeywordIndex(["a", "b", "c"], [tokenize(t) for t in texts])
    assert index.search(tokenize("96亿元"), 3)[0][0] == "b"
    assert index.search(tokenize("27.5%"), 3)[0][0] == "a"
    unfiltered = dict(index.search(tokenize("规模"), 3))
    assert set(unfiltered) == {"a", "b", "c"}
    # The filter drops the other chunks without changing the allowed one's score.
    assert index.search(tokenize("规模"), 3, allowed={"c", "unknown"}) == [("c", pytest.approx(unfiltered["c"]))]
    assert index.search(tokenize("完全无关的词"), 3) == []


def test_keyword_weight_follows_vocabulary_coverage() -> None:
    index = KeywordIndex(["a"], [tokenize("AI陶瓷企业的毛利率可以达到65%~75%")])
    assert index.coverage(tokenize("AI陶瓷企业的毛利率")) == 1.0
    assert index.coverage(tokenize("What profit margins do ceramics makers earn?")) == 0.0
    assert 0 < index.coverage(tokenize("AI ceramics gross margins")) < 0.5


def test_the_jieba_cache_goes_where_the_entry_point_says_whoever_tokenizes_first(tmp_path: Path) -> None:
    """A fresh process: configured by the entry point, then the first tokenizer names another directory (as
    indexing does), then one names none (as the answerers do)."""
    code = ("import sys; from pathlib import Path; from rag.keyword_index import configure_jieba, tokenize; "
            "configure_jieba(Path(sys.argv[1])); tokenize('增速', Path(sys.argv[2])); tokenize('市场规模')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "chosen"), str(tmp_path / "late")], check=True,
                   timeout=120)
    assert [p.name for p in (tmp_path / "chosen").iterdir()] == ["jieba.cache"]
    assert not (tmp_path / "late").exists()


def test_a_question_quoting_an_exact_figure_finds_the_passage_stating_it(settings: Settings, tmp_path: Path,
                                                                       embeddings: Embeddings) -> None:
    corpus = tmp_path / "figures"
    corpus.mkdir()
    for n, city in enumerate(("东港", "西港", "澜州", "海湾省", "南屿")):
        (corpus / f"indicators-{n}.txt").write_text(
            f"{city}经济指标概览\n{city}各项指标增速稳定，主要指标增速对应的年份均为近年。"
            f"报告认为{city}的增速指标仍有提升空间，指标体系对应关系清晰。\n", encoding="utf-8")
    (corpus / "shipping.txt").write_text(
        "星桥科技年报\n2025年星桥科技航运业务收入达到58亿元，同比增长14.6%，集装箱吞吐能力进一步提高。\n",
        encoding="utf-8")
    Indexer(settings, embeddings).ingest([corpus])
    hits = HybridRetriever(settings, embeddings).search("报告里14.6%这个增速对应的是哪一年、哪个指标？", k=2)
    assert hits[0].source == "shipping.txt"
