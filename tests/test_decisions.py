"""How the chain decides between answering, answering from evidence and refusing, on a real index of
invented documents (two films, a city's car sales by year): the decision rests on what the question pins
down and on the evidence, never on whether the question's ordinary words are repeated."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from ingest.indexing import Indexer
from rag.chain import AnswerChain
from rag.retrieval import HybridRetriever
from rag.settings import Settings

FILMS = ("电影《北风之歌》由导演陈明远执导，2024年国庆档上映，首周票房3.4亿元。\n\n"
         "电影《南岭往事》首周票房1.8亿元，主演为林晓和周宁。\n")
SALES = ("# 东港市汽车消费报告\n\n2023年东港市新能源汽车销量为8.6万辆，同比增长32%。"
         "预计2026年销量将达到15万辆。全市充电桩数量超过2.1万个。\n")


@pytest.fixture
def chain(settings: Settings, tmp_path: Path, embeddings: Embeddings) -> AnswerChain:
    corpus = tmp_path / "invented"
    corpus.mkdir()
    (corpus / "films.txt").write_text(FILMS, encoding="utf-8")
    (corpus / "sales.md").write_text(SALES, encoding="utf-8")
    Indexer(settings, embeddings).ingest([corpus])
    return AnswerChain(settings, retriever=HybridRetriever(settings, embeddings), generator="extractive")


def test_a_figure_asked_for_another_year_is_a_cited_false_premise(chain: AnswerChain) -> None:
    answer = chain.invoke("2024年东港市新能源汽车销量是多少？")
    assert not answer.grounded
    assert answer.answer.startswith("报告未给出2024年的相关数据") and "8.6万辆" in answer.answer
    assert [c.source for c in answer.citations] == ["sales.md"]
    right = chain.invoke("2023年东港市新能源汽车销量是多少？")
    assert right.grounded and "8.6万辆" in right.answer and "15万" not in right.answer


def test_a_name_no_passage_mentions_is_refused_and_a_paraphrase_is_answered(chain: AnswerChain) -> None:
    misspelt = chain.invoke("陈明达执导的电影首周票房是多少？")
    assert not misspelt.grounded and "陈明达" in misspelt.notes[0]
    assert chain.invoke("陈明远执导的电影首周票房是多少？").grounded
    paraphrase = chain.invoke("东港一共建了多少充电桩？")  # "建了" is not the report's wording
    assert paraphrase.grounded and "2.1万个" in paraphrase.answer


def test_a_growth_rate_is_not_offered_as_an_amount_of_another_kind(chain: AnswerChain) -> None:
    answer = chain.invoke("2023年东港市新能源汽车的销售收入是多少？")
    assert not answer.grounded


def test_a_neighbouring_fact_does_not_answer_what_is_asked(chain: AnswerChain) -> None:
    """The film's passage has a cast, not a director: refused, while the other film's director is answered."""
    director = chain.invoke("电影《南岭往事》的导演是谁？")
    assert not director.grounded and "林晓" not in director.answer
    known = chain.invoke("电影《北风之歌》的导演是谁？")
    assert known.grounded and "陈明远" in known.answer


def test_a_model_answer_in_the_question_s_words_gives_way_to_the_sentence_stating_its_figures(
        chain: AnswerChain) -> None:
    """The model's sentence (here given as written by a model) uses the question's words, which the report
    does not: the report's sentence with the same figures is the answer, cited; a model sentence whose
    figures stand for another year gets no such stand-in."""
    from rag.context import ContextSource
    from rag.question import analyze
    from rag.schema import SearchHit, Timings
    from rag.sentences import split_sentences
    from rag.verification import VerifiedAnswer

    text = "上线智能排班后，门店人效提升12%-18%，客诉率下降6%-9%。2031年全厂产量为4.2万吨。"
    hit = SearchHit(chunk_id="c1", source="plant.txt", section="", text=text, score=1.0)
    sources = [ContextSource(n=1, hit=hit, sentences=split_sentences(text))]

    def answer_from_evidence(question: str, model_text: str) -> VerifiedAnswer:
        steps = chain._from_evidence(question, sources, analyze(question, "zh"), [], Timings(), 0.0, model_text)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value.finish()

    worded = answer_from_evidence("用了智能排班，员工效率和投诉比例各改善多少？",
                                  "员工效率和投诉比例各改善12%-18%和6%-9%[1]。")
    assert worded.grounded and "门店人效提升12%-18%，客诉率下降6%-9%" in worded.text
    assert worded.citations[0].source == "plant.txt"
    other_year = answer_from_evidence("2032年全厂产量是多少？", "2032年全厂产量为4.2万吨[1]。")
    assert not other_year.grounded
