"""The benchmark question files in the repository are well-formed: they parse, ids are unique, every
evidence quote stands in its document and every key fact in its evidence (the scorer's own rules). A
broken set would silently score every system wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.benchmark import load_questions, shipped, squash

ROOT = Path(__file__).resolve().parent.parent
SETS = {  # question file -> folder of the documents it is about
    "heldout.jsonl": ROOT / "data" / "reports",
    "broad-tune.jsonl": ROOT / "data" / "reports",
    "broad-test.jsonl": ROOT / "data" / "reports",
    "news-tune.jsonl": ROOT / "evals" / "corpora" / "news",
    "news-test.jsonl": ROOT / "evals" / "corpora" / "news",
    "fresh-tune.jsonl": ROOT / "data" / "reports",
    "fresh-test.jsonl": ROOT / "data" / "reports",
    "policy-tune.jsonl": ROOT / "evals" / "corpora" / "policy",
    "policy-test.jsonl": ROOT / "evals" / "corpora" / "policy",
    "news2-tune.jsonl": ROOT / "evals" / "corpora" / "news2",
    "news2-test.jsonl": ROOT / "evals" / "corpora" / "news2",
    "conv-tune.jsonl": ROOT / "evals" / "corpora" / "conv",
    "conv-test.jsonl": ROOT / "evals" / "corpora" / "conv",
    "news3-tune.jsonl": ROOT / "evals" / "corpora" / "news3",
    "news3-test.jsonl": ROOT / "evals" / "corpora" / "news3",
    "news4-tune.jsonl": ROOT / "evals" / "corpora" / "news4",
    "news4-test.jsonl": ROOT / "evals" / "corpora" / "news4",
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_question_set_is_well_formed(name: str) -> None:
    questions = load_questions(ROOT / "evals" / "questions" / name)
    documents = {path.name: squash(path.read_text(encoding="utf-8")) for path in SETS[name].glob("*.txt")}
    assert len({q.id for q in questions}) == len(questions)
    for question in questions:
        for evidence in question.evidence:
            assert squash(evidence.quote) in documents[evidence.doc], (question.id, evidence.quote)
        if question.answerable:
            assert question.key_facts and question.evidence, question.id
            cited = "".join(documents[e.doc] for e in question.evidence)
            # a table cell's fact carries the unit of its column or table ("18.10" under 单位：亿元); a
            # comparison may ask for a difference the documents leave to the reader
            stated = [squash(fact) in cited or re.sub(r"[^\d.,%]", "", squash(fact)) in cited
                      for fact in question.key_facts]
            assert all(stated) or (question.type == "comparison" and sum(stated) >= 2), question.id
        else:
            assert not question.key_facts, question.id
        assert all(turn.content for turn in question.history)


def test_the_readme_names_find_the_shipped_sets_outside_the_checkout(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed copy has no evals/ folder where it runs: the names resolve to the package's own copies."""
    monkeypatch.chdir(tmp_path)
    news = ROOT / "evals" / "questions" / "news-test.jsonl"
    assert shipped(Path("evals/questions/news-test.jsonl")) == news == shipped(Path("news-test.jsonl"))
    assert shipped(Path("evals/corpora/news")) == ROOT / "evals" / "corpora" / "news"
    assert shipped(Path("elsewhere.jsonl")) == Path("elsewhere.jsonl")  # not ours: left for the caller to refuse
    (tmp_path / "evals" / "questions").mkdir(parents=True)
    (tmp_path / "evals" / "questions" / "news-test.jsonl").write_text("", encoding="utf-8")
    assert shipped(Path("evals/questions/news-test.jsonl")) == Path("evals/questions/news-test.jsonl")  # a checkout's
