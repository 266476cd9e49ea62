"""Figures read with their frame (governing year, kind of quantity), table rows, and the extractive answerer
that answers from them. Invented passages only."""

from __future__ import annotations

from dataclasses import replace

from rag.claims import figures
from rag.context import ContextSource
from rag.evidence import kind_near, occurrences, rows
from rag.extractive import ExtractiveAnswerer
from rag.question import analyze
from rag.schema import SearchHit

SALES = "2022年全市新能源车销量为5.1万辆。2024年销量为8.6万辆，同比增长32%，预计2026年将达到15万辆。"


def _source(n: int, text: str, title: str = "") -> ContextSource:
    hit = SearchHit(chunk_id=f"c{n}", source=f"d{n}.txt", section="", text=text, score=1.0, title=title)
    return ContextSource(n=n, hit=hit, sentences=[(0, len(text))] if "。" not in text else [
        (i, j) for i, j in _spans(text)])


def _spans(text: str) -> list[tuple[int, int]]:
    from rag.sentences import split_sentences

    return split_sentences(text)


def test_a_figure_is_governed_by_the_nearest_year_before_it() -> None:
    (fifteen,) = [f for f in figures(SALES) if f.number == "15"]
    assert [o.years for o in occurrences(fifteen, SALES)] == [("2026",)]
    (growth,) = [f for f in figures(SALES) if f.number == "32"]
    assert [(o.years, o.kind) for o in occurrences(growth, SALES)] == [(("2024",), "growth")]


def test_kinds_of_quantity() -> None:
    text = "完成3亿元A轮融资，估值20亿元，市场占比17%"
    assert kind_near(text, 2, 5) == "financing"
    assert kind_near(text, text.index("20"), text.index("20") + 4) == "valuation"
    assert kind_near(text, text.index("17"), text.index("17") + 3) == "share"


def test_rows_of_a_flattened_table_leave_the_header_out() -> None:
    table = "城市 客流\n\n东港 120万人次\n西岭 95万人次\n这是一句完整的说明文字，不是表格。"
    assert rows(table) == [["东港", "120万人次"], ["西岭", "95万人次"]]


def test_extractive_answers_from_the_asked_year_only() -> None:
    answerer = ExtractiveAnswerer()
    sources = [_source(1, SALES)]
    asked = "2024年全市新能源车销量是多少？"
    answer = answerer.compose(asked, sources, analyze(asked, "zh"))
    assert answer is not None and "8.6万辆" in answer and "[1]" in answer
    missing = analyze("2023年全市新能源车销量是多少？", "zh")
    assert answerer.compose("2023年全市新能源车销量是多少？", sources, missing) is None


def test_a_false_premise_names_what_the_sources_give_instead() -> None:
    answerer = ExtractiveAnswerer()
    sources = [_source(1, "2024年全市新能源车销量为8.6万辆。")]
    question = analyze("2023年全市新能源车销量是多少？", "zh")
    assert answerer.nearest_other_year("2023年全市新能源车销量是多少？", sources, question) == (
        1, "2024年全市新能源车销量为8.6万辆。")
    asked = analyze("2024年全市新能源车销量是多少？", "zh")
    assert answerer.nearest_other_year("2024年全市新能源车销量是多少？", sources, asked) is None


def test_a_year_in_the_document_title_is_not_a_constraint_on_its_sentences() -> None:
    answerer = ExtractiveAnswerer()
    sources = [_source(1, "全市新能源车销量为8.6万辆。", title="2024年全市交通年报")]
    question = analyze("2024年全市交通年报中新能源车销量是多少？", "zh")
    answer = answerer.compose("2024年全市交通年报中新能源车销量是多少？", sources, question)
    assert answer is not None and "8.6万辆" in answer


