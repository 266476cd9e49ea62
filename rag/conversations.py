"""Chat page conversations kept in the data directory (SQLite), so a reload or a server restart loses
nothing and past conversations can be reopened or deleted. The API stays stateless, OpenAI style: only the
chat page stores conversations.

A conversation is stored whole, as the page shows it (messages with their source blocks) plus the answers'
records (for feedback), and replaced on every save: one user's conversations are small.

Each conversation belongs to one owner (an API key's holder, or one browser: ui/owners.py), and every call
names the owner: one user never lists, opens, renames, deletes or overwrites another's conversation.
Conversations stored before owners existed have none and are listed to nobody.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    messages TEXT NOT NULL,
    answers TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
);
"""
TITLE_CHARS = 40


class ConversationSummary(BaseModel):
    id: str
    title: str = Field(description="The first question, shortened.")
    updated: float


class Conversation(ConversationSummary):
    messages: list[dict[str, Any]] = Field(default_factory=list, description="As the chat page shows them.")
    answers: list[dict[str, Any]] = Field(default_factory=list, description="The answers' `Answer` records.")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def text_of(content: Any) -> str:
    """A message's text, whether a string or the page's list of parts ([{"type": "text", "text": ...}])."""
    if isinstance(content, list):
        return "".join(text_of(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or "")
    return str(content or "")


def title_of(messages: list[dict[str, Any]]) -> str:
    first = next((m.get("content") for m in messages if m.get("role") == "user"), "")
    first = " ".join(text_of(first).split())
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS - 1] + "…"


class ConversationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One short connection per call: the page's handlers run on many threads."""
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10)
            try:
                if not self._ready:
                    connection.executescript(_SCHEMA)
                    columns = {row[1] for row in connection.execute("PRAGMA table_info(conversations)")}
                    if "owner" not in columns:  # a store written before conversations had owners
                        connection.execute("ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
                    self._ready = True
                with connection:
                    yield connection
            finally:
                connection.close()

    def save(self, owner: str, conversation_id: str, messages: list[dict[str, Any]],
             answers: list[dict[str, Any]]) -> bool:
        """Titled by its first question when first saved; later saves keep the title (or the user's name).
        False when the id is another owner's: that conversation is left as it was."""
        _check(owner)
        now = time.time()
        with self._connect() as db:
            return db.execute(
                "INSERT INTO conversations (id, title, created, updated, messages, answers, owner) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET updated = excluded.updated, "
                "messages = excluded.messages, answers = excluded.answers WHERE owner = excluded.owner",
                (conversation_id, title_of(messages), now, now, json.dumps(messages, ensure_ascii=False),
                 json.dumps(answers, ensure_ascii=False), owner)).rowcount > 0

    def list(self, owner: str) -> list[ConversationSummary]:
        """The owner's conversations, most recently updated first."""
        _check(owner)
        with self._connect() as db:
            rows = db.execute("SELECT id, title, updated FROM conversations WHERE owner = ? ORDER BY updated DESC",
                              (owner,)).fetchall()
        return [ConversationSummary(id=row[0], title=row[1], updated=row[2]) for row in rows]

    def load(self, owner: str, conversation_id: str) -> Conversation | None:
        _check(owner)
        with self._connect() as db:
            row = db.execute("SELECT id, title, updated, messages, answers FROM conversations WHERE id = ? "
                             "AND owner = ?", (conversation_id, owner)).fetchone()
        if row is None:
            return None
        return Conversation(id=row[0], title=row[1], updated=row[2], messages=json.loads(row[3]),
                            answers=json.loads(row[4]))

    def rename(self, owner: str, conversation_id: str, title: str) -> bool:
        _check(owner)
        title = " ".join(title.split())[:200]
        if not title:
            return False
        with self._connect() as db:
            return db.execute("UPDATE conversations SET title = ? WHERE id = ? AND owner = ?",
                              (title, conversation_id, owner)).rowcount > 0

    def delete(self, owner: str, conversation_id: str) -> bool:
        _check(owner)
        with self._connect() as db:
            return db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?",
                              (conversation_id, owner)).rowcount > 0


def _check(owner: str) -> None:
    """The empty owner is that of conversations stored before owners existed: nobody may act as it."""
    if not owner:
        raise ValueError("a conversation's owner must be named")


_MARKER = re.compile(r"\[(\d+)\]")


def _footnoted(text: str, number: int, cited: set[int]) -> str:
    return _MARKER.sub(lambda m: f"[^{number}-{m.group(1)}]" if int(m.group(1)) in cited else m.group(0), text)


def to_markdown(conversation: Conversation) -> str:
    """The conversation as Markdown, each answer's sources as footnotes (numbered per answer, "[^2-1]" being
    the second answer's first source, so markers of different answers never collide)."""
    lines = [f"# {conversation.title or '对话'}", ""]
    for number, answer in enumerate(conversation.answers, 1):
        citations = {c["n"]: c for c in answer.get("citations", [])}
        text = _footnoted(answer.get("answer", ""), number, set(citations))
        lines += [f"**问：** {answer.get('question', '')}", "", f"**答：** {text}", ""]
        for n, c in sorted(citations.items()):
            where = " · ".join(part for part in (c.get("title") or c["source"], c.get("section", "")) if part)
            file = f" ({c['source']})" if c.get("title") and c["title"] != c["source"] else ""
            lines.append(f"[^{number}-{n}]: {where}{file}: “{' '.join(c['quote'].split())}”")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
