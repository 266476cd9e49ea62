"""Whose conversations a chat page request may reach: with API keys set, the key holder's (the session
cookie says which key); without, the browser's own, named by a random id the page keeps in the browser's
localStorage (gr.BrowserState). Without this, everyone using the page saw, opened and deleted everyone's
conversations.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import gradio as gr

from rag.auth import Sessions

_BROWSER_ID = re.compile(r"[0-9a-f]{32}")


def _secret(data_dir: Path) -> str:
    """The key the browser's stored id is encrypted with: kept in the data directory, since a new one at
    every start (Gradio's default) would give every browser a new id, and lose its conversations, at each
    restart."""
    path = data_dir / "browser-state.secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip()


def new_browser_id() -> str:
    return secrets.token_hex(16)


class Owners:
    def __init__(self, sessions: Sessions | None, data_dir: Path) -> None:
        self.sessions = sessions if sessions is not None and sessions.keys else None
        self.data_dir = data_dir

    def browser_state(self) -> gr.BrowserState:
        """The browser's id; empty until the page's first load gives it one."""
        return gr.BrowserState("", storage_key="rag-browser-id", secret=_secret(self.data_dir))

    def of(self, request: gr.Request | None, browser: str | None) -> str | None:
        """The owner of what this request stores and reads; None when it cannot be told (nothing is then
        listed, opened or saved)."""
        if self.sessions is not None:
            headers = {name.lower(): value for name, value in (request.headers.items() if request else [])}
            return self.sessions.owner(headers)
        return f"browser:{browser}" if browser and _BROWSER_ID.fullmatch(browser) else None