def test_an_undated_sentence_is_of_the_one_year_its_document_title_names() -> None:
    """A news text dated by its headline ("星桥科技2033年三季度…") leaves the year out of later paragraphs: their
    figures answer a question about that year, not about another, and a title spanning years dates nothing."""
    answerer = ExtractiveAnswerer()
    text = "前三季度累计，星桥科技实现营业收入58.9亿元，同比增长16.3%。"
    dated = [_source(1, text, title="星桥科技2033年三季度营收同比增长18.6%")]
    asked = "星桥科技2033年前三季度营业收入是多少？"
    answer = answerer.compose(asked, dated, analyze(asked, "zh"))
    assert answer is not None and "58.9亿元" in answer
    assert answerer.nearest_other_year(asked, dated, analyze(asked, "zh")) is None
    other = "星桥科技2032年前三季度营业收入是多少？"
    assert answerer.compose(other, dated, analyze(other, "zh")) is None
    spanning = [_source(1, text, title="星桥科技2031-2033年经营回顾")]
    assert answerer.compose(asked, spanning, analyze(asked, "zh")) is None


def test_as_the_evidence_answer_a_sentence_must_name_what_is_asked() -> None:
    """After a model's failed answer, a box office sentence is not offered for a rating."""
    sources = [_source(1, "电影《南岭往事》首周票房1.8亿元，主演为林晓和周宁。")]
    rating = "电影《南岭往事》的豆瓣评分是多少？"
    assert ExtractiveAnswerer(require_focus=True).compose(rating, sources, analyze(rating, "zh")) is None
    box_office = "电影《南岭往事》首周票房是多少？"
    answer = ExtractiveAnswerer(require_focus=True).compose(box_office, sources, analyze(box_office, "zh"))
    assert answer is not None and "1.8亿元" in answer


def test_a_part_the_answer_left_out_gets_the_sources_sentence() -> None:
    from rag.part_completion import missing_parts

    sources = [_source(1, "《城市数据条例》于2031年5月发布，2031年9月起施行。"),
               _source(2, "截至目前，全市已有420余家企业完成数据登记，登记数据集超过1.2万个。")]
    question = analyze("《城市数据条例》是哪个月发布的？现在已有多少家企业完成了数据登记？", "zh")
    answerer = ExtractiveAnswerer(require_focus=True)
    added = missing_parts(question, "《城市数据条例》于2031年5月发布[1]。", sources, answerer)
    assert len(added) == 1 and "420" in added[0] and added[0].endswith(("[2]", "[2]。", "。[2]"))
    complete = "《城市数据条例》于2031年5月发布[1]。已有420余家企业完成数据登记[2]。"
    assert missing_parts(question, complete, sources, answerer) == []
    one_part = analyze("现在已有多少家企业完成了数据登记？", "zh")
    assert missing_parts(one_part, "《城市数据条例》于2031年5月发布[1]。", sources, answerer) == []


def test_passages_about_a_company_the_question_names_are_preferred_when_any_mentions_it() -> None:
    from rag.passages import about_named, passage_frame

    other = _source(1, "星澄科技2031年实现净利润12.4亿元，同比增长8.1%。").hit
    named = _source(2, "鸿澜智能发布2031年年报，研发投入占营业收入的14%。").hit
    frames = [passage_frame(other), passage_frame(named)]
    question = analyze("鸿澜智能2031年的净利润是多少？", "zh")
    assert question.topics and all(t in "鸿澜智能" for t in question.topics)
    assert about_named(question, [other, named], frames) == [named]
    # a guess that no passage bears out decides nothing
    assert about_named(question, [other], [passage_frame(other)]) == [other]


def test_a_round_or_issue_number_does_not_make_a_passage_about_the_question() -> None:
    """Another company's B round is not the asked company's: "B轮" does not single out the passage naming it
    (the question is answered, or refused, from all of them)."""
    from rag.passages import about_named, passage_frame

    other = _source(1, "星澄科技完成6.5亿元B轮融资，由东港资本领投。").hit
    named = _source(2, "鸿澜智能由许明远创办，去年完成1.2亿元A轮融资。").hit
    frames = [passage_frame(other), passage_frame(named)]
    assert about_named(analyze("星桥科技B轮融资金额是多少？", "zh"), [other, named], frames) == [other, named]


def test_a_part_that_names_nothing_keeps_passages_that_do_not_name_the_other_part_s_work() -> None:
    from rag.passages import about_named, passage_frame

    law = _source(1, "《城市数据条例》于2031年9月起施行。").hit
    registry = _source(2, "全市已有420余家企业完成登记。").hit
    frames = [passage_frame(law), passage_frame(registry)]
    both = analyze("《城市数据条例》何时施行？全市已有多少家企业完成登记？", "zh")
    assert about_named(both, [law, registry], frames) == [law, registry]
    assert about_named(analyze("《城市数据条例》何时施行？", "zh"), [law, registry], frames) == [law]


