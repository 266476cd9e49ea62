"""The `rag` command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import BIN, MARKET, OUTLOOK, SLIDES


def rag(*args: str, data: Path, stdin: str | None = None, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_DATA_DIR": str(data), "NO_COLOR": "1", **settings}
    return subprocess.run([str(BIN / "rag"), *args], env=env, capture_output=True, text=True, timeout=300,
                          input=stdin)


def test_ingest_search_documents_delete(tmp_path: Path, small_corpus: Path) -> None:
    data = tmp_path / "data"
    (small_corpus / "garbage.pdf").write_bytes(b"not a pdf")
    ingest = rag("ingest", str(small_corpus), "--json", data=data)
    assert ingest.returncode == 3, ingest.stderr  # partial: one file was refused
    report = json.loads(ingest.stdout)
    assert report["documents_added"] == 3 and report["errors"][0]["path"].endswith("garbage.pdf")

    search = rag("search", "日均配送架次", "--json", "--k", "2", data=data)
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)
    assert len(hits) == 2 and set(hits[0]) == {"chunk_id", "source", "section", "text", "score"}
    assert hits[0]["source"] == SLIDES

    listed = json.loads(rag("documents", "--json", data=data).stdout)
    assert sorted(d["source"] for d in listed) == [MARKET, OUTLOOK, SLIDES]

    assert rag("delete", MARKET, data=data).returncode == 0
    missing = rag("delete", MARKET, data=data)
    assert missing.returncode == 1 and "No indexed document" in missing.stderr


def test_interactive_search_and_empty_index(tmp_path: Path, small_corpus: Path) -> None:
    empty = rag("search", "问题", data=tmp_path / "empty")
    assert empty.returncode == 1 and "rag ingest" in empty.stderr
    data = tmp_path / "data"
    rag("ingest", str(small_corpus), data=data)
    session = rag("search", data=data, stdin="日均配送架次\n\n")
    assert session.returncode == 0 and "4.7万架次" in session.stdout


def test_empty_question_is_a_clear_error(tmp_path: Path, small_corpus: Path) -> None:
    data = tmp_path / "data"
    rag("ingest", str(small_corpus), data=data)
    result = rag("search", "  ", data=data)
    assert result.returncode == 2 and "empty" in result.stderr


def test_invalid_settings_are_reported(tmp_path: Path) -> None:
    env_result = subprocess.run([str(BIN / "rag"), "documents"], capture_output=True, text=True,
                                env={**os.environ, "RAG_DATA_DIR": str(tmp_path), "RAG_CHUNK_TOKENS": "abc"})
    assert env_result.returncode == 2 and "chunk_tokens" in env_result.stderr


def test_benchmark_commands_run_as_the_rag_eval_group(tmp_path: Path, small_corpus: Path) -> None:
    listing = rag("eval", "--help", data=tmp_path / "data")
    assert listing.returncode == 0
    assert {"run", "compare", "retrieval", "ingest", "serving"} <= set(listing.stdout.split())
    empty = rag("eval", "retrieval", "--questions", str(small_corpus / OUTLOOK), data=tmp_path / "empty")
    assert empty.returncode == 1 and "rag ingest" in empty.stderr
    timed = rag("eval", "ingest", "--corpus", str(small_corpus), data=tmp_path / "data")
    assert timed.returncode == 0, timed.stderr
    report = json.loads(timed.stdout)
    assert report["chunks"] > 0 and report["vectors_computed_unchanged"] == 0
    assert not (tmp_path / "data" / "index").exists()  # a scratch index, not the configured one


def test_a_baseline_without_documents_is_refused_not_measured(tmp_path: Path, small_corpus: Path) -> None:
    """The tutorial baseline reads the corpus folder itself: with no documents there it would answer from the
    model alone and be scored as a pipeline."""
    (tmp_path / "empty").mkdir()
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "2033年澜州低空物流市场规模是多少？", "answerable": True,
                                     "key_facts": ["38.4亿元"], "type": "numeric"}, ensure_ascii=False) + "\n")
    run = rag("eval", "run", "--questions", str(questions), "--out", str(tmp_path / "run"), "--pipelines", "vanilla",
              "--generator", "local", data=tmp_path / "data", RAG_REPORTS_DIR=str(tmp_path / "empty"))
    assert run.returncode == 2 and "has none" in run.stderr, run.stderr
    assert not (tmp_path / "run" / "results-vanilla.jsonl").exists()
