"""Places jieba cuts apart are read whole: a misspelt place is another place, and "X城市" is not 城市."""

from __future__ import annotations

import pytest

from rag.context import ContextSource
from rag.names import chinese_names, person_names, places_in
from rag.question import analyze
from rag.schema import SearchHit
from rag.verification import verify_answer


@pytest.mark.parametrize(("text", "place"), [
    ("浠岚市代表团获得银牌54枚", "浠岚市"),   # 浠/岚/市
    ("翟川省2031年地区生产总值", "翟川省"),   # 翟川 a surname and name to jieba
    ("栩城市的地铁线路", "栩城市"),          # 栩/城市: not the common word 城市
    ("琮宁市人大常委会通过", "琮宁市"),       # the suffix glued to what follows it
])
def test_a_place_jieba_splits_is_one_place(text: str, place: str) -> None:
    assert places_in(text) == [place]
    assert place in chinese_names(text)
    assert not any(name in place for name in person_names(text))  # 翟川 is a place's, not a person's


@pytest.mark.parametrize("text", ["他在城市里住了三年", "可以节省一半的时间", "楼下新开了一家超市",
                                  "会同市财政局发布通知", "这个城市的人口", "芯片市场规模", "沪深两市成交额",
                                  "建设低碳城市"])
def test_ordinary_words_before_a_place_suffix_are_no_place(text: str) -> None:
    assert not [place for place in places_in(text) if place != "城市"]


def test_a_place_one_character_off_does_not_support_a_sentence() -> None:
    text = "浠岚市代表团在竞技组获得银牌54枚，金牌37枚。"
    hit = SearchHit(chunk_id="c1", source="games.txt", title="省运会奖牌榜", section="", text=text, score=1.0)
    sources = [ContextSource(n=1, hit=hit, sentences=[(0, len(text))])]
    question = analyze("浠岚市代表团在竞技组拿了多少枚银牌？", "zh")
    assert verify_answer("浠岚市代表团在竞技组获得银牌54枚[1]。", sources, "zh", question).grounded
    assert not verify_answer("溪岚市代表团在竞技组获得银牌54枚[1]。", sources, "zh", question).grounded
    short = "浠岚代表团在竞技组获得银牌54枚。"  # the passage leaves out the 市
    hit = SearchHit(chunk_id="c2", source="games.txt", title="省运会奖牌榜", section="", text=short, score=1.0)
    assert verify_answer("浠岚市代表团获得银牌54枚[1]。", [ContextSource(n=1, hit=hit, sentences=[(0, len(short))])],
                         "zh", question).grounded


def test_a_question_about_a_split_place_asks_about_that_place() -> None:
    question = analyze("栩城市今年地铁客运量是多少？", "zh")
    assert [c.text for c in question.constraints if c.kind == "place"] == ["栩城市"]
