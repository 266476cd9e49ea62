"""What a figure in a passage is bound to (rag/binding.py): its list item, its paragraph's titled work.

Every passage here is invented for the test (no benchmark text)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.context import ContextSource
from rag.kinds import AskedQuantity, kinds_named
from rag.question import analyze
from rag.schema import SearchHit
from rag.verification import CitationVerifier

FINES = ("《澜州市共享单车管理办法》6月1日起施行\n\n《办法》对以下行为规定了处罚：\n"
         "——未按规定停放车辆的，处100元罚款；\n——企业未及时清理故障车辆的，处5000元罚款；\n"
         "——骑车人未满12周岁的，对监护人予以批评教育。\n\n办法同时要求企业为车辆购买第三者责任保险。")
FILMS = ("科幻片《星门》上映首周票房6.2亿元\n\n《星门》由海湾影业出品，影片制作周期三年，制作成本约4.5亿元。\n\n"
         "同期上映的悬疑片《雾港》由周启明执导，首周票房2.1亿元。")


def verifier(text: str, question: str, specific: tuple[str, ...]) -> CitationVerifier:
    hit = SearchHit(chunk_id="c1", source="doc.txt", section="", text=text, score=1.0, title=text.split("\n")[0])
    return CitationVerifier([ContextSource(n=1, hit=hit, sentences=[(0, len(text))])], "zh",
                            replace(analyze(question, "zh"), specific=specific))


@pytest.mark.parametrize(("question", "answer", "specific", "shown"), [
    ("骑车人不买保险罚多少？", "骑车人不买保险的，罚100元[1]。", ("保险",), False),  # no item covers it
    ("企业不清理故障车罚多少？", "企业未及时清理故障车辆的，处100元罚款[1]。", ("故障", "清理"), False),  # another's
    ("骑车不戴头盔罚多少？", "骑车不戴头盔的，罚100元[1]。", ("头盔",), True),  # no passage says 头盔: not judged
    ("澜州乱停共享单车罚多少？", "未按规定停放车辆的，处100元罚款[1]。", ("停放",), True),
    ("企业不清理故障车罚多少？", "企业未及时清理故障车辆的，处5000元罚款[1]。", ("故障", "清理"), True),
])
def test_a_figure_in_a_list_is_its_own_items(question: str, answer: str, specific: tuple[str, ...],
                                              shown: bool) -> None:
    """A notice listing fines: the fine of one item is not the fine of what the list does not cover or of
    another item, though the passage uses the question's word elsewhere."""
    check = verifier(FINES, question, specific)
    assert (check.add(answer) is not None) is shown, check.notes


def test_a_figure_in_the_paragraph_about_one_work_is_not_anothers() -> None:
    assert verifier(FILMS, "《雾港》的制作成本是多少？", ("雾港", "制作", "成本")).add(
        "《雾港》的制作成本约4.5亿元[1]。") is None
    assert verifier(FILMS, "《星门》的制作成本是多少？", ("星门", "制作", "成本")).add(
        "《星门》的制作成本约4.5亿元[1]。") is not None
    # a chunk that begins in the middle of the paragraph: the document's title names its work
    middle = FILMS.split("\n\n", 1)[1].replace("《星门》由海湾影业出品，", "")
    titled = "科幻片《星门》上映首周票房6.2亿元\n" + middle
    assert verifier(titled, "《雾港》的制作成本是多少？", ("雾港",)).add("《雾港》的制作成本约4.5亿元[1]。") is None
    # the short name of a work introduced in full is the same work
    assert verifier(FINES, "《办法》对乱停车罚多少？", ("停放",)).add("《办法》规定未按规定停放车辆的，处100元罚款。")


def test_a_question_about_a_valuation_does_not_ask_for_the_round_amount() -> None:
    assert kinds_named("星桥科技拿到天使轮融资时，公司估值多少亿元？") == frozenset({"valuation"})
    assert kinds_named("星桥科技B轮融资多少？") == frozenset({"financing"})
    assert AskedQuantity.of("星桥科技拿到天使轮融资时，公司估值多少亿元？").kinds == frozenset({"valuation"})


