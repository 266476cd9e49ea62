"""Source blocks under answers: what the page shows, and that the conversation handed back to the chain
(for follow-ups) is what was said, without the blocks or the clickable markers."""

from __future__ import annotations

from rag.schema import Answer, Citation, under_heading
from ui.cards import render_answer, render_found, spoken

PASSAGE = "配送网络持续加密。\n\n2033年澜州低空物流日均配送架次突破4.7万架次。\n航线持续增加。"


def citation(n: int, title: str) -> Citation:
    """As the chain cites: the passage under its heading (rag.schema.SearchHit.cited_text)."""
    return Citation(n=n, chunk_id=f"abc-{n}", source="drone_slides.txt", title=title, section="一、概况 > 规模",
                    quote="2033年澜州低空物流日均配送架次突破4.7万架次。", score=0.03,
                    text=under_heading(title, "一、概况 > 规模", PASSAGE))


def test_an_answer_keeps_its_titled_sources_and_reads_back_as_said() -> None:
    answer = Answer(question="q", standalone_question="q", answer="日均配送架次突破4.7万架次[1]，见[3]。",
                    citations=[citation(1, "低空物流迈入规模化运营")], grounded=True, model="extractive",
                    language="zh")
    shown = render_answer(answer, details=False)
    assert "<sup class='cite cite-1'>[1]</sup>" in shown and "见[3]" in shown  # [3] names no source
    assert "<span class='source-title'>低空物流迈入规模化运营</span>" in shown
    assert "<span class='source-file'>drone_slides.txt</span>" in shown
    assert "<mark>2033年澜州低空物流日均配送架次突破4.7万架次。</mark>" in shown
    assert shown.count("一、概况 &gt; 规模") == 1  # the card's head shows the heading; its passage not again
    assert shown.count("低空物流迈入规模化运营") == 1
    assert "\n\n" not in shown.split("<details", 1)[1]  # one markdown HTML block: a blank line would end it
    assert spoken(shown) == answer.answer
    assert spoken([{"type": "text", "text": shown}]) == answer.answer

    untitled = render_found([citation(2, "")])
    assert "已找到 1 个来源 — 正在撰写回答" in untitled and "<span class='source-title'>drone_slides.txt" \
        in untitled and "source-file" not in untitled
    assert spoken("部分回答[1]。" + "\n\n" + untitled.strip()) == "部分回答[1]。"


def test_a_refusal_says_what_was_searched_and_what_was_found() -> None:
    refusal = Answer(question="那2036年呢？", standalone_question="2036年澜州低空物流日均配送架次是多少？",
                     answer="报告中没有相关信息。", grounded=False, model="extractive", language="zh")
    shown = render_answer(refusal, details=False, searched=[citation(1, "低空物流迈入规模化运营")])
    assert shown.startswith("⚠️ 报告中没有相关信息。")
    assert "已检索：「2036年澜州低空物流日均配送架次是多少？」；找到的 1 段内容都不能支持回答" in shown
    assert "searched-cards" in shown and "低空物流迈入规模化运营" in shown
    nothing = render_answer(refusal, details=False, searched=[])
    assert "没有找到提到所问对象的段落" in nothing and "source-card" not in nothing