def test_the_source_sentence_stating_the_model_s_figures_answers_when_the_model_s_wording_does_not_hold() -> None:
    """The model read the right sentence and answered in the question's words ("投诉比例" for "客诉率"): the
    source's own sentence with those figures is shown, but never one of another year or another kind."""
    answerer = ExtractiveAnswerer(require_focus=True)
    sources = [_source(1, "上线智能排班后，门店人效提升12%-18%，客诉率下降6%-9%。2031年全厂产量为4.2万吨。")]
    asked = analyze("用了智能排班，员工效率和投诉比例各改善多少？", "zh")
    model = "员工效率和投诉比例各改善12%-18%和6%-9%[1]。"
    assert answerer.compose(asked.text, sources, asked) is None  # the question's words are not the report's
    answer = answerer.anchored(model, sources, asked)
    assert answer == "上线智能排班后，门店人效提升12%-18%，客诉率下降6%-9%。[1]"
    other_year = analyze("2032年全厂产量是多少？", "zh")
    assert answerer.anchored("2032年全厂产量为4.2万吨[1]。", sources, other_year) is None
    assert answerer.anchored("智能排班的效果没有具体数据。", sources, asked) is None  # nothing to anchor on
    valuation = analyze("星桥科技的估值是多少？", "zh")  # a financing amount is no valuation
    assert answerer.anchored("星桥科技估值3亿元[1]。", [_source(1, "星桥科技完成3亿元A轮融资。")], valuation) is None


def test_revenue_growth_does_not_stand_in_for_gdp_growth() -> None:
    answerer = ExtractiveAnswerer(require_focus=True)
    sources = [_source(1, "2031年海湾省文旅产业实现营业收入2480亿元，同比增长23.6%。")]
    gdp = analyze("海湾省2031年GDP增速是多少？", "zh")
    assert answerer.anchored("海湾省2031年GDP增速是23.6%[1]。", sources, gdp) is None
    revenue = analyze("海湾省文旅产业2031年营收增速是多少？", "zh")
    assert answerer.anchored("文旅产业营收增速是23.6%[1]。", sources, revenue) is not None


def test_the_model_s_figure_must_be_of_the_asked_kind_where_the_source_states_it() -> None:
    """The sentence holding the model's figure may state another figure of the asked kind's frame (a count),
    yet the figure the model took is revenue, or rain, not the profit or the loss asked about."""
    answerer = ExtractiveAnswerer(require_focus=True)
    company = [_source(1, "据介绍，星桥科技2031年营业收入为4.8亿元，服务客户超过120家。")]
    profit = analyze("星桥科技2031年的净利润是多少？", "zh")
    assert answerer.anchored("星桥科技2031年的净利润是4.8亿元[1]。", company, profit) is None
    revenue = analyze("星桥科技2031年的营收是多少？", "zh")
    assert answerer.anchored("星桥科技2031年营收4.8亿元[1]。", company, revenue) is not None
    storm = [_source(1, "受台风影响，东港市普降暴雨，最大累计降雨量为318毫米。")]
    loss = analyze("台风给东港市造成的直接经济损失是多少？", "zh")
    assert answerer.anchored("台风给东港市造成的直接经济损失是318毫米[1]。", storm, loss) is None
    assert answerer.compose(loss.text, storm, loss) is None
    rain = analyze("台风期间东港市最大累计降雨量是多少？", "zh")
    assert answerer.anchored("东港市最大累计降雨量为318毫米[1]。", storm, rain) is not None


def test_a_named_rate_is_not_answered_by_another_rate() -> None:
    answerer = ExtractiveAnswerer(require_focus=True)
    plant = [_source(1, "智能质检上线后，生产效率提升12%-16%，不良率下降8%-11%。")]
    returns = analyze("智能质检让退货率下降了多少？", "zh")
    assert answerer.anchored("退货率下降了8%-11%[1]。", plant, returns) is None
    defects = analyze("智能质检让不良率下降了多少？", "zh")
    assert answerer.anchored("不良率下降了8%-11%[1]。", plant, defects) is not None