def test_a_quoted_sentence_is_tied_to_what_the_question_names() -> None:
    """The sources' own sentence offered as the answer (extractive, or after a model's failed answer) does
    not repeat the question's subject: the question's nouns stand for it. Its time words and verbs do not
    (a passage's "今年" elsewhere says nothing of the item)."""
    def quoted(question: str, specific: tuple[str, ...]) -> CitationVerifier:
        hit = SearchHit(chunk_id="c1", source="doc.txt", section="", text=FINES, score=1.0, title=FINES.split("\n")[0])
        return CitationVerifier([ContextSource(n=1, hit=hit, sentences=[(0, len(FINES))])], "zh",
                                replace(analyze(question, "zh"), specific=specific), quoting=True)

    parking = "——未按规定停放车辆的，处100元罚款[1]。"
    assert quoted("骑车人不买保险罚多少？", ("保险",)).add(parking) is None
    assert quoted("今年乱停车罚多少？", ("今年", "停车")).add(parking) is not None
    assert quoted("《雾港》的罚款是多少？", ()).add(parking) is None  # the document is about another titled work


def test_an_opening_paragraph_summing_up_the_list_does_not_make_an_item_anothers() -> None:
    """The document's opening may name every item's words ("要求企业购买保险"); only its heading and byline
    lines say what every item is about."""
    hit = SearchHit(chunk_id="c1", source="doc.txt", section="", text=FINES, score=1.0, title=FINES.split("\n")[0])
    head = ("《澜州市共享单车管理办法》6月1日起施行\n澜州市交通运输局\n"
            "《办法》要求企业为车辆购买保险，并对乱停乱放、车辆故障等问题作出规定。")
    source = ContextSource(n=1, hit=hit, sentences=[(0, len(FINES))], head=head)
    check = CitationVerifier([source], "zh", replace(analyze("骑车人不买保险罚多少？", "zh"), specific=("保险",)))
    assert check.add("骑车人不买保险的，罚100元[1]。") is None


def test_the_title_counts_even_when_extraction_glued_the_first_paragraph_to_it() -> None:
    glued = "《澜州市共享单车管理办法》6月1日起施行 乱停最高罚100元《澜州市共享单车管理办法》经市人大常委会审议通过。"
    hit = SearchHit(chunk_id="c1", source="doc.txt", section="", text=FINES, score=1.0, title=glued)
    question = replace(analyze("澜州共享单车管理办法对乱停车罚多少？", "zh"), specific=("管理办法", "停放"))
    check = CitationVerifier([ContextSource(n=1, hit=hit, sentences=[(0, len(FINES))], head=glued)], "zh", question)
    assert check.add("《澜州市共享单车管理办法》规定，未按规定停放车辆的，处100元罚款[1]。") is not None, check.notes


ACCOUNTS = ("主要财务数据如下（单位：亿元）：\n项目｜2033年｜2032年｜同比变动\n营业收入｜31.52｜27.08｜+16.4%\n"
            "（表格行）营业收入：2033年 31.52亿元；2032年 27.08亿元；同比变动 +16.4%。\n"
            "（表格行）归母净利润：2033年 4.17亿元；2032年 3.66亿元；同比变动 +13.9%。\n"
            "（表格行）扣非归母净利润：2033年 3.88亿元；2032年 3.41亿元；同比变动 +13.8%。")


@pytest.mark.parametrize(("question", "answer", "shown"), [
    ("星桥科技2032年营业收入是多少？", "3.66亿元[1]。", False),  # the net profit row's figure, the revenue asked
    ("星桥科技2032年营业收入是多少？", "星桥科技2032年营业收入为3.66亿元[1]。", False),
    ("星桥科技2032年营业收入是多少？", "星桥科技2032年营业收入为27.08亿元[1]。", True),
    ("星桥科技2032年营业收入是多少？", "27.08亿元[1]。", True),
    ("2032年归母净利润是多少？", "2032年归母净利润为3.66亿元[1]。", True),  # not also the 扣非归母净利润 row
    ("2032年扣非归母净利润是多少？", "2032年扣非归母净利润为3.41亿元[1]。", True),
    ("2032年扣非归母净利润是多少？", "2032年扣非归母净利润为3.66亿元[1]。", False),
    ("星桥科技2032年利润是多少？", "3.66亿元[1]。", True),  # the question names no row: not judged here
])
def test_a_table_rows_figure_is_that_rows(question: str, answer: str, shown: bool) -> None:
    check = verifier(ACCOUNTS, question, ())
    assert (check.add(answer) is not None) is shown, check.notes


