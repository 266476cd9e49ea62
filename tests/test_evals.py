"""The evaluation harness: metric functions on hand-made cases, the offline faithfulness judge, an
end-to-end run producing the report files, comparison and the --fail-under gate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, REPO, SLIDES

from evals.benchmark import BenchmarkQuestion, Evidence
from evals.faithfulness import judge_offline, split_claims
from evals.run import Passage, citation_precision, compare, failures, judge_question, parse_thresholds, summarize
from rag.schema import Answer, Citation

CHUNK = "根据省统计局的数据，2032年全省数字经济主体产业规模达到了3215亿元，同比增长11.2%。"
OTHER = "截至2034年6月,全省数字经济主体产业规模超过4150亿元,数字经济企业数量超过2600家。"
QUESTION = BenchmarkQuestion(id="q1", question="2032年全省数字经济主体产业规模达到多少？",
                             key_facts=["3215亿元", "11.2%"],
                             evidence=[Evidence(doc="a.txt", quote="2032年全省数字经济主体产业规模达到了3215亿元")],
                             type="numeric")
NEGATIVE = BenchmarkQuestion(id="q2", question="GPT-5何时发布？", answerable=False, type="unanswerable")


def answer(text: str, chunks: list[tuple[str, str]], grounded: bool = True) -> Answer:
    citations = [Citation(n=i + 1, chunk_id=f"c{i}", source=source, section="", quote=body[:20], score=0.1, text=body)
                 for i, (source, body) in enumerate(chunks)]
    return Answer(question="q", standalone_question="q", answer=text, citations=citations, grounded=grounded,
                  model="m", language="zh")


RETRIEVED = [Passage(chunk_id="x", source="b.txt", text=OTHER), Passage(chunk_id="y", source="a.txt", text=CHUNK)]


def test_a_correct_cited_answer() -> None:
    good = answer("规模达到3215亿元，同比增长11.2%[1]。", [("a.txt", CHUNK)])
    result = judge_question(QUESTION, good, RETRIEVED, "ours")
    assert result.correct and result.citation_hit and result.key_fact_recall == 1.0
    assert result.retrieval_rank == 2 and result.citation_precision == 1.0
    assert [c.verdict for c in result.faithfulness.claims] == ["supported"]


def test_a_refusal_an_invented_figure_and_a_wrong_citation() -> None:
    refused = judge_question(QUESTION, answer("报告中没有找到相关信息。", [], grounded=False), RETRIEVED, "ours")
    assert refused.refused and not refused.correct and refused.key_fact_recall == 0.0
    invented = judge_question(QUESTION, answer("规模达到6000亿元，同比增长11.2%[1]。", [("a.txt", CHUNK)]), [], "ours")
    assert not invented.correct and invented.unsupported_figures == ["6000亿"] and invented.key_fact_recall == 0.5
    assert invented.faithfulness.claims[0].verdict == "unsupported"
    wrong = judge_question(QUESTION, answer("规模达到3215亿元，同比增长11.2%[1]。", [("b.txt", OTHER)]), [], "ours")
    assert wrong.correct and wrong.citation_hit is False and wrong.citation_precision == 0.0
    rejected = judge_question(NEGATIVE, answer("报告中没有找到相关信息。", [], grounded=False), [], "ours")
    assert rejected.ok and rejected.citation_hit is None


def test_summary_and_gate() -> None:
    good = answer("规模达到3215亿元，同比增长11.2%[1]。", [("a.txt", CHUNK)])
    rows = [judge_question(QUESTION, good, RETRIEVED, "ours"),
            judge_question(NEGATIVE, answer("GPT-5于2025年发布[1]。", [("a.txt", CHUNK)]), [], "ours")]
    metrics = summarize(rows)
    assert metrics["answer_accuracy"] == 1.0 and metrics["rejection_accuracy"] == 0.0
    assert metrics["retrieval_recall_at_1"] == 0.0 and metrics["retrieval_recall_at_3"] == 1.0
    assert metrics["by_type"]["unanswerable"]["ok"] == 0.0
    assert failures(metrics, parse_thresholds(["answer_accuracy=0.9", "rejection_accuracy=0.5"])) == [
        "rejection_accuracy: 0.0 < 0.5"]
    assert failures(metrics, {"no_such_metric": 0.1}) == ["no_such_metric: not measured in this run"]
    with pytest.raises(ValueError):
        parse_thresholds(["accuracy>0.5"])
    delta = compare(metrics, {**metrics, "answer_accuracy": 0.5}, rows, rows)
    assert delta["deltas"]["answer_accuracy"] == -0.5 and delta["changed"] == []


def test_offline_judge_on_chinese_claims() -> None:
    claims = split_claims("首先是算力不足；其次是数据成本高[1]。")
    assert claims == [("首先是算力不足", []), ("其次是数据成本高", [1])]
    text = "2032年规模达到3215亿元[1]。企业数量超过8000家[1]。市场前景非常广阔而且令人振奋[1]。"
    judged = judge_offline(answer(text, [("a.txt", CHUNK)]))
    assert [c.verdict for c in judged.claims] == ["supported", "unsupported", "unsupported"]
    assert judged.strict() == pytest.approx(1 / 3)
    english = judge_offline(answer("It reached 3215亿元 [1]. That is a lot [1].", [("a.txt", CHUNK)]))
    assert [c.verdict for c in english.claims] == ["supported", "unclear"]
    assert english.strict() == 0.5 and english.lenient() == 1.0
    assert citation_precision(answer("规模达到3215亿元[1]。", [("a.txt", CHUNK)])) == 1.0
    # a source listed but cited by no claim (as in the vanilla baseline's "all chunks") is not precise
    assert citation_precision(answer("规模达到3215亿元[1]。", [("a.txt", CHUNK), ("b.txt", OTHER)])) == 0.5


def rag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "rag"), *args], env={**os.environ, **env, "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=900)


def test_end_to_end_run_report_compare_and_gate(tmp_path: Path, small_corpus: Path) -> None:
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "extractive"}
    assert rag("ingest", str(small_corpus), env=env).returncode == 0
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "question": "澜州低空物流日均配送架次突破了多少？", "key_facts": ["4.7万架次"], "type": "numeric",
         "evidence": [{"doc": SLIDES, "quote": "澜州低空物流日均配送架次突破4.7万架次"}]},
        {"id": "b", "question": "Falcon-9模型是在哪一天发布的？", "answerable": False, "type": "unanswerable"}]),
        encoding="utf-8")
    first = rag("eval", "run", "--questions", str(questions), "--out", str(tmp_path / "run1"), env=env)
    assert first.returncode == 0, first.stderr
    run1 = tmp_path / "run1"
    assert {p.name for p in run1.iterdir()} == {"results-ours.jsonl", "metrics.json", "report.md", "report.html"}
    metrics = json.loads((run1 / "metrics.json").read_text())["ours"]
    assert metrics["answer_accuracy"] == 1.0 and metrics["rejection_accuracy"] == 1.0
    page = (run1 / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "Falcon-9" in page
    # resumable: a second run over the same folder answers nothing new
    again = rag("eval", "run", "--questions", str(questions), "--out", str(run1), env=env)
    assert again.returncode == 0 and len((run1 / "results-ours.jsonl").read_text().splitlines()) == 2
    gate = rag("eval", "run", "--questions", str(questions), "--out", str(run1), "--fail-under",
               "answer_accuracy=1.01", env=env)
    assert gate.returncode == 1 and "below threshold" in gate.stderr
    compared = rag("eval", "compare", str(run1), str(run1), "--fail-under", "rejection_accuracy=1", env=env)
    assert compared.returncode == 0 and json.loads(compared.stdout)["changed"] == []
    assert rag("eval", "compare", str(run1), str(tmp_path), env=env).returncode == 2


# The CI gate: the extractive pipeline over the shipped reports, on question sets kept in the repository (the
# held-out set and the tuning half of the broad set; the test half stays untouched). Floors sit a little
# under the figures measured when they were set (see the README), so a regression fails CI.
GATES = {
    "heldout.jsonl": {"retrieval_recall_at_5": 0.94, "answer_accuracy": 0.6, "faithfulness_strict": 0.9,
                      "citation_precision": 0.9},
    "broad-tune.jsonl": {"retrieval_recall_at_5": 0.8, "answer_accuracy": 0.5,
                         "rejection_accuracy": 0.4, "faithfulness_strict": 0.9,
                         "citation_precision": 0.9},
}


def test_quality_gate_on_the_shipped_reports(tmp_path: Path) -> None:
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "extractive"}
    assert rag("ingest", env=env).returncode == 0
    for name, floors in GATES.items():
        questions = REPO / "evals" / "questions" / name
        limits = [arg for metric, floor in floors.items() for arg in ("--fail-under", f"{metric}={floor}")]
        gate = rag("eval", "run", "--questions", str(questions), "--out", str(tmp_path / questions.stem), *limits,
                   env=env)
        assert gate.returncode == 0, (gate.stdout[-1500:], gate.stderr[-500:])
