"""Whose conversations a chat page request may reach: with API keys set, the key holder's (the session
cookie says which key); without, the browser's own, named by a random id the page keeps in the browser's
localStorage (gr.BrowserState). Without this, everyone using the page saw, opened and deleted everyone's
conversations.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import gradio as gr

from rag.auth import Sessions

_BROWSER_ID = re.compile(r"[0-9a-f]{32}")


def _secret(data_dir: Path) -> str:
    """Gradio's key for the stored id, kept in the data directory: a new one at every start (Gradio's default)
    would give every browser a new id, and lose its conversations, at each restart. Gradio sends it to the page,
    so it hides nothing; what keeps browsers apart is the id's 128 random bits."""
    path = data_dir / "browser-state.secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as new:
            new.write(secrets.token_hex(16))
    except FileExistsError:
        pass
    return path.read_text().strip()


def new_browser_id() -> str:
    return secrets.token_hex(16)


def is_browser_id(value: object) -> bool:
    """An id this page made; anything else stored in the browser is replaced (it could never own anything)."""
    return isinstance(value, str) and _BROWSER_ID.fullmatch(value) is not None


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
        return f"browser:{browser}" if is_browser_id(browser) else None
