"""Heading detection and section paths."""

from __future__ import annotations

from conftest import MARKET, OUTLOOK, SLIDES, fixture_text

from ingest.structure import guess_title, heading_style, is_heading, split_blocks


def test_heading_styles_of_chinese_reports() -> None:
    assert heading_style("第一章 低空物流产业概述") == "chapter"
    assert heading_style("一、产业定义") == "cn-enum"
    assert heading_style("(一)低空物流规模将继续扩大") == "cn-paren"
    assert heading_style("（二）飞行器国产化率将继续提高") == "cn-paren"
    assert heading_style("1.5 低空物流应用需求概述：5-10公斤载重最优") == "dotted1"
    assert heading_style("2.3.1 医疗场景") == "dotted2"
    assert heading_style("## 对2035年形势的三点判断") == "markdown2"


def test_body_text_is_not_a_heading() -> None:
    assert not is_heading("1.5亿元的投资带来了显著回报")
    assert not is_heading("6.02")
    assert not is_heading("一、二线城市的渗透率更高，三四线城市仍有空间。")
    assert not is_heading("第一章节选内容较长的一句话，" * 3)
    assert not is_heading("截至2034年9月,澜州低空物流市场规模超过57亿元,低空物流企业数量超过640家。")
    assert not is_heading("（二）站点。2033年末，全市低空物流起降站点4186个")  # a run-in heading: body


def test_section_paths_nest_by_first_appearance_of_a_style() -> None:
    text = ("第一章 产业概述\n一、定义\n正文一。\n二、对比\n正文二。\n第二章 市场\n一、规模\n(一)细分\n正文三。\n"
            "二、驱动\n正文四。\n")
    blocks = {b.text: b.section for b in split_blocks(text) if not b.is_heading}
    assert blocks["正文一。"] == ("第一章 产业概述", "一、定义")
    assert blocks["正文二。"] == ("第一章 产业概述", "二、对比")
    assert blocks["正文三。"] == ("第二章 市场", "一、规模", "(一)细分")
    assert blocks["正文四。"] == ("第二章 市场", "二、驱动")


def test_block_offsets_point_into_the_text() -> None:
    text = "# 标题\n\n第一段。\n第二段。\n"
    for block in split_blocks(text):
        assert text[block.start:block.end] == block.text


def test_title_guess() -> None:
    assert guess_title(fixture_text(OUTLOOK), "x") == "澜州低空经济将进入加速期"
    assert guess_title(fixture_text(MARKET), "x") == "2032-2037年澜州低空物流产业发展规划"  # broken at the dash
    assert guess_title(fixture_text(SLIDES), "x") == "低空物流迈入规模化运营"
    assert guess_title("01\n02\n", "fallback") == "fallback"
