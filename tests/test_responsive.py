"""A true sentence that answers a neighbouring question is not an answer.

Every passage and question here is invented for the test (a harbour city's statistics, a fictional film, a
fictional start-up); none comes from a benchmark set.
"""

from __future__ import annotations

from dataclasses import replace

from rag.chain import _agree
from rag.claims import normalize
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


def test_a_unit_the_question_names_is_the_unit_of_the_answer() -> None:
    drones = "2025年，海湾市低空经济产值同比增长21.5%，相关企业达到88家。全市低空经济产值为64.2亿元。"
    asked = analyze("2025年海湾市低空经济产值是多少亿元？", "zh")
    assert not answers_question("2025年，海湾市低空经济产值同比增长21.5%，相关企业达到88家。", [drones], asked)
    assert answers_question("全市低空经济产值为64.2亿元。", [drones], asked)
    firms = analyze("海湾市低空经济相关企业有几家？", "zh")
    assert answers_question("相关企业达到88家。", [drones], firms)
    assert not answers_question("全市低空经济产值为64.2亿元。", [drones], firms)
    times = analyze("海湾市低空经济产值是邻市的多少倍？", "zh")
    assert answers_question("海湾市低空经济产值是邻市的2.6倍。", ["海湾市低空经济产值是邻市的2.6倍。"], times)
    points = analyze("海湾市低空经济产值占比提高了几个百分点？", "zh")
    assert answers_question("占比提高了1.5个百分点。", ["占比提高了1.5个百分点。"], points)
    assert not answers_question("占比提高到21.5%。", ["占比提高到21.5%。"], points)
    several = analyze("海湾市有几家低空经济企业的产值增速超过20%？增速分别是多少？", "zh")  # the rates are asked
    assert answers_question("两家企业的增速分别为21.5%和24%。", ["两家企业的增速分别为21.5%和24%。"], several)
    ranking = analyze("海湾市低空经济产值排在全省第几位？占全省多少份额？", "zh")  # an ordinal, not a unit
    assert answers_question("海湾市低空经济产值占全省的21.5%。", ["海湾市低空经济产值占全省的21.5%。"], ranking)


def test_a_date_or_a_house_number_is_no_amount() -> None:
    asked = analyze("海湾市低空经济协会的年度报告里，2033年全市低空经济营收是多少？", "zh")
    meeting = "海湾市低空经济协会2034年3月26日在港湾路168号召开年会，发布2033年度报告。"
    assert not answers_question(meeting, [meeting], asked)
    revenue = "2033年全市低空经济营收64.2亿元，其中3月份营收5.1亿元。"
    assert answers_question(revenue, [revenue], asked)


def test_a_when_question_is_answered_by_a_date_of_that_event() -> None:
    lab = "松原大学林某团队在固态电池电解质研究上取得进展，相关论文于2023年9月发表在期刊上。"
    production = analyze("林某团队的固态电池什么时候量产？", "zh")
    assert not answers_question(lab, [lab], production)  # true, and dated, but the date is the paper's
    assert answers_question(lab, [lab], analyze("林某团队的论文什么时候发表？", "zh"))
    rule = "《松原市养犬管理办法》于2031年3月印发，自2031年6月1日起施行。"
    assert answers_question(rule, [rule], analyze("《松原市养犬管理办法》什么时候开始施行？", "zh"))


def test_a_role_is_of_what_the_passage_names_before_it() -> None:
    race = ("青年组比赛中，李明远以58分12秒夺冠，周可以58分40秒获得亚军。"
            "成年组冠军由赵一凡获得，成绩为55分03秒。")
    adults = replace(analyze("成年组的亚军是谁？", "zh"), specific=("成年组",))
    assert adults.role == "亚军"
    # the runner-up named is the youth race's: the adults' race is named only after that sentence
    assert not answers_question("成年组的亚军是周可。", [race], adults)
    youth = replace(analyze("青年组的亚军是谁？", "zh"), specific=("青年组",))
    assert answers_question("青年组的亚军是周可。", [race], youth)
    # a title naming the race covers every sentence under it
    assert answers_question("成年组的亚军是周可。", ["周可以58分40秒获得亚军。"], adults, [normalize("成年组决赛")])


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


