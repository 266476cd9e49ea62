"""The byline shown beside a source: the line of its document's opening that names whom the question cites."""

import pytest

from rag.passages import absent_names, byline
from rag.question import analyze

pytestmark = pytest.mark.unit

HEAD = "海湾省新能源产业展望\n星河智库产业形势分析课题组\n\n## 一、总体判断\n2030年，海湾省新能源汽车产量增长。"


def test_the_line_naming_the_publisher_the_passage_does_not_name_is_shown() -> None:
    assert byline(HEAD, ("星河", "建议"), "建议通过数据沙箱等模式破解数据孤岛。") == "星河智库产业形势分析课题组"


def test_no_byline_when_the_passage_names_it_itself_or_the_head_does_not() -> None:
    assert byline(HEAD, ("星河",), "星河智库建议通过数据沙箱等模式破解数据孤岛。") == ""
    assert byline(HEAD, ("东港",), "建议通过数据沙箱等模式破解数据孤岛。") == ""
    assert byline(HEAD, ("海湾省新能源产业展望",), "产量增长。") == ""  # the title is shown anyway


def test_a_name_the_tagger_cuts_across_a_word_of_the_passages_is_not_absent() -> None:
    """jieba reads "第5轮南屿城联" as 轮南 (a place) + 屿城联: the passages' "南屿城联" holds the question's
    team, and the question is not refused for 轮南. A name no passage has still is."""
    question = analyze("联赛第5轮南屿城联对北港铁狮的比分是多少？", "zh")
    assert "轮南" in [c.text for c in question.constraints]  # the misreading this is about
    passages = ["联赛第5轮，南屿城联主场以2比1战胜北港铁狮。"]
    assert absent_names(question, passages) == []
    assert absent_names(analyze("联赛第5轮西岭队对北港铁狮的比分是多少？", "zh"), passages) == ["西岭"]
