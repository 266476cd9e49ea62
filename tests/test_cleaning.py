"""Cleaning of PDF-extraction artifacts, on the invented test reports (tests/fixtures/) and invented fragments
with the artifacts of the shipped reports; the shipped reports themselves only through the question sets."""

from __future__ import annotations

from conftest import MARKET, OUTLOOK, REPO, REPORTS, SLIDES, fixture_text

from evals.benchmark import load_questions, squash
from ingest.cleaning import clean_text, looks_like_table_row, normalize_characters, repair_spread_characters


def test_hard_wrapped_chinese_lines_are_rejoined_without_spaces() -> None:
    raw = ("2033年，澜州低空物流完成了从试点航线到常态化运营的转变，\n"
           "飞行器配送覆盖全部县区，偏远山村的包裹时效由两天缩短到半\n"
           "天，城乡配送的格局由此改变，产业重心从航线试飞转向日常运\n"
           "营。\n")
    assert raw in fixture_text(SLIDES)
    assert clean_text(raw) == ("2033年，澜州低空物流完成了从试点航线到常态化运营的转变，飞行器配送覆盖全部县区，"
                               "偏远山村的包裹时效由两天缩短到半天，城乡配送的格局由此改变，产业重心从航线试飞转向日常运营。\n")


def test_narrow_column_with_blank_line_after_every_line_is_rejoined() -> None:
    raw = fixture_text(MARKET)
    assert "\n\n仍处于快速成长期，\n\n" in raw
    cleaned = clean_text(raw)
    assert ("当前澜州低空物流仍处于快速成长期，根据澜州市统计局的数据，2033年澜州低空物流市场规模达到38.4亿元，"
            "同比增长27.5%。") in cleaned


def test_a_number_the_wrap_cut_in_chinese_text_is_one_number_again() -> None:
    """Without a space: "4 17亿元" is neither the figure a reader searches for nor one a claim can cite."""
    raw = ("澜州市低空物流企业达到137家，较2032年的91家增加46家；东港区实现营收4\n"
           "17亿元，同比增长23.9%，增速居全市首位；全市累计装机规模达到6.35\n"
           "GW，其中2033年新增装机1.94GW，医护比为1:1.3，配送站点达到418\n"
           "6个，覆盖全部县区和乡镇，偏远山村的包裹时效由两天缩短到半天。\n")
    cleaned = clean_text(raw)
    assert "营收417亿元" in cleaned and "6.35GW" in cleaned and "4186个" in cleaned
    english = ("The fleet grew quickly after the pilot routes were opened to all the districts in the year 2033\n"
               "45 new depots were opened and the delivery time to remote villages fell from two days to half\n")
    assert "2033 45 new depots" in clean_text(english)


def test_a_run_in_heading_paragraph_cut_by_the_wrap_is_rejoined() -> None:
    """"一、申报时间。2033年8月1日起…" is a paragraph that opens with its heading, not a heading line."""
    raw = ("一、申报时间。2033年8月1日至2033年11月30日，以申报系统提交时间\n"
           "为准，逾期提交的申请不予受理，奖励资金按季度拨付到位，请提前准备。\n"
           "二、资金规模。本轮奖励资金总规模4.5亿元，其中中央和省级资金3.15亿\n"
           "元，市级配套1.35亿元，由市财政局会同市商务局统筹安排使用。\n")
    cleaned = clean_text(raw)
    assert "以申报系统提交时间为准" in cleaned and "3.15亿元" in cleaned


def test_english_words_keep_their_space_across_a_wrap() -> None:
    raw = ("Large language models are trained on a very large amount of text collected from the public web and\n"
           "licensed sources, which makes them capable of following instructions in many different languages\n")
    assert "web and licensed sources" in clean_text(raw)


def test_short_slide_lines_stay_separate() -> None:
    raw = "航线规划\n\n起降调度\n\n电池管理飞控升级\n\n保险理赔\n"
    assert clean_text(raw) == "航线规划\n\n起降调度\n\n电池管理飞控升级\n\n保险理赔\n"


def test_a_slide_label_after_a_full_line_is_not_glued_onto_it() -> None:
    """Across a blank line, a short label below a full-width line starts something new ("航线规划"), while a
    wrap's tail that completes a word ("…运" + "营模式") still joins."""
    wide = "澜州低空物流完成了从试点航线到常态化运营的转变，偏远山村包裹时效缩短了38%"
    lines = [wide, wide, wide, wide, wide]
    raw = "\n\n".join(lines) + "\n\n航线规划\n\n下一阶段的重点是起降调度。\n"
    assert "\n航线规划\n" in clean_text(raw)
    wrapped = "\n\n".join([*lines[:4], wide[:-6] + "，转向日常运"]) + "\n\n营模式\n"
    assert "转向日常运营模式" in clean_text(wrapped)