def test_a_sentence_about_the_other_side_of_an_opposite_does_not_answer() -> None:
    answerer = ExtractiveAnswerer(require_focus=True)
    race = [_source(1, "男子组比赛中，周可以2小时10分08秒夺冠；东港选手林一鸣以2小时11分05秒获得亚军。"
                       "女子组冠军由许岚获得。")]
    women = analyze("女子组的亚军是谁？", "zh")
    assert answerer.anchored("女子组亚军是林一鸣，成绩2小时11分05秒[1]。", race, women) is None
    men = analyze("男子组的亚军是谁？", "zh")
    assert answerer.anchored("男子组亚军是林一鸣，成绩2小时11分05秒[1]。", race, men) is not None


def test_a_cell_of_a_derived_table_row_is_shown_with_the_row_s_name() -> None:
    """The row line's cells are separate sentences ("；"): the 2030 cell alone says neither what nor whose."""
    answerer = ExtractiveAnswerer(require_focus=True)
    table = [_source(1, "项目 2031年 2030年 增减\n营业收入 1,204.5 1,088.0 10.7%\n净利润 96.3 90.2 6.8%\n"
                        "（表格行）营业收入：增减 10.7%；2031年 1,204.5万元；2030年 1,088.0万元。\n"
                        "（表格行）净利润：增减 6.8%；2031年 96.3万元；2030年 90.2万元。")]
    asked = analyze("2030年的营业收入是多少？", "zh")
    assert answerer.anchored("2030年营收为1,088.0万元[1]。", table, asked) == "营业收入：2030年 1,088.0万元。[1]"


def test_a_sentence_giving_only_dates_is_not_the_nearest_amount_of_a_false_premise() -> None:
    answerer = ExtractiveAnswerer()
    dates = _source(1, "海湾省文旅协会发布《海湾省文旅产业2031年度发展报告》\n2032年4月12日，海湾省文旅协会"
                       "2032年会员大会暨年度报告发布会在临川市召开。")
    question = analyze("海湾省文旅协会2030年会员大会有多少人参加？", "zh")
    assert answerer.nearest_other_year(question.text, [dates], question) is None
    attended = "海湾省文旅协会2032年会员大会共有320余人参加。"
    assert answerer.nearest_other_year(question.text, [_source(1, attended)], question) == (1, attended)


def test_the_model_s_figure_is_not_anchored_where_its_subject_is_another_passage_s() -> None:
    """The model tied a city's total exports to a product the question names; another passage speaks of that
    product, the export passage does not: its sentence is another subject's figure, not an answer."""
    answerer = ExtractiveAnswerer(require_focus=True)
    sources = [_source(1, "2031年全市外贸出口总额820.5亿元，同比增长4.1%。"),
               _source(2, "2031年全市新型储能产业链加快集聚，储能电池产量增长35%。")]
    asked = replace(analyze("2031年全市新型储能产品的出口额是多少？", "zh"), specific=("储能",))
    assert answerer.anchored("2031年全市新型储能产品的出口额为820.5亿元[1]。", sources, asked) is None
    exports = replace(analyze("2031年全市出口额是多少？", "zh"), specific=("出口",))
    assert answerer.anchored("2031年全市出口额为820.5亿元[1]。", sources, exports) is not None


def test_the_evidence_answer_is_not_a_sentence_about_the_whole_when_the_passage_names_the_part_elsewhere() -> None:
    """Asked for one hall's sales, the fair's total is no answer when the passage speaks of that hall in
    another sentence; the total answers a question about the fair."""
    answerer = ExtractiveAnswerer(require_focus=True)
    fair = [_source(1, "汀澜书展闭幕，9天现场销售图书3150万元。下一届将增设童书展区，展场面积扩大至3万平方米。",
                    title="汀澜书展闭幕")]
    hall = replace(analyze("汀澜书展童书展区的销售额是多少？", "zh"), specific=("童书", "展区"))
    assert answerer.compose(hall.text, fair, hall) is None
    whole = replace(analyze("汀澜书展现场销售额是多少？", "zh"), specific=("书展",))
    assert "3150万元" in (answerer.compose(whole.text, fair, whole) or "")
