"""A period is one span of months however it is written; a figure of one span does not answer another.
The sentences are invented."""

from __future__ import annotations

from rag.periods import names_other_period, periods_in


def test_spans_of_months_are_one_period_however_written() -> None:
    assert periods_in("前三季度") == periods_in("1-9月") == periods_in("1月至9月") == {"1-9月"}
    assert periods_in("前10个月") == periods_in("2033年1—10月") == {"1-10月"}
    assert periods_in("第二季度") == periods_in("4到6月") == {"4-6月"}
    assert periods_in("全年") == {"1-12月"}
    assert periods_in("2032年12月至2033年3月") == set()  # across years: no span of one year's months
    assert periods_in("国庆期间") == {"国庆"}
    assert periods_in("2033年前十个月") == periods_in("一至十月") == {"1-10月"}
    assert periods_in("一至三季度") == {"1-9月"} != periods_in("三季度")


def test_months_that_are_no_calendar_period() -> None:
    for text in ("提前3个月完工", "上市前6个月", "6-24月龄婴幼儿", "前18个月", "12月至次年2月", "10月1日至7日",
                 "工期3-5个月"):
        assert periods_in(text) == set(), text


def test_a_part_of_the_year_does_not_answer_for_the_whole() -> None:
    whole = periods_in("澜州区法院2033年全年审结了多少件？")
    assert names_other_period("2033年1月至10月，澜州区法院审结此类案件21件。", whole)
    assert not names_other_period("2033年全年审结此类案件25件。", whole)
    assert not names_other_period("2033年审结此类案件25件。", whole)  # no period named: the year decides