MEDALS = ("省运会竞技组奖牌榜\n\n浠岚市代表团以52枚金牌位列金牌榜第一，翟川市代表团虽然金牌少4枚，但以133枚奖牌位列奖牌"
          "总数第一。\n（表格行）翟川市：排名 2；金牌 48；奖牌总数 133。\n"
          "（表格行）栩城市：排名 3；金牌 40；奖牌总数 97。\n\n"
          "2031年江屿省地区生产总值4.6万亿元，其中浠岚市1.1万亿元。")


@pytest.mark.parametrize(("question", "answer", "shown"), [
    ("奖牌总数第一的是谁？", "奖牌总数第一的是浠岚市代表团，共获得133枚奖牌[1]。", False),  # 133 is 翟川市's
    ("奖牌总数第一的是谁？", "翟川市代表团以133枚奖牌位列奖牌总数第一[1]。", True),
    ("浠岚市拿了几枚金牌？", "浠岚市代表团获得52枚金牌[1]。", True),
    ("浠岚市奖牌总数是多少？", "浠岚市代表团奖牌总数97枚[1]。", False),  # a table row: the row's place
    ("栩城市奖牌总数是多少？", "栩城市代表团奖牌总数97枚[1]。", True),
    ("江屿省2031年GDP是多少？", "江屿省2031年地区生产总值为1.1万亿元[1]。", False),  # the city's share
    ("江屿省2031年GDP是多少？", "江屿省2031年地区生产总值为4.6万亿元[1]。", True),
    ("江屿省2031年GDP是多少？", "2031年地区生产总值为1.1万亿元[1]。", False),  # naming none: the question's
])
def test_a_figure_is_the_place_its_sentence_names_last_before_it(question: str, answer: str, shown: bool) -> None:
    """A sentence naming several places: each figure is the place named last before it."""
    check = verifier(MEDALS, question, ())
    assert (check.add(answer) is not None) is shown, check.notes


CHIPS = "星桥发布S9芯片\n\n9月12日，星桥科技推出新一代芯片S9，售价860元，比上一代产品S7贵120元。公司计划明年推出S11。"


@pytest.mark.parametrize(("question", "answer", "shown"), [
    ("S11芯片卖多少钱？", "S11芯片售价为860元[1]。", False),  # the S9's price; the S11 is only announced
    ("S9芯片卖多少钱？", "S9芯片售价为860元[1]。", True),
    ("星桥新芯片卖多少钱？", "该芯片售价为860元[1]。", True),  # names no model: not judged by this rule
])
def test_a_figure_is_the_model_its_sentence_names_last_before_it(question: str, answer: str, shown: bool) -> None:
    check = verifier(CHIPS, question, ())
    assert (check.add(answer) is not None) is shown, check.notes


@pytest.mark.parametrize(("passage", "answer"), [
    ("2031年，翟川市与浠岚市合计完成投资120亿元。", "浠岚市与翟川市合计完成投资120亿元[1]。"),  # a list: no one's alone
    ("2031年，江屿省浠岚市等地经济回升，全省地区生产总值4.6万亿元。", "江屿省地区生产总值4.6万亿元[1]。"),
    ("2031年，浠岚市地处江屿省东部，地区生产总值1.1万亿元。", "浠岚市地区生产总值1.1万亿元[1]。"),
    ("2031年，浠岚市对日本出口额80亿元。", "浠岚市出口额为80亿元[1]。"),  # a destination is not the subject
])
def test_a_place_in_a_list_or_after_a_preposition_is_not_the_figure_s(passage: str, answer: str) -> None:
    check = verifier(passage, "出口额是多少？", ())
    assert check.add(answer) is not None, check.notes
