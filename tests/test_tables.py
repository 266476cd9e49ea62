"""Flattened tables and chart series become rows that say what each figure is (ingest/tables.py)."""

from __future__ import annotations

from ingest.tables import ROW_MARK, SERIES_MARK, pair_cards, pair_chart_series, pair_table_rows

ANNUAL = """二、主要财务数据
单位：人民币万元
项目 2031年 2030年 本年比上年增减
营业收入 1,204.50 1,088.00 10.71%
每股收益（元/股） 0.42 0.35 20.00%
三、经营情况"""


def test_a_table_row_names_each_cell_by_its_column_with_the_table_s_unit() -> None:
    out = pair_table_rows(ANNUAL)
    assert out.startswith(ANNUAL.split("\n三")[0])  # the original lines stay: quotes of them still match
    derived = [line for line in out.split("\n") if line.startswith(ROW_MARK)]
    assert derived == [f"{ROW_MARK}营业收入：本年比上年增减 10.71%；2031年 1,204.50万元；2030年 1,088.00万元。",
                       f"{ROW_MARK}每股收益（元/股）：本年比上年增减 20.00%；2031年 0.42；2030年 0.35。"]
    assert out.endswith("三、经营情况")


def test_a_unit_column_gives_each_row_its_own_unit() -> None:
    table = "产品 单位 产量 库存量\n钢丝绳 万吨 3.2 0.4\n滤芯 万件 18.6 2.1"
    derived = [line for line in pair_table_rows(table).split("\n") if line.startswith(ROW_MARK)]
    assert derived == [f"{ROW_MARK}钢丝绳：产量 3.2万吨；库存量 0.4万吨。",
                       f"{ROW_MARK}滤芯：产量 18.6万件；库存量 2.1万件。"]


def test_a_table_with_pipes_between_cells_is_read_row_by_row() -> None:
    """Pipes, fullwidth or Markdown, separate the cells; a row may be named by its year, or by the name after
    its rank; the unit comes from the line introducing the table or from the column's own label."""
    by_year = "近三年海湾省渔业产量如下：\n年份｜产量（万吨）｜同比增长\n2022｜41.6｜3.2%\n2023｜44.0｜5.8%"
    derived = [line for line in pair_table_rows(by_year).split("\n") if line.startswith(ROW_MARK)]
    assert derived == [f"{ROW_MARK}2022年：产量 41.6万吨；同比增长 3.2%。",
                       f"{ROW_MARK}2023年：产量 44.0万吨；同比增长 5.8%。"]
    ranked = ("各队得分如下（单位：分）：\n| 名次 | 队伍 | 得分 |\n|---|---|---|\n"
              "| 1 | 东港队 | 88 |\n| 2 | 西港队 | 79 |")
    derived = [line for line in pair_table_rows(ranked).split("\n") if line.startswith(ROW_MARK)]
    assert derived == [f"{ROW_MARK}东港队：名次 1；得分 88分。", f"{ROW_MARK}西港队：名次 2；得分 79分。"]


def test_text_that_only_looks_like_a_table_is_left_alone() -> None:
    prose = "城市 公司 模型\n东港 星桥科技 海图大模型\n西岭 云杉智能 松针大模型"  # text cells: no values to name
    assert pair_table_rows(prose) == prose
    one_row = "项目 2031年 2030年\n营业收入 1,204.50 1,088.00\n这是一句说明文字。"  # one row is no table
    assert pair_table_rows(one_row) == one_row
    ragged = "项目 2031年 2030年\n营业收入 1,204.50\n净利润 88.1 70.2 12%"  # cells do not line up
    assert pair_table_rows(ragged) == ragged


def test_chart_values_are_paired_with_their_year_labels() -> None:
    chart = "市场规模（亿元）\n120 150\n190\n2029 2030 2031E"
    assert pair_chart_series(chart).split("\n")[-1] == f"{SERIES_MARK}2029：120；2030：150；2031E：190。"
    assert pair_chart_series("120 150\n2029 2030 2031E") == "120 150\n2029 2030 2031E"  # counts differ


def test_figure_cards_on_a_slide_are_named_by_their_labels() -> None:
    """Each card's label above its values: the growth rate on its own line says neither what grew nor how much."""
    slide = ("澜州低空物流主要指标\n\n配送航线\n\n174条\n同比+47.5%\n\n起降点\n\n415个\n同比+57.8%\n\n"
             "偏远山村\n覆盖率\n92%\n\n下一页")
    paired = pair_cards(slide)
    assert f"{SERIES_MARK}配送航线：174条，同比+47.5%。" in paired
    assert f"{SERIES_MARK}起降点：415个，同比+57.8%。" in paired
    assert f"{SERIES_MARK}偏远山村覆盖率：92%。" in paired
    assert all(line in paired.split("\n") for line in slide.split("\n"))  # the original lines stay
    # one heading above one figure is no card slide; nor is a table's column of bare numbers
    assert pair_cards("第二章 市场规模\n\n38.4亿元\n\n正文从这里开始，规模继续扩大。") == (
        "第二章 市场规模\n\n38.4亿元\n\n正文从这里开始，规模继续扩大。")
    table = "指标\n2032年\n2033年\n配送航线（条）\n118\n174\n起降点（个）\n263\n415"
    assert pair_cards(table) == table