def test_a_headline_is_not_run_into_the_first_paragraph() -> None:
    """A news text's headline above its unwrapped first paragraph, and a title above a hard-wrapped one, stay
    lines of their own; a long title that the page width wrapped still joins its tail."""
    paragraph = ("4月2日，澜州港务集团发布2033年年度报告。报告显示，集团全年完成货物吞吐量3.8亿吨，同比增长6.1%；"
                 "实现营业收入412.5亿元，同比增长8.4%。")
    news = f"澜州港2033年吞吐量3.8亿吨 营收增长8.4%\n\n{paragraph}\n\n{paragraph}\n"
    assert clean_text(news).startswith("澜州港2033年吞吐量3.8亿吨 营收增长8.4%\n\n4月2日，")
    wrapped = ("澜州港务集团发布《澜州港2033年度发展报告》\n"
               "2034年4月2日，澜州港务集团在东港区召开年度\n"
               "发布会，集团总经理介绍了全年的生产经营情况。\n")
    assert clean_text(wrapped).startswith("澜州港务集团发布《澜州港2033年度发展报告》\n2034年4月2日，")
    long_title = ("澜州市人民政府办公室关于印发《澜州市港口物流高质量发展若干措施（2033\n"
                  "年修订）》的通知\n\n各区人民政府，市政府各部门：现将措施印发给你们，请认真贯彻执行。\n")
    title = "澜州市人民政府办公室关于印发《澜州市港口物流高质量发展若干措施（2033年修订）》的通知"
    assert clean_text(long_title).startswith(title + "\n")
    # a document opening straight into a sentence is still wrapped text
    opening = ("为贯彻落实《澜州市港口安全条例》《澜州市港口物流发展规划》等法律法\n"
               "规要求，结合本市实际，制定本实施方案。本方案适用于全市各类港口经营单位，自发布之日起施行。\n")
    assert "等法律法规要求" in clean_text(opening)


def test_table_of_contents_and_page_numbers_are_dropped() -> None:
    raw = fixture_text(MARKET)
    assert "第一章 低空物流产业概述 2\n" in raw and "摘要\t1\n" in raw and "\n\n4\n\n" in raw
    cleaned = clean_text(raw)
    assert "第一章 低空物流产业概述 2" not in cleaned
    assert "摘要 1" not in cleaned and "摘要\t1" not in cleaned
    assert cleaned.count("第一章 低空物流产业概述") == 1  # the heading itself stays
    assert "\n4\n" not in cleaned and "第五章 发展建议 9" not in cleaned


def test_slide_numbers_are_dropped_but_chart_number_runs_kept() -> None:
    raw = ("东港：枢纽起降场\n\n设立30亿元低空产业基金。\n\n02\n\n西岭：山区航线\n\n40\n"
           " 2.2 低空物流细分场景分析\n医疗配送\n\n14.0\n22.5\n\n37.9\n51.2\n\n129\n")
    cleaned = clean_text(raw)
    assert "\n02\n" not in cleaned and "\n40\n" not in cleaned
    assert "14.0" in cleaned and "51.2" in cleaned and "\n129\n" in cleaned
    deck = clean_text(fixture_text(SLIDES))
    assert "\n01\n" not in deck and "\n04\n" not in deck and "日均配送架次破4.7万" in deck


def test_spread_letters_and_years_are_repaired_where_unambiguous() -> None:
    assert repair_spread_characters("注：智慧物流市场包含A I调度+配送") == "注：智慧物流市场包含AI调度+配送"
    assert repair_spread_characters("《20 33年低空物流应用报告》") == "《2033年低空物流应用报告》"
    assert repair_spread_characters("S k y L a n e（A I  3 0 0 0）") == "SkyLane（AI  3 0 0 0）"
    assert repair_spread_characters("截至2 0 3 3年底") == "截至2033年底"
    assert repair_spread_characters("得分 6 4 7 1") == "得分 6 4 7 1"  # table cells, not a number
    # a table row's cells are not glued together
    assert repair_spread_characters("发布时间 2033年4月 2033年9月") == "发布时间 2033年4月 2033年9月"


