"""What a question pins down (years, persons, places, works, products) and what it asks for. Invented
questions only."""

from __future__ import annotations

from rag.question import Constraint, analyze, split_parts


def test_years_works_and_product_names_are_constraints_ordinary_words_are_not() -> None:
    question = analyze("2024年电影《北风之歌》的票房是多少？", "zh")
    kinds = {(c.kind, c.text) for c in question.constraints}
    assert ("year", "2024") in kinds and ("work", "北风之歌") in kinds
    assert not any(c.text in ("票房", "电影") for c in question.constraints)
    assert question.ask == "quantity"
    english = analyze("How many parameters does Falcon-7B have in 2023?", "en")
    assert {c.text for c in english.constraints} == {"2023", "Falcon-7B"}


def test_names_are_exact_but_places_have_their_common_spellings() -> None:
    assert not Constraint("person", "陈明远").found_in("导演陈明达执导了该片")
    assert Constraint("person", "陈明远").found_in("导演陈明远执导了该片")
    assert Constraint("place", "中国").found_in("我国数字经济规模持续扩大")
    assert Constraint("place", "杭州市").found_in("杭州的客流增长明显")
    assert Constraint("latin", "Orion-4").found_in("采用 orion-4 模型")
    assert not Constraint("latin", "Orion-4").found_in("Orion-4o")
    assert Constraint("year", "2023").found_in("2023 年") and not Constraint("year", "2023").found_in("20234")


def test_ordinary_words_jieba_tags_as_places_are_not_places() -> None:
    assert analyze("仓库里最贵的两样东西是什么？", "zh").places == ()
    assert analyze("南北两地的客流差距有多大？", "zh").places == ()
    assert analyze("杭州的客流有多大？", "zh").places == ("杭州",)
    assert analyze("深度学习芯片在东港的出货量是多少？", "zh").places == ("东港",)  # 深度: a measure, not a place
    assert analyze("星桥在印度的销量是多少？", "zh").places == ("印度",)


def test_everyday_words_jieba_tags_as_names_are_not_names() -> None:
    assert not analyze("星桥门店的顾客满意度是多少？", "zh").constraints  # 顾客: customers; 满意度 no place
    assert Constraint("person", "陈明达") in analyze("陈明达是哪家公司的董事长？", "zh").constraints


def test_the_word_naming_the_asked_amount() -> None:
    """jieba's splits are mended ("总体"+"量", glued "率降"), a unit names nothing, a generic "数字" is
    skipped, and the amount of a two-part question is named before its own question word."""
    assert analyze("南港市无人机产业的总体量有多大？", "zh").focus == "总体量"
    assert analyze("那家银行上线新系统后，客诉率降了多少？", "zh").focus == "客诉率"
    assert analyze("南港新款无人机最便宜的版本卖多少钱？", "zh").focus is None
    # a count's measure word names no thing: the noun before it does (the part asked about, not the whole)
    assert analyze("南港市的注册企业里，民营企业有多少家？", "zh").focus == "民营企业"
    assert analyze("其中女性志愿者有多少人？", "zh").focus == "志愿者"
    assert analyze("全市新增多少户？", "zh").focus is None
    assert analyze("这次一共召回多少台？", "zh").focus is None
    assert analyze("两家机构对无人机市场规模的数字分别是多少？", "zh").focus in {"市场规模", "规模"}
    assert analyze("南港市登记量最高的是哪个机型，登记量多少？", "zh").focus == "登记量"
    assert analyze("电影《南岭往事》的豆瓣评分是多少？", "zh").focus == "评分"
    # a verb of change or a time word before the question word is not what the amount measures
    assert analyze("智能客服让用户投诉率具体下降了多少个百分点？", "zh").focus == "投诉率"
    assert analyze("自动续费让会员退订率降低了多少？", "zh").focus == "退订率"
    assert analyze("南港港口的集装箱吞吐量同比增长了多少？", "zh").focus == "吞吐量"
    assert analyze("南港文旅集团的门票收入上半年提高了多少？", "zh").focus == "收入"


def test_what_a_question_asks_for() -> None:
    assert analyze("报告提到了哪些风险？", "zh").ask == "list"
    assert analyze("该政策何时开始实施？", "zh").ask == "time"
    assert analyze("哪家公司发布了该芯片？", "zh").ask == "entity"
    assert analyze("What share of users pay?", "en").ask == "quantity"


def test_a_two_part_question_is_split_and_a_fragment_stays_with_its_part() -> None:
    assert split_parts("2023年全省营收是多少？利润呢？") == ("2023年全省营收是多少？", "利润呢？")
    assert split_parts("甲公司的营收是多少，另外乙公司的利润是多少？") == ("甲公司的营收是多少", "乙公司的利润是多少？")
    assert split_parts("营收是多少？") == ("营收是多少？",)
    assert split_parts("多少？呢？") == ("多少？呢？",)


