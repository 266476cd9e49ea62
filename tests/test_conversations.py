"""The chat page's conversation store: SQLite in the data directory, surviving a new process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rag.conversations import Conversation, ConversationStore, new_id, to_markdown

ME, OTHER = "browser:me", "browser:other"


def test_conversations_are_saved_listed_reopened_and_deleted(tmp_path: Path) -> None:
    path = tmp_path / "data" / "conversations.sqlite3"
    store = ConversationStore(path)
    first, second = new_id(), new_id()
    store.save(ME, first, [{"role": "user", "content": "2033年澜州低空物流市场规模达到多少？"},
                       {"role": "assistant", "content": "38.4亿元[1]。"}], [{"answer": "38.4亿元[1]。"}])
    store.save(ME, second, [{"role": "user", "content": "那2034年呢？"}], [])
    assert [c.id for c in store.list(ME)] == [second, first]  # latest first
    store.save(ME, first, [{"role": "user", "content": "2033年澜州低空物流市场规模达到多少？"},
                       {"role": "assistant", "content": "38.4亿元[1]。"},
                       {"role": "user", "content": "那2034年呢？"}], [{"answer": "38.4亿元[1]。"}])

    reopened = ConversationStore(path)  # another process, after a restart
    listed = reopened.list(ME)
    assert [c.id for c in listed] == [first, second]  # updating moves a conversation up
    assert listed[0].title == "2033年澜州低空物流市场规模达到多少？"
    loaded = reopened.load(ME, first)
    assert loaded is not None and len(loaded.messages) == 3 and loaded.answers == [{"answer": "38.4亿元[1]。"}]
    assert reopened.delete(ME, first) and not reopened.delete(ME, first)
    assert reopened.load(ME, first) is None and [c.id for c in reopened.list(ME)] == [second]
    # the page hands earlier messages back as lists of parts: the title is still the question's text
    third = new_id()
    store.save(ME, third, [{"role": "user", "content": [{"type": "text", "text": "那2034年呢？"}]}], [])
    assert next(c for c in store.list(ME) if c.id == third).title == "那2034年呢？"
    assert store.rename(ME, third, "  规模  对比 ") and not store.rename(ME, third, "   ")
    assert not store.rename(ME, "nope", "x")
    store.save(ME, third, [{"role": "user", "content": "那2034年呢？"}, {"role": "assistant", "content": "…"}], [])
    assert next(c for c in store.list(ME) if c.id == third).title == "规模 对比"  # a later save keeps the name
    long = ConversationStore(path)
    long.save(ME, first, [{"role": "user", "content": "问" * 100}], [])
    assert len(next(c for c in long.list(ME) if c.id == first).title) == 40


def test_one_owner_never_reaches_anothers_conversations(tmp_path: Path) -> None:
    """Listing, opening, renaming, deleting and overwriting all stop at the owner; a store written before
    owners existed keeps its conversations, listed to nobody."""
    path = tmp_path / "conversations.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before owners
        db.execute("CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, "
                   "updated REAL NOT NULL, messages TEXT NOT NULL, answers TEXT NOT NULL)")
        db.execute("INSERT INTO conversations VALUES ('old', '旧对话', 0, 0, '[]', '[]')")
    store = ConversationStore(path)
    mine = new_id()
    assert store.save(ME, mine, [{"role": "user", "content": "澜州的配送架次？"}], [])
    assert [c.id for c in store.list(ME)] == [mine] and store.list(OTHER) == []
    assert store.load(OTHER, mine) is None and store.load(OTHER, "old") is None
    assert not store.rename(OTHER, mine, "改掉") and not store.delete(OTHER, mine)
    assert not store.save(OTHER, mine, [{"role": "user", "content": "覆盖"}], [])  # a known id is no key
    kept = store.load(ME, mine)
    assert kept is not None and kept.title == "澜州的配送架次？" and kept.messages[0]["content"] == "澜州的配送架次？"
    with pytest.raises(ValueError):
        store.list("")


def test_export_is_markdown_with_each_answers_sources_as_footnotes() -> None:
    def cited(n: int, source: str, title: str, quote: str) -> dict[str, object]:
        return {"n": n, "chunk_id": f"x-{n}", "source": source, "title": title, "section": "一、市场规模",
                "quote": quote, "score": 0.1, "text": quote}

    conversation = Conversation(id="c1", title="规模", updated=0.0, answers=[
        {"question": "2033年规模多少？", "answer": "38.4亿元[1]，增长27.5%[2]。", "grounded": True,
         "citations": [cited(1, "drone_market.txt", "低空物流发展规划", "规模达到38.4亿元。"),
                       cited(2, "drone_market.txt", "", "同比增长\n27.5%。")]},
        {"question": "那2034年呢？", "answer": "超过57亿元[1]。", "grounded": True,
         "citations": [cited(1, "drone_outlook.md", "澜州低空经济将进入加速期", "超过57亿元。")]}])
    markdown = to_markdown(conversation)
    assert "**答：** 38.4亿元[^1-1]，增长27.5%[^1-2]。" in markdown
    assert "**答：** 超过57亿元[^2-1]。" in markdown
    assert "[^1-1]: 低空物流发展规划 · 一、市场规模 (drone_market.txt): “规模达到38.4亿元。”" in markdown
    assert "[^1-2]: drone_market.txt · 一、市场规模: “同比增长 27.5%。”" in markdown  # no title: the file name
    assert "[^2-1]: 澜州低空经济将进入加速期 · 一、市场规模 (drone_outlook.md)" in markdown
