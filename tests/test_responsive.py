"""A true sentence that answers a neighbouring question is not an answer.

Every passage and question here is invented for the test (a harbour city's statistics, a fictional film, a
fictional start-up); none comes from a benchmark set.
"""

from __future__ import annotations

from rag.chain import _agree
from rag.context import ContextSource
from rag.question import analyze
from rag.responsive import answers_question, kinds_asked
from rag.schema import SearchHit
from rag.verification import REFUSALS, verify_answer

HARBOUR = ("2025年海湾市地区生产总值达到2370亿元，同比增长5.4%。全年接待游客1740万人次，其中入境游客占比为13%。"
           "按常住人口计算，人均地区生产总值为12.6万元。")
FILM = "电影《北方来信》由周南星执导，陈一鸣、苏晓主演，讲述一位邮递员在边境小镇的三十年。"


def source(n: int, text: str) -> ContextSource:
    hit = SearchHit(chunk_id=f"chunk-{n}", source=f"doc{n}.txt", section="", text=text, score=1.0)
    return ContextSource(n=n, hit=hit, sentences=[(0, len(text))])


def test_the_head_word_of_each_conjunct_is_what_is_asked() -> None:
    assert kinds_asked("海湾市入境游客占比是多少？") == {"share"}
    assert kinds_asked("海湾市游客人次和收入分别是多少？") == {"visits", "revenue"}
    assert kinds_asked("地区生产总值增速是多少？") == {"growth"}
    assert kinds_asked("这座城市有多少人？") == frozenset()


def test_an_amount_of_another_kind_does_not_answer() -> None:
    share = analyze("2025年海湾市入境游客占比是多少？", "zh")
    assert answers_question("2025年海湾市入境游客占比为13%。", [HARBOUR], share)
    assert not answers_question("2025年海湾市接待游客1740万人次。", [HARBOUR], share)
    size = analyze("2025年海湾市地区生产总值是多少？", "zh")
    assert answers_question("2025年海湾市地区生产总值达到2370亿元。", [HARBOUR], size)
    assert not answers_question("2025年海湾市地区生产总值同比增长5.4%。", [HARBOUR], size)
    population = analyze("海湾市的常住人口是多少？", "zh")  # the passage only divides by it
    assert not verify_answer("海湾市常住人口为12.6万元[1]。", [source(1, HARBOUR)], "zh", population).grounded


def test_an_enumeration_names_its_kind_once() -> None:
    forecasts = "多家机构看好海湾市低空物流，甲机构预测其年复合增长率将达到25.3%，乙机构预测31.2%。"
    size = analyze("海湾市低空物流的市场规模是多少？", "zh")
    assert not answers_question("乙机构预测31.2%。", [forecasts], size)  # a growth rate, named once for both
    assert answers_question("乙机构预测31.2%。", [forecasts], analyze("海湾市低空物流的增速是多少？", "zh"))


def test_a_name_in_another_role_does_not_answer() -> None:
    director = analyze("电影《北方来信》的导演是谁？", "zh")
    assert director.role == "导演"
    assert not answers_question("电影《北方来信》的导演是陈一鸣。", [FILM], director)
    assert analyze("电影《北方来信》是谁执导的？", "zh").role is None  # no "…的X是谁": nothing to require
    cast = analyze("电影《北方来信》的主演是谁？", "zh")
    assert answers_question("电影《北方来信》的主演是陈一鸣、苏晓。", [FILM], cast)


def test_the_verifier_refuses_a_true_sentence_that_answers_another_question() -> None:
    question = analyze("2025年海湾市入境游客占比是多少？", "zh")
    wrong = verify_answer("2025年海湾市接待游客1740万人次[1]。", [source(1, HARBOUR)], "zh", question)
    assert not wrong.grounded and wrong.text == REFUSALS["zh"]
    right = verify_answer("2025年海湾市入境游客占比为13%[1]。", [source(1, HARBOUR)], "zh", question)
    assert right.grounded and "13%" in right.text


def test_evidence_replaces_a_failed_answer_only_when_both_name_the_same_fact() -> None:
    drafted = "2025年海湾市地区生产总值达到2370亿元，同比增长5.4%[1]。"
    question = analyze("海湾市2025年经济总量有多大？", "zh")
    assert _agree("海湾市2025年的地区生产总值是2370亿元。", drafted, question)
    # the question's own place and year, echoed by the model, are no agreement on the fact
    assert not _agree("海湾市2025年的财政收入是286亿元。", drafted, question)
    assert not _agree("2025年的情况如下。", drafted, question)


def test_a_figure_of_another_calendar_period_does_not_answer() -> None:
    holidays = "2025年海湾市国庆假期接待游客320万人次，实现旅游收入41.5亿元。"
    question = analyze("2025年海湾市春节假期的旅游总收入是多少？", "zh")
    wrong = verify_answer("2025年海湾市春节假期的旅游收入是41.5亿元[1]。", [source(1, holidays)], "zh", question)
    assert not wrong.grounded
    asked = analyze("2025年海湾市国庆假期的旅游收入是多少？", "zh")
    right = verify_answer("2025年海湾市国庆假期的旅游收入是41.5亿元[1]。", [source(1, holidays)], "zh", asked)
    assert right.grounded and "41.5亿元" in right.text