def test_flattened_table_rows_stay_rows() -> None:
    cleaned = clean_text(fixture_text(MARKET))
    assert "\n发布时间 2033年4月 2033年9月\n" in cleaned
    assert "\n实行时间 2033年7月 2034年1月\n" in cleaned
    assert looks_like_table_row("发布时间 2033年4月 2033年9月")
    assert not looks_like_table_row("根据机构 Skyline Analytics 数据,全省低空物流市场规模在2035年将达到61.3亿")
    deck = clean_text(fixture_text(SLIDES))
    assert "\n企业 主力机型\n翼渡科技 青鸢-3\n云舟航空 银隼M2\n" in deck  # a two-column table, row by row


def test_rows_of_long_chinese_cells_are_not_joined_as_wrapped_text() -> None:
    """Two country/use pairs per line, cells longer than a short-cell table's, lines about as wide as the
    text: each line stays a row, so that a row's use is read with its own country."""
    rows = ["东港 港务局使用大模型编写每日巡检报告 西港 海事局智能问答平台",
            "南湖 市长办公室使用大模型起草年度讲话稿 北湖 税务局热线与办税服务厅",
            "澜州 交通局使用大模型调度城市公交线路 海湾省 应急管理厅"]
    assert all(looks_like_table_row(row) for row in rows)
    cleaned = clean_text("各地政府部门的大模型应用\n\n" + "\n\n".join(rows) + "\n\n应用落地价值\n")
    assert all(f"\n{row}\n" in cleaned for row in rows), cleaned
    # a wrapped heading of three units' names, the last one cut by the page width, is no row
    assert not looks_like_table_row("海湾省商务局 海湾省财政局 海湾省发展和改革委员会关于2034年家电以")


def test_rows_with_pipes_between_cells_stay_rows() -> None:
    """Rows of a table written with pipes end without punctuation, like wrapped text: each stays a line."""
    rows = ["年份｜渔业产量（万吨）｜同比增长｜远洋捕捞产量（万吨）｜占全省比重", "2022｜41.6｜3.2%｜12.8｜30.8%",
            "2023｜44.0｜5.8%｜13.9｜31.6%", "2024｜46.3｜5.2%｜15.1｜32.6%"]
    intro = "2024年，海湾省渔业保持平稳增长，全省渔业产量46.3万吨，同比增长5.2%，近三年情况如下："
    cleaned = clean_text("\n".join([intro, *rows, "二、远洋渔业"]) + "\n")
    assert all(f"\n{row}\n" in cleaned for row in rows), cleaned
    assert looks_like_table_row("| 名次 | 队伍 | 得分 |") and not looks_like_table_row("东港队以88分位列第一")


def test_private_use_bullets_become_bullets_attached_to_their_text() -> None:
    cleaned = clean_text("\uf0d8 \n电池续航不足：在山区航线上，单次飞行的距离受到限制。\n")
    assert cleaned == "• 电池续航不足：在山区航线上，单次飞行的距离受到限制。\n"


def test_characters_are_normalized_but_chinese_punctuation_kept() -> None:
    text = normalize_characters("ＡＩ调度，规模９６亿元。\r\n\u3000\u3000第二段\u200b")
    assert text == "AI调度，规模96亿元。\n  第二段"


def test_blank_line_runs_collapse_to_one() -> None:
    assert clean_text("第一段。\n\n\n\n\n第二段。\n") == "第一段。\n\n第二段。\n"


def test_cleaning_keeps_every_fact_of_the_reports() -> None:
    """Whitespace aside, cleaning only removes furniture: the body text of every report survives. The invented
    reports' facts are named here; the shipped reports' are the evidence quotes of the question sets the CI
    gate uses, read at run time (the test half of the broad set stays untouched)."""
    for name, fact in ((MARKET, "2033年澜州低空物流市场规模达到38.4亿元，同比增长27.5%"),
                       (MARKET, "预计2037年澜州低空物流市场规模将达到96亿元"),
                       (SLIDES, "澜州低空物流日均配送架次突破4.7万架次，占全省低空配送总量的63%以上"),
                       (SLIDES, "《澜州市低空航线管理办法》于2033年4月发布，自2033年7月1日起施行"),
                       (OUTLOOK, "截至2034年9月,澜州低空物流市场规模超过57亿元,低空物流企业数量超过640家")):
        assert fact in "".join(clean_text(fixture_text(name)).split())
    reports = {path.name: squash(clean_text(path.read_text(encoding="utf-8"))) for path in REPORTS.glob("*.txt")}
    quotes = [(q.id, e) for name in ("heldout.jsonl", "broad-tune.jsonl")
              for q in load_questions(REPO / "evals" / "questions" / name) for e in q.evidence if e.doc in reports]
    assert len(quotes) > 50 and {e.doc for _, e in quotes} == set(reports)
    assert [(qid, e.quote) for qid, e in quotes if squash(e.quote) not in reports[e.doc]] == []
