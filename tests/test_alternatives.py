"""A figure or name stated only under another of a set of alternatives (男子/女子, 全程/半程, 一期/二期) than
the one the question names is not its answer. Invented examples."""

from __future__ import annotations

from rag.alternatives import names_the_other_side
from rag.context import ContextSource
from rag.question import analyze
from rag.schema import SearchHit
from rag.verification import verify_answer

RACE = ("2031年榆川马拉松男子全程冠军为柯明远，成绩2小时09分03秒；女子全程冠军为白露，成绩2小时26分40秒；"
        "男子半程冠军为石川。")
LINE = "榆川地铁6号线一期工程全长18.2公里，设站14座；二期工程已开工建设。"


def _source(text: str) -> ContextSource:
    hit = SearchHit(chunk_id="chunk-1", source="doc1.txt", section="", text=text, score=1.0)
    return ContextSource(n=1, hit=hit, sentences=[(0, len(text))])


def test_the_alternative_named_last_decides() -> None:
    assert names_the_other_side("女子全程冠军为", "女子半程冠军是谁？")
    assert not names_the_other_side("男子全程冠军为柯明远，女子全程冠军为", "女子全程冠军是谁？")
    assert names_the_other_side("男子全程冠军为柯明远，女子全程冠军为", "男子全程冠军是谁？")
    assert not names_the_other_side("女子全程冠军为", "冠军是谁？")  # the question names no alternative


def test_a_name_stated_only_under_another_alternative_does_not_answer() -> None:
    half = analyze("榆川马拉松女子半程冠军是谁？", "zh")
    assert not verify_answer("白露[1]。", [_source(RACE)], "zh", half).grounded
    full = analyze("榆川马拉松女子全程冠军是谁？", "zh")
    assert verify_answer("白露[1]。", [_source(RACE)], "zh", full).grounded


def test_a_figure_stated_only_under_another_phase_does_not_answer() -> None:
    second = analyze("6号线二期工程有多长？", "zh")
    assert not verify_answer("6号线二期工程全长18.2公里[1]。", [_source(LINE)], "zh", second).grounded
    first = analyze("6号线一期工程有多长？", "zh")
    assert verify_answer("6号线一期工程全长18.2公里[1]。", [_source(LINE)], "zh", first).grounded


def test_a_date_stated_only_under_another_phase_does_not_answer() -> None:
    plan = "榆川地铁6号线一期工程计划2033年开通；二期工程已开工建设。"
    assert not verify_answer("6号线二期工程预计2033年开通[1]。", [_source(plan)], "zh",
                             analyze("6号线二期工程预计什么时候开通？", "zh")).grounded
    assert verify_answer("6号线一期工程计划2033年开通[1]。", [_source(plan)], "zh",
                         analyze("6号线一期工程什么时候开通？", "zh")).grounded