def test_an_english_question_s_acronym_is_not_a_name_to_find() -> None:
    assert analyze("What does the IDC report say about TPU demand?", "en").constraints == ()
    assert [c.text for c in analyze("When was GPT-5 released?", "en").constraints] == ["GPT-5"]


def test_an_issue_or_batch_number_is_a_constraint_in_either_numeral_system() -> None:
    """The third issue's dates do not answer for the fourth: "第四期" must stand in a passage, as 第4期 or
    第四期 (the first also as 首期)."""
    from rag.passages import absent_names

    question = analyze("海湾市第四期文旅消费券什么时候发放？", "zh")
    assert Constraint("ordinal", "第四期") in question.constraints
    third = "海湾市第三期文旅消费券分三轮发放：第一轮5月6日，第二轮5月13日。"
    assert absent_names(question, [third]) == ["第四期"]
    assert absent_names(question, ["海湾市第4期文旅消费券5月20日发放。"]) == []
    first = analyze("第1批试点企业有哪些？", "zh")
    assert absent_names(first, ["首批试点企业包括星桥科技和云杉智能。"]) == []


def test_a_financing_round_is_a_constraint_named_by_its_letter() -> None:
    """A question about a C round is not answered by the B round the passages report; "ABC轮胎" is no round."""
    from rag.passages import absent_names

    passage = "星桥科技近日宣布完成3.5亿元B轮融资，由东港资本领投；此前的A+轮由西港创投领投。"
    assert absent_names(analyze("星桥科技C轮融资金额是多少？", "zh"), [passage]) == ["C轮"]
    assert absent_names(analyze("星桥科技B轮融资由谁领投？", "zh"), [passage]) == []
    assert absent_names(analyze("星桥科技A+轮融资由谁领投？", "zh"), [passage]) == []
    assert absent_names(analyze("星桥科技的天使轮投资方是谁？", "zh"), [passage]) == ["天使轮"]
    assert all(c.kind != "ordinal" for c in analyze("ABC轮胎今年销量多少？", "zh").constraints)


def test_the_previous_edition_is_asked_only_of_passages_that_speak_of_it() -> None:
    """"上一届" asks about the edition before the reported one: passages giving only the current edition's
    medals do not answer it; one that compares with the previous edition may ("比上届多5枚")."""
    from rag.passages import absent_names

    question = analyze("上一届市运会澜屿区拿了几枚金牌？", "zh")
    assert absent_names(question, ["第九届市运会澜屿区代表团获得金牌32枚。"]) == ["上一届"]
    assert absent_names(question, ["第九届市运会澜屿区代表团获得金牌32枚，比上届多5枚。"]) == []
    assert not [c for c in analyze("上期末贷款余额是多少？", "zh").constraints if c.kind == "ordinal"]


def test_a_place_in_a_ranking_from_the_third_on_is_asked_of_passages_that_state_it() -> None:
    """"排第六" is answered only by a passage stating a sixth place ("第六", "第6", a table's "排名 6"); the
    first and second are also written 居首 or 其次, so they decide nothing."""
    from rag.passages import absent_names

    sixth = analyze("本届汀澜书展销量排第六的是哪本书？", "zh")
    assert absent_names(sixth, ["（表格行）《雾中》：排名 5；销量 3万册。"]) == ["排第六"]
    assert absent_names(sixth, ["（表格行）《雾中》：排名 6；销量 3万册。"]) == []
    assert absent_names(sixth, ["位列第六的是《雾中》。"]) == []
    assert absent_names(sixth, ["《雾中》位列第六十。"]) == ["排第六"]
    third = analyze("汀澜书展销量排第3的是哪本书？", "zh")
    assert absent_names(third, ["（表格行）《雾中》：排名 30；销量 3万册。"]) == ["排第3"]
    assert not [c for c in analyze("汀澜书展销量排第二的是哪本书？", "zh").constraints if c.kind == "ordinal"]


def test_a_verb_of_going_read_into_a_name_is_not_part_of_it() -> None:
    """"从境外来雁川的游客": the tagger reads 来雁川 as a person; 雁川 in a passage is that name."""
    from rag.passages import absent_names

    visitors = analyze("去年从境外来雁川的游客有多少？", "zh")
    assert Constraint("person", "来雁川") in visitors.constraints
    assert absent_names(visitors, ["2033年雁川接待入境游客86.5万人次。"]) == []
    assert absent_names(visitors, ["2033年澜州接待入境游客86.5万人次。"]) == ["来雁川"]
