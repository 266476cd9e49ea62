"""The chat page's conversation store: SQLite in the data directory, surviving a new process."""

from __future__ import annotations

from pathlib import Path

from rag.conversations import ConversationStore, new_id


def test_conversations_are_saved_listed_reopened_and_deleted(tmp_path: Path) -> None:
    path = tmp_path / "data" / "conversations.sqlite3"
    store = ConversationStore(path)
    first, second = new_id(), new_id()
    store.save(first, [{"role": "user", "content": "2023年我国人工智能核心产业规模达到多少？" * 3},
                       {"role": "assistant", "content": "5784亿元[1]。"}], [{"answer": "5784亿元[1]。"}])
    store.save(second, [{"role": "user", "content": "那2025年呢？"}], [])
    assert [c.id for c in store.list()] == [second, first]  # latest first
    store.save(first, [{"role": "user", "content": "2023年我国人工智能核心产业规模达到多少？"},
                       {"role": "assistant", "content": "5784亿元[1]。"},
                       {"role": "user", "content": "那2025年呢？"}], [{"answer": "5784亿元[1]。"}])

    reopened = ConversationStore(path)  # another process, after a restart
    listed = reopened.list()
    assert [c.id for c in listed] == [first, second]  # updating moves a conversation up
    assert listed[0].title == "2023年我国人工智能核心产业规模达到多少？"
    loaded = reopened.load(first)
    assert loaded is not None and len(loaded.messages) == 3 and loaded.answers == [{"answer": "5784亿元[1]。"}]
    assert reopened.delete(first) and not reopened.delete(first)
    assert reopened.load(first) is None and [c.id for c in reopened.list()] == [second]
    long = ConversationStore(path)
    long.save(first, [{"role": "user", "content": "问" * 100}], [])
    assert len(next(c for c in long.list() if c.id == first).title) == 40
