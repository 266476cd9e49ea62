"""Cleaning of PDF-extraction artifacts, on fragments taken from the shipped reports."""

from __future__ import annotations

from conftest import report_excerpt

from ingest.cleaning import clean_text, looks_like_table_row, normalize_characters, repair_spread_characters


def test_hard_wrapped_chinese_lines_are_rejoined_without_spaces() -> None:
    raw = ("2026年，中国AI大模型产业迎来规模化落地的黄金时代，\n"
           "凭借海量数据、庞大市场与政策支持，在应用活跃度上实现\n"
           "对美国的超越，标志着产业重心从技术追赶转向应用引\n"
           "领。\n")
    assert clean_text(raw) == ("2026年，中国AI大模型产业迎来规模化落地的黄金时代，凭借海量数据、庞大市场与政策支持，"
                               "在应用活跃度上实现对美国的超越，标志着产业重心从技术追赶转向应用引领。\n")


def test_narrow_column_with_blank_line_after_every_line_is_rejoined() -> None:
    raw = report_excerpt("002", 53, 66)
    cleaned = clean_text(raw)
    assert ("当前整体AI大模型行业仍处于萌芽期，市场规模并不大但行业增速较快，根据相关公开统计数据显示，2023年"
            "我国大模型行业市场规模初步估计将达到147亿元，近三年复合增速高达114%。") in cleaned


def test_english_words_keep_their_space_across_a_wrap() -> None:
    raw = ("Large language models are trained on a very large amount of text collected from the public web and\n"
           "licensed sources, which makes them capable of following instructions in many different languages\n")
    assert "web and licensed sources" in clean_text(raw)


def test_short_slide_lines_stay_separate() -> None:
    raw = "稳定性\n\n准确性\n\n计算速度学习速度\n\n专业能力\n"
    assert clean_text(raw) == "稳定性\n\n准确性\n\n计算速度学习速度\n\n专业能力\n"


def test_table_of_contents_and_page_numbers_are_dropped() -> None:
    raw = report_excerpt("000", 0, 60)
    cleaned = clean_text(raw)
    assert "第一章 生成式AI产业概述 2" not in cleaned
    assert "摘要 2" not in cleaned and "摘要\t2" not in cleaned
    assert cleaned.count("第一章 生成式AI产业概述") == 1  # the heading itself stays


def test_slide_numbers_are_dropped_but_chart_number_runs_kept() -> None:
    raw = ("北京：创新策源地\n\n设立100亿元AI产业基金。\n\n02\n\n上海：产业高地\n\n40\n"
           " 2.2 AI大模型行业通用场景应用分析\n智能客服\n\n16.0\n30.1\n\n48.7\n66.8\n\n133\n")
    cleaned = clean_text(raw)
    assert "\n02\n" not in cleaned and "\n40\n" not in cleaned
    assert "16.0" in cleaned and "66.8" in cleaned and "\n133\n" in cleaned


def test_spread_letters_and_years_are_repaired_where_unambiguous() -> None:
    assert repair_spread_characters("注：智慧金融市场包含A I大模型+金融") == "注：智慧金融市场包含AI大模型+金融"
    assert repair_spread_characters("《20 23年金融业大模型应用报告》") == "《2023年金融业大模型应用报告》"
    assert repair_spread_characters("A M i n e r（A I  2 0 0 0）") == "AMiner（AI  2 0 0 0）"
    assert repair_spread_characters("截至2 0 2 3年底") == "截至2023年底"
    assert repair_spread_characters("得分 5 3 8 9") == "得分 5 3 8 9"  # table cells, not a number
    # a table row's cells are not glued together
    assert repair_spread_characters("发布时间 2022年12月 2023年7月") == "发布时间 2022年12月 2023年7月"


def test_flattened_table_rows_stay_rows() -> None:
    raw = report_excerpt("002", 318, 326)
    cleaned = clean_text(raw)
    assert "\n发布时间 2022年12月 2023年7月\n" in cleaned
    assert "\n实行时间 2023年1月 2023年8月\n" in cleaned
    assert looks_like_table_row("发布时间 2022年12月 2023年7月")
    assert not looks_like_table_row("根据机构 Precedence Research 数据,全球人工智能市场规模在2025年将达到7575.8亿")


def test_private_use_bullets_become_bullets_attached_to_their_text() -> None:
    cleaned = clean_text("\uf0d8 \n数据供给面临枯竭：在供给方面，数据来源主要有四种。\n")
    assert cleaned == "• 数据供给面临枯竭：在供给方面，数据来源主要有四种。\n"


def test_characters_are_normalized_but_chinese_punctuation_kept() -> None:
    text = normalize_characters("ＡＩ大模型，规模１４７亿元。\r\n\u3000\u3000第二段\u200b")
    assert text == "AI大模型，规模147亿元。\n  第二段"


def test_blank_line_runs_collapse_to_one() -> None:
    assert clean_text("第一段。\n\n\n\n\n第二段。\n") == "第一段。\n\n第二段。\n"


def test_cleaning_keeps_every_fact_of_the_reports() -> None:
    """Whitespace aside, cleaning only removes furniture: the body text of every report survives."""
    for prefix, fact in (("000", "2023年我国人工智能核心产业规模达到了5784亿元，同比增长13.9%"),
                         ("001", "中国AI大模型日均词元调用量突破140万亿，占全球总调用量的60%以上"),
                         ("002", "全年投融资事件14件，投融资金额超10亿元"),
                         ("003", "截至2025年6月,我国生成式人工智能用户规模达5.15亿人,普及率36.5%")):
        raw = report_excerpt(prefix, 0, 100_000)
        assert fact in "".join(clean_text(raw).split())
