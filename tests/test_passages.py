"""The byline shown beside a source: the line of its document's opening that names whom the question cites."""

import pytest

from rag.passages import byline

pytestmark = pytest.mark.unit

HEAD = "海湾省新能源产业展望\n星河智库产业形势分析课题组\n\n## 一、总体判断\n2030年，海湾省新能源汽车产量增长。"


def test_the_line_naming_the_publisher_the_passage_does_not_name_is_shown() -> None:
    assert byline(HEAD, ("星河", "建议"), "建议通过数据沙箱等模式破解数据孤岛。") == "星河智库产业形势分析课题组"


def test_no_byline_when_the_passage_names_it_itself_or_the_head_does_not() -> None:
    assert byline(HEAD, ("星河",), "星河智库建议通过数据沙箱等模式破解数据孤岛。") == ""
    assert byline(HEAD, ("东港",), "建议通过数据沙箱等模式破解数据孤岛。") == ""
    assert byline(HEAD, ("海湾省新能源产业展望",), "产量增长。") == ""  # the title is shown anyway