def test_a_money_question_is_not_answered_by_another_unit() -> None:
    """"营业收入是多少" is not answered by tonnes of water, "卖多少钱" not by a chip's watts, nanometres or a
    multiple; a multiple answers when asked for."""
    water = analyze("汀澜水务2031年营业收入是多少？", "zh")
    assert not answers_question("汀澜水务2031年营业收入为2.4亿吨。", ["全年供水2.4亿吨。"], water)
    assert answers_question("汀澜水务2031年营业收入为3.1亿元。", ["营业收入3.1亿元。"], water)
    chip = analyze("星桥S9芯片卖多少钱一片？", "zh")
    specs = "该芯片采用5纳米工艺，典型功耗为30瓦，能效比上一代提升约1.8倍。"
    assert not answers_question(specs, [specs], chip)
    assert answers_question("星桥S9售价为每片860元。", ["星桥S9售价为每片860元。"], chip)
    earned = analyze("星桥科技2031年赚了多少钱？", "zh")  # any money: a profit answers
    assert answers_question("星桥科技2031年实现净利润2亿元。", ["实现净利润2亿元。"], earned)
    assert answers_question("汀澜水务2031年营业收入为3个亿。", ["营业收入3个亿。"], water)


def test_a_who_or_which_question_is_not_answered_by_its_own_words() -> None:
    asked = analyze("汀澜市体育馆是哪家单位设计的？", "zh")
    assert not answers_question("汀澜市体育馆是汀澜市体育馆设计的。", ["汀澜市体育馆于2031年竣工。"], asked)
    assert answers_question("体育馆由汀澜市建筑设计研究院设计。", ["体育馆由汀澜市建筑设计研究院设计。"], asked)
    either = analyze("汀澜市和翟川市哪个城市GDP更高？", "zh")  # the answer is one of the question's own names
    assert answers_question("汀澜市GDP更高。", ["汀澜市GDP为4.6万亿元，翟川市为3.9万亿元。"], either)


def test_a_count_in_the_measure_word_asked() -> None:
    """"有多少条航线" is answered by a count of 条 (or 个), not by a harbour's tonnage and growth."""
    routes = analyze("澜州港通往北欧的航线有多少条？", "zh")
    assert not answers_question("澜州港完成集装箱吞吐量312.5万标准箱，同比增长6.2%。", ["x"], routes)
    assert answers_question("澜州港外贸航线共87条。", ["x"], routes)
    assert answers_question("澜州港开通航线87个。", ["x"], routes)
    assert not answers_question("水库面积3.2平方公里。", ["x"], analyze("水库蓄水多少立方米？", "zh"))


def test_a_money_question_is_not_answered_by_a_sentence_without_an_amount() -> None:
    """A headline stating a chip's 128TOPS (a name, not an amount) gives no research spending."""
    spending = analyze("星河S3芯片的研发投入是多少？", "zh")
    assert not answers_question("星核科技发布星河S3芯片，算力达128TOPS。", ["x"], spending)
    assert answers_question("星河S3研发投入约6.2亿元。", ["x"], spending)
    assert answers_question("法院判处罚金人民币五十万元。", ["x"], analyze("罚金是多少钱？", "zh"))


def test_a_measure_word_is_asked_only_as_a_word_of_its_own_and_in_any_of_its_spellings() -> None:
    """"多少天然气" asks no days, "多少户籍人口" no households; "72个小时", "128千米", "120万方" and
    "15个工作日" are written in the unit asked; "18个月" counts no companies."""
    def answers(question: str, sentence: str) -> bool:
        return answers_question(sentence, ["x"], analyze(question, "zh"))

    assert answers("今年进口了多少天然气？", "2033年全市进口天然气1200万立方米。")
    assert answers("有多少户籍人口？", "全市户籍人口达1200万人。")
    assert answers("需要多少小时？", "需要72个小时。")
    assert answers("全长多少公里？", "全长128千米。")
    assert answers("蓄水多少立方米？", "蓄水120万方。")
    assert answers("要等多少天？", "需要15个工作日。")
    assert not answers("全市新增多少家企业？", "全市企业培育工程历时18个月。")
    assert answers("研发投入是多少？", "研发投入逾百亿元。")  # money the figure reader does not parse


def test_the_question_s_own_figure_said_back_answers_nothing() -> None:
    passage = "榆溪县合作社共吸纳社员2150户，分布在全县6个乡镇。"
    part = analyze("合作社的2150户社员里，石岭镇的有多少户？", "zh")
    assert not answers_question("合作社的2150户社员里，石岭镇的有2150户。", [passage], part)
    assert answers_question("石岭镇的社员有430户。", [passage], part)
