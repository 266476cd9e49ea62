"""Chinese names written in pinyin in an English question are found among the corpus's words (invented names)."""

import pytest

from rag.rewriting import QuestionRewriter
from rag.romanized import PinyinNames
from rag.settings import Settings

pytestmark = pytest.mark.unit

VOCABULARY = {"星桥": 3, "星河智库": 2, "海湾省": 4, "报告": 40, "行桥": 1, "李": 9, "营收": 5}


def test_a_capitalised_pinyin_word_is_the_corpus_word_spelled_so() -> None:
    names = PinyinNames(VOCABULARY)
    assert names.find("What revenue did Xingqiao report for 2030?") == {"Xingqiao": "星桥"}  # not the rarer 行桥


def test_two_capitalised_words_in_a_row_spell_one_name() -> None:
    assert PinyinNames(VOCABULARY).find("According to Xinghe Zhiku, how large is the market?") == {
        "Xinghe Zhiku": "星河智库"}


def test_ordinary_words_and_short_ones_are_not_names() -> None:
    names = PinyinNames(VOCABULARY)
    assert names.find("what did the baogao say about yingshou?") == {}  # not capitalised: English prose
    assert names.find("What did Li say in the Report?") == {}  # too short; an English word


def test_the_search_query_carries_the_corpus_spelling_without_a_model() -> None:
    names = PinyinNames(VOCABULARY)
    rewriter = QuestionRewriter(Settings().prompts_dir, lambda: None, names.find)
    query = rewriter.search_query("How large is the Haiwansheng market according to Xingqiao?", "en")
    assert "星桥" in query and "海湾省" in query
    assert rewriter.search_query("星桥的营收是多少？", "zh") == "星桥的营收是多少？"


def test_abbreviations_are_searched_as_the_reports_write_them() -> None:
    rewriter = QuestionRewriter(Settings().prompts_dir, lambda: None, PinyinNames(VOCABULARY).find)
    assert "生产总值" in rewriter.search_query("海湾省2030年的GDP增速是多少？", "zh")
    assert "研发" in rewriter.search_query("How much did Xingqiao spend on R&D?", "en")
    assert rewriter.search_query("海湾省2030年的人口是多少？", "zh") == "海湾省2030年的人口是多少？"


def test_a_passage_writing_an_abbreviation_out_mentions_it() -> None:
    from rag.passages import absent_names
    from rag.question import analyze

    asked = analyze("海湾省2030年的GDP增速是多少？", "zh")
    assert absent_names(asked, ["2030年海湾省全省生产总值达到1.2万亿元。"]) == []
    assert absent_names(analyze("海湾省2030年的XPU出货量多少？", "zh"), ["2030年海湾省GPU出货量。"]) == ["XPU"]


def test_an_english_follow_up_about_another_place_swaps_it_into_the_previous_question() -> None:
    """"What about Lanzhou?" after a question about 东港 is that question about 澜州, with no model involved
    (a small model's rewrite carried the last answer's figure over to the new place)."""
    from rag.schema import ChatTurn

    names = PinyinNames({**VOCABULARY, "澜州": 6, "东港": 5})
    rewriter = QuestionRewriter(Settings().prompts_dir, lambda: None, names.find)
    history = [ChatTurn(role="user", content="东港对低空物流企业给了哪些补贴？"),
               ChatTurn(role="assistant", content="东港对新落户企业给予最高200万元奖励[1]。")]
    assert rewriter.condense("What about Lanzhou?", history) == "澜州对低空物流企业给了哪些补贴？"
    # not a place of the corpus: left to the model (none here: the previous question and the follow-up)
    assert rewriter.condense("What about Xingqiao?", history) == "东港对低空物流企业给了哪些补贴？ What about Xingqiao?"
